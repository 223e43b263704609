//! Saved runs edited by hand or damaged: each is refused with a message naming the file and
//! the field, or read and rendered in every format; none makes pgvet panic.

use serde_json::{Value, json};

use super::*;
use crate::report::{Format, render, samples};

const AFTER: &str = include_str!("../../../fixtures/reports/after.json");

/// A hand edit of a saved run, and what the error must say.
type Case = (&'static str, fn(&mut Value));

/// The saved run after the migration, edited by `edit`, written to a file and loaded.
fn load_edited(edit: impl FnOnce(&mut Value)) -> Result<Report, String> {
    let mut value: Value = serde_json::from_str(AFTER).unwrap();
    edit(&mut value);
    load_text(&serde_json::to_string_pretty(&value).unwrap())
}

fn load_text(text: &str) -> Result<Report, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    std::fs::write(&path, text).unwrap();
    load(&path).map_err(|e| e.to_string())
}

/// Every format, and the comparison both ways: none may panic.
fn render_everything(report: &Report) {
    for format in [
        Format::Text,
        Format::Json,
        Format::Markdown,
        Format::Junit,
        Format::Github,
    ] {
        assert!(!render(report, format).is_empty());
    }
    let mut compared = report.clone();
    crate::check::baseline::apply(&mut compared, &samples::before(), "before.json");
    let mut reverse = samples::before();
    crate::check::baseline::apply(&mut reverse, report, "after.json");
    for r in [&compared, &reverse] {
        assert!(!render(r, Format::Junit).is_empty());
        assert!(!render(r, Format::Text).is_empty());
        assert!(!render(r, Format::Markdown).is_empty());
    }
    crate::fill::fill(
        "| Metric | Baseline | Target | Actual |\n|---|---|---|---|\n| Avg query time (experiments) | | | |\n",
        &compared.metrics,
    );
}

#[test]
fn a_file_that_is_not_a_report_names_the_position() {
    let err = load_text("{\"format_version\": 1,\n \"status\": \"maybe\"}").unwrap_err();
    assert!(
        err.contains("run.json:2:") && err.contains("not a pgvet JSON report"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let err = load(&dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("cannot read the saved run"), "{err}");
}

#[test]
fn the_saved_fixture_loads_and_renders() {
    render_everything(&load_text(AFTER).unwrap());
}

#[test]
fn a_huge_median_is_refused_naming_the_query_and_field() {
    // `"median_ms": 1e308` made `report --format junit` panic (exit 101).
    let err = load_edited(|r| r["queries"][0]["timing"]["median_ms"] = json!(1e308)).unwrap_err();
    assert!(
        err.ends_with(
            "run.json: not a report pgvet wrote: queries[0] (\"fetch experiment by config_id\") timing.median_ms is 1e308 ms; a time is at least 0 and at most 1e12 ms (31 years); save the run again"
        ),
        "{err}"
    );
}

#[test]
fn impossible_values_are_refused_with_their_field() {
    let cases: [Case; 9] = [
        ("timing.median_ms is -5 ms", |r| {
            r["queries"][0]["timing"]["median_ms"] = json!(-5.0)
        }),
        ("timing.samples_ms[2] is -0.1 ms", |r| {
            r["queries"][1]["timing"]["samples_ms"][2] = json!(-0.1)
        }),
        ("timing.reference_ms[1] is -1 ms", |r| {
            r["queries"][1]["timing"]["reference_ms"] = json!([1.0, -1.0])
        }),
        ("timing.reference_ms has 6 times for 5 timed runs", |r| {
            let t = &mut r["queries"][1]["timing"];
            t["reference_ms"] = json!(vec![1.0; 6]);
        }),
        ("target_ms is -20 ms", |r| {
            r["queries"][0]["target_ms"] = json!(-20)
        }),
        (
            "metrics[0] (\"Avg query time (experiments)\") actual is -1 ms",
            |r| r["metrics"][0]["actual"] = json!(-1),
        ),
        (
            "scans[0].rows_actual is -3; a row count is at least 0",
            |r| r["queries"][0]["scans"][0]["rows_actual"] = json!(-3),
        ),
        (
            "advice[0].cost_after is -2; a planner cost is at least 0",
            |r| {
                r["queries"][0]["advice"] = json!([{
                    "schema": "public", "relation": "t", "columns": ["a"],
                    "statement": "CREATE INDEX CONCURRENTLY ON public.t (a)", "proven": true,
                    "cost_before": 10.0, "cost_after": -2, "note": null
                }])
            },
        ),
        ("format_version 0 does not exist", |r| {
            r["format_version"] = json!(0)
        }),
    ];
    for (expected, edit) in cases {
        let err = load_edited(edit).unwrap_err();
        assert!(
            err.contains(expected) && err.contains("not a report pgvet wrote"),
            "{expected}: {err}"
        );
    }
}

#[test]
fn damaged_json_is_refused_with_its_position() {
    let cases: [Case; 3] = [
        ("missing field `summary`", |r| {
            r.as_object_mut().unwrap().remove("summary");
        }),
        ("invalid type: string \"fast\", expected f64", |r| {
            r["queries"][0]["timing"]["median_ms"] = json!("fast")
        }),
        ("invalid value: integer `-1`, expected u64", |r| {
            r["queries"][0]["timing"]["rows"] = json!(-1)
        }),
    ];
    for (expected, edit) in cases {
        let err = load_edited(edit).unwrap_err();
        assert!(
            err.contains(&format!("not a pgvet JSON report: {expected}")),
            "{expected}: {err}"
        );
    }
    // JSON has no NaN or infinity; a number too large for a float is out of range.
    let median = regex::Regex::new(r#""median_ms": [0-9.e-]+"#).unwrap();
    for (text, expected) in [
        ("\"median_ms\": NaN", "expected value"),
        ("\"median_ms\": 1e400", "number out of range"),
    ] {
        let edited = median.replace(AFTER, text);
        let err = load_text(&edited).unwrap_err();
        assert!(err.contains(expected) && err.contains("run.json:"), "{err}");
    }
}

#[test]
fn a_saved_run_read_back_keeps_every_digit() {
    // Found by fuzzing: serde_json's default float parser read 1018.127904374498 back as
    // 1018.1279043744979, so a saved run re-saved changed its figures.
    let report = load_edited(|r| r["metrics"][0]["change_pct"] = json!(1018.127904374498)).unwrap();
    let saved = render(&report, Format::Json);
    assert!(
        saved.contains("\"change_pct\": 1018.127904374498,"),
        "{saved}"
    );
    assert_eq!(render(&load_text(&saved).unwrap(), Format::Json), saved);
}

#[test]
fn a_comparison_of_runs_with_extreme_spread_reads_back() {
    // Found by fuzzing: the noise of two runs (3 × √(σ₁² + σ₂²)) can exceed the longest time,
    // and `check --baseline --save` wrote a run that `compare` then refused.
    let wide = |r: &mut Value| {
        let t = &mut r["queries"][0]["timing"];
        t["median_ms"] = json!(MAX_TIME_MS);
        t["samples_ms"] = json!([0.0, 0.0, 0.0]);
    };
    let (mut now, then) = (load_edited(wide).unwrap(), load_edited(wide).unwrap());
    crate::check::baseline::apply(&mut now, &then, "before.json");
    let noise = now.queries[0].baseline.as_ref().unwrap().noise_ms.unwrap();
    assert!(noise > MAX_TIME_MS && noise <= MAX_NOISE_MS, "{noise}");
    load_text(&render(&now, Format::Json)).unwrap();

    let err = load_edited(|r| {
        r["queries"][0]["baseline"] = json!({"plan": null, "median_ms": 1.0,
            "change_pct": 0.0, "noise_ms": 2e13, "regression": null})
    })
    .unwrap_err();
    assert!(
        err.contains("baseline.noise_ms is 2e13 ms; a time is at least 0 and at most 1e13 ms"),
        "{err}"
    );
}

#[test]
fn a_newer_format_is_named_even_when_its_fields_changed() {
    let err = load_edited(|r| {
        r["format_version"] = json!(7);
        r.as_object_mut().unwrap().remove("queries");
    })
    .unwrap_err();
    assert!(
        err.ends_with("report format_version 7 is newer than this pgvet reads (1); upgrade pgvet"),
        "{err}"
    );
}

#[test]
fn extreme_values_a_run_can_hold_are_rendered_everywhere() {
    let report = load_edited(|r| {
        let t = &mut r["queries"][0]["timing"];
        t["median_ms"] = json!(MAX_TIME_MS);
        t["p95_ms"] = json!(0.0);
        t["samples_ms"] = json!([MAX_TIME_MS, 0.0, 5e-324]);
        r["queries"][1]["timing"]["median_ms"] = json!(5e-324);
        r["metrics"][1]["unit"] = json!("%");
        r["metrics"][1]["actual"] = json!(1e308);
        r["metrics"][1]["target"] = json!(-1e308);
        r["metrics"][1]["baseline"] = json!(5e-324);
    })
    .unwrap();
    render_everything(&report);
}

#[test]
fn a_directory_or_a_device_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let err = load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("is a directory, not a regular file"), "{err}");
    let err = load(Path::new("/dev/zero")).unwrap_err().to_string();
    assert_eq!(
        err,
        "cannot read the saved run /dev/zero: is a character device, not a regular file; pgvet reads saved runs only from regular files"
    );
}

#[test]
fn counts_saved_as_floats_by_earlier_runs_read_back_and_are_written_as_integers() {
    // fixtures/reports/after.json was written before counts were integers: 100000.0.
    assert!(AFTER.contains("\"relation_rows\": 100000.0,"));
    let report = load_text(AFTER).unwrap();
    let saved = render(&report, Format::Json);
    for written in [
        "\"relation_rows\": 100000,",
        "\"rows_actual\": 500,",
        "\"loops\": 1,",
    ] {
        assert!(saved.contains(written), "{written}: {saved}");
    }
    assert!(!saved.contains("\"loops\": 1.0"), "{saved}");
    assert_eq!(render(&load_text(&saved).unwrap(), Format::Json), saved);
    // PostgreSQL 18's fractional rows per loop are kept as they are, and still validated.
    let report = load_edited(|r| r["queries"][0]["scans"][0]["rows_actual"] = json!(0.5)).unwrap();
    assert_eq!(report.queries[0].scans[0].rows_actual, Some(0.5));
    assert!(render(&report, Format::Json).contains("\"rows_actual\": 0.5,"));
    let err = load_edited(|r| r["queries"][0]["scans"][0]["loops"] = json!(-2)).unwrap_err();
    assert!(
        err.contains("scans[0].loops is -2; a row count is at least 0"),
        "{err}"
    );
}

#[test]
fn a_run_with_a_schema_contract_reads_back_and_older_runs_read_without_one() {
    let contract = samples::contract();
    let read = load_text(&crate::report::json::render(&contract)).unwrap();
    assert_eq!(read.summary, contract.summary);
    assert_eq!(read.tables[0].problems, contract.tables[0].problems);
    assert_eq!(read.tables[0].statistics, contract.tables[0].statistics);
    assert_eq!(
        read.foreign_keys[0].message,
        contract.foreign_keys[0].message
    );
    assert_eq!(read.privileges[0].missing_privileges, ["INSERT", "UPDATE"]);
    render_everything(&read);
    // Runs saved before the contract existed have no tables, foreign_keys or privileges.
    let old = load_edited(|_| {}).unwrap();
    assert!(!AFTER.contains("\"tables\"") && !AFTER.contains("\"checklist\""));
    assert!(old.tables.is_empty() && old.foreign_keys.is_empty() && old.privileges.is_empty());
    assert_eq!(
        (
            old.summary.tables_total,
            old.indexes[0].checklist.as_deref()
        ),
        (0, None)
    );
    // A count no run can write (a negative number of changed rows) is refused by its type.
    let mut value: Value = serde_json::from_str(&crate::report::json::render(&contract)).unwrap();
    value["tables"][0]["statistics"]["modified_since_analyze"] = json!(-5);
    let e = load_text(&value.to_string()).unwrap_err();
    assert!(
        e.contains("not a pgvet JSON report: invalid value: integer `-5`"),
        "{e}"
    );
}
