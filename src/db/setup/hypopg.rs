//! HypoPG on a throwaway server: the server is pgvet's own, so when its binaries have the
//! extension (`pg_available_extensions`) pgvet creates it, in a schema of its own
//! ([`EPHEMERAL_SCHEMA`]), after the last setup file, and the index advice can prove its
//! candidates there. A database pgvet checks with `--db` is never given it (see `db::advice`).

use super::{Session, Target};
use crate::db::advice::EPHEMERAL_SCHEMA;

/// Whether the server could create HypoPG, and whether the database has it already.
const STATE: &str = "SELECT EXISTS (SELECT FROM pg_catalog.pg_available_extensions a WHERE a.name = 'hypopg'), \
     EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'hypopg')";

/// Creates HypoPG in the throwaway server's database when its binaries have it and a setup
/// file did not create it already; returns whether the database has it now.
pub async fn create_hypopg(target: &Target) -> anyhow::Result<bool> {
    let session = Session::open(target).await?;
    let client = &session.connected.client;
    client
        .batch_execute("SET search_path = pg_catalog, pg_temp")
        .await?;
    let row = client.query_one(STATE, &[]).await?;
    let (available, created): (bool, bool) = (row.try_get(0)?, row.try_get(1)?);
    if created || !available {
        return Ok(created);
    }
    client
        .batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {EPHEMERAL_SCHEMA}; CREATE EXTENSION hypopg SCHEMA {EPHEMERAL_SCHEMA}"
        ))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "creating HypoPG on the throwaway server: {}",
                crate::db::session::server_message(&e)
            )
        })?;
    Ok(true)
}
