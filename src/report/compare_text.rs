//! The before/after comparison as terminal tables: plan and median per query, and the metrics
//! table with Baseline measured before the migration.

use super::compare::Comparison;
use super::model::MetricStatus;
use super::ms;
use super::terminal::table;

pub fn render(c: &Comparison) -> String {
    let mut queries = table(&["Query", "Plan before → after", "Before", "After", "Change"]);
    for q in &c.queries {
        let plan = match (&q.plan_before, &q.plan_after) {
            (Some(b), Some(a)) if b == a => a.clone(),
            (b, a) => format!(
                "{}\n→ {}",
                b.as_deref().unwrap_or("—"),
                a.as_deref().unwrap_or("—")
            ),
        };
        queries.add_row(vec![
            q.name.clone(),
            plan,
            opt_ms(q.median_before_ms),
            opt_ms(q.median_after_ms),
            pct(q.change_pct),
        ]);
    }
    let mut metrics = table(&["Metric", "Baseline", "Target", "Actual", "Change", "Status"]);
    for m in &c.metrics {
        let baseline = match (m.baseline_ms, m.declared_baseline_ms) {
            (Some(measured), Some(declared)) => {
                format!("{} (declared {})", ms(measured), ms(declared))
            }
            (measured, declared) => opt_ms(measured.or(declared)),
        };
        let status = match m.status {
            Some(MetricStatus::Met) => "met",
            Some(MetricStatus::Missed) => "missed",
            None => "—",
        };
        metrics.add_row(vec![
            m.label.clone(),
            baseline,
            opt_ms(m.target_ms),
            opt_ms(m.actual_ms),
            pct(m.change_pct),
            status.into(),
        ]);
    }
    let mut out = format!("Before / after\n{queries}\n");
    if !c.metrics.is_empty() {
        out.push_str(&format!(
            "\nMetrics (Baseline measured before the migration)\n{metrics}\n"
        ));
    }
    out
}

fn opt_ms(v: Option<f64>) -> String {
    v.map(ms).unwrap_or_else(|| "—".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:+.0}%")).unwrap_or_else(|| "—".into())
}
