//! The default output: tables for a terminal (indexes; queries with a plan summary; the metrics
//! table Metric | Baseline | Target | Actual | Status) and a one-line summary.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::model::{IndexResult, MetricRow, MetricStatus, QueryResult, Status};
use super::{Report, ms};

pub fn render(report: &Report) -> String {
    let mut out = format!(
        "pgvet {} · {} · PostgreSQL {} · {}\n",
        report.pgvet_version,
        report.suite,
        report.server_version.as_deref().unwrap_or("?"),
        report.database
    );
    if !report.indexes.is_empty() {
        out.push_str(&format!("\nIndexes\n{}\n", indexes(&report.indexes)));
    }
    if !report.queries.is_empty() {
        out.push_str(&format!("\nQueries\n{}\n", queries(&report.queries)));
    }
    if !report.metrics.is_empty() {
        out.push_str(&format!("\nMetrics\n{}\n", metrics(&report.metrics)));
    }
    out.push('\n');
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
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
            _ if r.absent => "absent, as expected".to_string(),
            _ => String::new(),
        };
        t.add_row(vec![
            r.name.clone(),
            format!("{}.{}", r.schema, r.table),
            status_word(r.status).into(),
            problem,
        ]);
    }
    t
}

fn queries(results: &[QueryResult]) -> Table {
    let mut t = table(&[
        "Query", "Status", "Plan", "Median", "p95", "Rows", "Findings",
    ]);
    for q in results {
        let findings: Vec<String> = q
            .error
            .iter()
            .chain(&q.problems)
            .chain(&q.notes)
            .cloned()
            .collect();
        let timing = q.timing.as_ref();
        t.add_row(vec![
            q.name.clone(),
            status_word(q.status).into(),
            q.plan.clone().unwrap_or_default(),
            timing.map(|t| ms(t.median_ms)).unwrap_or_default(),
            timing.map(|t| ms(t.p95_ms)).unwrap_or_default(),
            timing.map(|t| t.rows.to_string()).unwrap_or_default(),
            findings.join("\n"),
        ]);
    }
    t
}

fn metrics(rows: &[MetricRow]) -> Table {
    let mut t = table(&["Metric", "Baseline", "Target", "Actual", "Status"]);
    let cell = |v: Option<f64>| v.map(ms).unwrap_or_else(|| "—".into());
    for m in rows {
        let status = match m.status {
            Some(MetricStatus::Met) => "met",
            Some(MetricStatus::Missed) => "missed",
            None => "—",
        };
        t.add_row(vec![
            m.label.clone(),
            cell(m.baseline_ms),
            cell(m.target_ms),
            cell(m.actual_ms),
            status.into(),
        ]);
    }
    t
}

/// "PASS: 8 indexes and 4 queries checked, 2 metrics" or "FAIL: 8 of 8 indexes failed, …".
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    if report.status == Status::Pass {
        let mut line = format!(
            "PASS: {} indexes and {} queries checked",
            s.indexes_total, s.queries_total
        );
        if !report.metrics.is_empty() {
            line.push_str(&format!(", {} metrics", report.metrics.len()));
        }
        return line;
    }
    let mut parts = Vec::new();
    if s.indexes_failed > 0 {
        parts.push(format!(
            "{} of {} indexes failed",
            s.indexes_failed, s.indexes_total
        ));
    }
    if s.queries_failed > 0 {
        parts.push(format!(
            "{} of {} queries failed",
            s.queries_failed, s.queries_total
        ));
    }
    if s.queries_errored > 0 {
        parts.push(format!(
            "{} of {} queries errored",
            s.queries_errored, s.queries_total
        ));
    }
    format!("FAIL: {}", parts.join(", "))
}
