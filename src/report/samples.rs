//! Realistic reports for the output formats' snapshot tests (test builds only). They are the
//! CodeTune suite run by pgvet against PostgreSQL 15 (200 configs, 100,000 metric rows) before
//! and after its migration, saved in `fixtures/reports/`. Timings are replaced by fixed values
//! close to the measured ones, so the snapshots stay put when the fixtures are captured again;
//! the replacement never changes a verdict (checked on load). The run after the migration
//! carries the plan figures pgvet saves for the diagnosis (`plan_figures`), captured from the
//! same plans.

use crate::check::{baseline, target};
use crate::report::model::{Better, MetricRow, QueryResult, Report, Status, Summary, Timing};

const BEFORE: &str = include_str!("../../fixtures/reports/before.json");
const AFTER: &str = include_str!("../../fixtures/reports/after.json");

/// Medians per query in suite order: fetch by config_id, filter by epoch, sort by timestamp, join.
const BEFORE_MS: [f64; 4] = [5.1, 8.48, 13.3, 19.3];
const AFTER_MS: [f64; 4] = [0.456, 3.61, 0.158, 7.79];

/// Before the migration: every index missing, every query seq-scanning.
pub fn before() -> Report {
    load(BEFORE, &BEFORE_MS)
}

/// After the migration: everything passes.
pub fn after() -> Report {
    load(AFTER, &AFTER_MS)
}

/// After the migration, compared with the run before it (`--baseline before.json`).
pub fn after_with_baseline() -> Report {
    let mut report = after();
    baseline::apply(&mut report, &before(), "before.json");
    report
}

/// A run gone wrong, compared with the good run after the migration (`--baseline after.json`):
/// the timestamp index was dropped again (index missing, and "sort by timestamp" seq-scans: an
/// index lost), "filter by epoch" errors, "fetch experiment by config_id" takes 25 ms (over its
/// 20 ms target, and slower than the baseline), a `[[metric]]` in percent misses its target and
/// another one cannot be read.
pub fn broken() -> Report {
    let (before, good) = (before(), after());
    let mut report = good.clone();
    let lost = "ix_training_metric_timestamp";
    let position = report.indexes.iter().position(|i| i.name == lost).unwrap();
    report.indexes[position] = before.indexes[position].clone();
    *query(&mut report, "sort by timestamp") = before.queries[2].clone();

    let errored = query(&mut report, "filter by epoch");
    errored.status = Status::Error;
    errored.error =
        Some(r#"ERROR: relation "training_metrics" does not exist (SQLSTATE 42P01)"#.into());
    (errored.plan, errored.timing, errored.explain_execution_ms) = (None, None, None);
    errored.scans.clear();

    let slow = query(&mut report, "fetch experiment by config_id");
    slow.timing = Some(timing(25.0, 500));
    slow.problems
        .push("median 25.00 ms is over the target of 20 ms".into());
    slow.status = Status::Fail;

    let mut cache = metric("Cache hit ratio", "%", Better::Higher, [99.2, 99.0]);
    cache.actual = Some(97.4);
    let mut wal = metric("WAL size", "bytes", Better::Lower, [8.4e8, 1e9]);
    wal.error = Some("ERROR: permission denied for function pg_ls_waldir (SQLSTATE 42501)".into());
    report.metrics.extend([cache, wal]);
    sync_metrics(&mut report);
    report.summary = Summary::of(&report);
    report.status = report.summary.status();
    baseline::apply(&mut report, &good, "after.json");
    report
}

/// After the migration, with a schema contract: the history table lacks a column and its
/// statistics are stale (half its rows changed since ANALYZE), a dropped table is gone as
/// expected, the foreign key to the models has no index, and the application role can read
/// but not write. Judged by the verdicts themselves, from catalog figures written here.
pub fn contract() -> Report {
    use crate::check::{foreign_key, privilege, table};
    use crate::db::contract::{
        FoundColumn, FoundForeignKey, FoundPrivileges, FoundTable, TableKeys,
    };
    use crate::suite::{ExpectedForeignKey, ExpectedPrivilege, ExpectedTable, PrivilegeObject};

    let mut report = after();
    let history = ExpectedTable {
        schema: "public".into(),
        name: "prediction_history".into(),
        columns: Some(
            [
                ("id", "int8"),
                ("model_id", "int"),
                ("created_at", "timestamptz"),
            ]
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .into(),
        ),
        checks: vec![],
        analyzed: true,
        absent: false,
        validated: true,
        checklist: Some("3.1 history table".into()),
    };
    let column = |name: &str, type_name: &str| FoundColumn {
        name: name.into(),
        type_name: type_name.into(),
        type_schema: "pg_catalog".into(),
    };
    let found = FoundTable {
        kind: 'r',
        columns: vec![column("id", "bigint"), column("model_id", "integer")],
        checks: vec![],
        not_valid_checks: vec![],
        reltuples: 1000.0,
        last_analyzed: Some("2026-03-01T09:30:00Z".into()),
        modified_since_analyze: 500,
        has_column_statistics: true,
    };
    let backup = ExpectedTable {
        name: "model_backup".into(),
        columns: None,
        analyzed: false,
        absent: true,
        validated: true,
        checklist: None,
        ..history.clone()
    };
    report.tables = vec![
        table::judge(&history, Some(&found)),
        table::judge(&backup, None),
    ];
    let key = ExpectedForeignKey {
        schema: "public".into(),
        table: "prediction_history".into(),
        columns: vec!["model_id".into()],
        references: Some(("public".into(), "predictive_models".into())),
        ref_columns: None,
        name: None,
        indexed: true,
        validated: true,
        checklist: Some("3.2 foreign key".into()),
    };
    let keys = TableKeys {
        foreign_keys: vec![FoundForeignKey {
            name: "prediction_history_model_id_fkey".into(),
            columns: vec!["model_id".into()],
            ref_schema: "public".into(),
            ref_table: "predictive_models".into(),
            ref_columns: vec!["id".into()],
            validated: true,
        }],
        indexes: vec![],
    };
    report.foreign_keys = vec![foreign_key::judge(&key, Some(&keys))];
    let grant = |object, privileges: &[&str]| ExpectedPrivilege {
        role: "app".into(),
        object,
        privileges: privileges.iter().map(|p| p.to_string()).collect(),
        checklist: None,
    };
    let on_table = PrivilegeObject::Table {
        schema: "public".into(),
        name: "prediction_history".into(),
    };
    let held = |held: &[(&str, bool)]| FoundPrivileges {
        role_exists: true,
        object_exists: true,
        held: held
            .iter()
            .map(|(p, h)| (p.to_string(), Some(*h)))
            .collect(),
    };
    report.privileges = vec![
        privilege::judge(
            &grant(on_table, &["SELECT", "INSERT", "UPDATE"]),
            &held(&[("SELECT", true), ("INSERT", false), ("UPDATE", false)]),
        ),
        privilege::judge(
            &grant(
                PrivilegeObject::Schema {
                    name: "public".into(),
                },
                &["USAGE"],
            ),
            &held(&[("USAGE", true)]),
        ),
    ];
    report.summary = Summary::of(&report);
    report.status = report.summary.status();
    report
}

fn load(json: &str, medians: &[f64]) -> Report {
    let mut report: Report = serde_json::from_str(json).expect("a report fixture");
    let verdicts: Vec<_> = report.metrics.iter().map(|m| m.status).collect();
    for (q, &median) in report.queries.iter_mut().zip(medians) {
        let rows = q.timing.as_ref().map_or(0, |t| t.rows);
        q.timing = Some(timing(median, rows));
        q.explain_execution_ms = Some(median * 1.5);
    }
    sync_metrics(&mut report);
    let after: Vec<_> = report.metrics.iter().map(|m| m.status).collect();
    assert_eq!(verdicts, after, "redacting timings changed a verdict");
    assert_eq!(report.summary, Summary::of(&report));
    report
}

/// Five runs around `median`, one of them slower, as real runs look.
fn timing(median: f64, rows: u64) -> Timing {
    let samples = [1.0, 0.98, 1.1, 1.01, 1.0].map(|f| f * median).to_vec();
    Timing::from_samples(samples, 1, rows)
}

/// Each query-time metric takes its query's median again; every row's change and status follow.
fn sync_metrics(report: &mut Report) {
    for m in &mut report.metrics {
        if let Some(q) = m.query.as_ref() {
            let q = report.queries.iter().find(|r| &r.name == q).unwrap();
            m.actual = q.timing.as_ref().map(|t| t.median_ms);
            m.actual_ms = m.actual;
        }
        m.change_pct = target::percent_change(m.measured_baseline.or(m.baseline), m.actual);
        m.status = if m.error.is_some() {
            None
        } else {
            target::status(m.better, m.target, m.actual)
        };
    }
}

fn query<'a>(report: &'a mut Report, name: &str) -> &'a mut QueryResult {
    report.queries.iter_mut().find(|q| q.name == name).unwrap()
}

/// A `[[metric]]` row with its declared baseline and target; `sync_metrics` fills in the rest.
fn metric(label: &str, unit: &str, better: Better, [baseline, target]: [f64; 2]) -> MetricRow {
    MetricRow {
        label: label.into(),
        query: None,
        unit: unit.into(),
        better,
        baseline: Some(baseline),
        target: Some(target),
        actual: None,
        measured_baseline: None,
        change_pct: None,
        status: None,
        error: None,
        baseline_ms: None,
        target_ms: None,
        actual_ms: None,
        checklist: None,
    }
}

#[test]
fn the_samples_are_what_their_names_say() {
    assert_eq!(
        (before().status, after().status),
        (Status::Fail, Status::Pass)
    );
    let compared = after_with_baseline();
    assert_eq!(
        (compared.status, compared.summary.regressions),
        (Status::Pass, 0)
    );
    let broken = broken();
    let s = &broken.summary;
    assert_eq!(
        (s.indexes_failed, s.queries_failed, s.queries_errored),
        (1, 2, 1)
    );
    // The errored query's time row has a target and no value: missed.
    assert_eq!(
        (s.metrics_missed, s.metrics_errored, s.regressions),
        (3, 1, 2)
    );
    // The slow query reads through its index: its shortfall is diagnosed.
    let diagnosed: Vec<&str> = broken
        .queries
        .iter()
        .filter(|q| q.diagnosis.is_some())
        .map(|q| q.name.as_str())
        .collect();
    assert_eq!(diagnosed, ["fetch experiment by config_id"]);
    assert!(compared.queries.iter().all(|q| q.diagnosis.is_none()));
    let contract = contract();
    let s = &contract.summary;
    assert_eq!(contract.status, Status::Fail);
    assert_eq!(
        (
            s.tables_total,
            s.tables_failed,
            s.foreign_keys_failed,
            s.privileges_failed
        ),
        (2, 1, 1, 1)
    );
}
