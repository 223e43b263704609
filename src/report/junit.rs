//! `--format junit`: JUnit XML for CI test tabs (GitLab, Jenkins, GitHub test reporters). One
//! `testsuites` named pgvet holding up to seven suites: indexes, tables, foreign_keys,
//! privileges, health, queries and metrics, with one testcase per index, table, foreign key,
//! grant, health finding (and health rule that found nothing), query and metrics-table row
//! (classname `pgvet.indexes`, `pgvet.foreign_keys`, `pgvet.health`, …). A health finding of
//! severity error is a `<failure>`; a warning passes, its message in system-out.
//!
//! A failed check is a `<failure>`; a query that could not run, or a metric whose SQL failed, is
//! an `<error>`. The `message` attribute holds the reason on one line and the element's text all
//! of it. A query's `time` is its median in seconds (quick-junit writes three decimals, so
//! sub-millisecond queries show 0.000; system-out has the exact figures). Indexes and metrics
//! have no time. system-out holds the plan summary, the timings and the baseline comparison. A
//! metric with no value (its query errored) is skipped; one with no target passes. No
//! timestamps, so the output depends on the report alone.

mod health;

use std::{slice, time::Duration};

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::contract::Entry;
use super::markdown::{pct, problem_names, value};
use super::model::{Better, IndexResult, MetricRow, MetricStatus, QueryResult, Report, Status};
use super::{counted, ms};

pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new("pgvet");
    let contract = super::contract::sections(report)
        .into_iter()
        .map(|section| {
            let cases = section
                .entries
                .iter()
                .map(|e| contract(e, section.kind.key()));
            suite(report, section.kind.key(), cases.collect())
        });
    let suites = [suite(
        report,
        "indexes",
        report.indexes.iter().map(index).collect(),
    )]
    .into_iter()
    .chain(contract)
    .chain([
        super::health::view(report).and_then(|view| suite(report, "health", health::cases(&view))),
        suite(
            report,
            "queries",
            report.queries.iter().map(query).collect(),
        ),
        suite(report, "metrics", metrics(report)),
    ]);
    junit.add_test_suites(suites.flatten());
    junit
        .to_string()
        .expect("writing XML to a String cannot fail")
}

/// A suite with the run's context as properties; none when there is nothing to test.
fn suite(report: &Report, name: &str, cases: Vec<TestCase>) -> Option<TestSuite> {
    if cases.is_empty() {
        return None;
    }
    let mut suite = TestSuite::new(name);
    suite.add_properties(properties(report));
    suite.add_test_cases(cases);
    Some(suite)
}

fn properties(report: &Report) -> Vec<Property> {
    let mut properties = vec![
        Property::new("pgvet_version", &report.pgvet_version),
        Property::new("suite", &report.suite),
        Property::new("database", &report.database),
    ];
    if let Some(server) = &report.server_version {
        properties.push(Property::new("server_version", server));
    }
    if let Some(baseline) = &report.baseline {
        properties.push(Property::new("baseline", &baseline.file));
    }
    properties
}

fn case(name: &str, classname: &str, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(name, status);
    case.set_classname(format!("pgvet.{classname}"));
    case
}

/// A failure or error: the reasons on one line as the message, one per line as the text.
fn non_success(kind: NonSuccessKind, reasons: &[String], ty: Option<String>) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    status.set_message(reasons.join("; ").replace(['\r', '\n'], " "));
    status.set_description(reasons.join("\n"));
    if let Some(ty) = ty {
        status.set_type(ty);
    }
    status
}

fn index(i: &IndexResult) -> TestCase {
    let status = match i.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Error => {
            let reason = i.message.clone().unwrap_or_default();
            non_success(NonSuccessKind::Error, &[reason], None)
        }
        Status::Fail => {
            let ty = problem_names(&i.problems);
            let reason = i.message.clone().unwrap_or_else(|| ty.join(", "));
            non_success(NonSuccessKind::Failure, &[reason], Some(ty.join(",")))
        }
    };
    let mut case = case(&i.name, "indexes", status);
    let mut out = vec![format!("table: {}.{}", i.schema, i.table)];
    if let Some(definition) = &i.definition {
        out.push(format!("definition: {definition}"));
    }
    if i.absent {
        out.push("expected absent".into());
    }
    case.set_system_out(out.join("\n"));
    case
}

/// A table, foreign key or grant: failed with its problems as the type, or errored.
fn contract(e: &Entry, classname: &str) -> TestCase {
    let reason = e.message.clone().unwrap_or_else(|| e.problems.join(", "));
    let status = match e.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Error => non_success(NonSuccessKind::Error, &[reason], None),
        Status::Fail => {
            let ty = Some(e.problems.join(","));
            non_success(NonSuccessKind::Failure, &[reason], ty)
        }
    };
    let mut case = case(&e.subject, classname, status);
    let out: Vec<&str> = e
        .note
        .into_iter()
        .chain(e.details.iter().map(String::as_str))
        .collect();
    if !out.is_empty() {
        case.set_system_out(out.join("\n"));
    }
    case
}

fn query(q: &QueryResult) -> TestCase {
    let status = match q.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Fail => {
            let why = q.diagnosis.iter().map(|d| d.line());
            let reasons: Vec<String> = q.problems.iter().cloned().chain(why).collect();
            non_success(NonSuccessKind::Failure, &reasons, regression(q))
        }
        Status::Error => {
            let reasons: Vec<String> = q.error.iter().chain(&q.problems).cloned().collect();
            non_success(NonSuccessKind::Error, &reasons, None)
        }
    };
    let mut case = case(&q.name, "queries", status);
    // A time too large for a Duration (a saved run edited by hand) is left out, not a panic.
    if let Some(time) = q
        .timing
        .as_ref()
        .and_then(|t| Duration::try_from_secs_f64(t.median_ms.max(0.0) / 1000.0).ok())
    {
        case.set_time(time);
    }
    case.set_system_out(query_out(q).join("\n"));
    case
}

/// "regression: index_lost" as the failure's type, when that is what failed.
fn regression(q: &QueryResult) -> Option<String> {
    let regression = q.baseline.as_ref()?.regression?;
    let name = serde_json::to_value(regression).ok()?;
    Some(format!("regression: {}", name.as_str()?))
}

fn query_out(q: &QueryResult) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(params) = super::params_line(q, true) {
        out.push(format!("params: {params}"));
    }
    out.push(format!("plan: {}", q.plan.as_deref().unwrap_or("—")));
    if let Some(t) = &q.timing {
        out.push(format!(
            "median {}, p95 {}, {}, {}",
            ms(t.median_ms),
            ms(t.p95_ms),
            counted(usize::try_from(t.rows).unwrap_or(usize::MAX), "row", "rows"),
            counted(t.runs as usize, "run", "runs")
        ));
    }
    if let Some(b) = &q.baseline {
        let then = b.median_ms.map_or_else(|| "—".into(), ms);
        let change = b
            .change_pct
            .map(|c| format!(" ({})", pct(c)))
            .unwrap_or_default();
        out.push(format!(
            "baseline: plan {}, median {then}{change}",
            b.plan.as_deref().unwrap_or("—")
        ));
    }
    out.extend(q.diagnosis.iter().map(|d| d.line()));
    out.extend(q.advice.iter().map(|a| a.line()));
    out.extend(q.notes.iter().map(|n| format!("note: {n}")));
    out
}

fn metrics(report: &Report) -> Vec<TestCase> {
    report.metrics.iter().map(metric).collect()
}

fn metric(m: &MetricRow) -> TestCase {
    let shown = |v: Option<f64>| v.map_or_else(|| "—".into(), |v| value(v, &m.unit));
    let status = match (&m.error, m.status, m.actual) {
        (Some(error), _, _) => non_success(NonSuccessKind::Error, slice::from_ref(error), None),
        (None, Some(MetricStatus::Missed), actual) => {
            let reason = match actual {
                Some(_) => format!(
                    "{} misses the target of {} ({} is better)",
                    shown(m.actual),
                    shown(m.target),
                    better(m)
                ),
                None => format!(
                    "no value to meet the target of {}: it was not measured",
                    shown(m.target)
                ),
            };
            non_success(NonSuccessKind::Failure, &[reason], Some("missed".into()))
        }
        (None, _, None) => {
            let mut skipped = TestCaseStatus::skipped();
            skipped.set_message("no value: the metric was not measured");
            skipped
        }
        (None, _, Some(_)) => TestCaseStatus::success(),
    };
    let mut case = case(&m.label, "metrics", status);
    let mut out = vec![
        format!("baseline: {}", shown(m.baseline)),
        format!("target: {}", shown(m.target)),
        format!("actual: {}", shown(m.actual)),
    ];
    if let Some(measured) = m.measured_baseline {
        out.insert(
            1,
            format!("measured baseline: {}", value(measured, &m.unit)),
        );
    }
    if let Some(change) = m.change_pct {
        out.push(format!("change: {}", pct(change)));
    }
    if let Some(q) = &m.query {
        out.push(format!("query: {q}"));
    }
    case.set_system_out(out.join("\n"));
    case
}

fn better(m: &MetricRow) -> &'static str {
    match m.better {
        Better::Lower => "lower",
        Better::Higher => "higher",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    /// Parses the XML back (quick-junit's reader, on quick-xml) and checks the counts.
    pub(super) fn parsed(xml: &str) -> quick_junit::Report {
        quick_junit::Report::deserialize_from_str(xml).expect("well-formed JUnit XML")
    }

    #[test]
    fn a_failing_run() {
        let xml = render(&samples::before());
        let junit = parsed(&xml);
        assert_eq!((junit.tests, junit.failures, junit.errors), (14, 12, 0));
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn a_passing_run_compared_with_the_run_before_the_migration() {
        let xml = render(&samples::after_with_baseline());
        let junit = parsed(&xml);
        assert_eq!((junit.tests, junit.failures, junit.errors), (14, 0, 0));
        let names: Vec<&str> = junit.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["indexes", "queries", "metrics"]);
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn errors_misses_and_regressions() {
        let xml = render(&samples::broken());
        let junit = parsed(&xml);
        // The errored query's time row has a target and no value: a failure, not a skip.
        assert_eq!((junit.tests, junit.failures, junit.errors), (16, 6, 2));
        assert_eq!(junit.skipped, 0);
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn each_table_foreign_key_and_grant_is_a_testcase() {
        let junit = parsed(&render(&samples::contract()));
        let names: Vec<&str> = junit.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "indexes",
                "tables",
                "foreign_keys",
                "privileges",
                "queries",
                "metrics"
            ]
        );
        assert_eq!((junit.tests, junit.failures, junit.errors), (19, 3, 0));
        let table = &junit.test_suites[1].test_cases[0];
        assert_eq!(
            (table.name.as_str(), table.classname.as_deref()),
            ("public.prediction_history", Some("pgvet.tables"))
        );
        let TestCaseStatus::NonSuccess { ty, message, .. } = &table.status else {
            panic!("the table failed")
        };
        assert_eq!(ty.as_deref(), Some("columns_differ,statistics_stale"));
        assert!(
            message
                .as_deref()
                .unwrap()
                .starts_with("table public.prediction_history: column created_at is missing")
        );
        let key = &junit.test_suites[2].test_cases[0];
        let out = key.system_out.as_ref().unwrap().as_str();
        assert!(out.contains("checklist: 3.2 foreign key"), "{out}");
        assert!(
            out.contains("constraint: prediction_history_model_id_fkey"),
            "{out}"
        );
    }

    #[test]
    fn markup_in_names_and_messages_is_escaped() {
        let mut report = samples::broken();
        report.queries[1].name = "a <b> & \"c\"".into();
        report.queries[1].error = Some("ERROR: ]]> <!-- \u{1b}[31m\nLINE 1".into());
        let junit = parsed(&render(&report));
        let case = &junit.test_suites[1].test_cases[1];
        assert_eq!(case.name.as_str(), "a <b> & \"c\"");
        let TestCaseStatus::NonSuccess { message, .. } = &case.status else {
            panic!("an errored query is an error")
        };
        assert_eq!(message.as_deref(), Some("ERROR: ]]> <!--  LINE 1"));
    }

    #[test]
    fn labels_units_and_impossible_times_keep_the_xml_whole() {
        let mut report = samples::broken();
        // Times too large or not a number for a Duration (a hand-edited run) panicked.
        report.queries[0].timing.as_mut().unwrap().median_ms = 1e308;
        report.queries[2].timing.as_mut().unwrap().median_ms = f64::NAN;
        let cache = report.metrics.iter_mut().find(|m| m.unit == "%").unwrap();
        cache.label = "cache\n<hit> & \u{1b}[2J ratio".into();
        cache.unit = "%\"/><x>".into();
        let junit = parsed(&render(&report));
        let queries = &junit.test_suites[1].test_cases;
        assert_eq!(queries[0].time, None);
        assert_eq!(queries[2].time, Some(Duration::ZERO));
        let metrics = &junit.test_suites[2].test_cases;
        let [.., cache, wal] = &metrics[..] else {
            panic!("the metrics suite has the [[metric]] rows last")
        };
        // The name comes back as written, less the terminal escape (quick-junit drops it).
        assert_eq!(cache.name.as_str(), "cache\n<hit> &  ratio");
        assert_eq!(wal.name.as_str(), "WAL size");
        let out = cache.system_out.as_ref().unwrap().as_str();
        assert!(out.contains("actual: 97.4 %\"/><x>"), "{out}");
    }
}
