//! Time targets and the metrics table: one row per query that carries a metric label, a baseline
//! or a target. Actual is the measured median; met when it is at or under the target.

use crate::report::model::{MetricRow, MetricStatus, Timing};
use crate::suite::Query;

/// The query's row in the metrics table, if it has one.
pub fn metric_row(query: &Query, timing: Option<&Timing>) -> Option<MetricRow> {
    if !query.has_metric() {
        return None;
    }
    let actual_ms = timing.map(|t| t.median_ms);
    let status = match (query.target_ms, actual_ms) {
        (Some(target), Some(actual)) => Some(if actual <= target {
            MetricStatus::Met
        } else {
            MetricStatus::Missed
        }),
        _ => None,
    };
    Some(MetricRow {
        label: query.metric_label().to_string(),
        query: query.name.clone(),
        baseline_ms: query.baseline_ms,
        target_ms: query.target_ms,
        actual_ms,
        status,
    })
}

/// A missed target fails the query: the migration promised that time.
pub fn target_problem(query: &Query, timing: &Timing) -> Option<String> {
    let target = query.target_ms?;
    (timing.median_ms > target).then(|| {
        format!(
            "median {:.2} ms is over the target of {target} ms",
            timing.median_ms
        )
    })
}
