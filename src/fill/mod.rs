//! Fills the blank cells of a Markdown deployment checklist's metrics tables from a run: the
//! `___` under Actual becomes the measured `0.412ms`. Pure: text and metrics in, text and
//! findings out; the caller reads and writes files.
//!
//! What is filled:
//! - GFM tables whose header names Baseline, Target and Actual, or Before, After and
//!   Improvement (any case, white space around ignored); the first column labels the rows.
//!   Once a table qualifies, each of those six columns it has is filled; other columns are not.
//!   Tables in code fences, HTML comments or indented code (4+ spaces) are left alone.
//! - A body row whose label is a metric's label: exactly after trimming, else ignoring case
//!   and runs of white space.
//! - Only blank cells (see [`is_blank`]): a cell that holds anything else is never changed.
//!   Actual and After get the measured value; Baseline and Before the measured baseline of the
//!   `--baseline` run, else the declared one; Target the target; Improvement the change from
//!   Before to After (the row's own values where they are written, the metric's where blank).
//! - Values are written in the row's own style: `ms` or `s` as the row's other cells, about
//!   three significant figures (the rules are in `value.rs`).
//!
//! Every byte outside the replaced cells stays as it was, line endings included. A row whose
//! cells cannot be told apart (a `|` inside inline code) is left alone and reported.

mod markdown;
mod row;
pub mod tasks;
mod value;

#[cfg(test)]
mod fixture_tests;

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use crate::report::model::MetricRow;
pub use row::is_blank;

/// The document with its blank cells filled, and what was and was not filled.
#[derive(Debug, Clone, PartialEq)]
pub struct Filled {
    /// The new document: the input itself, byte for byte, when nothing was filled.
    pub document: String,
    /// Rows that got at least one value, in document order.
    pub rows: Vec<FilledRow>,
    /// Blank cells left blank, and why.
    pub unfilled: Vec<Unfilled>,
    /// Labels of metrics that no row of a metrics table names.
    pub metrics_not_found: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilledRow {
    /// 1-based line of the row in the document.
    pub line: usize,
    /// The metric's label.
    pub label: String,
    pub cells: Vec<FilledCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilledCell {
    pub column: Column,
    /// The text written into the cell, e.g. `0.412ms` or `-69%`.
    pub value: String,
}

/// A column the filler knows, by its header name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Column {
    Baseline,
    Target,
    Actual,
    Before,
    After,
    Improvement,
}

impl Column {
    const ALL: [Column; 6] = [
        Column::Baseline,
        Column::Target,
        Column::Actual,
        Column::Before,
        Column::After,
        Column::Improvement,
    ];

    fn named(header: &str) -> Option<Column> {
        let header = header.trim();
        Column::ALL
            .into_iter()
            .find(|column| column.to_string().eq_ignore_ascii_case(header))
    }

    /// What to do so that the metric has a value for this column. `query` is the query the
    /// metric times (None for a `[[metric]]`): the suite's keys differ between the two.
    fn hint(self, query: Option<&str>) -> String {
        match (self, query) {
            (Column::Baseline | Column::Before, Some(query)) => format!(
                "declare a baseline in the suite (`baseline_ms` of [[query]] \"{query}\") or compare with a saved run (`--baseline`)"
            ),
            (Column::Baseline | Column::Before, None) => "declare a baseline in the suite (`baseline` of its [[metric]]) or compare with a saved run (`--baseline`)".into(),
            (Column::Target, Some(query)) => {
                format!("declare a target in the suite (`target_ms` of [[query]] \"{query}\")")
            }
            (Column::Target, None) => {
                "declare a target in the suite (`target` of its [[metric]])".into()
            }
            (Column::Actual | Column::After | Column::Improvement, Some(query)) => format!(
                "the run measured nothing for it; see the report for why query \"{query}\" failed"
            ),
            (Column::Actual | Column::After | Column::Improvement, None) => {
                "the run measured nothing for it: its SQL failed or returned NULL (see the report)"
                    .into()
            }
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Column::Baseline => "Baseline",
            Column::Target => "Target",
            Column::Actual => "Actual",
            Column::Before => "Before",
            Column::After => "After",
            Column::Improvement => "Improvement",
        })
    }
}

/// A blank cell left blank. Not a failure of the fill: the message says what would fill it.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unfilled {
    /// A row with blank cells whose label (as the document writes it) names no metric.
    #[error(
        "line {line}: no metric is labelled \"{label}\", so its blank {} left alone; name a query's `metric` exactly like the row, or fill the row by hand",
        cells(.columns)
    )]
    NoMetric {
        line: usize,
        label: String,
        columns: Vec<Column>,
    },
    /// A row with blank cells whose label names a query of the run that has no row of its
    /// own in the metrics table, or whose row has another label.
    #[error(
        "line {line}: \"{label}\" is a query of the run, not a metric label, so its blank {} left alone; {}",
        cells(.columns),
        query_hint(.query, .metric.as_deref())
    )]
    QueryNotLabelled {
        line: usize,
        label: String,
        /// The query's name in the run.
        query: String,
        /// The label of the query's row in the metrics table, when it has one.
        metric: Option<String>,
        columns: Vec<Column>,
    },
    /// The row's metric (its label as the suite writes it) has no value for a blank cell.
    #[error("line {line}: metric \"{label}\" has no {column} value; {}", .column.hint(.query.as_deref()))]
    NoValue {
        line: usize,
        label: String,
        column: Column,
        /// The query the metric times; None for a `[[metric]]`.
        query: Option<String>,
    },
    /// Improvement is blank but the change cannot be worked out: `reason` says why.
    #[error(
        "line {line}: cannot work out the Improvement of \"{label}\": {reason}; write Before and After as plain numbers (e.g. `120ms`) or fill Improvement by hand"
    )]
    NoChange {
        line: usize,
        label: String,
        reason: String,
    },
    /// The row's metric has a value for a column the row has no cell for.
    #[error(
        "line {line}: the row of \"{label}\" has fewer cells than the header and no {column} cell; add the missing cells (e.g. `| ___ |`)"
    )]
    MissingCell {
        line: usize,
        label: String,
        column: Column,
    },
    /// A row with a blank-looking cell whose cells cannot be told apart.
    #[error(
        "line {line}: a `|` inside inline code makes this row's cells ambiguous, so it was left alone; escape that pipe as `\\|`"
    )]
    AmbiguousRow { line: usize },
}

/// What to do about a row named after a query: label the query, or the row, alike.
fn query_hint(query: &str, metric: Option<&str>) -> String {
    match metric {
        Some(label) => format!(
            "its row in the metrics table is labelled \"{label}\": name the document's row like that, or set `metric` of [[query]] \"{query}\" to the row's label"
        ),
        None => format!(
            "[[query]] \"{query}\" has no row in the metrics table: give it `metric = \"…\"` (the row's label), `target_ms` or `baseline_ms` in the suite, and run it again"
        ),
    }
}

/// "Actual cell was", "Baseline and Actual cells were".
fn cells(columns: &[Column]) -> String {
    let names: Vec<String> = columns.iter().map(Column::to_string).collect();
    match names.split_last() {
        Some((last, [])) => format!("{last} cell was"),
        Some((last, rest)) => format!("{} and {last} cells were", rest.join(", ")),
        None => "cells were".into(),
    }
}

/// Fills the blank value cells of every metrics table in `document` from `metrics`.
pub fn fill(document: &str, metrics: &[MetricRow]) -> Filled {
    fill_from(document, metrics, &[])
}

/// Fills the blank value cells of every metrics table in `document` from a run's metrics
/// table; a row named after one of the run's `queries` but no metric says so.
pub fn fill_from(document: &str, metrics: &[MetricRow], queries: &[String]) -> Filled {
    let lines = markdown::lines(document);
    let labels = row::Labels::new(metrics);
    let queries = row::Queries::new(queries, metrics);
    let mut found = vec![false; metrics.len()];
    let mut edits = Vec::new();
    let (mut rows, mut unfilled) = (Vec::new(), Vec::new());
    for table in markdown::tables(&lines) {
        let Some(columns) = value_columns(lines[table.header].text, &table.header_row) else {
            continue;
        };
        for &line in &lines[table.body] {
            let row = row::fill_row(line, &columns, (&labels, &queries), metrics);
            if let Some(index) = row.metric {
                found[index] = true;
            }
            edits.extend(row.edits);
            rows.extend(row.filled);
            unfilled.extend(row.unfilled);
        }
    }
    let metrics_not_found = metrics
        .iter()
        .zip(found)
        .filter(|(_, found)| !found)
        .map(|(metric, _)| metric.label.clone())
        .collect();
    Filled {
        document: apply(document, &edits),
        rows,
        unfilled,
        metrics_not_found,
    }
}

/// The columns to fill and their cell indexes, in cell order, when the header qualifies.
fn value_columns(header: &str, row: &markdown::Row) -> Option<Vec<(Column, usize)>> {
    if row.ambiguous {
        return None;
    }
    let mut columns: Vec<(Column, usize)> = Vec::new();
    for (index, range) in row.cells.iter().enumerate().skip(1) {
        if let Some(column) = Column::named(&header[range.clone()])
            && !columns.iter().any(|&(c, _)| c == column)
        {
            columns.push((column, index));
        }
    }
    let has = |column: &Column| columns.iter().any(|(c, _)| c == column);
    let qualifies = [Column::Baseline, Column::Target, Column::Actual]
        .iter()
        .all(has)
        || [Column::Before, Column::After, Column::Improvement]
            .iter()
            .all(has);
    qualifies.then_some(columns)
}

/// The document with each byte range replaced; ranges are in order and do not overlap.
fn apply(document: &str, edits: &[(Range<usize>, String)]) -> String {
    let added: usize = edits.iter().map(|(_, text)| text.len()).sum();
    let mut out = String::with_capacity(document.len() + added);
    let mut at = 0;
    for (range, text) in edits {
        out.push_str(&document[at..range.start]);
        out.push_str(text);
        at = range.end;
    }
    out.push_str(&document[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::fixture_tests::metric;
    use super::*;

    const HEADER: &str = "| Metric | Baseline | Target | Actual |\n|---|---|---|---|\n";

    fn experiments() -> MetricRow {
        metric("Avg query time (experiments)", 100.0, 20.0, Some(0.4123))
    }

    #[test]
    fn a_table_in_a_code_fence_is_not_filled() {
        let table = format!("{HEADER}| Avg query time (experiments) | 100ms | 20ms | ___ |\n");
        let document = format!("```markdown\n{table}```\n\n{table}");
        let filled = fill(&document, &[experiments()]);
        let expected = format!(
            "```markdown\n{table}```\n\n{HEADER}| Avg query time (experiments) | 100ms | 20ms | 0.412ms |\n"
        );
        assert_eq!(filled.document, expected);
        assert_eq!(filled.rows.len(), 1);
        assert_eq!(filled.rows[0].line, 9);
    }

    #[test]
    fn ragged_rows_are_filled_where_the_cell_is_there() {
        let document = format!(
            "{HEADER}| Avg query time (experiments) | 100ms | 20ms |\n\
             | Avg query time (experiments) | 100ms | 20ms | ___ | note |\n\
             Avg query time (experiments) | 100ms | 20ms | ___\n\
             | a \\| b | 1s | 2s |___|\n\
             | `x|y` | 1ms | 2ms | ___ |\n\
             | `x|y` | 1ms | 2ms | 3ms |\n"
        );
        let metrics = [experiments(), metric("a | b", 1000.0, 2000.0, Some(1500.0))];
        let filled = fill(&document, &metrics);
        let expected = format!(
            "{HEADER}| Avg query time (experiments) | 100ms | 20ms |\n\
             | Avg query time (experiments) | 100ms | 20ms | 0.412ms | note |\n\
             Avg query time (experiments) | 100ms | 20ms | 0.412ms\n\
             | a \\| b | 1s | 2s |1.5s|\n\
             | `x|y` | 1ms | 2ms | ___ |\n\
             | `x|y` | 1ms | 2ms | 3ms |\n"
        );
        assert_eq!(filled.document, expected);
        let lines: Vec<_> = filled.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 5, 6]);
        assert_eq!(
            filled.unfilled,
            [
                Unfilled::MissingCell {
                    line: 3,
                    label: "Avg query time (experiments)".into(),
                    column: Column::Actual
                },
                Unfilled::AmbiguousRow { line: 7 },
            ]
        );
    }

    #[test]
    fn before_after_improvement_tables_are_filled() {
        let document = "| Metric | Before | After | Improvement |\n\
            |--------|--------|-------|-------------|\n\
            | avg  QUERY time (experiments) | ___ | ___ | ___ |\n\
            | Avg function length | 80 lines | 25 lines | ___ |\n\
            | Duplicate code | 15+ | 1 | ___ |\n\
            | Page load | 2.5s | ___ | ___ |\n";
        let mut experiments = metric("Avg query time (experiments)", 100.0, 20.0, Some(30.0));
        experiments.measured_baseline = Some(120.0);
        let mut length = metric("Avg function length", 80.0, 30.0, None);
        length.unit = "lines".into();
        let mut duplicates = metric("Duplicate code", 15.0, 1.0, Some(1.0));
        duplicates.unit = "count".into();
        let page = metric("Page load", 2500.0, 800.0, Some(800.0));
        let filled = fill(document, &[experiments, length, duplicates, page]);
        let expected = "| Metric | Before | After | Improvement |\n\
            |--------|--------|-------|-------------|\n\
            | avg  QUERY time (experiments) | 120ms | 30ms | -75% |\n\
            | Avg function length | 80 lines | 25 lines | -69% |\n\
            | Duplicate code | 15+ | 1 | ___ |\n\
            | Page load | 2.5s | 0.8s | -68% |\n";
        assert_eq!(filled.document, expected);
        let [
            Unfilled::NoChange {
                line: 5, reason, ..
            },
        ] = &filled.unfilled[..]
        else {
            panic!("{:?}", filled.unfilled);
        };
        assert_eq!(reason, "the Before cell `15+` is not a number in count");
    }

    #[test]
    fn missing_values_leave_the_cell_blank_and_say_why() {
        let document = "| Metric | Baseline | Target | Actual |\n|-|-|-|-|\n| Q | | | ___ |";
        let mut q = metric("Q", 1.0, 1.0, None);
        (q.baseline, q.target) = (None, Some(12.0));
        let filled = fill(document, &[q]);
        assert_eq!(
            filled.document,
            "| Metric | Baseline | Target | Actual |\n|-|-|-|-|\n| Q | | 12ms | ___ |"
        );
        let messages: Vec<String> = filled.unfilled.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            messages,
            [
                "line 3: metric \"Q\" has no Baseline value; declare a baseline in the suite \
                 (`baseline_ms` of [[query]] \"Q\") or compare with a saved run (`--baseline`)",
                "line 3: metric \"Q\" has no Actual value; the run measured nothing for it; see \
                 the report for why query \"Q\" failed",
            ]
        );
    }

    #[test]
    fn a_metric_s_hint_names_the_key_of_its_kind_of_entry() {
        let document = "| Metric | Baseline | Target | Actual |\n|-|-|-|-|\n| Pool | | ___ | ___ |";
        let mut pool = metric("Pool", 1.0, 1.0, None);
        (pool.query, pool.unit, pool.baseline, pool.target) = (None, "%".into(), None, None);
        let filled = fill(document, &[pool]);
        let messages: Vec<String> = filled.unfilled.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            messages,
            [
                "line 3: metric \"Pool\" has no Baseline value; declare a baseline in the suite \
                 (`baseline` of its [[metric]]) or compare with a saved run (`--baseline`)",
                "line 3: metric \"Pool\" has no Target value; declare a target in the suite \
                 (`target` of its [[metric]])",
                "line 3: metric \"Pool\" has no Actual value; the run measured nothing for it: \
                 its SQL failed or returned NULL (see the report)",
            ]
        );
    }

    #[test]
    fn a_row_named_after_a_query_is_told_from_an_unknown_label() {
        let document = "| Metric | Baseline | Target | Actual |\n|-|-|-|-|\n\
            | fetch by id | 1ms | 2ms | ___ |\n| Join  Configs | 1ms | 2ms | ___ |\n| Page load | 1s | 2s | ___ |\n";
        let mut join = metric("Avg join time", 1.0, 2.0, Some(1.5));
        join.query = Some("join configs".into());
        let queries = ["fetch by id".to_string(), "join configs".to_string()];
        let filled = fill_from(document, std::slice::from_ref(&join), &queries);
        assert_eq!(filled.document, document, "nothing is filled");
        let messages: Vec<String> = filled.unfilled.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            messages,
            [
                "line 3: \"fetch by id\" is a query of the run, not a metric label, so its blank \
                 Actual cell was left alone; [[query]] \"fetch by id\" has no row in the metrics \
                 table: give it `metric = \"…\"` (the row's label), `target_ms` or `baseline_ms` \
                 in the suite, and run it again",
                "line 4: \"Join  Configs\" is a query of the run, not a metric label, so its blank \
                 Actual cell was left alone; its row in the metrics table is labelled \"Avg join \
                 time\": name the document's row like that, or set `metric` of [[query]] \"join \
                 configs\" to the row's label",
                "line 5: no metric is labelled \"Page load\", so its blank Actual cell was left \
                 alone; name a query's `metric` exactly like the row, or fill the row by hand",
            ]
        );
    }

    #[test]
    fn other_tables_and_non_ascii_text_are_untouched() {
        let document = "Café ☕\n\n| Metric | Baseline | Target |\n|---|---|---|\n| Q | ___ | ___ |\n\n\
            | Métrique | baseline | TARGET | actual |\n| :-- | --: | :-: | --- |\n| Q | 1 ms | 2 ms |   TBD   |";
        let filled = fill(document, &[metric("Q", 1.0, 2.0, Some(1.5))]);
        let expected = "Café ☕\n\n| Metric | Baseline | Target |\n|---|---|---|\n| Q | ___ | ___ |\n\n\
            | Métrique | baseline | TARGET | actual |\n| :-- | --: | :-: | --- |\n| Q | 1 ms | 2 ms |   1.5 ms |";
        assert_eq!(filled.document, expected);
    }

    #[test]
    fn headers_qualify_only_with_a_full_set_of_columns() {
        let columns = |header: &str| {
            let row = markdown::split_row(header).unwrap();
            value_columns(header, &row).map(|c| c.into_iter().map(|(c, i)| (c.to_string(), i)))
        };
        let found: Vec<_> = columns("| Metric | Notes | ACTUAL | Target | Baseline | Actual |")
            .unwrap()
            .collect();
        let expected = [("Actual", 2), ("Target", 3), ("Baseline", 4)];
        assert_eq!(found, expected.map(|(c, i)| (c.to_string(), i)));
        assert!(columns("| Metric | Target | Actual |").is_none());
        assert!(columns("| Actual | Baseline | Target |").is_none());
        assert!(columns("| Metric | Before | After | Improvement |").is_some());
    }
}
