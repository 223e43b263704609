-- GET /api/v1/ml-analytics/models: an organization's predictive models
SELECT id, model_name, model_type, version, status, accuracy_score, deployed_at
FROM predictive_models
WHERE organization_id = $1
ORDER BY model_type, model_name, version;
