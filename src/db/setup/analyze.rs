//! Planner statistics for what the setup files loaded. A plain pg_dump (before PostgreSQL 18)
//! carries none, and a server applying it has none until autovacuum gets round to it, at a
//! moment of its own: the checks would judge plans made without statistics, unlike those on
//! the database the dump came from, and a run could change plans halfway. So after the last
//! setup file pgvet analyzes every table the files left without statistics (as the
//! PostgreSQL manual advises after a restore); a table a file analyzed itself, or gave
//! statistics on purpose, is left as it is.

use super::{Session, Target};

/// The tables (plain, partitioned, populated materialized views) that have no statistics,
/// outside the system schemas: `schema.table` quoted for SQL, the schema and the name. Run
/// with `search_path = pg_catalog`, so nothing a setup file created takes part.
const UNANALYZED: &str = "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), \
            n.nspname::pg_catalog.text, c.relname::pg_catalog.text \
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p', 'm') AND c.relispopulated \
       AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' \
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_statistic s WHERE s.starelid = c.oid) \
     ORDER BY 1";

/// Analyzes the tables the setup files left without statistics; returns them, as (schema,
/// name): their statistics are pgvet's, not the setup's (`[[table]] analyzed` is not judged
/// on them).
pub async fn analyze_unanalyzed(target: &Target) -> anyhow::Result<Vec<(String, String)>> {
    let session = Session::open(target).await?;
    let client = &session.connected.client;
    client
        .batch_execute("SET search_path = pg_catalog, pg_temp")
        .await?;
    let rows = client.query(UNANALYZED, &[]).await?;
    let tables: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    for table in &tables {
        client
            .batch_execute(&format!("ANALYZE {table}"))
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "analyzing {table} after the setup files: {}",
                    crate::db::session::server_message(&e)
                )
            })?;
    }
    Ok(rows.iter().map(|row| (row.get(1), row.get(2))).collect())
}
