-- GET /api/v1/ml-analytics/models/{model_id}/predictions: a model's latest 100 predictions
SELECT id, predicted_at, predicted_value, confidence, actual_value, latency_ms
FROM prediction_history
WHERE model_id = $1
ORDER BY predicted_at DESC
LIMIT 100;
