//! Checks [`fill`] on the real deployment checklists in `fixtures/checklists/` (copied byte
//! for byte from the seeds; see its README.md) and on hostile input.

use std::time::{Duration, Instant};

use super::{Column, FilledCell, Unfilled, fill};
use crate::report::model::{Better, MetricRow};

/// A query-time metric (unit "ms") with a declared baseline and target and a measured value.
pub(super) fn metric(label: &str, baseline: f64, target: f64, actual: Option<f64>) -> MetricRow {
    MetricRow {
        label: label.into(),
        query: Some(label.into()),
        unit: "ms".into(),
        better: Better::Lower,
        baseline: Some(baseline),
        target: Some(target),
        actual,
        measured_baseline: None,
        change_pct: None,
        status: None,
        error: None,
        baseline_ms: Some(baseline),
        target_ms: Some(target),
        actual_ms: actual,
        checklist: None,
    }
}

fn checklist(name: &str) -> String {
    let path = format!("{}/fixtures/checklists/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn codetune_metrics() -> Vec<MetricRow> {
    vec![
        metric("Avg query time (experiments)", 100.0, 20.0, Some(0.4123)),
        metric("Avg query time (metrics filter)", 150.0, 40.0, Some(3.704)),
    ]
}

/// The lines that differ, as (line number, before, after); the line count must not change.
fn changed_lines<'a>(before: &'a str, after: &'a str) -> Vec<(usize, &'a str, &'a str)> {
    assert_eq!(before.lines().count(), after.lines().count());
    let pairs = before.lines().zip(after.lines()).enumerate();
    pairs
        .filter(|(_, (b, a))| b != a)
        .map(|(i, (b, a))| (i + 1, b, a))
        .collect()
}

const EXPERIMENTS_FILLED: &str = "| Avg query time (experiments) | 100ms | 20ms | 0.412ms |";
const FILTER_FILLED: &str = "| Avg query time (metrics filter) | 150ms | 40ms | 3.7ms |";

#[test]
fn codetune_checklist_gets_exactly_its_two_actual_cells() {
    let document = checklist("codetune_deployment.md");
    let filled = fill(&document, &codetune_metrics());
    assert_eq!(
        changed_lines(&document, &filled.document),
        [
            (
                265,
                "| Avg query time (experiments) | 100ms | 20ms | ___ |",
                EXPERIMENTS_FILLED
            ),
            (
                266,
                "| Avg query time (metrics filter) | 150ms | 40ms | ___ |",
                FILTER_FILLED
            ),
        ]
    );
    assert_eq!(filled.document.len(), document.len() + 4 + 2);
    assert!(filled.document.ends_with("completion\n"));
    let rows: Vec<_> = filled
        .rows
        .iter()
        .map(|r| (r.line, r.label.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (265, "Avg query time (experiments)"),
            (266, "Avg query time (metrics filter)")
        ]
    );
    let actual = |value: &str| {
        vec![FilledCell {
            column: Column::Actual,
            value: value.into(),
        }]
    };
    assert_eq!(filled.rows[0].cells, actual("0.412ms"));
    assert_eq!(filled.rows[1].cells, actual("3.7ms"));
    assert!(filled.metrics_not_found.is_empty());
}

#[test]
fn codetune_checklist_lists_the_rows_it_could_not_fill() {
    let filled = fill(&checklist("codetune_deployment.md"), &codetune_metrics());
    let unmatched: Vec<_> = filled
        .unfilled
        .iter()
        .map(|u| match u {
            Unfilled::NoMetric {
                line,
                label,
                columns,
            } => {
                assert_eq!(columns, &[Column::Actual]);
                (*line, label.as_str())
            }
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(
        unmatched,
        [
            (267, "Page load time (comparison)"),
            (268, "Plugin load time"),
            (273, "Error rate"),
            (274, "Uptime"),
            (275, "Failed queries"),
        ]
    );
    assert_eq!(
        filled.unfilled[0].to_string(),
        "line 267: no metric is labelled \"Page load time (comparison)\", so its blank Actual cell \
         was left alone; name a query's `metric` exactly like the row, or fill the row by hand"
    );
}

#[test]
fn declared_baselines_in_the_document_are_not_overwritten() {
    let document = checklist("codetune_deployment.md");
    let mut metrics = codetune_metrics();
    metrics[0].measured_baseline = Some(97.3);
    metrics[1].measured_baseline = Some(161.0);
    let filled = fill(&document, &metrics);
    assert_eq!(
        filled.document,
        fill(&document, &codetune_metrics()).document
    );
    assert!(filled.rows.iter().all(|r| r.cells.len() == 1));
}

#[test]
fn filled_cells_are_never_overwritten() {
    let document = checklist("codetune_deployment.md");
    let mut length = metric("Avg function length", 80.0, 30.0, Some(20.0));
    length.unit = "lines".into();
    let filled = fill(&document, &[length]);
    assert_eq!(filled.document, document);
    assert!(filled.rows.is_empty() && filled.metrics_not_found.is_empty());
}

#[test]
fn filling_twice_changes_nothing_the_second_time() {
    let metrics = codetune_metrics();
    let once = fill(&checklist("codetune_deployment.md"), &metrics);
    let twice = fill(&once.document, &metrics);
    assert_eq!(twice.document, once.document);
    assert!(twice.rows.is_empty());
    assert_eq!(twice.unfilled, once.unfilled);
}

#[test]
fn crlf_line_endings_survive() {
    let document = checklist("codetune_deployment.md").replace('\n', "\r\n");
    let filled = fill(&document, &codetune_metrics());
    let expected = fill(&checklist("codetune_deployment.md"), &codetune_metrics());
    assert_eq!(filled.document, expected.document.replace('\n', "\r\n"));
    assert_eq!(filled.rows, expected.rows);
}

#[test]
fn a_checklist_without_a_metrics_table_comes_back_unchanged() {
    let document = checklist("fastapi_deployment.md");
    let filled = fill(&document, &codetune_metrics());
    assert_eq!(filled.document, document);
    assert!(filled.rows.is_empty() && filled.unfilled.is_empty());
    assert_eq!(filled.metrics_not_found.len(), 2);
}

/// The 10 MB table takes about 0.25 s in a release build and about 1 s in a debug build (plain
/// `cargo test`) on an idle core, and 5 s with both cores of a 2-core machine busy; a quadratic
/// step would take hours. The bound separates the two with room for a machine 30 times slower,
/// so it catches a quadratic step and never a slow or busy machine.
const QUICK: Duration = Duration::from_secs(30);

#[test]
fn a_ten_megabyte_table_is_filled_in_linear_time() {
    let mut document = String::from("| Metric | Baseline | Target | Actual |\n|---|---|---|---|\n");
    let mut rows = 0;
    while document.len() < 10_000_000 {
        document.push_str(&format!("| Row {rows} | 100ms | 20ms | ___ |\n"));
        rows += 1;
    }
    let metrics = [metric("Row 7", 100.0, 20.0, Some(5.0))];
    let started = Instant::now();
    let filled = fill(&document, &metrics);
    assert!(started.elapsed() < QUICK, "{:?}", started.elapsed());
    assert_eq!(filled.rows.len(), 1);
    assert_eq!(filled.unfilled.len(), rows - 1);
    assert!(filled.document.contains("| Row 7 | 100ms | 20ms | 5ms |\n"));
}

#[test]
fn a_line_of_a_hundred_thousand_pipes_is_harmless() {
    let pipes = "|".repeat(100_000);
    let table = "| Metric | Baseline | Target | Actual |\n|---|---|---|---|\n";
    let delimiter = "|---".repeat(99_999);
    let documents = [
        pipes.clone(),
        format!("{table}{pipes}\n"),
        format!("{pipes}\n{delimiter}|\n{pipes}"),
        format!("{table}| `{pipes}` |\n"),
    ];
    let metrics = codetune_metrics();
    for document in documents {
        let started = Instant::now();
        let filled = fill(&document, &metrics);
        assert!(started.elapsed() < QUICK, "{:?}", started.elapsed());
        assert_eq!(filled.document, document);
        assert!(filled.rows.is_empty());
    }
}
