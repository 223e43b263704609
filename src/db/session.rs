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

/// Asks the server to parse the query as one prepared statement, which it refuses for more than
/// one command. The suite's own check could be fooled by quoting rules that depend on server
/// settings; this one cannot, so nothing runs until it passes. Nothing is executed.
pub async fn ensure_single_statement(client: &Client, sql: &str) -> Result<(), QueryError> {
    match client.prepare(sql).await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::SYNTAX_ERROR)
            && e.as_db_error().is_some_and(|db| db.message().contains("multiple commands")) =>
        {
            Err(QueryError {
                message: "the query holds more than one statement (the server would not prepare it as one); pgvet runs one statement per query".into(),
                connection_lost: false,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)`: the query runs, then is rolled back.
pub async fn explain_analyze(
    client: &Client,
    sql: &str,
    writes: bool,
) -> Result<String, QueryError> {
    let explain = format!("EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) {sql}");
    in_rolled_back_transaction(client, begin(writes), &explain).await
}

/// The plan the planner makes when sequential scans are disabled (not executed): it shows
/// whether an index can serve the query at all. With `bitmap_only`, plain and index-only scans
/// are disabled too, leaving bitmap scans, which always carry an index condition.
pub async fn explain_without_seq_scans(
    client: &Client,
    sql: &str,
    bitmap_only: bool,
) -> Result<String, QueryError> {
    let explain = format!("EXPLAIN (VERBOSE, FORMAT JSON) {sql}");
    // Plain EXPLAIN executes nothing, so READ ONLY holds even for a query that writes.
    let mut begin = String::from("BEGIN TRANSACTION READ ONLY; SET LOCAL enable_seqscan = off");
    if bitmap_only {
        begin.push_str("; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off");
    }
    in_rolled_back_transaction(client, &begin, &explain).await
}

/// Runs `sql` after `begin` (which opens the transaction) and rolls back whatever happened.
async fn in_rolled_back_transaction(
    client: &Client,
    begin: &str,
    sql: &str,
) -> Result<String, QueryError> {
    client.batch_execute(begin).await?;
    let result = client.simple_query(sql).await;
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

/// A metric's value: its SQL's one scalar, in a rolled-back READ ONLY transaction. NULL is no
/// value; anything but one numeric column of one row is an error saying what came back.
pub async fn scalar(client: &Client, sql: &str) -> Result<Option<f64>, QueryError> {
    let text = in_rolled_back_transaction_rows(client, sql).await?;
    let invalid = |what: String| QueryError {
        message: format!("a metric's SQL must return one number; {what}"),
        connection_lost: false,
    };
    match text.as_slice() {
        [row] if row.len() == 1 => match &row[0] {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| invalid(format!("it returned `{v}`"))),
        },
        [row] => Err(invalid(format!("it returned {} columns", row.len()))),
        rows => Err(invalid(format!("it returned {} rows", rows.len()))),
    }
}

/// The rows of `sql` as text, run READ ONLY and rolled back.
async fn in_rolled_back_transaction_rows(
    client: &Client,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, QueryError> {
    client.batch_execute(begin(false)).await?;
    let result = client.simple_query(sql).await;
    let rolled_back = client.batch_execute("ROLLBACK").await;
    let messages = result?;
    rolled_back?;
    Ok(messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            ),
            _ => None,
        })
        .collect())
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
