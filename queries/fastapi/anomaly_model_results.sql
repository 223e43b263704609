-- GET /api/v1/ml-analytics/anomaly-models/{model_id}/results?since=…: what one detector found
SELECT id, detected_at, metric_name, severity, anomaly_score, observed_value, expected_low,
       expected_high, is_resolved
FROM anomaly_detection_results
WHERE anomaly_model_id = $1 AND detected_at >= $2
ORDER BY detected_at DESC;
