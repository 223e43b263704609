//! One verification run: the index checks (one catalog round trip for all of them), the
//! schema contract (tables, foreign keys, privileges: one statement per kind), then each
//! query — EXPLAIN ANALYZE, the plan check, timed runs — and the metrics table, gathered into
//! one [`Report`]. Whatever fails (a statement, a lock timeout, the connection, a signal), the
//! failure stays with the checks it concerns: the others still run, or are reported as not run
//! when the connection is gone or the user interrupted, and the report is always complete.

mod advice;
mod contract;
mod health;
mod params;
mod query;
mod stop;

use std::time::Duration;

use crate::check::{index, target};
use crate::db::connect::Connected;
use crate::db::guard::Db;
use crate::db::{catalog, session};
use crate::report::model::{
    Aborted, FORMAT_VERSION, IndexResult, QueryResult, Report, RunSettings, Status, Summary,
};
use crate::suite::{ExpectedIndex, Metric, Query, Settings, Suite};

use query::{check_query, empty_result};
use stop::{as_interrupted, interruption, stop_reason, until_interrupted};

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
    /// Whether pgvet's role is a superuser.
    pub superuser: Option<bool>,
    /// Tables pgvet itself analyzed after `--setup` files (they had no statistics): a
    /// `[[table]]`'s `analyzed = true` is not judged on them.
    pub analyzed_by_pgvet: Vec<(String, String)>,
}

impl RunContext {
    pub fn of(connected: &Connected) -> RunContext {
        RunContext {
            server_version: Some(connected.server_version.clone()),
            database: connected.target.clone(),
            tls: Some(connected.tls),
            superuser: Some(connected.superuser),
            analyzed_by_pgvet: Vec::new(),
        }
    }
}

/// Runs every check of the suite on an open connection; the report covers every check.
pub async fn run(
    connected: &Connected,
    suite: &Suite,
    context: RunContext,
    progress: &dyn Progress,
) -> Report {
    let settings = &suite.settings;
    let db = Db::new(connected, settings.statement_timeout);
    let mut runner = Runner::start(&db, settings, &context.analyzed_by_pgvet).await;

    progress.step(&format!(
        "checking {}",
        crate::report::counted(suite.indexes.len(), "index", "indexes")
    ));
    let indexes = runner.indexes(&suite.indexes).await;
    let contract = [
        (suite.tables.len(), "table", "tables"),
        (suite.foreign_keys.len(), "foreign key", "foreign keys"),
        (
            suite.privileges.len(),
            "privilege entry",
            "privilege entries",
        ),
    ];
    for (n, one, many) in contract.into_iter().filter(|c| c.0 > 0) {
        progress.step(&format!(
            "checking {}",
            crate::report::counted(n, one, many)
        ));
    }
    let tables = runner.tables(&suite.tables).await;
    let foreign_keys = runner.foreign_keys(&suite.foreign_keys).await;
    let privileges = runner.privileges(&suite.privileges).await;
    let (findings, health) = match &suite.health {
        Some(config) => {
            progress.step("checking schema health");
            let mut config = config.clone();
            config.expected_indexes = suite
                .indexes
                .iter()
                .filter(|i| !i.absent)
                .map(|i| (i.schema.clone(), i.name.clone()))
                .collect();
            let (findings, run, _) = runner.health(&config).await;
            (findings, Some(run))
        }
        None => (Vec::new(), None),
    };

    let mut queries = Vec::with_capacity(suite.queries.len());
    for (n, query) in suite.queries.iter().enumerate() {
        if runner.stop().is_none() {
            progress.step(&format!(
                "query {}/{}: {}",
                n + 1,
                suite.queries.len(),
                query.name
            ));
        }
        queries.push(runner.query(query).await);
    }

    let mut metrics: Vec<_> = suite
        .queries
        .iter()
        .zip(&queries)
        .filter_map(|(q, r)| target::metric_row(q, r))
        .collect();
    for metric in &suite.metrics {
        if runner.stop().is_none() {
            progress.step(&format!("metric: {}", metric.label));
        }
        let value = runner.metric(metric).await;
        metrics.push(target::suite_metric_row(metric, value));
    }
    let mut report = empty_report(&context, &suite.path.display().to_string(), settings);
    report.indexes = indexes;
    report.tables = tables;
    report.foreign_keys = foreign_keys;
    report.privileges = privileges;
    report.findings = findings;
    report.health = health;
    report.queries = queries;
    report.metrics = metrics;
    report.aborted = runner.stop();
    finish(report)
}

/// `pgvet health`: the schema health rules alone, on an open connection, with the suite's
/// settings (timeouts) when there is a suite (`suite` names it, or is empty). A schema the
/// configuration names that the database does not have is a mistake of the invocation: the
/// error says which schemas there are.
pub async fn health(
    connected: &Connected,
    config: &crate::health::Config,
    settings: &Settings,
    suite: &str,
    context: RunContext,
    progress: &dyn Progress,
) -> Result<Report, crate::exit::UsageError> {
    let db = Db::new(connected, settings.statement_timeout);
    let mut runner = Runner::start(&db, settings, &context.analyzed_by_pgvet).await;
    progress.step("checking schema health");
    let (findings, health, failure) = runner.health(config).await;
    if let Some(health::Failure::UnknownSchema(message)) = failure {
        return Err(crate::exit::UsageError(message));
    }
    let mut report = empty_report(&context, suite, settings);
    report.findings = findings;
    report.health = Some(health);
    report.aborted = runner.stop();
    Ok(finish(report))
}

/// A report of nothing yet, for the run `context` describes.
fn empty_report(context: &RunContext, suite: &str, settings: &Settings) -> Report {
    Report {
        format_version: FORMAT_VERSION,
        pgvet_version: env!("CARGO_PKG_VERSION").to_string(),
        status: Status::Pass,
        server_version: context.server_version.clone(),
        database: context.database.clone(),
        tls: context.tls,
        superuser: context.superuser,
        suite: suite.to_string(),
        settings: RunSettings {
            min_rows: settings.min_rows,
            runs: settings.runs,
            warmup: settings.warmup,
            statement_timeout_ms: millis(settings.statement_timeout),
            lock_timeout_ms: millis(settings.lock_timeout),
            slower_threshold_pct: settings.slower_threshold_pct,
            slower_floor_ms: settings.slower_floor_ms,
        },
        indexes: Vec::new(),
        tables: Vec::new(),
        foreign_keys: Vec::new(),
        privileges: Vec::new(),
        findings: Vec::new(),
        health: None,
        queries: Vec::new(),
        metrics: Vec::new(),
        summary: Summary::default(),
        baseline: None,
        aborted: None,
    }
}

/// The report with its summary and verdict.
fn finish(mut report: Report) -> Report {
    report.summary = Summary::of(&report);
    report.status = report.summary.status();
    report
}

/// Runs the checks one after the other, remembering why the run stopped, if it did.
struct Runner<'a> {
    db: &'a Db<'a>,
    settings: &'a Settings,
    stopped: Option<Aborted>,
    /// See [`RunContext::analyzed_by_pgvet`].
    analyzed_by_pgvet: &'a [(String, String)],
}

impl<'a> Runner<'a> {
    /// A runner on `db` whose session has the run's timeouts (or, when they cannot be set, a
    /// run that has stopped, saying why).
    async fn start(
        db: &'a Db<'a>,
        settings: &'a Settings,
        analyzed_by_pgvet: &'a [(String, String)],
    ) -> Runner<'a> {
        let mut runner = Runner {
            db,
            settings,
            stopped: None,
            analyzed_by_pgvet,
        };
        let (configured, signal) = until_interrupted(
            db,
            session::configure(db, settings.statement_timeout, settings.lock_timeout),
        )
        .await;
        if let Err(e) = configured {
            let message = format!("setting the session's timeouts failed: {e}");
            runner.stopped = stop_reason(db, signal, Some(&e.message)).or(Some(Aborted {
                reason: crate::report::model::AbortReason::Failed,
                message,
            }));
        }
        runner
    }

    /// Why nothing more runs: the run stopped, or a signal came since the last check.
    fn stop(&self) -> Option<Aborted> {
        self.stopped.clone().or_else(interruption)
    }

    /// All expected indexes in one catalog query; if it fails, every index check is an error
    /// with the server's message.
    async fn indexes(&mut self, expected: &[ExpectedIndex]) -> Vec<IndexResult> {
        if let Some(stop) = self.stop() {
            return expected
                .iter()
                .map(|i| index::error(i, format!("not run: {}", stop.message)))
                .collect();
        }
        let wanted: Vec<catalog::WantedIndex> = expected
            .iter()
            .map(|i| (i.schema.clone(), i.name.clone(), i.table.clone()))
            .collect();
        let found = if wanted.is_empty() {
            Ok(catalog::IndexLookup::default())
        } else {
            let (found, signal) =
                until_interrupted(self.db, catalog::find_indexes(self.db, &wanted)).await;
            let error = found.as_ref().err().map(|e| e.message.clone());
            self.stopped = stop_reason(self.db, signal, error.as_deref());
            found
        };
        match found {
            Ok(found) => {
                tracing::info!(
                    expected = wanted.len(),
                    found = found.found.len(),
                    "indexes looked up in one catalog query"
                );
                expected
                    .iter()
                    .map(|i| {
                        let table = (i.schema.clone(), i.table.clone());
                        let mut result = index::judge(
                            i,
                            found.found.get(&(i.schema.clone(), i.name.clone())),
                            found.on_table.get(&table).map(Vec::as_slice),
                        );
                        let elsewhere = found.elsewhere.get(&table);
                        index::table_elsewhere(&mut result, elsewhere.map_or(&[], Vec::as_slice));
                        result
                    })
                    .collect()
            }
            Err(e) => {
                let message = match &self.stopped {
                    Some(stop) => format!("{}: {}", stop.message, e.message),
                    None if e.message.contains("(SQLSTATE 55P03)") => format!(
                        "the catalog query for the expected indexes failed: {}; another session holds a lock on one of their tables (an ALTER TABLE, a REINDEX, a migration still running) and pgvet waited lock_timeout ({} ms): check pg_locks, or raise lock_timeout",
                        e.message,
                        millis(self.settings.lock_timeout)
                    ),
                    None => format!(
                        "the catalog query for the expected indexes failed: {}",
                        e.message
                    ),
                };
                expected
                    .iter()
                    .map(|i| index::error(i, message.clone()))
                    .collect()
            }
        }
    }

    async fn query(&mut self, query: &Query) -> QueryResult {
        if let Some(stop) = self.stop() {
            return QueryResult {
                status: Status::Error,
                error: Some(format!("not run: {}", stop.message)),
                ..empty_result(query)
            };
        }
        let (mut result, signal) =
            until_interrupted(self.db, check_query(self.db, query, self.settings)).await;
        self.stopped = stop_reason(self.db, signal, result.error.as_deref());
        if let Err(e) = self.reset().await {
            result.status = Status::Error;
            result.error.get_or_insert(format!(
                "the query ran, but the session could not be reset after it: {e}"
            ));
        }
        result
    }

    /// A `[[metric]]`'s value: one statement returning one column, READ ONLY, rolled back.
    async fn metric(&mut self, metric: &Metric) -> Result<Option<f64>, String> {
        if let Some(stop) = self.stop() {
            return Err(format!("not run: {}", stop.message));
        }
        let (value, signal) = until_interrupted(self.db, measure(self.db, metric)).await;
        let value = value.map_err(as_interrupted);
        self.stopped = stop_reason(self.db, signal, value.as_ref().err().map(String::as_str));
        let reset = self.reset().await;
        let value = value?;
        reset.map_err(|e| {
            format!("the metric was measured, but the session could not be reset after it: {e}")
        })?;
        Ok(value)
    }

    /// Leaves the session as the check found it (see `session::reset`); nothing to do once the
    /// run has stopped. When the run stops during the reset (a signal, a lost connection),
    /// nothing more runs in this session: the check just finished keeps its result.
    async fn reset(&mut self) -> Result<(), String> {
        if self.stopped.is_some() {
            return Ok(());
        }
        let (reset, signal) = until_interrupted(
            self.db,
            session::reset(
                self.db,
                self.settings.statement_timeout,
                self.settings.lock_timeout,
            ),
        )
        .await;
        let error = reset.as_ref().err().map(|e| e.message.clone());
        self.stopped = stop_reason(self.db, signal, error.as_deref());
        match reset {
            Err(_) if self.stopped.is_some() => Ok(()),
            reset => reset.map_err(|e| e.message),
        }
    }
}

/// A `[[metric]]`'s value. Its SQL must be one statement returning one column (the server says
/// how many when it prepares it), measured in a rolled-back READ ONLY transaction.
async fn measure(db: &Db<'_>, metric: &Metric) -> Result<Option<f64>, String> {
    let prepared = session::ensure_single_statement(db, &metric.sql)
        .await
        .map_err(|e| e.message)?;
    if prepared.columns != 1 {
        return Err(format!(
            "a metric's SQL must return exactly one column (one number); it returns {} (the `sql` of [[metric]] \"{}\")",
            prepared.columns, metric.label
        ));
    }
    session::scalar(db, &metric.sql)
        .await
        .map_err(|e| e.message)
}

fn millis(d: Duration) -> u64 {
    d.as_millis().try_into().unwrap_or(u64::MAX)
}
