//! Before/after: two reports of the same suite side by side — per query the plan and median
//! before and now and the change in percent, and the metrics table with Baseline taken from the
//! measured run before (the declared baseline stays beside it). Pure: no database.

use serde::{Deserialize, Serialize};

use super::model::{MetricRow, MetricStatus, QueryResult, Report};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub queries: Vec<QueryChange>,
    pub metrics: Vec<MetricChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryChange {
    pub name: String,
    pub plan_before: Option<String>,
    pub plan_after: Option<String>,
    pub median_before_ms: Option<f64>,
    pub median_after_ms: Option<f64>,
    /// Negative is faster: (after − before) / before × 100.
    pub change_pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricChange {
    pub label: String,
    /// The median measured in the run before.
    pub baseline_ms: Option<f64>,
    /// The baseline the suite declares.
    pub declared_baseline_ms: Option<f64>,
    pub target_ms: Option<f64>,
    pub actual_ms: Option<f64>,
    pub change_pct: Option<f64>,
    pub status: Option<MetricStatus>,
}

/// Pairs the queries and metrics of two runs by name and label; a query present in only one
/// run is listed with the other side empty.
pub fn compare(before: &Report, after: &Report) -> Comparison {
    let mut queries: Vec<QueryChange> = after
        .queries
        .iter()
        .map(|a| change(before.queries.iter().find(|b| b.name == a.name), Some(a)))
        .collect();
    queries.extend(
        before
            .queries
            .iter()
            .filter(|b| !after.queries.iter().any(|a| a.name == b.name))
            .map(|b| change(Some(b), None)),
    );
    let metrics = after
        .metrics
        .iter()
        .map(|m| metric_change(before.metrics.iter().find(|b| b.label == m.label), m))
        .collect();
    Comparison { queries, metrics }
}

fn median(q: Option<&QueryResult>) -> Option<f64> {
    q.and_then(|q| q.timing.as_ref()).map(|t| t.median_ms)
}

fn change(before: Option<&QueryResult>, after: Option<&QueryResult>) -> QueryChange {
    let (b, a) = (median(before), median(after));
    QueryChange {
        name: after.or(before).map(|q| q.name.clone()).unwrap_or_default(),
        plan_before: before.and_then(|q| q.plan.clone()),
        plan_after: after.and_then(|q| q.plan.clone()),
        median_before_ms: b,
        median_after_ms: a,
        change_pct: percent(b, a),
    }
}

fn metric_change(before: Option<&MetricRow>, after: &MetricRow) -> MetricChange {
    let baseline = before.and_then(|b| b.actual_ms);
    MetricChange {
        label: after.label.clone(),
        baseline_ms: baseline,
        declared_baseline_ms: after.baseline_ms,
        target_ms: after.target_ms,
        actual_ms: after.actual_ms,
        change_pct: percent(baseline, after.actual_ms),
        status: after.status,
    }
}

/// (after − before) / before in percent; None when either side is missing or before is zero.
pub fn percent(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    match (before, after) {
        (Some(b), Some(a)) if b > 0.0 => Some((a - b) / b * 100.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_negative_when_faster() {
        assert_eq!(percent(Some(100.0), Some(20.0)), Some(-80.0));
        assert_eq!(percent(Some(0.0), Some(1.0)), None);
        assert_eq!(percent(None, Some(1.0)), None);
    }
}
