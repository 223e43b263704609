//! One verification run: the index checks (one catalog round trip for all of them), then each
//! query — EXPLAIN ANALYZE, the plan check, timed runs — and the metrics table, gathered into
//! one [`Report`]. A query that errors fails its own check; the others still run.

use std::collections::HashMap;
use std::time::Duration;

use tokio_postgres::Client;

use crate::check::{diagnosis, index, scans, target};
use crate::db::{catalog, session};
use crate::plan::{self, Explain};
use crate::report::model::{
    AbortReason, Aborted, FORMAT_VERSION, QueryResult, Report, RunSettings, Status, Summary, Timing,
};
use crate::signal;
use crate::suite::{Query, Settings, Suite};

/// What pgvet tells the user while it works (on a terminal: stderr).
pub trait Progress {
    fn step(&self, message: &str);
}

/// Progress that goes nowhere (tests, JSON to a pipe).
pub struct Quiet;

impl Progress for Quiet {
    fn step(&self, _: &str) {}
}

/// Where the run happened, for the report's header.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    pub server_version: Option<String>,
    /// The connection target with the password redacted.
    pub database: String,
    /// Whether the connection is encrypted.
    pub tls: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{context}: {error}")]
    Query {
        context: &'static str,
        error: session::QueryError,
    },
    #[error("the connection to the server was lost: {0}")]
    ConnectionLost(session::QueryError),
}

impl RunError {
    fn from_query(context: &'static str, error: session::QueryError) -> RunError {
        if error.connection_lost {
            RunError::ConnectionLost(error)
        } else {
            RunError::Query { context, error }
        }
    }
}

/// Runs every check of the suite on an open connection.
pub async fn run(
    client: &Client,
    suite: &Suite,
    context: RunContext,
    progress: &dyn Progress,
) -> Result<Report, RunError> {
    let settings = &suite.settings;
    session::configure(client, settings.statement_timeout, settings.lock_timeout)
        .await
        .map_err(|error| RunError::from_query("setting the session's timeouts", error))?;

    progress.step(&format!("checking {} indexes", suite.indexes.len()));
    let wanted: Vec<(String, String)> = suite
        .indexes
        .iter()
        .map(|i| (i.schema.clone(), i.name.clone()))
        .collect();
    let found = if wanted.is_empty() {
        HashMap::new()
    } else {
        catalog::find_indexes(client, &wanted).await.map_err(|e| {
            RunError::from_query(
                "the catalog query for the expected indexes failed",
                e.into(),
            )
        })?
    };
    tracing::info!(
        expected = wanted.len(),
        found = found.len(),
        "indexes looked up in one catalog query"
    );
    let indexes: Vec<_> = suite
        .indexes
        .iter()
        .map(|i| index::judge(i, found.get(&(i.schema.clone(), i.name.clone()))))
        .collect();

    let mut aborted: Option<Aborted> = None;
    let mut queries = Vec::with_capacity(suite.queries.len());
    for (n, query) in suite.queries.iter().enumerate() {
        if let Some(stop) = aborted.as_ref().or(interruption().as_ref()) {
            queries.push(not_run(query, stop));
            continue;
        }
        progress.step(&format!(
            "query {}/{}: {}",
            n + 1,
            suite.queries.len(),
            query.name
        ));
        let (mut result, signal) = until_interrupted(check_query(client, query, settings)).await;
        if let Some(code) = signal {
            result.status = Status::Error;
            result.error = Some(format!("cancelled: {}", interrupted_by(code)));
        }
        aborted = stop_reason(client, signal, result.error.as_deref());
        queries.push(result);
    }

    let mut metrics: Vec<_> = suite
        .queries
        .iter()
        .zip(&queries)
        .filter_map(|(q, r)| target::metric_row(q, r.timing.as_ref()))
        .collect();
    for metric in &suite.metrics {
        let value = match aborted.as_ref().or(interruption().as_ref()) {
            Some(stop) => Err(format!("not run: {}", stop.message)),
            None => {
                progress.step(&format!("metric: {}", metric.label));
                let (value, signal) = until_interrupted(measure(client, &metric.sql)).await;
                aborted = stop_reason(client, signal, value.as_ref().err().map(String::as_str));
                value
            }
        };
        metrics.push(target::suite_metric_row(metric, value));
    }
    aborted = aborted.or(interruption());
    let summary = Summary::of(&indexes, &queries, &metrics);
    Ok(Report {
        format_version: FORMAT_VERSION,
        pgvet_version: env!("CARGO_PKG_VERSION").to_string(),
        status: summary.status(),
        server_version: context.server_version,
        database: context.database,
        tls: context.tls,
        suite: suite.path.display().to_string(),
        settings: RunSettings {
            min_rows: settings.min_rows,
            runs: settings.runs,
            warmup: settings.warmup,
            statement_timeout_ms: millis(settings.statement_timeout),
            lock_timeout_ms: millis(settings.lock_timeout),
        },
        indexes,
        queries,
        metrics,
        summary,
        baseline: None,
        aborted,
    })
}

/// Runs `work` to its end; on Ctrl-C or SIGTERM the running statement is cancelled on the
/// server (so `work` ends soon, rolling back), and the signal's exit status comes back too.
async fn until_interrupted<T>(work: impl std::future::Future<Output = T>) -> (T, Option<u8>) {
    tokio::pin!(work);
    tokio::select! {
        output = &mut work => (output, None),
        code = signal::wait() => {
            signal::cancel_running(Duration::from_secs(2)).await;
            (work.await, Some(code))
        }
    }
}

fn interrupted_by(code: u8) -> &'static str {
    if code == 143 {
        "interrupted by SIGTERM"
    } else {
        "interrupted by Ctrl-C"
    }
}

/// A signal received before the run reached this point.
fn interruption() -> Option<Aborted> {
    signal::interrupted().map(|code| Aborted {
        reason: AbortReason::Interrupted,
        message: interrupted_by(code).into(),
    })
}

/// Why the run must stop after a check: a signal, or a connection the server closed.
fn stop_reason(client: &Client, signal: Option<u8>, error: Option<&str>) -> Option<Aborted> {
    if let Some(code) = signal {
        return Some(Aborted {
            reason: AbortReason::Interrupted,
            message: interrupted_by(code).into(),
        });
    }
    client.is_closed().then(|| Aborted {
        reason: AbortReason::ConnectionLost,
        message: format!(
            "the connection to the server was lost ({})",
            error.unwrap_or("connection closed")
        ),
    })
}

fn not_run(query: &Query, stop: &Aborted) -> QueryResult {
    QueryResult {
        status: Status::Error,
        error: Some(format!("not run: {}", stop.message)),
        ..empty_result(query)
    }
}

fn millis(d: Duration) -> u64 {
    d.as_millis().try_into().unwrap_or(u64::MAX)
}

fn empty_result(query: &Query) -> QueryResult {
    QueryResult {
        name: query.name.clone(),
        status: Status::Pass,
        error: None,
        expect: query.expect,
        writes: query.writes,
        plan: None,
        scans: Vec::new(),
        problems: Vec::new(),
        notes: Vec::new(),
        timing: None,
        explain_execution_ms: None,
        baseline_ms: query.baseline_ms,
        target_ms: query.target_ms,
        target_improvement_pct: query.target_improvement,
        baseline: None,
        plan_figures: None,
        diagnosis: None,
    }
}

async fn check_query(client: &Client, query: &Query, settings: &Settings) -> QueryResult {
    let mut result = empty_result(query);
    if query.target_improvement.is_some() {
        result
            .notes
            .push(crate::check::baseline::NOT_JUDGED_NOTE.to_string());
    }
    if let Err(error) = check_query_into(client, query, settings, &mut result).await {
        result.status = Status::Error;
        result.error = Some(error);
    } else if !result.problems.is_empty() {
        result.status = Status::Fail;
    }
    result
}

async fn check_query_into(
    client: &Client,
    query: &Query,
    settings: &Settings,
    result: &mut QueryResult,
) -> Result<(), String> {
    session::ensure_single_statement(client, &query.sql)
        .await
        .map_err(|e| e.message)?;
    tracing::debug!(query = %query.name, sql = %query.sql, "EXPLAIN ANALYZE");
    let text = session::explain_analyze(client, &query.sql, query.writes)
        .await
        .map_err(|e| with_hint(query, e))?;
    let explain = Explain::parse(&text).map_err(|e| format!("cannot read the plan: {e}"))?;
    result.plan = Some(explain.summary());
    result.explain_execution_ms = explain.execution_ms;
    let mut figures = explain.figures.clone();
    let names = figures.catalog_names(&settings.schema);
    let catalog = catalog::catalog_entries(client, &names).await;
    figures.set_catalog(&catalog.map_err(|e| e.message)?, &settings.schema);
    result.plan_figures = Some(figures);

    let sizes = relation_sizes(client, query, &explain, settings).await?;
    let mut replanned = Vec::new();
    if scans::needs_replan(query, &explain.scans, &sizes, settings.min_rows) {
        tracing::info!(query = %query.name, "seq scan on a small relation: planning again with enable_seqscan = off");
        replanned.push(plan_without_seq_scans(client, query, false).await?);
        if scans::unproven(query, &explain.scans, &sizes, &replanned, settings.min_rows) {
            tracing::info!(query = %query.name, "no narrowing index yet: planning again with bitmap scans only");
            replanned.push(plan_without_seq_scans(client, query, true).await?);
        }
    }
    let judgement = scans::judge(query, &explain.scans, &sizes, &replanned, settings.min_rows);
    result.scans = judgement.scans;
    result.problems = judgement.problems;
    result.notes = judgement.notes;

    let timing = time_query(client, query, settings).await?;
    tracing::info!(query = %query.name, plan = %result.plan.as_deref().unwrap_or(""), median_ms = timing.median_ms, "query checked");
    result
        .problems
        .extend(target::target_problem(query, &timing));
    result.timing = Some(timing);
    result.diagnosis = diagnosis::diagnose(result);
    Ok(())
}

async fn plan_without_seq_scans(
    client: &Client,
    query: &Query,
    bitmap_only: bool,
) -> Result<Vec<plan::Scan>, String> {
    let text = session::explain_without_seq_scans(client, &query.sql, bitmap_only)
        .await
        .map_err(|e| e.message)?;
    Ok(Explain::parse(&text)
        .map_err(|e| format!("cannot read the plan: {e}"))?
        .scans)
}

/// Row counts of the relations whose seq scans the check judges (`catalog::relation_rows`).
async fn relation_sizes(
    client: &Client,
    query: &Query,
    explain: &Explain,
    settings: &Settings,
) -> Result<HashMap<scans::Relation, f64>, String> {
    let relations = scans::judged_relations(query, &explain.scans);
    let keys: Vec<(String, String)> = relations
        .iter()
        .map(|(schema, name)| {
            (
                schema.clone().unwrap_or_else(|| settings.schema.clone()),
                name.clone(),
            )
        })
        .collect();
    let rows = catalog::relation_rows(client, &keys, settings.min_rows)
        .await
        .map_err(|e| e.message)?;
    Ok(relations
        .into_iter()
        .zip(keys)
        .filter_map(|(relation, key)| rows.get(&key).map(|r| (relation, *r)))
        .collect())
}

/// A `[[metric]]`'s value; the same single-statement guard as for queries.
async fn measure(client: &Client, sql: &str) -> Result<Option<f64>, String> {
    session::ensure_single_statement(client, sql)
        .await
        .map_err(|e| e.message)?;
    session::scalar(client, sql).await.map_err(|e| e.message)
}

/// The server's message, with what to change when the suite can fix it.
fn with_hint(query: &Query, error: session::QueryError) -> String {
    if !query.writes && error.message.contains("SQLSTATE 25006") {
        return format!(
            "{}; the query writes: add `writes = true` to its [[query]] to run it (it is still rolled back)",
            error.message
        );
    }
    error.message
}

/// `warmup` untimed runs, then `runs` timed ones, each in its own rolled-back transaction.
async fn time_query(client: &Client, query: &Query, settings: &Settings) -> Result<Timing, String> {
    for _ in 0..settings.warmup {
        session::timed_run(client, &query.sql, query.writes)
            .await
            .map_err(|e| e.message)?;
    }
    let mut samples = Vec::with_capacity(settings.runs as usize);
    let mut rows = 0;
    for _ in 0..settings.runs {
        let (elapsed, n) = session::timed_run(client, &query.sql, query.writes)
            .await
            .map_err(|e| e.message)?;
        samples.push(elapsed.as_secs_f64() * 1e3);
        rows = n;
    }
    Ok(Timing::from_samples(samples, settings.warmup, rows))
}
