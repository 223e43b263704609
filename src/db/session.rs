//! Running a suite's queries safely. Every EXPLAIN and every timed run executes inside a
//! transaction that is rolled back — READ ONLY unless the query declares `writes = true` — so
//! pgvet never changes the database it verifies. Timed runs execute the query itself (simple
//! protocol, like psql and pgbench), never through EXPLAIN, whose instrumentation inflates times.
//! A query with `params` goes through the extended protocol instead ([`super::prepared`]).
//! The suite's SQL runs with the session's own `search_path`; pgvet's own statements do not
//! (see [`super::guard`]). Every reply is awaited within the connection's deadline.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use tokio_postgres::SimpleQueryMessage;

use super::bind::Bindings;
use super::guard::{Db, GRACE};
use super::prepared;

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
        let message = server_message(&e);
        let fatal = e
            .as_db_error()
            .is_some_and(|db| matches!(db.severity(), "FATAL" | "PANIC"));
        QueryError {
            message,
            connection_lost: e.is_closed() || fatal,
        }
    }
}

/// An error as pgvet reports it: the server's severity, message, SQLSTATE, detail and hint, or
/// the driver's own message.
pub fn server_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
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
    }
}

/// Session settings for the whole run: they bound every statement and change nothing stored.
/// `idle_in_transaction_session_timeout` (the client's own deadline, see [`GRACE`]) makes the
/// server end pgvet's session itself should pgvet vanish inside a transaction (a network that
/// stalls between a query and its rollback): no snapshot or row lock of pgvet's outlives it.
/// On PostgreSQL 14+, `client_connection_check_interval` makes a statement stop within a second
/// of pgvet going away (killed by a CI timeout, or dropping a connection that stalled), instead
/// of running on to `statement_timeout`.
pub async fn configure(
    db: &Db<'_>,
    statement_timeout: Duration,
    lock_timeout: Duration,
) -> Result<(), QueryError> {
    let check_client = db.server_major() >= 14;
    db.batch(&timeouts(statement_timeout, lock_timeout, check_client))
        .await
}

fn timeouts(statement_timeout: Duration, lock_timeout: Duration, check_client: bool) -> String {
    // PostgreSQL's timeouts stop at i32::MAX ms, as the suite's own do.
    let longest = Duration::from_millis(i32::MAX as u64);
    let idle = if statement_timeout.is_zero() {
        Duration::ZERO
    } else {
        (statement_timeout + GRACE).min(longest)
    };
    let mut sql = format!(
        "SET statement_timeout = {}; SET lock_timeout = {}; SET idle_in_transaction_session_timeout = {}",
        statement_timeout.as_millis(),
        lock_timeout.as_millis(),
        idle.as_millis()
    );
    if check_client {
        sql.push_str("; SET client_connection_check_interval = 1000");
    }
    sql
}

/// Leaves the session as the check found it: session-level advisory locks the suite's SQL took
/// are released (a rollback keeps them), and pgvet's own timeouts are set again. Settings the
/// SQL changed were undone by the rollback of its transaction.
pub async fn reset(
    db: &Db<'_>,
    statement_timeout: Duration,
    lock_timeout: Duration,
) -> Result<(), QueryError> {
    db.own_query("SELECT pg_catalog.pg_advisory_unlock_all()", &[])
        .await?;
    configure(db, statement_timeout, lock_timeout).await
}

/// `pg_catalog` first in the transaction's `search_path`, the session's own path after it (a
/// schema listed twice counts once). Only qualified functions, no operator.
const CATALOG_FIRST: &str = "SELECT pg_catalog.set_config('search_path', \
     pg_catalog.rtrim(pg_catalog.concat('pg_catalog, ', pg_catalog.current_setting('search_path')), ', '), true)";

/// What the server says of a statement it was asked to prepare (nothing is executed).
pub struct Prepared {
    /// How many columns it returns (0 for a statement that returns no rows).
    pub columns: usize,
    /// The types it inferred for the statement's parameters `$1…$n`, in order.
    pub params: Vec<tokio_postgres::types::Type>,
}

/// Asks the server to parse the query as one prepared statement, which it refuses for more than
/// one command. The suite's own check could be fooled by quoting rules that depend on server
/// settings; this one cannot, so nothing runs until it passes. Nothing is executed.
///
/// For a column of a type it does not know (an enum, a domain, a composite, an extension's
/// type), the driver looks the type up in the catalog with SQL of its own that uses unqualified
/// operators. So the statement is prepared with `pg_catalog` put first in the session's
/// `search_path` (the suite's tables still resolve as they will when it runs): an operator
/// planted in a schema that the session's path puts before `pg_catalog` is never picked there.
pub async fn ensure_single_statement(db: &Db<'_>, sql: &str) -> Result<Prepared, QueryError> {
    db.open(&format!("{}; {CATALOG_FIRST}", begin(false)))
        .await?;
    let prepared = db.wait(db.client().prepare(sql)).await;
    let rolled_back = db.rollback().await;
    let statement = match prepared {
        Ok(statement) => statement,
        Err(e)
            if e.message
                .contains("cannot insert multiple commands into a prepared statement") =>
        {
            return Err(QueryError {
                message: "the query holds more than one statement (the server would not prepare it as one); pgvet runs one statement per query".into(),
                connection_lost: false,
            });
        }
        Err(e) => return Err(e),
    };
    rolled_back?;
    Ok(Prepared {
        columns: statement.columns().len(),
        params: statement.params().to_vec(),
    })
}

/// How the suite's query reaches the server.
#[derive(Debug, Clone, Copy)]
pub enum Sent<'a> {
    /// Its SQL text, simple protocol: a query without parameters.
    Text,
    /// Prepared and executed with its `params` bound (extended protocol, [`prepared`]).
    Bound(&'a Bindings),
    /// Parameters and no values (PostgreSQL 16+): planned only, as the generic plan
    /// (`EXPLAIN (GENERIC_PLAN)`), which executes nothing.
    Generic,
}

/// `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)`: the query runs, then is rolled back.
/// For [`Sent::Generic`], `EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON)`: nothing runs.
pub async fn explain_analyze(
    db: &Db<'_>,
    sql: &str,
    writes: bool,
    sent: Sent<'_>,
) -> Result<String, QueryError> {
    const ANALYZE: &str = "ANALYZE, BUFFERS, VERBOSE, FORMAT JSON";
    match sent {
        Sent::Text => {
            let explain = format!("EXPLAIN ({ANALYZE}) {sql}");
            in_rolled_back_transaction(db, begin(writes), &explain).await
        }
        Sent::Bound(bindings) => {
            let explain = format!("EXPLAIN ({ANALYZE}) {sql}");
            prepared::explain(db, begin(writes), &explain, bindings).await
        }
        Sent::Generic => {
            let explain = format!("EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) {sql}");
            in_rolled_back_transaction(db, begin(false), &explain).await
        }
    }
}

/// The plan the planner makes when sequential scans are disabled (not executed): it shows
/// whether an index can serve the query at all. With `bitmap_only`, plain and index-only scans
/// are disabled too, leaving bitmap scans, which always carry an index condition. The plan is
/// made as `sent` says: for the SQL text, for the bound values, or generic.
pub async fn explain_without_seq_scans(
    db: &Db<'_>,
    sql: &str,
    bitmap_only: bool,
    sent: Sent<'_>,
) -> Result<String, QueryError> {
    // Plain EXPLAIN executes nothing, so READ ONLY holds even for a query that writes.
    let mut begin = String::from("BEGIN TRANSACTION READ ONLY; SET LOCAL enable_seqscan = off");
    if bitmap_only {
        begin.push_str("; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off");
    }
    explain_planned(db, &begin, sql, sent).await
}

/// The plan the planner makes for the query as the session stands (not executed), made as
/// `sent` says: what the index advice compares with and without a hypothetical index.
pub async fn explain_plan(db: &Db<'_>, sql: &str, sent: Sent<'_>) -> Result<String, QueryError> {
    explain_planned(db, begin(false), sql, sent).await
}

/// `EXPLAIN (VERBOSE, FORMAT JSON)` of the query after `begin`, rolled back.
async fn explain_planned(
    db: &Db<'_>,
    begin: &str,
    sql: &str,
    sent: Sent<'_>,
) -> Result<String, QueryError> {
    match sent {
        Sent::Text => {
            let explain = format!("EXPLAIN (VERBOSE, FORMAT JSON) {sql}");
            in_rolled_back_transaction(db, begin, &explain).await
        }
        Sent::Bound(bindings) => {
            let explain = format!("EXPLAIN (VERBOSE, FORMAT JSON) {sql}");
            prepared::explain(db, begin, &explain, bindings).await
        }
        Sent::Generic => {
            let explain = format!("EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) {sql}");
            in_rolled_back_transaction(db, begin, &explain).await
        }
    }
}

/// Runs `sql` after `begin` (which opens the transaction) and rolls back whatever happened.
async fn in_rolled_back_transaction(
    db: &Db<'_>,
    begin: &str,
    sql: &str,
) -> Result<String, QueryError> {
    let messages = rows_rolled_back(db, begin, sql).await?;
    let text = messages
        .into_iter()
        .find_map(|row| row.into_iter().next().flatten());
    text.ok_or_else(|| QueryError {
        message: "EXPLAIN returned no plan".into(),
        connection_lost: false,
    })
}

/// What opens the transaction a query runs in: READ ONLY unless it writes.
pub(super) fn begin(writes: bool) -> &'static str {
    if writes {
        "BEGIN"
    } else {
        "BEGIN TRANSACTION READ ONLY"
    }
}

/// A metric's value: its SQL's one scalar, in a rolled-back READ ONLY transaction. NULL is no
/// value; anything but one numeric column of one row is an error saying what came back.
pub async fn scalar(db: &Db<'_>, sql: &str) -> Result<Option<f64>, QueryError> {
    let rows = rows_rolled_back(db, begin(false), sql).await?;
    let invalid = |what: String| QueryError {
        message: format!("a metric's SQL must return one number; {what}"),
        connection_lost: false,
    };
    match rows.as_slice() {
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

/// The rows of `sql` as text, after `begin`, rolled back.
async fn rows_rolled_back(
    db: &Db<'_>,
    begin: &str,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, QueryError> {
    db.open(begin).await?;
    let result = db.wait(db.client().simple_query(sql)).await;
    let rolled_back = db.rollback().await;
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
    db: &Db<'_>,
    sql: &str,
    writes: bool,
) -> Result<(Duration, u64), QueryError> {
    timed(db, begin(writes), sql).await
}

/// The reference statement: a fixed piece of server work (about a millisecond of CPU) that
/// pgvet times the way it times a query, after each timed run. Its time measures how fast the
/// machine, the server and the connection were at that moment, so that two runs taken at
/// different moments can be compared by what the query itself did (`check::slower`).
/// Qualified functions and no operator: one of pgvet's own statements, READ ONLY, pinned path.
pub const REFERENCE_SQL: &str =
    "SELECT pg_catalog.sum(i) FROM pg_catalog.generate_series(1, 10000) AS s(i)";

/// Times [`REFERENCE_SQL`] once.
pub async fn reference_run(db: &Db<'_>) -> Result<Duration, QueryError> {
    Ok(timed(db, super::guard::PINNED, REFERENCE_SQL).await?.0)
}

/// Times `sql` in a transaction opened with `begin`, from sending it to its last row, then
/// rolls back.
async fn timed(db: &Db<'_>, begin: &str, sql: &str) -> Result<(Duration, u64), QueryError> {
    db.open(begin).await?;
    let start = Instant::now();
    let result = db
        .wait(async {
            let stream = db.client().simple_query_raw(sql).await?;
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
        })
        .await;
    let elapsed = start.elapsed();
    let rolled_back = db.rollback().await;
    let rows = result?;
    rolled_back?;
    Ok((elapsed, rows))
}

#[cfg(test)]
mod tests {
    use super::timeouts;
    use std::time::Duration;

    #[test]
    fn the_idle_timeout_is_the_deadline_and_stays_in_range() {
        let sql = timeouts(Duration::from_secs(30), Duration::from_secs(5), false);
        assert_eq!(
            sql,
            "SET statement_timeout = 30000; SET lock_timeout = 5000; SET idle_in_transaction_session_timeout = 40000"
        );
        let none = timeouts(Duration::ZERO, Duration::ZERO, true);
        assert!(none.ends_with("idle_in_transaction_session_timeout = 0; SET client_connection_check_interval = 1000"), "{none}");
        let longest = timeouts(
            Duration::from_millis(i32::MAX as u64),
            Duration::ZERO,
            false,
        );
        assert!(longest.ends_with(&format!("= {}", i32::MAX)), "{longest}");
    }
}
