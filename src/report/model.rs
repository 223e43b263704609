//! The report: every verdict of one run, serialisable and versioned. Every output format is a
//! pure function of this model, and `--format json` is this model as it is (documented in the
//! README; scripts rely on its field names, so they change only with `format_version`).

use serde::{Deserialize, Serialize};

use crate::suite::Expect;

mod advice;
mod contract;
mod health;

pub use health::{Finding, HealthNote, HealthRun};

pub use advice::Advice;
pub use contract::{
    Column, ForeignKeyProblem, ForeignKeyResult, PrivilegeObjectKind, PrivilegeProblem,
    PrivilegeResult, TableProblem, TableResult, TableStatistics,
};

/// Bumped when a field is renamed or removed or changes meaning; new fields do not bump it.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// The query could not run (syntax, missing table, timeout…): the server's message is kept.
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub format_version: u32,
    pub pgvet_version: String,
    pub status: Status,
    pub server_version: Option<String>,
    /// Where pgvet connected, password redacted.
    pub database: String,
    /// Whether the connection was encrypted (TLS), as negotiated; null when not known.
    #[serde(default)]
    pub tls: Option<bool>,
    /// Whether pgvet's role was a superuser (pgvet needs far less: see the README).
    #[serde(default)]
    pub superuser: Option<bool>,
    pub suite: String,
    pub settings: RunSettings,
    pub indexes: Vec<IndexResult>,
    /// The schema contract: `[[table]]`, `[[foreign_key]]` and `[[privilege]]` entries (absent
    /// from runs saved before they existed).
    #[serde(default)]
    pub tables: Vec<TableResult>,
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKeyResult>,
    #[serde(default)]
    pub privileges: Vec<PrivilegeResult>,
    /// The schema health rules' findings (`[health]`, `pgvet health`), in rule order; absent
    /// from runs saved before they existed.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// What the health rules covered; null when none ran.
    #[serde(default)]
    pub health: Option<HealthRun>,
    pub queries: Vec<QueryResult>,
    pub metrics: Vec<MetricRow>,
    pub summary: Summary,
    /// The saved run this one was compared with (`--baseline`), if any.
    #[serde(default)]
    pub baseline: Option<BaselineSource>,
    /// Why the run stopped before its end, if it did: the checks after that point are reported
    /// with status "error" and an error beginning "not run".
    #[serde(default)]
    pub aborted: Option<Aborted>,
}

/// A run that stopped early.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Aborted {
    pub reason: AbortReason,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbortReason {
    /// Ctrl-C (SIGINT) or SIGTERM.
    Interrupted,
    /// The server closed the connection (terminated backend, server stopped), or stopped
    /// answering and pgvet closed it.
    ConnectionLost,
    /// The session could not be prepared for the run (its timeouts could not be set).
    Failed,
}

/// Where a measured baseline came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineSource {
    pub file: String,
    pub pgvet_version: String,
    pub server_version: Option<String>,
    pub database: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSettings {
    pub min_rows: u64,
    pub runs: u32,
    pub warmup: u32,
    pub statement_timeout_ms: u64,
    pub lock_timeout_ms: u64,
    /// The "slower" rule's minimum change (`slower_threshold`, `slower_floor_ms`); a run saved
    /// before they existed is judged with the defaults.
    #[serde(default = "default_slower_threshold_pct")]
    pub slower_threshold_pct: f64,
    #[serde(default = "default_slower_floor_ms")]
    pub slower_floor_ms: f64,
}

fn default_slower_threshold_pct() -> f64 {
    crate::check::slower::DEFAULT_THRESHOLD_PCT
}

fn default_slower_floor_ms() -> f64 {
    crate::check::slower::DEFAULT_FLOOR_MS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexProblem {
    Missing,
    Invalid,
    WrongTable,
    ColumnsDiffer,
    NotUnique,
    /// The WHERE predicate of a partial index is not the expected one (or there is none).
    PredicateDiffers,
    /// The access method (btree, gin, …) is not the expected one.
    MethodDiffers,
    /// The INCLUDE columns are not the expected ones, in order.
    IncludeDiffers,
    Present,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexResult {
    pub name: String,
    pub schema: String,
    pub table: String,
    pub status: Status,
    /// The first problem found (null when the index passed); `problems` lists them all.
    pub problem: Option<IndexProblem>,
    pub problems: Vec<IndexProblem>,
    /// What is wrong, in words (null when the index passed).
    pub message: Option<String>,
    pub absent: bool,
    pub expected_columns: Option<Vec<String>>,
    pub actual_columns: Option<Vec<String>>,
    /// The table the index is on in the database, when found.
    pub actual_table: Option<String>,
    /// `CREATE INDEX …` as PostgreSQL prints it, when found.
    pub definition: Option<String>,
    /// For a missing index: the names of the indexes on its table closest to the expected one
    /// (a typo is the most common cause), closest first; empty when none is close.
    #[serde(default)]
    pub closest_names: Vec<String>,
    /// For a missing index or one whose columns differ: another index on the table with the
    /// expected columns, in order (the index exists under another name).
    #[serde(default)]
    pub same_columns_index: Option<String>,
    /// The suite entry's `checklist` item.
    #[serde(default)]
    pub checklist: Option<String>,
}

/// How one scan node was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanVerdict {
    /// Not a sequential scan, nor a full index scan.
    Ok,
    /// A sequential (or full index) scan the suite allows (`allow_seq_scan`) or does not judge
    /// (`expect = "any"`).
    Allowed,
    /// A sequential scan on a relation of at least `min_rows` rows.
    SeqScanOnLargeTable,
    /// An index scan on a relation of at least `min_rows` rows that reads its whole index: its
    /// condition does not constrain the index's leading column (see `check::leading`).
    FullIndexScan,
    /// A sequential (or full index) scan on a small relation; planning without seq scans
    /// narrowed the rows through an index.
    IndexUsable,
    /// A sequential (or full index) scan on a small relation that has no index the query can
    /// narrow its rows by.
    NoUsableIndex,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanResult {
    pub relation: Option<String>,
    pub schema: Option<String>,
    pub node_type: String,
    /// The index used; for a bitmap scan over several indexes, their names joined by ", ".
    pub index: Option<String>,
    pub parallel: bool,
    /// "Plan Rows": the rows the planner expected per loop (a whole number).
    #[serde(serialize_with = "super::count::count_opt")]
    pub rows_estimated: Option<f64>,
    /// "Actual Rows": the rows returned per loop; PostgreSQL 18 gives a fraction when the rows
    /// do not divide evenly among the loops (0.5), earlier versions round it.
    #[serde(serialize_with = "super::count::per_loop_opt")]
    pub rows_actual: Option<f64>,
    #[serde(serialize_with = "super::count::count_opt")]
    pub loops: Option<f64>,
    /// The relation's size as judged for the small-table rule (seq scans only), in rows.
    #[serde(serialize_with = "super::count::count_opt")]
    pub relation_rows: Option<f64>,
    /// For a seq scan on a small relation: the index the query can use instead.
    pub usable_index: Option<String>,
    /// Where in the plan: e.g. "InitPlan 1", "CTE recent"; null at the top level.
    pub context: Option<String>,
    pub verdict: ScanVerdict,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timing {
    pub runs: u32,
    pub warmup: u32,
    pub median_ms: f64,
    /// Nearest-rank 95th percentile; the maximum when there are fewer than 20 runs.
    pub p95_ms: f64,
    pub mean_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub stddev_ms: f64,
    /// Rows the query returned (or affected).
    pub rows: u64,
    pub samples_ms: Vec<f64>,
    /// The reference statement's time after each timed run, in the same order, or after every
    /// n-th of more than 25 (`db::session::REFERENCE_SQL`): how fast the machine was while the
    /// query was timed. Empty in runs saved before pgvet measured it.
    #[serde(default)]
    pub reference_ms: Vec<f64>,
    /// How the runs sent the query: its SQL text (`simple`), or, for a query with `params`, a
    /// prepared statement executed with the values bound (`extended`).
    #[serde(default)]
    pub protocol: Protocol,
    /// For the prepared statement: how PostgreSQL's plan cache planned its executions, warm-up
    /// included (PostgreSQL 14+; null otherwise).
    #[serde(default)]
    pub plan_cache: Option<PlanCache>,
}

/// The wire protocol the timed runs used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// One Query message with the SQL text, as psql and `pgbench -M simple` send it.
    #[default]
    Simple,
    /// Parse once, then Bind and Execute with the values, as `pgbench -M prepared` does.
    Extended,
}

/// Custom and generic plans among a prepared statement's executions (`pg_prepared_statements`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCache {
    pub custom_plans: u64,
    pub generic_plans: u64,
}

/// Which plan the plan check saw, for a query with parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanKind {
    /// Planned for the bound `params` values (what a prepared statement's first five
    /// executions use).
    Custom,
    /// `EXPLAIN (GENERIC_PLAN)`: planned for any values, none bound (PostgreSQL 16+).
    Generic,
}

/// One value of a query's `params`, with the type the server inferred for its parameter (null
/// when the query failed before the server said).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamValue {
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    pub value: crate::suite::params::Param,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryResult {
    pub name: String,
    pub status: Status,
    /// The server's message when the query could not run.
    pub error: Option<String>,
    pub expect: Expect,
    pub writes: bool,
    /// The values bound to `$1…$n` (the suite's `params`), in order; null without params.
    #[serde(default)]
    pub params: Option<Vec<ParamValue>>,
    /// For a query with parameters: whether the plan checked is the custom plan for `params`
    /// or the generic plan (no values); null for a query without parameters.
    #[serde(default)]
    pub plan_kind: Option<PlanKind>,
    /// One-line plan summary, e.g. "Index Scan using ix_a on t".
    pub plan: Option<String>,
    pub scans: Vec<ScanResult>,
    /// Why the check failed, one sentence each.
    pub problems: Vec<String>,
    /// What passed with a remark, naming its relation, e.g. "small: index usable
    /// (ix_small_code); Seq Scan on small chosen on a small table (20 rows, fewer than
    /// min_rows = 1000)".
    pub notes: Vec<String>,
    pub timing: Option<Timing>,
    /// EXPLAIN ANALYZE's own figure, for reference; never used as the query's time.
    pub explain_execution_ms: Option<f64>,
    pub baseline_ms: Option<f64>,
    pub target_ms: Option<f64>,
    /// The suite's `target_improvement`, in percent faster than the measured baseline.
    #[serde(default)]
    pub target_improvement_pct: Option<f64>,
    /// This query in the saved run given with `--baseline`.
    #[serde(default)]
    pub baseline: Option<QueryBaseline>,
    /// What EXPLAIN ANALYZE showed about the query's index scans and memory: the evidence for
    /// `diagnosis`, kept so that a later comparison (`pgvet compare`) can diagnose too.
    #[serde(default)]
    pub plan_figures: Option<crate::plan::PlanFigures>,
    /// Why a query that reads through an index missed its target, is no faster than its
    /// baseline or is slower (see `check::diagnosis`); null otherwise.
    #[serde(default)]
    pub diagnosis: Option<Diagnosis>,
    /// The indexes that would let the query read a relation it read whole through an index
    /// (see `run::advice`), best first; empty when it read none whole.
    #[serde(default)]
    pub advice: Vec<Advice>,
    /// The suite entry's `checklist` item.
    #[serde(default)]
    pub checklist: Option<String>,
}

/// Why an index did not make a query fast, from the plan's own figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// What it explains: "missed its 40.0 ms target (72.6 ms)", "is no faster than before (-3%)".
    pub symptom: String,
    /// What the figures point at, the one to act on first.
    pub causes: Vec<Cause>,
    /// One sentence: the index scan's figures, the causes, and what to do.
    pub message: String,
}

impl Diagnosis {
    /// "why it missed its 40.0 ms target (53.0 ms): ix_… returns …", as the formats show it.
    pub fn line(&self) -> String {
        format!("why it {}: {}", self.symptom, self.message)
    }
}

/// A cause the plan's figures show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A sort did not fit in `work_mem` and went to disk.
    SortSpill,
    /// A hash or hash aggregate did not fit in `work_mem` and was split into batches.
    HashSpill,
    /// The bitmap did not fit in `work_mem`: whole pages were rechecked.
    LossyBitmap,
    /// The index returned rows that its recheck then threw away (a lossy index type).
    IndexRecheck,
    /// A Filter threw away most of the rows the index found.
    FilterRemovesRows,
    /// The scan returned 10× or more the rows the planner expected.
    Misestimate,
    /// The scan read half or more of the relation's pages, as a seq scan would.
    MostPages,
    /// The server's execution was a fraction of the time; the rest is returning rows.
    ResultTransfer,
    /// Nothing in the plan stands out.
    NoneInPlan,
}

/// A query compared with the same query in a saved run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryBaseline {
    /// The plan summary then.
    pub plan: Option<String>,
    /// The median then.
    pub median_ms: Option<f64>,
    /// (now − then) / then × 100: negative is faster.
    pub change_pct: Option<f64>,
    /// The noise of the two runs, from their own spread: 3 × √(σ_then² + σ_now²) (see the README);
    /// null with fewer than 3 timed runs on a side.
    pub noise_ms: Option<f64>,
    /// The least the median must grow by to count as slower: the larger of `slower_threshold` ×
    /// the median then and `slower_floor_ms`.
    #[serde(default)]
    pub min_change_ms: Option<f64>,
    pub regression: Option<Regression>,
    /// Why slowness was not judged although the median grew by more than `min_change_ms`.
    #[serde(default)]
    pub not_judged: Option<NotJudged>,
    /// The reference statement's median now ÷ then: above 1, the machine was slower now
    /// (`check::slower`); null when a run has no reference times.
    #[serde(default)]
    pub reference_ratio: Option<f64>,
    /// The median now at the baseline's machine speed: the median ÷ `reference_ratio`.
    #[serde(default)]
    pub adjusted_median_ms: Option<f64>,
    /// The plan's work now ÷ then (buffers, or rows its scans returned: the larger ratio).
    #[serde(default)]
    pub work_ratio: Option<f64>,
    /// What confirmed a `slower` regression: the plan's work, or the timed runs.
    #[serde(default)]
    pub confirmed_by: Option<ConfirmedBy>,
}

/// What confirmed a `slower` regression (`check::slower`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmedBy {
    /// The plan did more work by `slower_threshold`, and the time agreed.
    Work,
    /// The timed runs: beyond their noise, every run slower.
    Runs,
}

/// Why a query's slowness against its baseline was not judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotJudged {
    /// Fewer than 3 timed runs on a side: no spread to judge by.
    TooFewRuns,
    /// The change is within the runs' noise, or some runs now were as fast as runs then.
    TooNoisy,
    /// The plan did no more work, and the machine's speed moved while the query was timed
    /// (the reference statement's times spread by more than 5% within a run).
    MachineUnsteady,
}

/// Why a query regressed against its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regression {
    /// It used an index then and seq-scans now.
    IndexLost,
    /// It is slower by more than the minimum change and the runs' noise, every run slower.
    Slower,
}

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    #[default]
    Lower,
    Higher,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricStatus {
    Met,
    Missed,
}

/// A row of the metrics table: a query's median time, or a `[[metric]]` measured by its own SQL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricRow {
    pub label: String,
    /// The query whose median this is; null for a `[[metric]]`.
    pub query: Option<String>,
    /// "ms" for query times, else the metric's own unit ("%", "connections", "bytes", …).
    pub unit: String,
    pub better: Better,
    /// The declared baseline, target and the measured value, in `unit`.
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub actual: Option<f64>,
    /// The value in the saved run given with `--baseline`.
    pub measured_baseline: Option<f64>,
    /// (actual − baseline) / baseline × 100, against the measured baseline when there is one.
    pub change_pct: Option<f64>,
    /// Met when actual is on the better side of target (or equal); null without a target or value.
    pub status: Option<MetricStatus>,
    /// The server's message when a `[[metric]]`'s SQL failed.
    pub error: Option<String>,
    /// For query times (unit "ms"): the same figures under the names scripts rely on.
    pub baseline_ms: Option<f64>,
    pub target_ms: Option<f64>,
    pub actual_ms: Option<f64>,
    /// The `checklist` item of the `[[metric]]`, or of the query whose time this is.
    #[serde(default)]
    pub checklist: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub indexes_total: usize,
    pub indexes_failed: usize,
    /// Index checks that could not be made (the catalog query failed, or never ran).
    #[serde(default)]
    pub indexes_errored: usize,
    pub queries_total: usize,
    pub queries_failed: usize,
    pub queries_errored: usize,
    pub metrics_missed: usize,
    /// Metrics whose SQL failed.
    #[serde(default)]
    pub metrics_errored: usize,
    /// Queries that regressed against the `--baseline` run.
    #[serde(default)]
    pub regressions: usize,
    #[serde(default)]
    pub tables_total: usize,
    #[serde(default)]
    pub tables_failed: usize,
    #[serde(default)]
    pub tables_errored: usize,
    #[serde(default)]
    pub foreign_keys_total: usize,
    #[serde(default)]
    pub foreign_keys_failed: usize,
    #[serde(default)]
    pub foreign_keys_errored: usize,
    #[serde(default)]
    pub privileges_total: usize,
    #[serde(default)]
    pub privileges_failed: usize,
    #[serde(default)]
    pub privileges_errored: usize,
    /// Health findings, those of severity `error` (they fail the run) and `warning`.
    #[serde(default)]
    pub findings_total: usize,
    #[serde(default)]
    pub findings_errors: usize,
    #[serde(default)]
    pub findings_warnings: usize,
    /// Health rules that ran but could not be judged (the catalog could not be read).
    #[serde(default)]
    pub health_errored: usize,
}

impl Summary {
    /// The counts of the report's checks (whatever its `summary` says).
    pub fn of(report: &Report) -> Summary {
        let (indexes, queries, metrics) = (&report.indexes, &report.queries, &report.metrics);
        let count = |status| queries.iter().filter(|q| q.status == status).count();
        let of = |statuses: Vec<Status>| {
            let n = |s| statuses.iter().filter(|&&x| x == s).count();
            (statuses.len(), n(Status::Fail), n(Status::Error))
        };
        let tables = of(report.tables.iter().map(|t| t.status).collect());
        let keys = of(report.foreign_keys.iter().map(|k| k.status).collect());
        let privileges = of(report.privileges.iter().map(|p| p.status).collect());
        let severity = |s| report.findings.iter().filter(|f| f.severity == s).count();
        Summary {
            findings_total: report.findings.len(),
            findings_errors: severity(crate::health::Severity::Error),
            findings_warnings: severity(crate::health::Severity::Warning),
            health_errored: report.health.as_ref().map_or(0, HealthRun::errored),
            tables_total: tables.0,
            tables_failed: tables.1,
            tables_errored: tables.2,
            foreign_keys_total: keys.0,
            foreign_keys_failed: keys.1,
            foreign_keys_errored: keys.2,
            privileges_total: privileges.0,
            privileges_failed: privileges.1,
            privileges_errored: privileges.2,
            indexes_total: indexes.len(),
            indexes_failed: indexes.iter().filter(|i| i.status == Status::Fail).count(),
            indexes_errored: indexes.iter().filter(|i| i.status == Status::Error).count(),
            queries_total: queries.len(),
            queries_failed: count(Status::Fail),
            queries_errored: count(Status::Error),
            metrics_missed: metrics
                .iter()
                .filter(|m| m.status == Some(MetricStatus::Missed))
                .count(),
            metrics_errored: metrics.iter().filter(|m| m.error.is_some()).count(),
            regressions: queries
                .iter()
                .filter(|q| q.baseline.as_ref().is_some_and(|b| b.regression.is_some()))
                .count(),
        }
    }

    pub fn status(&self) -> Status {
        let failed = self.indexes_failed
            + self.indexes_errored
            + self.queries_failed
            + self.queries_errored
            + self.metrics_missed
            + self.metrics_errored
            + self.tables_failed
            + self.tables_errored
            + self.foreign_keys_failed
            + self.foreign_keys_errored
            + self.privileges_failed
            + self.privileges_errored
            + self.findings_errors
            + self.health_errored;
        if failed == 0 {
            Status::Pass
        } else {
            Status::Fail
        }
    }
}
