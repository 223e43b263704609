//! The table verdicts on catalog rows as `db::contract` reads them: each problem, its
//! message, and what passes.

use super::*;
use std::collections::BTreeMap;

fn expected(columns: &[(&str, &str)]) -> ExpectedTable {
    ExpectedTable {
        schema: "public".into(),
        name: "prediction_history".into(),
        columns: (!columns.is_empty()).then(|| {
            columns
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect::<BTreeMap<_, _>>()
        }),
        checks: vec![],
        analyzed: false,
        absent: false,
        validated: true,
        checklist: Some("item 3".into()),
    }
}

fn column(name: &str, type_name: &str) -> FoundColumn {
    FoundColumn {
        name: name.into(),
        type_name: type_name.into(),
        type_schema: "pg_catalog".into(),
    }
}

fn found() -> FoundTable {
    FoundTable {
        kind: 'r',
        columns: vec![
            column("id", "bigint"),
            column("model_id", "integer"),
            column("predicted_at", "timestamp with time zone"),
            column("note", "text"),
        ],
        checks: vec!["positive_amount".into()],
        not_valid_checks: vec![],
        reltuples: 1000.0,
        last_analyzed: Some("2026-01-01T00:00:00Z".into()),
        modified_since_analyze: 0,
        has_column_statistics: true,
    }
}

#[test]
fn a_table_with_the_expected_columns_passes_and_extra_columns_are_allowed() {
    let e = expected(&[
        ("id", "int8"),
        ("model_id", "int"),
        ("predicted_at", "timestamptz"),
    ]);
    let r = judge(&e, Some(&found()));
    assert_eq!(
        (r.status, r.problem, r.message.as_deref()),
        (Status::Pass, None, None)
    );
    assert_eq!(r.actual_columns.unwrap().len(), 4);
    assert_eq!(r.checklist.as_deref(), Some("item 3"));
}

#[test]
fn missing_and_present() {
    let r = judge(&expected(&[]), None);
    assert_eq!(
        (r.status, r.problem),
        (Status::Fail, Some(TableProblem::Missing))
    );
    assert_eq!(
        r.message.as_deref(),
        Some("no table public.prediction_history exists")
    );
    let mut view = found();
    view.kind = 'v';
    let r = judge(&expected(&[]), Some(&view));
    assert_eq!(r.problem, Some(TableProblem::Missing));
    assert!(
        r.message
            .unwrap()
            .ends_with("public.prediction_history is a view")
    );
    let mut absent = expected(&[]);
    absent.absent = true;
    assert_eq!(judge(&absent, None).status, Status::Pass);
    let r = judge(&absent, Some(&found()));
    assert_eq!(r.problem, Some(TableProblem::Present));
    assert!(
        r.message
            .unwrap()
            .starts_with("table public.prediction_history still exists")
    );
}

#[test]
fn each_missing_column_and_each_other_type_is_named() {
    let e = expected(&[
        ("id", "integer"),
        ("model_id", "integer"),
        ("predicted_at", "timestamp"),
        ("created_at", "timestamptz"),
        ("Note", "text"),
    ]);
    let r = judge(&e, Some(&found()));
    assert_eq!(r.problems, [TableProblem::ColumnsDiffer]);
    assert_eq!(
        r.message.as_deref(),
        Some(
            "table public.prediction_history: column Note is missing (there is a column note: names compare exactly); column created_at is missing; column id is bigint, expected integer; column predicted_at is timestamp with time zone, expected timestamp without time zone (written \"timestamp\")"
        )
    );
}

#[test]
fn a_type_of_another_schema_matches_with_or_without_it() {
    let mut f = found();
    f.columns.push(FoundColumn {
        name: "mood".into(),
        type_name: "public.mood".into(),
        type_schema: "public".into(),
    });
    for written in ["mood", "public.mood", "MOOD"] {
        let r = judge(&expected(&[("mood", written)]), Some(&f));
        assert_eq!(r.status, Status::Pass, "{written}: {:?}", r.message);
    }
    let r = judge(&expected(&[("mood", "other.mood")]), Some(&f));
    assert_eq!(r.problem, Some(TableProblem::ColumnsDiffer));
}

#[test]
fn each_check_constraint_the_suite_names_must_be_on_the_table() {
    let mut e = expected(&[]);
    e.checks = vec!["positive_amount".into()];
    assert_eq!(judge(&e, Some(&found())).status, Status::Pass);
    e.checks = vec![
        "positive_amount".into(),
        "note_not_empty".into(),
        "id_small".into(),
    ];
    let r = judge(&e, Some(&found()));
    assert_eq!(r.problems, [TableProblem::CheckMissing]);
    assert_eq!(
        r.message.as_deref(),
        Some(
            "table public.prediction_history has no CHECK constraint named note_not_empty and id_small; its CHECK constraints: positive_amount"
        )
    );
    let mut none = found();
    none.checks.clear();
    e.checks.truncate(1);
    assert!(
        judge(&e, Some(&none))
            .message
            .unwrap()
            .ends_with("has no CHECK constraint named positive_amount; it has none")
    );
}

#[test]
fn a_check_constraint_left_not_valid_is_named() {
    let mut f = found();
    f.not_valid_checks = vec!["positive_amount".into(), "Has Note".into()];
    let r = judge(&expected(&[]), Some(&f));
    assert_eq!(
        r.problems,
        [TableProblem::NotValidated, TableProblem::NotValidated]
    );
    let message = r.message.unwrap();
    assert!(
        message.starts_with(
            "CHECK constraint positive_amount on public.prediction_history is NOT VALID"
        ),
        "{message}"
    );
    assert!(
        message
            .ends_with("(ALTER TABLE public.prediction_history VALIDATE CONSTRAINT \"Has Note\")"),
        "{message}"
    );
    assert_eq!(r.not_valid_constraints, ["positive_amount", "Has Note"]);
    // validated = false: listed, not a problem (a migration that validates them later).
    let mut e = expected(&[]);
    e.validated = false;
    let r = judge(&e, Some(&f));
    assert_eq!((r.status, r.problems.len()), (Status::Pass, 0), "{r:?}");
    assert_eq!(r.not_valid_constraints, ["positive_amount", "Has Note"]);
}

#[test]
fn statistics_are_fresh_until_autovacuum_would_analyze_again() {
    let mut e = expected(&[]);
    e.analyzed = true;
    let mut f = found();
    // 1,000 rows: stale past 50 + 100 changed rows.
    f.modified_since_analyze = 150;
    let r = judge(&e, Some(&f));
    assert_eq!(r.status, Status::Pass);
    assert_eq!(
        r.statistics.as_ref().map(|s| (s.stale_after, s.fresh)),
        Some((150, true))
    );
    f.modified_since_analyze = 151;
    let r = judge(&e, Some(&f));
    assert_eq!(r.problem, Some(TableProblem::StatisticsStale));
    assert_eq!(
        r.message.as_deref(),
        Some(
            "the statistics of table public.prediction_history are stale: 151 rows changed since it was last analyzed (at 2026-01-01T00:00:00Z), more than 50 + 10% of its 1000 rows (150) (run ANALYZE public.prediction_history)"
        )
    );
    // Never analyzed: no timestamp and no column statistics.
    let mut never = found();
    (
        never.last_analyzed,
        never.has_column_statistics,
        never.reltuples,
    ) = (None, false, -1.0);
    let r = judge(&e, Some(&never));
    assert_eq!(r.problem, Some(TableProblem::StatisticsStale));
    assert!(r.message.unwrap().contains("has never been analyzed"));
    // Counters reset (a crash, pg_stat_reset): the column statistics still count.
    never.has_column_statistics = true;
    assert_eq!(judge(&e, Some(&never)).status, Status::Pass);
    // Not asked for: not judged.
    let mut stale = found();
    stale.modified_since_analyze = 10_000;
    assert_eq!(judge(&expected(&[]), Some(&stale)).status, Status::Pass);
}

#[test]
fn an_error_keeps_the_entry() {
    let r = error(&expected(&[("id", "int")]), "not run: interrupted".into());
    assert_eq!(
        (r.status, r.message.as_deref()),
        (Status::Error, Some("not run: interrupted"))
    );
    assert!(r.expected_columns.is_some());
}
