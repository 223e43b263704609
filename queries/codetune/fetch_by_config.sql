-- Test 1: Fetch experiment by config_id (should be fast)
SELECT * FROM training_metric WHERE config_id = 1;
