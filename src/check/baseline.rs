//! Comparing a run with a saved one (`--baseline`, `pgvet compare`). Per query: the plan and
//! median then and now, the change in percent, and two kinds of regression. **Index lost**: a
//! relation read through an index then is seq-scanned now. **Slower**: decided from the runs'
//! own spread, never a fixed percentage. Each run's noise is its robust standard deviation,
//! 1.4826 × the median absolute deviation of its timed runs. A query counts as slower only when
//! (a) its median grew by more than 3 × √(σ_then² + σ_now²) and (b) every timed run now was
//! slower than every timed run then. With fewer than 3 runs on either side there is no spread to
//! judge by, and slowness is not judged. One noisy run moves neither the median nor the MAD, and
//! one fast run breaks (b), so a single outlier cannot fail a build.
//! A suite's `target_improvement` is checked against the measured median then.

use crate::check::target::percent_change;
use crate::report::model::{
    BaselineSource, MetricStatus, QueryBaseline, QueryResult, Regression, Report, ScanVerdict,
    Status, Summary, Timing,
};

/// The note a query with `target_improvement` gets when there is no baseline to judge it by.
pub const NOT_JUDGED_NOTE: &str =
    "target_improvement is judged only against a measured baseline (--baseline)";

/// Fewer timed runs than this on either side: no spread to judge slowness by.
pub const MIN_RUNS_FOR_NOISE: usize = 3;

/// Compares `report` with `before` (read from `file`), in place: baselines, regressions,
/// target improvements, the metrics' measured baselines, and the summary and status.
pub fn apply(report: &mut Report, before: &Report, file: &str) {
    for query in &mut report.queries {
        let Some(then) = before.queries.iter().find(|b| b.name == query.name) else {
            continue;
        };
        let baseline = compare_query(then, query);
        if let Some(problem) = regression_problem(&baseline, then, query) {
            query.problems.push(problem);
        }
        if let Some(problem) = improvement_problem(query, &baseline) {
            query.problems.push(problem);
        }
        if query.status == Status::Pass && !query.problems.is_empty() {
            query.status = Status::Fail;
        }
        query.baseline = Some(baseline);
    }
    let queries = &report.queries;
    for metric in &mut report.metrics {
        let query = metric
            .query
            .as_ref()
            .and_then(|q| queries.iter().find(|r| &r.name == q));
        // The row of the run before, or for a query time its median then (the row may be new).
        let measured = match before.metrics.iter().find(|b| b.label == metric.label) {
            Some(then) => then.actual,
            None => query
                .and_then(|q| q.baseline.as_ref())
                .and_then(|b| b.median_ms),
        };
        if measured.is_none() {
            continue;
        }
        metric.measured_baseline = measured;
        metric.change_pct = percent_change(measured, metric.actual);
        // Without an absolute target, a relative one decides the row's status.
        let improvement = query.and_then(|q| q.target_improvement_pct);
        if let (None, Some(target), Some(change)) = (metric.target, improvement, metric.change_pct)
        {
            metric.status = Some(if -change >= target {
                MetricStatus::Met
            } else {
                MetricStatus::Missed
            });
        }
    }
    for query in &mut report.queries {
        query.notes.retain(|n| n != NOT_JUDGED_NOTE);
    }
    report.baseline = Some(BaselineSource {
        file: file.to_string(),
        pgvet_version: before.pgvet_version.clone(),
        server_version: before.server_version.clone(),
        database: before.database.clone(),
    });
    report.summary = Summary::of(&report.indexes, &report.queries, &report.metrics);
    report.status = report.summary.status();
    crate::check::diagnosis::refresh(report);
}

fn compare_query(then: &QueryResult, now: &QueryResult) -> QueryBaseline {
    let (median_then, median_now) = (median(then), median(now));
    let noise_ms = match (&then.timing, &now.timing) {
        (Some(a), Some(b))
            if a.samples_ms.len() >= MIN_RUNS_FOR_NOISE
                && b.samples_ms.len() >= MIN_RUNS_FOR_NOISE =>
        {
            Some(3.0 * (sigma(a).powi(2) + sigma(b).powi(2)).sqrt())
        }
        _ => None,
    };
    let regression = if index_lost(then, now).is_some() {
        Some(Regression::IndexLost)
    } else if slower(then.timing.as_ref(), now.timing.as_ref(), noise_ms) {
        Some(Regression::Slower)
    } else {
        None
    };
    QueryBaseline {
        plan: then.plan.clone(),
        median_ms: median_then,
        change_pct: percent_change(median_then, median_now),
        noise_ms,
        regression,
    }
}

fn median(q: &QueryResult) -> Option<f64> {
    q.timing.as_ref().map(|t| t.median_ms)
}

/// Robust standard deviation: 1.4826 × median absolute deviation.
pub fn sigma(timing: &Timing) -> f64 {
    let mut deviations: Vec<f64> = timing
        .samples_ms
        .iter()
        .map(|s| (s - timing.median_ms).abs())
        .collect();
    deviations.sort_by(f64::total_cmp);
    let n = deviations.len();
    if n == 0 {
        return 0.0;
    }
    let mad = if n % 2 == 1 {
        deviations[n / 2]
    } else {
        (deviations[n / 2 - 1] + deviations[n / 2]) / 2.0
    };
    1.4826 * mad
}

fn slower(then: Option<&Timing>, now: Option<&Timing>, noise_ms: Option<f64>) -> bool {
    let (Some(then), Some(now), Some(noise)) = (then, now, noise_ms) else {
        return false;
    };
    let every_run_slower = now.min_ms > then.max_ms;
    now.median_ms - then.median_ms > noise && every_run_slower
}

/// A relation read through an index then and seq-scanned (and judged) now.
fn index_lost<'a>(then: &'a QueryResult, now: &QueryResult) -> Option<&'a str> {
    then.scans
        .iter()
        .filter(|s| s.index.is_some())
        .find_map(|s| {
            let relation = s.relation.as_deref()?;
            now.scans
                .iter()
                .any(|n| {
                    n.relation.as_deref() == Some(relation)
                        && n.node_type == "Seq Scan"
                        && n.verdict != ScanVerdict::Allowed
                })
                .then_some(relation)
        })
}

fn regression_problem(
    baseline: &QueryBaseline,
    then: &QueryResult,
    now: &QueryResult,
) -> Option<String> {
    match baseline.regression? {
        Regression::IndexLost => Some(format!(
            "regression: {} was read through an index in the baseline ({}) and is seq-scanned now",
            index_lost(then, now).unwrap_or("a relation"),
            then.plan.as_deref().unwrap_or("")
        )),
        Regression::Slower => Some(format!(
            "regression: median {:.3} ms is {:+.0}% against the baseline's {:.3} ms, beyond the runs' noise of {:.3} ms, and every run was slower",
            now.timing.as_ref()?.median_ms,
            baseline.change_pct?,
            baseline.median_ms?,
            baseline.noise_ms?
        )),
    }
}

fn improvement_problem(now: &QueryResult, baseline: &QueryBaseline) -> Option<String> {
    let target = now.target_improvement_pct?;
    let faster = -baseline.change_pct?;
    (faster < target).then(|| {
        format!(
            "{faster:.0}% faster than the baseline's {:.3} ms; the target is {target}% faster",
            baseline.median_ms.unwrap_or(0.0)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::ScanResult;

    fn timed(samples: &[f64]) -> Timing {
        Timing::from_samples(samples.to_vec(), 1, 10)
    }

    #[test]
    fn sigma_is_robust_to_one_outlier() {
        assert!((sigma(&timed(&[10.0, 10.2, 9.8, 10.1, 9.9])) - 1.4826 * 0.1).abs() < 1e-9);
        assert!((sigma(&timed(&[10.0, 10.2, 9.8, 10.1, 95.0])) - 1.4826 * 0.1).abs() < 1e-9);
    }

    #[test]
    fn a_clear_slowdown_is_a_regression() {
        let (then, now) = (
            timed(&[10.0, 10.2, 9.8, 10.1, 9.9]),
            timed(&[15.0, 15.3, 14.8, 15.1, 14.9]),
        );
        assert!(slower(
            Some(&then),
            Some(&now),
            Some(3.0 * 2f64.sqrt() * 1.4826 * 0.1)
        ));
    }

    #[test]
    fn one_noisy_run_is_not_a_regression() {
        let then = timed(&[10.0, 10.2, 9.8, 10.1, 9.9]);
        let now = timed(&[10.1, 9.9, 10.0, 40.0, 10.2]);
        let noise = 3.0 * (sigma(&then).powi(2) + sigma(&now).powi(2)).sqrt();
        assert!(!slower(Some(&then), Some(&now), Some(noise)));
    }

    #[test]
    fn a_shift_within_the_spread_is_not_a_regression() {
        let then = timed(&[10.0, 12.0, 8.0, 11.0, 9.0]);
        let now = timed(&[11.0, 13.0, 9.5, 12.0, 10.5]);
        let noise = 3.0 * (sigma(&then).powi(2) + sigma(&now).powi(2)).sqrt();
        assert!(!slower(Some(&then), Some(&now), Some(noise)));
    }

    fn query(plan: &str, scans: Vec<ScanResult>, samples: &[f64]) -> QueryResult {
        QueryResult {
            name: "q".into(),
            status: Status::Pass,
            error: None,
            expect: crate::suite::Expect::Index,
            writes: false,
            plan: Some(plan.into()),
            scans,
            problems: vec![],
            notes: vec![],
            timing: Some(timed(samples)),
            explain_execution_ms: None,
            baseline_ms: None,
            target_ms: None,
            target_improvement_pct: Some(50.0),
            baseline: None,
            plan_figures: None,
            diagnosis: None,
        }
    }

    fn scan(node_type: &str, index: Option<&str>, verdict: ScanVerdict) -> ScanResult {
        ScanResult {
            relation: Some("training_metric".into()),
            schema: Some("public".into()),
            node_type: node_type.into(),
            index: index.map(str::to_string),
            parallel: false,
            rows_estimated: None,
            rows_actual: None,
            loops: None,
            relation_rows: None,
            usable_index: None,
            context: None,
            verdict,
        }
    }

    #[test]
    fn an_index_lost_is_a_regression_even_when_faster() {
        let then = query(
            "Index Scan",
            vec![scan("Index Scan", Some("ix"), ScanVerdict::Ok)],
            &[5.0, 5.0, 5.0],
        );
        let now = query(
            "Seq Scan",
            vec![scan("Seq Scan", None, ScanVerdict::IndexUsable)],
            &[1.0, 1.0, 1.0],
        );
        let b = compare_query(&then, &now);
        assert_eq!(b.regression, Some(Regression::IndexLost));
        assert!(
            regression_problem(&b, &then, &now)
                .unwrap()
                .contains("training_metric was read through an index")
        );
    }

    #[test]
    fn target_improvement_is_checked_against_the_measured_median() {
        let then = query("Seq Scan", vec![], &[100.0, 100.0, 100.0]);
        let faster = query("Index Scan", vec![], &[40.0, 40.0, 40.0]);
        assert_eq!(
            improvement_problem(&faster, &compare_query(&then, &faster)),
            None
        );
        let not_enough = query("Index Scan", vec![], &[70.0, 70.0, 70.0]);
        let problem = improvement_problem(&not_enough, &compare_query(&then, &not_enough)).unwrap();
        assert!(
            problem
                .starts_with("30% faster than the baseline's 100.000 ms; the target is 50% faster"),
            "{problem}"
        );
    }

    #[test]
    fn too_few_runs_leave_slowness_unjudged() {
        let then = query("Index Scan", vec![], &[1.0, 1.0]);
        let now = query("Index Scan", vec![], &[9.0, 9.0]);
        let b = compare_query(&then, &now);
        assert_eq!((b.noise_ms, b.regression), (None, None));
    }
}
