-- Test 4: Join query (should be optimized)
SELECT tc.*, tm.*
FROM training_config tc
JOIN training_metric tm ON tc.id = tm.config_id
WHERE tc.model_type = 'bert-base';
