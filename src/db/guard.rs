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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use super::connect::Connected;
use super::session::QueryError;

/// How long after `statement_timeout` a reply may still arrive before the connection is given up.
pub const GRACE: Duration = Duration::from_secs(10);

/// What opens every statement pgvet sends on its own behalf.
const PINNED: &str = "BEGIN TRANSACTION READ ONLY; SET LOCAL search_path = pg_catalog, pg_temp";

/// An open connection with a deadline on every awaited statement.
pub struct Db<'a> {
    client: &'a Client,
    connection: &'a AbortHandle,
    deadline: Option<Duration>,
    /// Set when a reply said the session is over (FATAL) or the deadline passed.
    lost: AtomicBool,
}

impl<'a> Db<'a> {
    /// The connection, with replies awaited at most `statement_timeout` + [`GRACE`]
    /// (no deadline when `statement_timeout` is 0, i.e. none).
    pub fn new(connected: &'a Connected, statement_timeout: Duration) -> Db<'a> {
        Db {
            client: &connected.client,
            connection: &connected.connection,
            deadline: (!statement_timeout.is_zero()).then(|| statement_timeout + GRACE),
            lost: AtomicBool::new(false),
        }
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

    /// Awaits a reply from the server, within the deadline. When it passes, the connection is
    /// dropped and the error says so; it counts as a lost connection.
    pub async fn wait<T>(
        &self,
        reply: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, QueryError> {
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
    fn failed(&self, error: tokio_postgres::Error) -> QueryError {
        let error = QueryError::from(error);
        if error.connection_lost {
            self.lost.store(true, Ordering::SeqCst);
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
        self.batch(PINNED).await?;
        let rows = self.wait(self.client.query(sql, params)).await;
        let rolled_back = self.rollback().await;
        let rows = rows?;
        rolled_back?;
        Ok(rows)
    }

    /// Ends the open transaction (or does nothing outside one), within the deadline.
    pub async fn rollback(&self) -> Result<(), QueryError> {
        self.batch("ROLLBACK").await
    }
}
