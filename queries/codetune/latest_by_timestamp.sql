-- Test 3: Sort by timestamp (should use index)
SELECT * FROM training_metric ORDER BY timestamp DESC LIMIT 100;
