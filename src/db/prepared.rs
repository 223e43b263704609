//! A query with `params`, run the way an application runs it: prepared, then executed with its
//! values bound (the extended protocol: Parse once, then Bind and Execute). EXPLAIN goes the same
//! way, as `EXPLAIN (…) <query>` prepared with the query's parameter types and executed with
//! the values bound. The server then plans the query with those values as constants: the custom
//! plan, which its plan cache uses for a prepared statement's first five executions (and later
//! ones whenever the generic plan looks costlier). The timed runs reuse one prepared statement,
//! as `pgbench -M prepared` and a pooled application do; how many of them the plan cache gave a
//! generic plan is read back from `pg_prepared_statements` ([`plan_cache`]).
//!
//! Like the text path ([`super::session`]), everything runs in a transaction that is rolled
//! back, READ ONLY unless the query writes, and every reply is awaited within the deadline.

use std::error::Error;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::{Row, Statement};

use super::bind::{self, Bindings};
use super::guard::Db;
use super::session::QueryError;
use crate::report::model::PlanCache;

/// Runs `explain` (an EXPLAIN of the query) with `bindings` after `begin`, then rolls back;
/// returns the plan's text.
pub async fn explain(
    db: &Db<'_>,
    begin: &str,
    explain: &str,
    bindings: &Bindings,
) -> Result<String, QueryError> {
    db.open(begin).await?;
    let rows = rows(db, explain, bindings).await;
    let rolled_back = db.rollback().await;
    let rows = rows?;
    rolled_back?;
    let text = rows
        .first()
        .and_then(|row| row.try_get::<_, PlanText>(0).ok());
    text.map(|t| t.0).ok_or_else(|| QueryError {
        message: "EXPLAIN returned no plan".into(),
        connection_lost: false,
    })
}

/// Prepares `sql` with the bound values' types and executes it with them. A value the server
/// refuses at bind time is named with its parameter ([`bind::refused`]).
async fn rows(db: &Db<'_>, sql: &str, bindings: &Bindings) -> Result<Vec<Row>, QueryError> {
    let mut context = None;
    let rows = db
        .wait(async {
            let statement = db.client().prepare_typed(sql, &bindings.types()).await?;
            let rows = db.client().query(&statement, &bindings.values()).await;
            if let Err(e) = &rows {
                context = e.as_db_error().and_then(|d| d.where_().map(str::to_string));
            }
            rows
        })
        .await;
    rows.map_err(|mut e| {
        if let Some(message) = bind::refused(bindings, context.as_deref(), &e.message) {
            e.message = message;
        }
        e
    })
}

/// The prepared statement the timed runs execute, prepared once in a READ ONLY transaction
/// that is rolled back (a prepared statement outlives it; preparing executes nothing). The
/// query's SQL resolves with the session's own `search_path`, as the application's would.
pub async fn prepare(db: &Db<'_>, sql: &str, bindings: &Bindings) -> Result<Statement, QueryError> {
    db.open("BEGIN TRANSACTION READ ONLY").await?;
    let statement = db
        .wait(db.client().prepare_typed(sql, &bindings.types()))
        .await;
    let rolled_back = db.rollback().await;
    let statement = statement?;
    rolled_back?;
    Ok(statement)
}

/// One timed execution of the prepared statement (Bind, Execute, Sync): the time from sending
/// it to its last row, and the rows returned (or affected). Rolled back; READ ONLY unless the
/// query writes.
pub async fn timed_run(
    db: &Db<'_>,
    statement: &Statement,
    bindings: &Bindings,
    writes: bool,
) -> Result<(Duration, u64), QueryError> {
    db.open(super::session::begin(writes)).await?;
    let start = Instant::now();
    let result = db
        .wait(async {
            let stream = db.client().query_raw(statement, bindings.values()).await?;
            futures_util::pin_mut!(stream);
            let mut rows = 0u64;
            while stream.try_next().await?.is_some() {
                rows += 1;
            }
            Ok::<_, tokio_postgres::Error>(rows.max(stream.rows_affected().unwrap_or(0)))
        })
        .await;
    let elapsed = start.elapsed();
    let rolled_back = db.rollback().await;
    let rows = result?;
    rolled_back?;
    Ok((elapsed, rows))
}

/// How many of the prepared statement's executions got a custom and a generic plan, from
/// `pg_prepared_statements` (PostgreSQL 14+; None before). `sql` is the statement's text, as
/// prepared by [`prepare`] (no other statement of the session has it).
pub async fn plan_cache(db: &Db<'_>, sql: &str) -> Result<Option<PlanCache>, QueryError> {
    if db.server_major() < 14 {
        return Ok(None);
    }
    let rows = db
        .own_query(
            "SELECT generic_plans, custom_plans FROM pg_catalog.pg_prepared_statements \
             WHERE NOT from_sql AND statement = $1 \
             ORDER BY generic_plans + custom_plans DESC LIMIT 1",
            &[&sql],
        )
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let count = |i: usize| row.try_get::<_, i64>(i).map(|n| n.max(0) as u64);
    Ok(Some(PlanCache {
        generic_plans: count(0)?,
        custom_plans: count(1)?,
    }))
}

/// EXPLAIN's output column (json for FORMAT JSON), read as the text it is: no JSON parser
/// with a nesting limit sees it before pgvet's own plan reader.
struct PlanText(String);

impl<'a> FromSql<'a> for PlanText {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(PlanText(std::str::from_utf8(raw)?.to_string()))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::JSON | Type::TEXT)
    }
}
