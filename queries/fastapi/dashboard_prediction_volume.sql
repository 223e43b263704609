-- GET /api/v1/ml-analytics/dashboard (predictions chart): an organization's predictions per
-- day and model type since a date
SELECT date_trunc('day', ph.predicted_at) AS day,
       pm.model_type,
       count(*) AS predictions,
       avg(ph.latency_ms) AS avg_latency_ms
FROM prediction_history AS ph
JOIN predictive_models AS pm ON pm.id = ph.model_id
WHERE ph.organization_id = $1 AND ph.predicted_at >= $2
GROUP BY 1, 2
ORDER BY 1, 2;
