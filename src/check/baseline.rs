//! Comparing a run with a saved one (`--baseline`, `pgvet compare`). Per query: the plan and
//! median then and now, the change in percent, and two kinds of regression. **Index lost**: a
//! relation read through an index then is seq-scanned now. **Slower**: the median grew by more
//! than a minimum change and beyond the runs' own noise, every run slower (see
//! [`slower`](super::slower), judged with the settings of the run compared, i.e. the later one).
//! A growth past the minimum change that the runs cannot confirm gets a note, not a failure.
//! A suite's `target_improvement` is checked against the measured median then.

use crate::check::slower::{self, Confirmed, Rule, Side, Verdict};
use crate::check::target::percent_change;
use crate::report::model::{
    BaselineSource, ConfirmedBy, MetricStatus, QueryBaseline, QueryResult, Regression, Report,
    ScanVerdict, Status, Summary,
};

/// The note a query with `target_improvement` gets when there is no baseline to judge it by.
pub const NOT_JUDGED_NOTE: &str =
    "target_improvement is judged only against a measured baseline (--baseline)";

/// The note of a query whose `params` differ from the baseline's: its plan and times then were
/// those of other values.
fn params_note(then: &QueryResult, now: &QueryResult) -> Option<String> {
    let values = |q: &QueryResult| {
        q.params
            .as_ref()
            .map(|p| p.iter().map(|v| v.value.clone()).collect::<Vec<_>>())
    };
    (values(then) != values(now)).then(|| {
        let then = crate::report::params_line(then, false).unwrap_or_else(|| "no params".into());
        format!(
            "the baseline ran with other params ({then}): its plan and times are of other values"
        )
    })
}

/// Compares `report` with `before` (read from `file`), in place: baselines, regressions,
/// target improvements, the metrics' measured baselines, and the summary and status.
pub fn apply(report: &mut Report, before: &Report, file: &str) {
    let rule = Rule::of(&report.settings);
    for query in &mut report.queries {
        let Some(then) = before.queries.iter().find(|b| b.name == query.name) else {
            continue;
        };
        let (baseline, note) = compare_query(then, query, rule);
        query.notes.extend(params_note(then, query));
        if let Some(problem) = regression_problem(&baseline, then, query) {
            query.problems.push(problem);
        }
        query.notes.extend(note);
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
    report.summary = Summary::of(report);
    report.status = report.summary.status();
    crate::check::diagnosis::refresh(report);
}

/// A query's side of the slower comparison: its timed runs and its plan's work.
fn side(q: &QueryResult) -> Option<Side<'_>> {
    let work = q.plan_figures.as_ref().and_then(|f| f.work.as_ref());
    q.timing.as_ref().map(|timing| Side { timing, work })
}

/// The comparison, and the note for a growth whose slowness could not be judged.
fn compare_query(
    then: &QueryResult,
    now: &QueryResult,
    rule: Rule,
) -> (QueryBaseline, Option<String>) {
    let (median_then, median_now) = (median(then), median(now));
    let judged = match (&then.timing, &now.timing, side(then), side(now)) {
        (Some(a), Some(b), Some(x), Some(y)) => Some((slower::judge(x, y, rule), a, b)),
        _ => None,
    };
    let verdict = judged.as_ref().map(|(j, ..)| j.verdict);
    let confirmed_by = match verdict {
        Some(Verdict::Slower(Confirmed::ByWork)) => Some(ConfirmedBy::Work),
        Some(Verdict::Slower(Confirmed::ByRuns)) => Some(ConfirmedBy::Runs),
        _ => None,
    };
    let regression = if index_lost(then, now).is_some() {
        Some(Regression::IndexLost)
    } else if confirmed_by.is_some() {
        Some(Regression::Slower)
    } else {
        None
    };
    let note = judged
        .as_ref()
        .filter(|_| regression.is_none())
        .and_then(|(j, a, b)| slower::note(j, a, b));
    let baseline = QueryBaseline {
        plan: then.plan.clone(),
        median_ms: median_then,
        change_pct: percent_change(median_then, median_now),
        noise_ms: judged.as_ref().and_then(|(j, ..)| j.noise_ms),
        min_change_ms: judged.as_ref().map(|(j, ..)| j.min_change_ms),
        regression,
        not_judged: match verdict {
            Some(Verdict::NotJudged(why)) => Some(why),
            _ => None,
        },
        reference_ratio: judged.as_ref().and_then(|(j, ..)| j.reference_ratio),
        adjusted_median_ms: judged.as_ref().and_then(|(j, ..)| j.adjusted_median_ms),
        work_ratio: judged.as_ref().and_then(|(j, ..)| j.work_ratio),
        confirmed_by: confirmed_by.filter(|_| regression == Some(Regression::Slower)),
    };
    (baseline, note)
}

fn median(q: &QueryResult) -> Option<f64> {
    q.timing.as_ref().map(|t| t.median_ms)
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
        Regression::Slower => slower_problem(baseline, now),
    }
}

/// The sentence for a `slower` regression: the change, and what confirmed it.
fn slower_problem(baseline: &QueryBaseline, now: &QueryResult) -> Option<String> {
    let median = now.timing.as_ref()?.median_ms;
    let then = baseline.median_ms?;
    let speed = match (baseline.reference_ratio, baseline.adjusted_median_ms) {
        (Some(k), Some(adjusted)) if (k - 1.0).abs() >= 0.05 => format!(
            " ({adjusted:.3} ms at the baseline's machine speed: the reference statement took {k:.2}× as long now)"
        ),
        _ => String::new(),
    };
    let head = format!(
        "regression: median {median:.3} ms{speed} is {:+.0}% against the baseline's {then:.3} ms",
        baseline.change_pct?
    );
    Some(match baseline.confirmed_by? {
        ConfirmedBy::Work => format!(
            "{head}, and the plan did {:.1}× the work (buffers, rows scanned): the query does more than it did",
            baseline.work_ratio?
        ),
        ConfirmedBy::Runs => format!(
            "{head}, more than the minimum change of {:.3} ms, beyond the runs' noise of {:.3} ms, and every run was slower",
            baseline.min_change_ms?, baseline.noise_ms?
        ),
    })
}

fn improvement_problem(now: &QueryResult, baseline: &QueryBaseline) -> Option<String> {
    let target = now.target_improvement_pct?;
    let faster = -baseline.change_pct?;
    let change = match faster {
        f if f.round() > 0.0 => format!("{f:.0}% faster"),
        f if f.round() < 0.0 => format!("{:.0}% slower", -f),
        _ => "no faster".to_string(),
    };
    (faster < target).then(|| {
        format!(
            "{change} than the baseline's {:.3} ms; the target is {target}% faster",
            baseline.median_ms.unwrap_or(0.0)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{NotJudged, ScanResult, Timing};

    fn timed(samples: &[f64]) -> Timing {
        Timing::from_samples(samples.to_vec(), 1, 10)
    }

    const DEFAULT: Rule = Rule {
        threshold_pct: slower::DEFAULT_THRESHOLD_PCT,
        floor_ms: slower::DEFAULT_FLOOR_MS,
    };

    #[test]
    fn a_baseline_with_other_params_is_noted() {
        use crate::report::model::ParamValue;
        use crate::suite::params::Param;
        let with = |value: i64| {
            let mut q = query("Index Scan using ix on t", vec![], &[1.0, 1.0, 1.0]);
            q.params = Some(vec![ParamValue {
                type_name: Some("integer".into()),
                value: Param::Integer(value),
            }]);
            q
        };
        assert_eq!(params_note(&with(3), &with(3)), None);
        assert_eq!(
            params_note(&with(3), &with(4)).unwrap(),
            "the baseline ran with other params ($1 = 3): its plan and times are of other values"
        );
        let plain = query("Index Scan using ix on t", vec![], &[1.0]);
        assert!(
            params_note(&plain, &with(4))
                .unwrap()
                .contains("(no params)")
        );
        assert_eq!(params_note(&plain, &plain), None);
    }

    fn query(plan: &str, scans: Vec<ScanResult>, samples: &[f64]) -> QueryResult {
        QueryResult {
            name: "q".into(),
            params: None,
            plan_kind: None,
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
            advice: Vec::new(),
            checklist: None,
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
        let (b, _) = compare_query(&then, &now, DEFAULT);
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
        let (b, _) = compare_query(&then, &faster, DEFAULT);
        assert_eq!(improvement_problem(&faster, &b), None);
        let not_enough = query("Index Scan", vec![], &[70.0, 70.0, 70.0]);
        let (b, _) = compare_query(&then, &not_enough, DEFAULT);
        let problem = improvement_problem(&not_enough, &b).unwrap();
        assert!(
            problem
                .starts_with("30% faster than the baseline's 100.000 ms; the target is 50% faster"),
            "{problem}"
        );
        let slower = query("Index Scan", vec![], &[106.0, 106.0, 106.0]);
        let (b, _) = compare_query(&then, &slower, DEFAULT);
        let problem = improvement_problem(&slower, &b).unwrap();
        assert!(
            problem.starts_with("6% slower than the baseline's 100.000 ms"),
            "{problem}"
        );
    }

    #[test]
    fn slower_is_a_regression_that_names_the_minimum_change_and_the_noise() {
        let then = query("Index Scan", vec![], &[10.0, 10.2, 9.8, 10.1, 9.9]);
        let now = query("Index Scan", vec![], &[20.0, 20.3, 19.8, 20.1, 19.9]);
        let (b, note) = compare_query(&then, &now, DEFAULT);
        assert_eq!(
            (b.regression, b.not_judged, note),
            (Some(Regression::Slower), None, None)
        );
        assert_eq!(b.min_change_ms, Some(4.0));
        let problem = regression_problem(&b, &then, &now).unwrap();
        assert!(
            problem.starts_with(
                "regression: median 20.000 ms is +100% against the baseline's 10.000 ms, more than the minimum change of 4.000 ms, beyond the runs' noise of 0.629 ms"
            ),
            "{problem}"
        );
    }

    #[test]
    fn growth_the_runs_cannot_confirm_is_a_note_in_the_report_not_a_failure() {
        let then = query("Index Scan", vec![], &[1.0, 1.0]);
        let now = query("Index Scan", vec![], &[9.0, 9.0]);
        let (b, note) = compare_query(&then, &now, DEFAULT);
        assert_eq!(
            (b.noise_ms, b.regression, b.not_judged),
            (None, None, Some(NotJudged::TooFewRuns))
        );
        assert!(
            note.unwrap()
                .starts_with("slowness not judged: the median grew by +800%")
        );

        let mut report = crate::report::samples::after();
        let mut before = report.clone();
        before.queries[0].timing = Some(timed(&[5.0, 9.0, 4.0, 12.0, 6.0]));
        report.queries[0].timing = Some(timed(&[8.0, 30.0, 5.0, 25.0, 9.0]));
        apply(&mut report, &before, "before.json");
        let q = &report.queries[0];
        let b = q.baseline.as_ref().unwrap();
        assert_eq!(
            (b.regression, b.not_judged),
            (None, Some(NotJudged::TooNoisy))
        );
        assert_eq!((q.status, report.summary.regressions), (Status::Pass, 0));
        assert!(
            q.notes
                .iter()
                .any(|n| n.starts_with("slowness not judged, the runs are too noisy")),
            "{:?}",
            q.notes
        );
    }

    #[test]
    fn the_minimum_change_is_the_compared_run_s_setting() {
        let mut report = crate::report::samples::after();
        let mut before = report.clone();
        before.queries[0].timing = Some(timed(&[10.0, 10.2, 9.8, 10.1, 9.9]));
        report.queries[0].timing = Some(timed(&[12.5, 12.7, 12.3, 12.6, 12.4]));
        let mut strict = report.clone();
        apply(&mut report, &before, "before.json");
        assert_eq!(
            report.queries[0].baseline.as_ref().unwrap().regression,
            None
        );
        strict.settings.slower_threshold_pct = 20.0;
        apply(&mut strict, &before, "before.json");
        let b = strict.queries[0].baseline.as_ref().unwrap();
        assert_eq!(
            (b.regression, b.min_change_ms),
            (Some(Regression::Slower), Some(2.0))
        );
        assert_eq!(strict.status, Status::Fail);
    }
}
