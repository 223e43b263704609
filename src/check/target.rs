//! Time targets and the metrics table: one row per query that carries a metric label, a baseline
//! or a target. Actual is the measured median; met when it is at or under the target.

use crate::report::model::{Better, MetricRow, MetricStatus, QueryResult, Status, Timing};
use crate::suite::{Metric, Query};

/// The query's row in the metrics table, if it has one. A query that errored (or was
/// interrupted) has no Actual and no Status: its error is the query's, not a missed target.
pub fn metric_row(query: &Query, result: &QueryResult) -> Option<MetricRow> {
    if !query.has_metric() {
        return None;
    }
    let finished = result.status != Status::Error;
    let actual = result
        .timing
        .as_ref()
        .filter(|_| finished)
        .map(|t: &Timing| t.median_ms);
    Some(MetricRow {
        label: query.metric_label().to_string(),
        query: Some(query.name.clone()),
        unit: "ms".into(),
        better: Better::Lower,
        baseline: query.baseline_ms,
        target: query.target_ms,
        actual,
        measured_baseline: None,
        change_pct: percent_change(query.baseline_ms, actual),
        status: finished
            .then(|| status(Better::Lower, query.target_ms, actual))
            .flatten(),
        error: None,
        baseline_ms: query.baseline_ms,
        target_ms: query.target_ms,
        actual_ms: actual,
        checklist: query.checklist.clone(),
    })
}

/// A `[[metric]]`'s row from its measured value (or the error that prevented it).
pub fn suite_metric_row(metric: &Metric, value: Result<Option<f64>, String>) -> MetricRow {
    let (actual, error) = match value {
        Ok(v) => (v, None),
        Err(e) => (None, Some(e)),
    };
    MetricRow {
        label: metric.label.clone(),
        query: None,
        unit: metric.unit.clone(),
        better: metric.better,
        baseline: metric.baseline,
        target: metric.target,
        actual,
        measured_baseline: None,
        change_pct: percent_change(metric.baseline, actual),
        // A failed measurement is an error, counted as such rather than as a missed target.
        status: if error.is_some() {
            None
        } else {
            status(metric.better, metric.target, actual)
        },
        error,
        baseline_ms: None,
        target_ms: None,
        actual_ms: None,
        checklist: metric.checklist.clone(),
    }
}

/// Met when the value is on the better side of the target or equal to it; missed when there is
/// a target but no value (the query failed, or the metric's SQL returned NULL): the target
/// cannot be shown to be met.
pub fn status(better: Better, target: Option<f64>, actual: Option<f64>) -> Option<MetricStatus> {
    let target = target?;
    let Some(actual) = actual else {
        return Some(MetricStatus::Missed);
    };
    let met = match better {
        Better::Lower => actual <= target,
        Better::Higher => actual >= target,
    };
    Some(if met {
        MetricStatus::Met
    } else {
        MetricStatus::Missed
    })
}

/// (after − before) / before in percent; None when either side is missing or before is zero.
pub fn percent_change(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    match (before, after) {
        // A change too large for a float (from a tiny baseline) is no figure to show.
        (Some(b), Some(a)) if b != 0.0 => Some((a - b) / b.abs() * 100.0).filter(|p| p.is_finite()),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_that_errored_has_no_actual_and_no_status() {
        let suite = crate::suite::parse_str(
            std::path::Path::new("pgvet.toml"),
            "[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\ntarget_ms = 20\n",
        )
        .unwrap();
        let report = crate::report::samples::after();
        let mut result = report.queries[0].clone();
        assert!(result.timing.is_some());
        let row = metric_row(&suite.queries[0], &result).unwrap();
        assert!(row.actual.is_some() && row.status.is_some());
        // Interrupted after some runs: the figures are kept in the query, not judged here.
        result.status = Status::Error;
        let row = metric_row(&suite.queries[0], &result).unwrap();
        assert_eq!((row.actual, row.status, row.error), (None, None, None));
    }

    #[test]
    fn status_follows_which_way_is_better() {
        assert_eq!(
            status(Better::Lower, Some(20.0), Some(20.0)),
            Some(MetricStatus::Met)
        );
        assert_eq!(
            status(Better::Lower, Some(20.0), Some(20.1)),
            Some(MetricStatus::Missed)
        );
        assert_eq!(
            status(Better::Higher, Some(0.99), Some(0.995)),
            Some(MetricStatus::Met)
        );
        assert_eq!(
            status(Better::Higher, Some(0.99), Some(0.9)),
            Some(MetricStatus::Missed)
        );
        assert_eq!(status(Better::Lower, None, Some(1.0)), None);
        assert_eq!(
            status(Better::Higher, Some(0.99), None),
            Some(MetricStatus::Missed)
        );
    }

    #[test]
    fn percent_change_is_negative_when_lower() {
        assert_eq!(percent_change(Some(100.0), Some(20.0)), Some(-80.0));
        assert_eq!(percent_change(Some(0.0), Some(1.0)), None);
        assert_eq!(percent_change(None, Some(1.0)), None);
        assert_eq!(percent_change(Some(5e-324), Some(1e308)), None);
    }
}
