-- The external data sync worker (EXTERNAL_DATA_SYNC_ENABLED): the next active sources due
SELECT id, organization_id, source_name, source_type, sync_frequency
FROM external_data_sources
WHERE is_active AND next_sync_at <= $1
ORDER BY next_sync_at
LIMIT 20;
