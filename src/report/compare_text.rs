//! The before/after section of the terminal output, for a report compared with a saved run
//! (`--baseline`, `pgvet compare`, the demo): per query the plan and median then and now, the
//! change and any regression; the metrics table with Baseline measured then.

use super::model::{MetricRow, QueryResult, Regression, Report};
use super::ms;
use super::terminal::{add_row, metric_status, printable_line, query_cell, table};

/// The section, or an empty string when the report was not compared with a baseline.
pub fn render(report: &Report) -> String {
    let Some(source) = &report.baseline else {
        return String::new();
    };
    let mut queries = table(&[
        "Query",
        "Plan then → now",
        "Then",
        "Now",
        "Change",
        "Regression",
    ]);
    for q in &report.queries {
        add_row(&mut queries, query_row(q));
    }
    let title = printable_line(&format!("Before / after (baseline: {})", source.file));
    let mut out = format!("{title}\n{queries}\n");
    if !report.metrics.is_empty() {
        let mut metrics = table(&["Metric", "Baseline", "Target", "Actual", "Change", "Status"]);
        for m in &report.metrics {
            add_row(&mut metrics, metric_row(report, m));
        }
        let title = printable_line(&format!("Metrics (Baseline measured in {})", source.file));
        out.push_str(&format!("\n{title}\n{metrics}\n"));
    }
    out
}

fn query_row(q: &QueryResult) -> Vec<String> {
    let Some(b) = &q.baseline else {
        return vec![
            query_cell(q),
            "(not in the baseline)".into(),
            "—".into(),
            opt_ms(median(q)),
            "—".into(),
            "".into(),
        ];
    };
    let plan = match (&b.plan, &q.plan) {
        (Some(then), Some(now)) if then == now => now.clone(),
        (then, now) => format!(
            "{}\n→ {}",
            then.as_deref().unwrap_or("—"),
            now.as_deref().unwrap_or("—")
        ),
    };
    let regression = match b.regression {
        Some(Regression::IndexLost) => "index lost",
        Some(Regression::Slower) => "slower",
        None => "",
    };
    vec![
        query_cell(q),
        plan,
        opt_ms(b.median_ms),
        opt_ms(median(q)),
        pct(b.change_pct),
        regression.into(),
    ]
}

fn metric_row(report: &Report, m: &MetricRow) -> Vec<String> {
    let value = |v: Option<f64>| super::terminal::metric_value(v, &m.unit);
    let baseline = match (m.measured_baseline, m.baseline) {
        (Some(measured), Some(declared)) => format!(
            "{} (declared {})",
            value(Some(measured)),
            value(Some(declared))
        ),
        (Some(measured), None) => value(Some(measured)),
        (None, Some(declared)) => format!("{} (declared)", value(Some(declared))),
        (None, None) => value(None),
    };
    vec![
        m.label.clone(),
        baseline,
        super::terminal::target_cell(report, m),
        value(m.actual),
        pct(m.change_pct),
        metric_status(m).into(),
    ]
}

fn median(q: &QueryResult) -> Option<f64> {
    q.timing.as_ref().map(|t| t.median_ms)
}

fn opt_ms(v: Option<f64>) -> String {
    v.map(ms).unwrap_or_else(|| "—".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:+.0}%")).unwrap_or_else(|| "—".into())
}
