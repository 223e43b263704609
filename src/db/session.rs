//! Running a suite's queries safely. Every EXPLAIN and every timed run executes inside a
//! transaction that is rolled back — READ ONLY unless the query declares `writes = true` — so
//! pgvet never changes the database it verifies. Timed runs execute the query itself (simple
//! protocol, like psql and pgbench), never through EXPLAIN, whose instrumentation inflates times.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use tokio_postgres::{Client, SimpleQueryMessage};

/// A statement the server refused or could not finish: its message, as a DBA would read it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    pub message: String,
    /// The connection is gone: nothing more can run on it.
    pub connection_lost: bool,
}

impl From<tokio_postgres::Error> for QueryError {
    fn from(e: tokio_postgres::Error) -> Self {
        let message = match e.as_db_error() {
            Some(db) => {
                let mut m = format!(
                    "{}: {} (SQLSTATE {})",
                    db.severity(),
                    db.message(),
                    db.code().code()
                );
                if let Some(detail) = db.detail() {
                    m.push_str(&format!("; {detail}"));
                }
                if let Some(hint) = db.hint() {
                    m.push_str(&format!("; hint: {hint}"));
                }
                m
            }
            None => e.to_string(),
        };
        QueryError {
            message,
            connection_lost: e.is_closed(),
        }
    }
}

/// Session settings for the whole run: they bound every statement and change nothing stored.
pub async fn configure(
    client: &Client,
    statement_timeout: Duration,
    lock_timeout: Duration,
) -> Result<(), QueryError> {
    let sql = format!(
        "SET statement_timeout = {}; SET lock_timeout = {}",
        statement_timeout.as_millis(),
        lock_timeout.as_millis()
    );
    client.batch_execute(&sql).await.map_err(Into::into)
}

/// `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)`: the query runs, then is rolled back.
pub async fn explain_analyze(
    client: &Client,
    sql: &str,
    writes: bool,
) -> Result<String, QueryError> {
    let explain = format!("EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) {sql}");
    in_rolled_back_transaction(client, writes, None, &explain).await
}

/// The plan the planner makes when sequential scans are disabled (not executed): it shows
/// whether an index can serve the query at all.
pub async fn explain_without_seq_scans(
    client: &Client,
    sql: &str,
    writes: bool,
) -> Result<String, QueryError> {
    let explain = format!("EXPLAIN (VERBOSE, FORMAT JSON) {sql}");
    in_rolled_back_transaction(
        client,
        writes,
        Some("SET LOCAL enable_seqscan = off"),
        &explain,
    )
    .await
}

async fn in_rolled_back_transaction(
    client: &Client,
    writes: bool,
    setup: Option<&str>,
    sql: &str,
) -> Result<String, QueryError> {
    client.batch_execute(begin(writes)).await?;
    let result = async {
        if let Some(setup) = setup {
            client.batch_execute(setup).await?;
        }
        client.simple_query(sql).await
    }
    .await;
    let rolled_back = client.batch_execute("ROLLBACK").await;
    let messages = result?;
    rolled_back?;
    let text = messages.into_iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
        _ => None,
    });
    text.ok_or_else(|| QueryError {
        message: "EXPLAIN returned no plan".into(),
        connection_lost: false,
    })
}

fn begin(writes: bool) -> &'static str {
    if writes {
        "BEGIN"
    } else {
        "BEGIN TRANSACTION READ ONLY"
    }
}

/// One timed execution: the time from sending the query to having received its last row, and
/// the number of rows returned (or affected). Rows are counted and dropped as they stream in.
pub async fn timed_run(
    client: &Client,
    sql: &str,
    writes: bool,
) -> Result<(Duration, u64), QueryError> {
    client.batch_execute(begin(writes)).await?;
    let start = Instant::now();
    let result = async {
        let stream = client.simple_query_raw(sql).await?;
        futures_util::pin_mut!(stream);
        let (mut rows, mut affected) = (0u64, 0u64);
        while let Some(message) = stream.try_next().await? {
            match message {
                SimpleQueryMessage::Row(_) => rows += 1,
                SimpleQueryMessage::CommandComplete(n) => affected = n,
                _ => {}
            }
        }
        Ok::<_, tokio_postgres::Error>(rows.max(affected))
    }
    .await;
    let elapsed = start.elapsed();
    let rolled_back = client.batch_execute("ROLLBACK").await;
    let rows = result?;
    rolled_back?;
    Ok((elapsed, rows))
}
