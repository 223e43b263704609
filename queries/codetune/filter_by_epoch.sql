-- Test 2: Filter by epoch (should use index)
SELECT * FROM training_metric WHERE epoch = 5;
