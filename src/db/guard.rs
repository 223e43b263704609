//! The connection as a run uses it: every statement pgvet awaits has a client-side deadline, and
//! pgvet's own statements (catalog lookups, relation sizes, session clean-up) run READ ONLY with
//! `search_path` pinned to `pg_catalog`, so objects a database user planted elsewhere can never
//! be picked for pgvet's own function calls, operators or types.
//!
//! The deadline is the run's `statement_timeout` plus [`GRACE`]: the server itself ends a
//! statement at `statement_timeout`, so a reply that has not come by then will not come (a
//! stalled proxy, a black-holing firewall). pgvet then drops the connection, and the run ends
//! as a lost connection instead of hanging.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use super::connect::Connected;
use super::session::QueryError;

/// How long after `statement_timeout` a reply may still arrive before the connection is given up.
pub const GRACE: Duration = Duration::from_secs(10);

/// What opens every statement pgvet sends on its own behalf.
pub(super) const PINNED: &str =
    "BEGIN TRANSACTION READ ONLY; SET LOCAL search_path = pg_catalog, pg_temp";

/// What opens [`Db::own_query_as_printed`].
const READ_ONLY: &str = "BEGIN TRANSACTION READ ONLY";

/// An open connection with a deadline on every awaited statement.
pub struct Db<'a> {
    client: &'a Client,
    connection: &'a AbortHandle,
    ended: &'a OnceLock<String>,
    deadline: Option<Duration>,
    /// Set when a reply said the session is over (FATAL) or the deadline passed.
    lost: AtomicBool,
    /// The server's major version (15 for "15.4 (Debian 15.4-1)"), 0 when unreadable.
    server_major: u32,
    /// Statements (and batches) sent and awaited so far.
    statements: AtomicUsize,
}

impl<'a> Db<'a> {
    /// The connection, with replies awaited at most `statement_timeout` + [`GRACE`]
    /// (no deadline when `statement_timeout` is 0, i.e. none).
    pub fn new(connected: &'a Connected, statement_timeout: Duration) -> Db<'a> {
        Db {
            client: &connected.client,
            connection: &connected.connection,
            ended: &connected.ended,
            deadline: (!statement_timeout.is_zero()).then(|| statement_timeout + GRACE),
            lost: AtomicBool::new(false),
            server_major: major_version(&connected.server_version),
            statements: AtomicUsize::new(0),
        }
    }

    /// How many statements (or batches of them) pgvet has sent on this connection and awaited,
    /// BEGIN and ROLLBACK included: what a check costs in exchanges with the server.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// The server's major version (0 when it could not be read).
    pub fn server_major(&self) -> u32 {
        self.server_major
    }

    pub fn client(&self) -> &Client {
        self.client
    }

    /// Whether the connection is gone (closed by the server, or dropped by pgvet).
    pub fn is_closed(&self) -> bool {
        self.lost.load(Ordering::SeqCst) || self.client.is_closed() || self.connection.is_finished()
    }

    /// Drops the connection: whatever is awaiting a reply on it fails at once.
    pub fn drop_connection(&self) {
        self.lost.store(true, Ordering::SeqCst);
        self.connection.abort();
    }

    /// Sends a statement and awaits its reply, within the deadline. When it passes, the
    /// connection is dropped and the error says so; it counts as a lost connection.
    ///
    /// After Ctrl-C or SIGTERM nothing more is sent (but ROLLBACK): the cancel request reaches
    /// only the statement running when the signal came, and one sent after it would run on,
    /// on the server, after pgvet has gone. (tokio-postgres sends when first polled.)
    pub async fn wait<T>(
        &self,
        reply: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, QueryError> {
        if let Some(code) = crate::signal::interrupted() {
            return Err(QueryError {
                message: format!(
                    "{} before its next statement was sent",
                    crate::signal::interrupted_by(code)
                ),
                connection_lost: false,
            });
        }
        self.wait_for(reply).await
    }

    /// [`Db::wait`], also after a signal.
    async fn wait_for<T>(
        &self,
        reply: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, QueryError> {
        self.statements.fetch_add(1, Ordering::SeqCst);
        let Some(limit) = self.deadline else {
            return reply.await.map_err(|e| self.failed(e));
        };
        match tokio::time::timeout(limit, reply).await {
            Ok(result) => result.map_err(|e| self.failed(e)),
            Err(_) => {
                self.drop_connection();
                Err(QueryError {
                    message: format!(
                        "the server did not answer within {} s (statement_timeout + {} s); the network or the server stalled, so pgvet closed the connection",
                        limit.as_secs_f64(),
                        GRACE.as_secs()
                    ),
                    connection_lost: true,
                })
            }
        }
    }

    /// The error, remembering when it means the session is over (the server sends FATAL, e.g.
    /// for a terminated backend, just before it closes the connection).
    /// A statement sent after that finds the connection closed says why the server closed it.
    fn failed(&self, error: tokio_postgres::Error) -> QueryError {
        let from_server = error.as_db_error().is_some();
        let mut error = QueryError::from(error);
        if error.connection_lost {
            self.lost.store(true, Ordering::SeqCst);
            if let (false, Some(reason)) = (from_server, self.ended.get()) {
                error.message = format!("{reason}; {}", error.message);
            }
        }
        error
    }

    /// Sends SQL text (one or more statements, simple protocol), within the deadline.
    pub async fn batch(&self, sql: &str) -> Result<(), QueryError> {
        self.wait(self.client.batch_execute(sql)).await
    }

    /// One of pgvet's own statements (never the suite's SQL): run in a READ ONLY transaction
    /// with `search_path = pg_catalog, pg_temp`, then rolled back. Parameters travel as data.
    pub async fn own_query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, QueryError> {
        self.own_query_after(PINNED, sql, params).await
    }

    /// One of pgvet's own statements whose output must read as the session prints it (an index
    /// expression names a function or type with its schema unless the search_path shows it), so
    /// it runs with the session's own `search_path`. Its text must call only qualified
    /// functions, cast only to `pg_catalog` types and use only qualified operators
    /// (`OPERATOR(pg_catalog.=)`): then nothing outside `pg_catalog` can be picked, whatever
    /// the path. READ ONLY, rolled back.
    pub async fn own_query_as_printed(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, QueryError> {
        self.own_query_after(READ_ONLY, sql, params).await
    }

    async fn own_query_after(
        &self,
        begin: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, QueryError> {
        self.open(begin).await?;
        let rows = self.wait(self.client.query(sql, params)).await;
        let rolled_back = self.rollback().await;
        let rows = rows?;
        rolled_back?;
        Ok(rows)
    }

    /// Opens a transaction with `begin` (BEGIN and the SETs that go with it). Should a part after
    /// BEGIN fail (a cancel request landing there), what it opened is rolled back at once, so no
    /// later statement runs in a failed transaction, or outside the READ ONLY one it asked for.
    pub async fn open(&self, begin: &str) -> Result<(), QueryError> {
        let opened = self.batch(begin).await;
        if opened.is_err() {
            let _ = self.rollback().await;
        }
        opened
    }

    /// Ends the open transaction (or does nothing outside one), within the deadline.
    pub async fn rollback(&self) -> Result<(), QueryError> {
        self.wait_for(self.client.batch_execute("ROLLBACK")).await
    }
}

/// The major version in a `server_version` such as `15.4 (Debian 15.4-1)` or `17beta1`.
fn major_version(version: &str) -> u32 {
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn major_versions_are_read() {
        assert_eq!(super::major_version("15.4 (Debian 15.4-1.pgdg120+1)"), 15);
        assert_eq!(super::major_version("17beta1"), 17);
        assert_eq!(super::major_version("9.6.24"), 9);
        assert_eq!(super::major_version(""), 0);
    }
}
