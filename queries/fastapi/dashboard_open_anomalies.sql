-- GET /api/v1/ml-analytics/dashboard (anomalies panel): an organization's latest unresolved
-- anomalies and the detectors that raised them
SELECT r.id, r.detected_at, r.severity, r.anomaly_score, r.metric_name, m.detection_name
FROM anomaly_detection_results AS r
JOIN anomaly_detection_models AS m ON m.id = r.anomaly_model_id
WHERE r.organization_id = $1 AND NOT r.is_resolved
ORDER BY r.detected_at DESC
LIMIT 50;
