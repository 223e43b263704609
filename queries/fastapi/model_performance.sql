-- GET /api/v1/ml-analytics/models/{model_id}/performance?since=…: volume, confidence, error
-- against the actual values known so far, and latency of a model's predictions
SELECT count(*) AS predictions,
       avg(confidence) AS avg_confidence,
       avg(abs(predicted_value - actual_value)) AS mae,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_latency_ms
FROM prediction_history
WHERE model_id = $1 AND predicted_at >= $2;
