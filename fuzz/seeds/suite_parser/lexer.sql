SELECT 1 AS é$$; COMMIT; SELECT $1, a$b, E'\x' FROM "t""x"; /* unterminated
