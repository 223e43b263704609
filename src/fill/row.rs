//! One body row of a metrics table: which of its cells are blank placeholders, which metric the
//! row is about, what goes in each blank cell and the cell's new text.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use super::markdown::{Line, Row, split_row};
use super::value::{self, Style};
use super::{Column, FilledCell, FilledRow, Unfilled};
use crate::report::model::MetricRow;

/// Metric labels, matched exactly (after trimming) first, then ignoring case and runs of
/// white space.
pub struct Labels<'m> {
    exact: HashMap<&'m str, usize>,
    loose: HashMap<String, usize>,
}

impl<'m> Labels<'m> {
    pub fn new(metrics: &'m [MetricRow]) -> Labels<'m> {
        Labels::of(metrics.iter().map(|m| m.label.as_str()))
    }

    /// Labels in order; the first of two alike wins.
    fn of(labels: impl Iterator<Item = &'m str>) -> Labels<'m> {
        let mut found = Labels {
            exact: HashMap::new(),
            loose: HashMap::new(),
        };
        for (index, label) in labels.enumerate() {
            found.exact.entry(label.trim()).or_insert(index);
            found.loose.entry(loose(label)).or_insert(index);
        }
        found
    }

    pub fn find(&self, label: &str) -> Option<usize> {
        if label.is_empty() {
            return None;
        }
        let exact = self.exact.get(label);
        exact.or_else(|| self.loose.get(&loose(label))).copied()
    }
}

/// The run's query names, matched as labels are, for a row that names a query rather than a
/// metric: each with the label of its row in the metrics table, if it has one.
pub struct Queries<'q> {
    names: Labels<'q>,
    queries: Vec<(&'q str, Option<&'q str>)>,
}

impl<'q> Queries<'q> {
    pub fn new(names: &'q [String], metrics: &'q [MetricRow]) -> Queries<'q> {
        let label = |name: &str| {
            metrics
                .iter()
                .find(|m| m.query.as_deref() == Some(name))
                .map(|m| m.label.as_str())
        };
        Queries {
            names: Labels::of(names.iter().map(String::as_str)),
            queries: names.iter().map(|n| (n.as_str(), label(n))).collect(),
        }
    }

    /// The query a row's label names, and its metrics-table label.
    fn find(&self, label: &str) -> Option<(&'q str, Option<&'q str>)> {
        self.names.find(label).map(|index| self.queries[index])
    }
}

/// The label in lower case with white space runs as single spaces, trimmed.
pub(super) fn loose(label: &str) -> String {
    if !label.is_ascii() {
        let words: Vec<&str> = label.split_whitespace().collect();
        return words.join(" ").to_lowercase();
    }
    let mut key = String::with_capacity(label.len());
    let mut space = false;
    for &byte in label.trim().as_bytes() {
        if byte.is_ascii_whitespace() {
            space = true;
            continue;
        }
        if space {
            key.push(' ');
            space = false;
        }
        key.push(char::from(byte.to_ascii_lowercase()));
    }
    key
}

/// A placeholder waiting for a value: empty, white space, underscores (`___`, also written
/// `\_\_\_`) or `TBD`. A dash is not one: tables use it for "not applicable".
pub fn is_blank(cell: &str) -> bool {
    let text = cell.trim();
    text.is_empty()
        || text.eq_ignore_ascii_case("tbd")
        || (text.contains('_') && text.bytes().all(|b| b == b'_' || b == b'\\'))
}

/// What filling one row produced.
#[derive(Debug, Default)]
pub struct RowFill {
    /// Byte ranges of the document and their new text, in document order.
    pub edits: Vec<(Range<usize>, String)>,
    pub filled: Option<FilledRow>,
    pub unfilled: Vec<Unfilled>,
    /// The metric the row's label names.
    pub metric: Option<usize>,
}

/// Fills the blank cells of the row on `line`; `columns` are the table's value columns and
/// their cell indexes, in cell order.
pub fn fill_row(
    line: Line<'_>,
    columns: &[(Column, usize)],
    (labels, queries): (&Labels<'_>, &Queries<'_>),
    metrics: &[MetricRow],
) -> RowFill {
    let mut out = RowFill::default();
    let Some(row) = split_row(line.text) else {
        return out;
    };
    let cells = Cells { line, row: &row };
    if row.ambiguous {
        if (1..row.cells.len()).any(|index| cells.get(index).is_some_and(is_blank)) {
            let line = line.number;
            out.unfilled.push(Unfilled::AmbiguousRow { line });
        }
        return out;
    }
    let label = cells.get(0).unwrap_or_default().trim();
    let label = if label.contains("\\|") {
        Cow::Owned(label.replace("\\|", "|"))
    } else {
        Cow::Borrowed(label)
    };
    out.metric = labels.find(&label);
    let blank: Vec<(Column, usize)> = columns
        .iter()
        .copied()
        .filter(|&(_, index)| cells.get(index).is_some_and(is_blank))
        .collect();
    let blank_columns = || blank.iter().map(|&(column, _)| column).collect();
    match out.metric {
        Some(index) => fill_cells(&mut out, &cells, &metrics[index], columns, &blank),
        None if blank.is_empty() => {}
        None => out.unfilled.push(match queries.find(&label) {
            Some((query, metric)) => Unfilled::QueryNotLabelled {
                line: line.number,
                label: label.into_owned(),
                query: query.to_string(),
                metric: metric.map(str::to_string),
                columns: blank_columns(),
            },
            None => Unfilled::NoMetric {
                line: line.number,
                label: label.into_owned(),
                columns: blank_columns(),
            },
        }),
    }
    out
}

/// A row's cells on its line.
struct Cells<'l, 'r> {
    line: Line<'l>,
    row: &'r Row,
}

impl<'l> Cells<'l, '_> {
    fn get(&self, index: usize) -> Option<&'l str> {
        let range = self.row.cells.get(index)?;
        Some(&self.line.text[range.clone()])
    }
}

/// Fills the `blank` cells of a row about `metric`, and reports cells the row lacks.
fn fill_cells(
    out: &mut RowFill,
    cells: &Cells<'_, '_>,
    metric: &MetricRow,
    columns: &[(Column, usize)],
    blank: &[(Column, usize)],
) {
    let line = cells.line;
    for &(column, _) in columns.iter().filter(|&&(_, i)| i >= cells.row.cells.len()) {
        let label = metric.label.clone();
        let line = line.number;
        out.unfilled.push(Unfilled::MissingCell {
            line,
            label,
            column,
        });
    }
    let siblings: Vec<&str> = columns
        .iter()
        .filter(|&&(column, _)| column != Column::Improvement)
        .filter_map(|&(_, index)| cells.get(index))
        .filter(|text| !is_blank(text))
        .collect();
    let style = Style::of(&metric.unit, &siblings);
    let mut filled = Vec::new();
    for &(column, index) in blank {
        let text = match column {
            Column::Improvement => improvement(metric, columns, cells).map(value::write_change),
            _ => declared(column, metric).map(|v| style.write(v)).ok_or(None),
        };
        let text = match text {
            Ok(text) => text,
            Err(reason) => {
                out.unfilled.push(unfilled(line, metric, column, reason));
                continue;
            }
        };
        let range = cells.row.cells[index].clone();
        let new_cell = respace(&line.text[range.clone()], &text);
        out.edits
            .push((line.start + range.start..line.start + range.end, new_cell));
        filled.push(FilledCell {
            column,
            value: text,
        });
    }
    if !filled.is_empty() {
        let (line, label) = (line.number, metric.label.clone());
        let cells = filled;
        out.filled = Some(FilledRow { line, label, cells });
    }
}

fn unfilled(
    line: Line<'_>,
    metric: &MetricRow,
    column: Column,
    reason: Option<String>,
) -> Unfilled {
    let (line, label) = (line.number, metric.label.clone());
    match reason {
        Some(reason) => Unfilled::NoChange {
            line,
            label,
            reason,
        },
        None => Unfilled::NoValue {
            line,
            label,
            column,
            query: metric.query.clone(),
        },
    }
}

/// The metric's own value for a column (not Improvement, which is worked out).
fn declared(column: Column, metric: &MetricRow) -> Option<f64> {
    let value = match column {
        Column::Baseline | Column::Before => metric.measured_baseline.or(metric.baseline),
        Column::Target => metric.target,
        Column::Actual | Column::After => metric.actual,
        Column::Improvement => None,
    };
    value.filter(|v| v.is_finite())
}

/// The change from Before to After in percent, from the row's own cells where they hold a
/// value and from the metric where they are blank. Err(None) when the metric lacks a value,
/// Err(Some(why)) when a cell cannot be read.
fn improvement(
    metric: &MetricRow,
    columns: &[(Column, usize)],
    cells: &Cells<'_, '_>,
) -> Result<f64, Option<String>> {
    let side = |roles: [Column; 2]| -> Result<f64, Option<String>> {
        let found = roles
            .iter()
            .find_map(|role| columns.iter().find(|(column, _)| column == role));
        let column = found.map_or(roles[0], |&(column, _)| column);
        let written = found.and_then(|&(_, index)| cells.get(index));
        match written.filter(|text| !is_blank(text)) {
            Some(text) => value::read(text, &metric.unit).ok_or_else(|| {
                let unit = &metric.unit;
                Some(format!(
                    "the {column} cell `{}` is not a number in {unit}",
                    text.trim()
                ))
            }),
            None => declared(column, metric)
                .ok_or_else(|| Some(format!("the metric has no {column} value"))),
        }
    };
    let before = side([Column::Before, Column::Baseline])?;
    let after = side([Column::After, Column::Actual])?;
    value::change_pct(before, after).ok_or_else(|| Some("Before is zero".into()))
}

/// The cell's new text: `value` in place of the placeholder, the cell's leading white space
/// kept, and its trailing white space kept (at least one space) and widened so that a padded,
/// aligned column stays aligned when the value fits.
pub fn respace(cell: &str, value: &str) -> String {
    if cell.is_empty() {
        return value.to_string();
    }
    let content = cell.trim();
    let (lead, trailing) = if content.is_empty() {
        (" ", true)
    } else {
        let lead = &cell[..cell.len() - cell.trim_start().len()];
        (lead, cell.trim_end().len() < cell.len())
    };
    let mut out = format!("{lead}{value}");
    if trailing {
        let width = cell.chars().count();
        let pad = width.saturating_sub(out.chars().count()).max(1);
        out.extend(std::iter::repeat_n(' ', pad));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_blank_and_values_are_not() {
        for cell in ["", "   ", " ___ ", "_", r"\_\_\_", " TBD ", "tbd"] {
            assert!(is_blank(cell), "{cell:?}");
        }
        for cell in ["-", "—", "n/a", "0", "100ms", r"\", "__init__"] {
            assert!(!is_blank(cell), "{cell:?}");
        }
    }

    #[test]
    fn new_cells_keep_the_spacing_convention() {
        assert_eq!(respace(" ___ ", "0.412ms"), " 0.412ms ");
        assert_eq!(respace("___", "1ms"), "1ms");
        assert_eq!(respace("", "1ms"), "1ms");
        assert_eq!(respace("  ", "1ms"), " 1ms ");
        assert_eq!(respace(" ___      ", "3.7ms"), " 3.7ms    ");
        assert_eq!(respace(" ___", "3.7ms"), " 3.7ms");
        assert_eq!(respace("\t___\t", "3.7ms"), "\t3.7ms ");
    }

    #[test]
    fn labels_match_exactly_then_loosely() {
        let metric = |label: &str| MetricRow {
            label: label.into(),
            query: None,
            unit: "ms".into(),
            better: Default::default(),
            baseline: None,
            target: None,
            actual: None,
            measured_baseline: None,
            change_pct: None,
            status: None,
            error: None,
            baseline_ms: None,
            target_ms: None,
            actual_ms: None,
            checklist: None,
        };
        let metrics = [metric("Avg  Query time "), metric("avg query time")];
        let labels = Labels::new(&metrics);
        assert_eq!(labels.find("Avg  Query time"), Some(0));
        assert_eq!(labels.find("avg query time"), Some(1));
        assert_eq!(labels.find("AVG QUERY\tTIME"), Some(0));
        assert_eq!(labels.find("avg query"), None);
        assert_eq!(labels.find(""), None);
    }
}
