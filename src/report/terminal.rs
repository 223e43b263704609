//! The default output: tables for a terminal (indexes; queries with a plan summary; the metrics
//! table Metric | Baseline | Target | Actual | Status) and a one-line summary.
//!
//! Names, labels, plans and server messages come from the suite and the database, so every
//! piece of text passes through [`printable`]: a control character (an ESC that would start a
//! terminal escape sequence, a CR that would overwrite the line) is shown as an escape such as
//! `\u{1b}`, never sent to the terminal.

mod health;

use std::borrow::Cow;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::contract::{KINDS, Section};
use super::model::{IndexResult, MetricRow, MetricStatus, QueryResult, Status};
use super::{Report, counted, ms, of_total};

pub fn render(report: &Report) -> String {
    let suite = match report.suite.is_empty() {
        true => String::new(),
        false => format!(" · {}", report.suite),
    };
    let header = format!(
        "pgvet {}{suite} · PostgreSQL {} · {}{}",
        report.pgvet_version,
        report.server_version.as_deref().unwrap_or("?"),
        report.database,
        match report.tls {
            Some(true) => " · TLS",
            Some(false) => " · not encrypted",
            None => "",
        }
    );
    let mut out = format!("{}\n", printable_line(&header));
    if !report.indexes.is_empty() {
        out.push_str(&format!("\nIndexes\n{}\n", indexes(&report.indexes)));
    }
    for section in super::contract::sections(report) {
        out.push_str(&format!(
            "\n{}\n{}\n",
            section.kind.title(),
            contract(&section)
        ));
    }
    if let Some(view) = super::health::view(report) {
        out.push_str(&health::section(&view));
    }
    if !report.queries.is_empty() {
        out.push_str(&format!("\nQueries\n{}\n", queries(&report.queries)));
    }
    // Compared with a baseline, the comparison's metrics table (with Change) replaces this one.
    if !report.metrics.is_empty() && report.baseline.is_none() {
        out.push_str(&format!("\nMetrics\n{}\n", metrics(report)));
    }
    let comparison = super::compare_text::render(report);
    if !comparison.is_empty() {
        out.push('\n');
        out.push_str(&comparison);
    }
    out.push('\n');
    out.push_str(&printable_line(&summary_line(report)));
    out.push('\n');
    out
}

/// Text for a terminal: control characters escaped (`\u{1b}`, `\r`, `\t`), as are the
/// Unicode controls that reorder text (bidirectional overrides). Newlines stay: a table cell
/// may hold several lines.
pub fn printable(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c != '\n' && (c.is_control() || reorders(c));
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if c.is_control() && c != '\n' => out.extend(c.escape_default()),
            c if reorders(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`printable`] for a line of its own: a newline is escaped too.
pub fn printable_line(text: &str) -> String {
    printable(text).replace('\n', "\\n")
}

/// The bidirectional embedding, override and isolate controls.
fn reorders(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Adds a row whose cells are made [`printable`].
pub(crate) fn add_row(table: &mut Table, cells: Vec<String>) {
    table.add_row(cells.iter().map(|c| printable(c).into_owned()));
}

/// A table in pgvet's style. On a terminal it wraps to the terminal's width; written to a pipe
/// or a file it keeps every line whole.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    table
}

pub(crate) fn status_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "FAIL",
        Status::Error => "ERROR",
    }
}

fn indexes(results: &[IndexResult]) -> Table {
    let mut t = table(&["Index", "Table", "Status", "Problem"]);
    for r in results {
        let problem = match (&r.problem, &r.message) {
            (Some(p), Some(m)) => format!(
                "{}: {m}",
                serde_json::to_value(p).unwrap().as_str().unwrap_or("")
            ),
            (None, Some(m)) => m.clone(),
            _ if r.absent => "absent, as expected".to_string(),
            _ => String::new(),
        };
        add_row(
            &mut t,
            vec![
                r.name.clone(),
                format!("{}.{}", r.schema, r.table),
                status_word(r.status).into(),
                problem,
            ],
        );
    }
    t
}

/// Tables, foreign keys or grants: what was checked, its status and its problem.
fn contract(section: &Section) -> Table {
    let mut t = table(&[section.kind.column(), "Status", "Problem"]);
    for e in &section.entries {
        let problem = match (e.problems.first(), &e.message) {
            (Some(p), Some(m)) => format!("{p}: {m}"),
            (None, Some(m)) => m.clone(),
            _ => e.note.unwrap_or_default().to_string(),
        };
        add_row(
            &mut t,
            vec![e.subject.clone(), status_word(e.status).into(), problem],
        );
    }
    t
}

fn queries(results: &[QueryResult]) -> Table {
    let mut t = table(&[
        "Query", "Status", "Plan", "Median", "p95", "Rows", "Findings",
    ]);
    for q in results {
        let why = q.diagnosis.iter().map(|d| d.line());
        let findings: Vec<String> = q
            .error
            .iter()
            .chain(&q.problems)
            .cloned()
            .chain(why)
            .chain(q.advice.iter().map(|a| a.line()))
            .chain(q.notes.iter().cloned())
            .collect();
        let timing = q.timing.as_ref();
        add_row(
            &mut t,
            vec![
                query_cell(q),
                status_word(q.status).into(),
                q.plan.clone().unwrap_or_default(),
                timing.map(|t| ms(t.median_ms)).unwrap_or_default(),
                timing.map(|t| ms(t.p95_ms)).unwrap_or_default(),
                timing.map(|t| t.rows.to_string()).unwrap_or_default(),
                findings.join("\n"),
            ],
        );
    }
    t
}

/// A query's name, with its `params` on a second line.
pub(crate) fn query_cell(q: &QueryResult) -> String {
    match super::params_line(q, false) {
        Some(params) => format!("{}\n{params}", q.name),
        None => q.name.clone(),
    }
}

fn metrics(report: &Report) -> Table {
    let mut t = table(&["Metric", "Baseline", "Target", "Actual", "Status"]);
    for m in &report.metrics {
        let actual = match &m.error {
            Some(error) => format!("error: {error}"),
            None => metric_value(m.actual, &m.unit),
        };
        add_row(
            &mut t,
            vec![
                m.label.clone(),
                metric_value(m.baseline, &m.unit),
                target_cell(report, m),
                actual,
                metric_status(m).into(),
            ],
        );
    }
    t
}

/// The target with its unit, or a relative one ("≥ 50% faster").
pub(crate) fn target_cell(report: &Report, m: &MetricRow) -> String {
    match super::relative_target(report, m) {
        Some(pct) => format!("≥ {pct}% faster"),
        None => metric_value(m.target, &m.unit),
    }
}

/// "met", "missed", "error" or "—".
pub(crate) fn metric_status(m: &MetricRow) -> &'static str {
    match (m.status, &m.error) {
        (_, Some(_)) => "error",
        (Some(MetricStatus::Met), _) => "met",
        (Some(MetricStatus::Missed), _) => "missed",
        (None, None) => "—",
    }
}

/// A metric's value with its unit: query times as [`ms`], others with up to 4 significant
/// digits ("99.34%", "12 connections", "1.25e+09 bytes"); "—" when absent.
pub(crate) fn metric_value(value: Option<f64>, unit: &str) -> String {
    let Some(v) = value else { return "—".into() };
    if unit == "ms" {
        return ms(v);
    }
    let number = if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        let digits = (3 - v.abs().max(1e-9).log10().floor() as i32).clamp(0, 6) as usize;
        let fixed = format!("{v:.digits$}");
        if fixed.contains('.') {
            fixed
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        } else {
            fixed
        }
    };
    match unit {
        "" => number,
        "%" => format!("{number}%"),
        unit => format!("{number} {unit}"),
    }
}

/// "PASS: 8 indexes and 4 queries checked, 2 metrics" or "FAIL: 8 of 8 indexes failed, …".
pub fn summary_line(report: &Report) -> String {
    let line = verdict_line(report);
    match &report.aborted {
        Some(aborted) => format!(
            "{line} (stopped early: {}; later checks not run)",
            aborted.message
        ),
        None => line,
    }
}

fn verdict_line(report: &Report) -> String {
    let s = &report.summary;
    let indexes = |n: usize| counted(n, "index", "indexes");
    let queries = |n: usize| counted(n, "query", "queries");
    if report.status == Status::Pass {
        // What the suite has checks of (a suite without any is refused when loaded).
        let mut checked = Vec::new();
        if s.indexes_total > 0 {
            checked.push(indexes(s.indexes_total));
        }
        for kind in KINDS {
            let (total, (one, many)) = (kind.counts(s).0, kind.nouns());
            if total > 0 {
                checked.push(counted(total, one, many));
            }
        }
        let health = super::health::view(report);
        if let Some(view) = &health {
            checked.push(view.rules());
        }
        if s.queries_total > 0 || checked.is_empty() {
            checked.push(queries(s.queries_total));
        }
        let listed = match checked.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        let mut line = format!("PASS: {listed} checked");
        if !report.metrics.is_empty() {
            line.push_str(&format!(
                ", {}",
                counted(report.metrics.len(), "metric", "metrics")
            ));
        }
        if s.findings_warnings > 0 {
            let warnings = counted(s.findings_warnings, "health warning", "health warnings");
            line.push_str(&format!(", {warnings}"));
        }
        return line;
    }
    let mut parts = Vec::new();
    let of = |n: usize, total: usize, one: &str, many: &str| of_total(n, total, one, many);
    if s.indexes_failed > 0 {
        parts.push(format!(
            "{} failed",
            of(s.indexes_failed, s.indexes_total, "index", "indexes")
        ));
    }
    if s.indexes_errored > 0 {
        parts.push(format!(
            "{} could not be checked",
            of(s.indexes_errored, s.indexes_total, "index", "indexes")
        ));
    }
    for kind in KINDS {
        let ((total, failed, errored), (one, many)) = (kind.counts(s), kind.nouns());
        if failed > 0 {
            parts.push(format!("{} failed", of(failed, total, one, many)));
        }
        if errored > 0 {
            parts.push(format!(
                "{} could not be checked",
                of(errored, total, one, many)
            ));
        }
    }
    if let Some(view) = super::health::view(report) {
        parts.extend(view.failures());
    }
    if s.queries_failed > 0 {
        parts.push(format!(
            "{} failed",
            of(s.queries_failed, s.queries_total, "query", "queries")
        ));
    }
    if s.queries_errored > 0 {
        parts.push(format!(
            "{} errored",
            of(s.queries_errored, s.queries_total, "query", "queries")
        ));
    }
    if s.regressions > 0 {
        parts.push(format!(
            "{} against the baseline",
            counted(s.regressions, "regression", "regressions")
        ));
    }
    let metric_failures = report
        .metrics
        .iter()
        .filter(|m| {
            m.query.is_none() && (m.error.is_some() || m.status == Some(MetricStatus::Missed))
        })
        .count();
    if metric_failures > 0 {
        parts.push(format!(
            "{} missed or errored",
            counted(metric_failures, "metric", "metrics")
        ));
    }
    format!("FAIL: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(
            printable("a\u{1b}[2J\rb\tc\u{7f}\u{9b}d\ne"),
            "a\\u{1b}[2J\\rb\\tc\\u{7f}\\u{9b}d\ne"
        );
        assert_eq!(printable("ab\u{202e}cd"), "ab\\u{202e}cd");
        assert!(matches!(printable("né 中 → ✓"), Cow::Borrowed(_)));
        assert_eq!(printable_line("a\nb"), "a\\nb");
    }

    #[test]
    fn names_and_server_messages_cannot_reach_the_terminal_raw() {
        let mut report = samples::broken();
        report.suite = "suite\u{1b}]0;title\u{7}.toml".into();
        report.queries[1].name = "q \u{1b}[31mred".into();
        report.queries[1].error = Some("ERROR: \u{1b}[2J\r\u{9b}boom".into());
        report.metrics[0].label = "m\u{1b}[1A".into();
        report.indexes[0].message = Some("gone\u{1b}c".into());
        let mut aborted = report.clone();
        aborted.aborted = Some(crate::report::model::Aborted {
            reason: crate::report::model::AbortReason::ConnectionLost,
            message: "lost: \u{1b}[2J".into(),
        });
        for out in [render(&report), render(&aborted)] {
            assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
            assert!(out.contains("q \\u{1b}[31mred"), "{out}");
            assert!(out.contains("ERROR: \\u{1b}[2J\\r\\u{9b}boom"), "{out}");
        }
        assert!(render(&aborted).contains("lost: \\u{1b}[2J"));
    }

    #[test]
    fn the_schema_contract_has_a_table_per_kind_and_counts_in_the_summary() {
        let out = render(&samples::contract());
        for heading in ["\nTables\n", "\nForeign keys\n", "\nGrants\n"] {
            assert!(out.contains(heading), "{out}");
        }
        assert!(out.contains("│ public.model_backup "), "{out}");
        assert!(out.contains("absent, as expected"), "{out}");
        assert!(
            out.contains(
                "columns_differ: table public.prediction_history: column created_at is missing"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "not_indexed: no valid index on public.prediction_history leads with (model_id)"
            ),
            "{out}"
        );
        assert!(
            out.contains("privilege_missing: role app lacks INSERT and UPDATE"),
            "{out}"
        );
        assert!(
            out.ends_with(
                "FAIL: 1 of 2 tables failed, 1 of 1 foreign key failed, 1 of 2 grants failed\n"
            ),
            "{out}"
        );
        let mut passing = samples::contract();
        passing.tables.clear();
        passing.foreign_keys.clear();
        passing.privileges.remove(0);
        passing.summary = crate::report::model::Summary::of(&passing);
        passing.status = passing.summary.status();
        assert_eq!(
            summary_line(&passing),
            "PASS: 8 indexes, 1 grant and 4 queries checked, 2 metrics"
        );
    }

    #[test]
    fn metric_values_carry_their_unit() {
        assert_eq!(metric_value(Some(36.3), "ms"), "36.3 ms");
        assert_eq!(metric_value(Some(99.3456), "%"), "99.35%");
        assert_eq!(metric_value(Some(12.0), "connections"), "12 connections");
        assert_eq!(
            metric_value(Some(1_250_000_000.0), "bytes"),
            "1.250e9 bytes"
        );
        assert_eq!(metric_value(Some(0.5), ""), "0.5");
        assert_eq!(metric_value(None, "%"), "—");
    }
}
