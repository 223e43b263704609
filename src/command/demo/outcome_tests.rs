//! The demo's verdicts on the recorded CodeTune runs (`report::samples`), as they are and with
//! one thing changed at a time: a CodeTune scenario judged as such, and the same runs judged
//! as a scenario whose migration creates its tables (as FastAPI's does).

use super::*;
use crate::report::model::Timing;
use crate::report::samples;

const CT: &Expectation = &crate::command::demo::scenarios::CODETUNE.expect;

fn compared(after: &mut Report) -> Report {
    compared_with(after, samples::before())
}

fn compared_with(after: &mut Report, before: Report) -> Report {
    crate::check::baseline::apply(after, &before, "the run before the migration");
    before
}

fn timed(median_ms: f64, rows: u64) -> Option<Timing> {
    Some(Timing::from_samples(vec![median_ms; 5], 1, rows))
}

#[test]
fn the_recorded_runs_are_the_scenario() {
    let mut after = samples::after();
    let before = compared(&mut after);
    assert_eq!(deviations(CT, &before, &after), Vec::<String>::new());
    let text = summary(CT, &before, &after, &[]);
    assert!(
        text.contains(
            "· Before the migration: 8 of 8 indexes missing; every query seq-scans training_metric."
        ),
        "{text}"
    );
    assert!(
        text.contains("· 4 queries 57–99% faster: fetch experiment by config_id (-91.1%), filter by epoch (-57.4%), sort by timestamp (-98.8%), join configs and metrics (-59.6%)."),
        "{text}"
    );
    assert!(
        text.contains("The scenario came out as expected (exit 0)"),
        "{text}"
    );
}

#[test]
fn a_missed_target_is_a_finding_with_its_cause_not_a_deviation() {
    // The demo's epoch filter as measured here: 136 ms as a seq scan, 72.6 ms through its
    // index, 40 ms promised.
    let mut before = samples::before();
    before.queries[1].timing = timed(136.0, 4628);
    let mut after = samples::after();
    let epoch = &mut after.queries[1];
    epoch.timing = timed(72.6, 4628);
    epoch
        .problems
        .push("median 72.60 ms is over the target of 40 ms".into());
    epoch.status = Status::Fail;
    let before = compared_with(&mut after, before);
    assert_eq!(deviations(CT, &before, &after), Vec::<String>::new());
    let text = summary(CT, &before, &after, &[]);
    assert!(
        text.contains(
            "· filter by epoch missed its 40.0 ms target (72.6 ms, -47% against the baseline). Why: ix_training_metric_epoch returns 4,628 rows, 4.63% of the 100,000 in training_metric"
        ),
        "{text}"
    );
    assert!(text.contains("· 3 queries"), "{text}");
}

#[test]
fn an_index_missing_or_a_seq_scan_after_the_migration_is_a_deviation() {
    let mut after = samples::after();
    let before = samples::before();
    after.indexes[4] = before.indexes[4].clone();
    after.queries[2] = before.queries[2].clone();
    let found = deviations(CT, &before, &after);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("after the migration, index ix_training_metric_epoch failed: "));
    assert_eq!(
        found[1],
        "after the migration, \"sort by timestamp\" should read training_metric through an index; its plan: Seq Scan on training_metric"
    );
    let text = summary(CT, &before, &after, &found);
    assert!(
        text.contains(
            "The scenario did NOT come out as expected (exit 1):\n· after the migration, index"
        ),
        "{text}"
    );
}

#[test]
fn indexes_present_before_the_migration_are_a_deviation() {
    let after = samples::after();
    let found = deviations(CT, &after, &after);
    assert!(found.len() >= 8 + 4, "{found:?}");
    assert!(found[0].starts_with(
        "before the migration, index ix_training_config_model_type should be missing"
    ));
}

/// A scenario whose migration creates training_metric and training_config, as the FastAPI
/// one creates its five tables: the recorded runs with the queries of the first failing as
/// they do when the tables are not there yet.
const CREATED: &Expectation = &Expectation {
    tables: &["training_config", "training_metric"],
    before: Before::TablesAbsent,
    ..crate::command::demo::scenarios::FASTAPI.expect
};

fn tables_absent() -> Report {
    let mut before = samples::before();
    for query in &mut before.queries {
        query.error =
            Some(r#"ERROR: relation "training_metric" does not exist (SQLSTATE 42P01)"#.into());
        query.status = Status::Error;
        query.plan = None;
        query.scans.clear();
        query.timing = None;
    }
    before
}

#[test]
fn tables_not_there_yet_before_the_migration_are_the_scenario() {
    let mut after = samples::after();
    let before = compared_with(&mut after, tables_absent());
    assert_eq!(deviations(CREATED, &before, &after), Vec::<String>::new());
    let text = summary(CREATED, &before, &after, &[]);
    assert!(
        text.contains("· Before the migration: 8 of 8 indexes missing; the five ML analytics tables do not exist yet"),
        "{text}"
    );
    assert!(
        text.contains("The scenario came out as expected (exit 0)"),
        "{text}"
    );
    // The same runs judged as the CodeTune scenario: its queries must run and seq-scan.
    let found = deviations(CT, &before, &after);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(
        found[0].contains("errored: ERROR: relation"),
        "{}",
        found[0]
    );
}

#[test]
fn before_the_tables_exist_another_error_or_a_query_that_runs_is_a_deviation() {
    let mut before = tables_absent();
    before.queries[0].error =
        Some(r#"ERROR: relation "training_metrics" does not exist (SQLSTATE 42P01)"#.into());
    before.queries[1].error =
        Some("ERROR: syntax error at or near \"FORM\" (SQLSTATE 42601)".into());
    before.queries[2] = samples::before().queries[2].clone();
    let found = deviations(CREATED, &before, &samples::after());
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with("before the migration, \"fetch experiment by config_id\" should fail on a missing table (training_config, training_metric), not: ERROR: relation \"training_metrics\""), "{}", found[0]);
    assert!(
        found[1].ends_with("not: ERROR: syntax error at or near \"FORM\" (SQLSTATE 42601)"),
        "{}",
        found[1]
    );
    assert_eq!(
        found[2],
        "before the migration, \"sort by timestamp\" should fail on a missing table (training_config, training_metric); it ran: Seq Scan on training_metric"
    );
}

#[test]
fn a_metric_on_a_table_not_there_yet_errs_only_before_the_migration() {
    let mut before = tables_absent();
    let mut after = samples::after();
    let missing = r#"ERROR: relation "training_metric" does not exist (SQLSTATE 42P01)"#;
    before.metrics[1].error = Some(missing.into());
    assert_eq!(deviations(CREATED, &before, &after), Vec::<String>::new());
    assert_eq!(deviations(CT, &before, &after).len(), 4 + 1);
    after.metrics[1].error = Some(missing.into());
    let found = deviations(CREATED, &before, &after);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("after the migration, metric \""),
        "{}",
        found[0]
    );
}

#[test]
fn a_small_table_read_whole_with_a_usable_index_counts_as_read_through_it() {
    let mut after = samples::after();
    let join = after
        .queries
        .iter()
        .position(|q| q.name == "join configs and metrics")
        .unwrap();
    let config = after.queries[join]
        .scans
        .iter()
        .position(|s| s.relation.as_deref() == Some("training_config"))
        .unwrap();
    let scan = &after.queries[join].scans[config];
    assert_eq!(
        (scan.index.as_deref(), scan.verdict),
        (None, ScanVerdict::IndexUsable)
    );
    assert_eq!(
        deviations(CREATED, &tables_absent(), &after),
        Vec::<String>::new()
    );
    after.queries[join].scans[config].verdict = ScanVerdict::NoUsableIndex;
    let found = deviations(CREATED, &tables_absent(), &after);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("after the migration, \"join configs and metrics\" should read training_config, training_metric through an index"), "{}", found[0]);
}

#[test]
fn a_table_not_as_promised_after_the_migration_is_a_deviation() {
    let before = samples::before();
    let mut after = samples::after();
    let expected = crate::suite::ExpectedTable {
        schema: "public".into(),
        name: "prediction_history".into(),
        columns: None,
        checks: Vec::new(),
        analyzed: false,
        absent: false,
        validated: true,
        checklist: None,
    };
    after.tables = vec![crate::check::table::judge(&expected, None)];
    after.summary = crate::report::model::Summary::of(&after);
    let found = deviations(CT, &before, &after);
    assert_eq!(
        found,
        [
            "after the migration, public.prediction_history failed: no table public.prediction_history exists"
        ]
    );
    let text = summary(CT, &before, &after, &found);
    assert!(
        text.contains("· The contract after it: 0 of 1 table as promised"),
        "{text}"
    );
}
