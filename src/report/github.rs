//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations
//! on the run and the pull request. One `::error` per failing index, table, foreign key, grant,
//! query and metric, titled like `pgvet: index ix_x missing`, `pgvet: table public.t
//! columns_differ` or `pgvet: query "name" failed`, then one
//! `::notice title=pgvet::…` with the verdict and its counts.
//!
//! A health finding of severity error is an `::error` titled `pgvet: duplicate-index
//! public.ix_dup`, its message followed by its fix; one of severity warning is a `::warning`
//! alike (GitHub shows 10 of each a step, so past 10 the tenth lists the rest). Otherwise no
//! `::warning`s: notes are passes by design (a small table's seq scan with a usable index),
//! and whatever deserves attention already fails, regressions included. A failing
//! query's annotation says why its index did not help, when pgvet diagnosed it; a passing query
//! with a diagnosis (no faster than a baseline with another plan) gets a `::notice` saying so. GitHub shows 10
//! error annotations per step, so past 10 failures the tenth annotation lists the rest (every
//! failure also stays in the log). When the suite path is relative (pgvet run from the
//! repository), annotations carry `file=` so they attach to the suite file. Data is escaped as
//! the runner expects: `%`, CR and LF as `%25`, `%0D`, `%0A`; properties also `:` and `,`.

use super::contract::Entry;
use super::markdown::{pct, problem_names, summary_parts, value};
use super::model::{IndexResult, MetricRow, MetricStatus, QueryResult, Regression, Report, Status};

/// Error annotations GitHub shows for one step.
const ERRORS_SHOWN: usize = 10;

/// One annotation: its title and message, before escaping.
struct Annotation {
    title: String,
    message: String,
}

pub fn render(report: &Report) -> String {
    let file = annotated_file(&report.suite);
    let mut out = String::new();
    for a in shown(failures(report)) {
        out.push_str(&command("error", &a.title, file, &a.message));
    }
    let warnings = health(report, crate::health::Severity::Warning);
    for a in shown(warnings) {
        out.push_str(&command("warning", &a.title, file, &a.message));
    }
    for a in report.queries.iter().filter_map(diagnosed_pass) {
        out.push_str(&command("notice", &a.title, file, &a.message));
    }
    let verdict = match report.status {
        Status::Pass => "PASS",
        _ => "FAIL",
    };
    let summary = format!("{verdict}: {}", summary_parts(report).join(" · "));
    out.push_str(&command("notice", "pgvet", None, &summary));
    out
}

/// `file=` only for a relative path inside the checkout; an absolute path would not match.
fn annotated_file(suite: &str) -> Option<&str> {
    let path = std::path::Path::new(suite);
    let inside = path.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    (inside && !suite.is_empty()).then_some(suite)
}

fn failures(report: &Report) -> Vec<Annotation> {
    let indexes = report.indexes.iter().filter_map(index);
    let contract = super::contract::sections(report)
        .into_iter()
        .flat_map(|section| {
            let one = section.kind.nouns().0;
            section
                .entries
                .into_iter()
                .filter_map(move |e| contract(one, e))
        });
    let queries = report.queries.iter().filter_map(query);
    let metrics = report.metrics.iter().filter_map(metric);
    let health_error = super::health::view(report).and_then(|view| {
        let error = view.run.error.as_ref()?;
        Some(Annotation {
            title: "pgvet: health rules could not be judged".into(),
            message: error.clone(),
        })
    });
    indexes
        .chain(contract)
        .chain(health(report, crate::health::Severity::Error))
        .chain(health_error)
        .chain(queries)
        .chain(metrics)
        .collect()
}

/// The health findings of one severity: the message, then the fix.
fn health(report: &Report, severity: crate::health::Severity) -> Vec<Annotation> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| Annotation {
            title: format!("pgvet: {} {}", f.rule, f.object),
            message: format!("{}\nFix: {}", f.message, f.fix),
        })
        .collect()
}

/// At most `ERRORS_SHOWN`: past that, the last one lists the failures that did not fit.
fn shown(mut all: Vec<Annotation>) -> Vec<Annotation> {
    if all.len() <= ERRORS_SHOWN {
        return all;
    }
    let rest = all.split_off(ERRORS_SHOWN - 1);
    let lines: Vec<String> = rest
        .iter()
        .map(|a| {
            let subject = a.title.trim_start_matches("pgvet: ");
            format!("{subject}: {}", first_line(&a.message))
        })
        .collect();
    all.push(Annotation {
        title: format!("pgvet: {} more failures", rest.len()),
        message: lines.join("\n"),
    });
    all
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn index(i: &IndexResult) -> Option<Annotation> {
    if i.status == Status::Pass {
        return None;
    }
    let problems = problem_names(&i.problems);
    Some(Annotation {
        title: format!("pgvet: index {} {}", i.name, problems.join(", ")),
        message: i.message.clone().unwrap_or_else(|| problems.join(", ")),
    })
}

/// A failed or errored table, foreign key or grant (`noun`).
fn contract(noun: &str, e: Entry) -> Option<Annotation> {
    let what = match e.status {
        Status::Pass => return None,
        Status::Error => "could not be checked".to_string(),
        Status::Fail => e.problems.join(", "),
    };
    Some(Annotation {
        title: format!("pgvet: {noun} {} {what}", e.subject),
        message: e.message.unwrap_or(what),
    })
}

fn query(q: &QueryResult) -> Option<Annotation> {
    let verb = match q.status {
        Status::Pass => return None,
        Status::Fail => "failed",
        Status::Error => "errored",
    };
    let regression = match q.baseline.as_ref().and_then(|b| b.regression) {
        Some(Regression::IndexLost) => " (regression: index lost)",
        Some(Regression::Slower) => " (regression: slower)",
        None => "",
    };
    let mut lines: Vec<String> = q.error.iter().chain(&q.problems).cloned().collect();
    lines.extend(q.diagnosis.iter().map(|d| d.line()));
    lines.extend(q.advice.iter().map(|a| a.line()));
    if let Some(params) = super::params_line(q, true) {
        lines.push(format!("Params: {params}"));
    }
    if let Some(plan) = &q.plan {
        lines.push(format!("Plan: {plan}"));
    }
    let then = q.baseline.as_ref().and_then(|b| b.plan.as_ref());
    if let Some(then) = then.filter(|&then| q.plan.as_ref() != Some(then)) {
        lines.push(format!("Plan in the baseline: {then}"));
    }
    Some(Annotation {
        title: format!("pgvet: query \"{}\" {verb}{regression}", q.name),
        message: lines.join("\n"),
    })
}

/// A passing query with a diagnosis (no faster than a baseline with another plan): a notice.
fn diagnosed_pass(q: &QueryResult) -> Option<Annotation> {
    let diagnosis = q.diagnosis.as_ref().filter(|_| q.status == Status::Pass)?;
    Some(Annotation {
        title: format!("pgvet: query \"{}\" {}", q.name, diagnosis.symptom),
        message: diagnosis.line(),
    })
}

fn metric(m: &MetricRow) -> Option<Annotation> {
    let shown = |v: Option<f64>| v.map_or_else(|| "—".into(), |v| value(v, &m.unit));
    if let Some(error) = &m.error {
        return Some(Annotation {
            title: format!("pgvet: metric \"{}\" errored", m.label),
            message: error.clone(),
        });
    }
    if m.status != Some(MetricStatus::Missed) {
        return None;
    }
    let mut message = format!("Actual {}, target {}", shown(m.actual), shown(m.target));
    let baseline = m.measured_baseline.or(m.baseline);
    if let (Some(_), Some(change)) = (baseline, m.change_pct) {
        message.push_str(&format!(", baseline {} ({})", shown(baseline), pct(change)));
    }
    Some(Annotation {
        title: format!("pgvet: metric \"{}\" missed its target", m.label),
        message,
    })
}

/// `::kind title=…[,file=…]::message` and a newline.
fn command(kind: &str, title: &str, file: Option<&str>, message: &str) -> String {
    let mut properties = format!("title={}", property(title));
    if let Some(file) = file {
        properties.push_str(&format!(",file={}", property(file)));
    }
    format!("::{kind} {properties}::{}\n", data(message))
}

/// A command's message: `%`, CR and LF escaped.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as data, and `:` and `,` too.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    #[test]
    fn a_failing_run() {
        let out = render(&samples::before());
        assert_eq!(
            out.lines().filter(|l| l.starts_with("::error ")).count(),
            10
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn a_passing_run_compared_with_the_run_before_the_migration() {
        insta::assert_snapshot!(render(&samples::after_with_baseline()));
    }

    #[test]
    fn a_failing_table_foreign_key_and_grant_are_annotated() {
        let out = render(&samples::contract());
        let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error ")).collect();
        assert_eq!(errors.len(), 3, "{out}");
        assert!(
            errors[0].starts_with("::error title=pgvet%3A table public.prediction_history columns_differ%2C statistics_stale,file=queries/codetune/pgvet.toml::table public.prediction_history: column created_at is missing"),
            "{out}"
        );
        assert!(
            errors[1].starts_with("::error title=pgvet%3A foreign key public.prediction_history (model_id) → public.predictive_models not_indexed,file=queries/codetune/pgvet.toml::no valid index"),
            "{out}"
        );
        assert!(
            errors[2].starts_with("::error title=pgvet%3A grant app%3A SELECT%2C INSERT%2C UPDATE on table public.prediction_history privilege_missing,file=queries/codetune/pgvet.toml::role app lacks INSERT and UPDATE"),
            "{out}"
        );
        assert!(out.ends_with("::notice title=pgvet::FAIL: 8 indexes passed · 1 of 2 tables failed · 1 of 1 foreign key failed · 1 of 2 grants failed · 4 queries passed · 2 of 2 metric targets met\n"), "{out}");
    }

    #[test]
    fn errors_misses_and_regressions() {
        insta::assert_snapshot!(render(&samples::broken()));
    }

    #[test]
    fn a_passing_query_no_faster_than_before_gets_a_notice_saying_why() {
        // The epoch filter as fast as its seq scan was: it passes, but its index did not help.
        let mut before = samples::before();
        before.queries[1].timing = samples::after().queries[1].timing.clone();
        let mut report = samples::after();
        crate::check::baseline::apply(&mut report, &before, "before.json");
        let out = render(&report);
        let notice = out
            .lines()
            .find(|l| l.starts_with("::notice title=pgvet%3A query"))
            .expect("a notice for the diagnosed query");
        assert!(
            notice.starts_with(
                "::notice title=pgvet%3A query \"filter by epoch\" is no faster than before (+0%25),file=queries/codetune/pgvet.toml::why it is no faster than before (+0%25): ix_training_metric_epoch returns 4,628 rows"
            ),
            "{notice}"
        );
        assert!(!out.contains("::error"), "{out}");
    }

    #[test]
    fn health_errors_are_errors_and_warnings_warnings_with_their_fix() {
        let out = render(&samples::health());
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("::error title=pgvet%3A duplicate-index public.ix_dup,file=queries/codetune/pgvet.toml::index public.ix_dup on public.orders duplicates"),
            "{out}"
        );
        assert!(
            lines[0].ends_with("%0AFix: DROP INDEX CONCURRENTLY public.ix_dup;"),
            "{out}"
        );
        let warnings = lines.iter().filter(|l| l.starts_with("::warning ")).count();
        assert_eq!(warnings, 2, "{out}");
        assert!(
            out.contains("::warning title=pgvet%3A fk-without-index public.lines_order_id_fkey"),
            "{out}"
        );
        assert!(
            lines
                .last()
                .unwrap()
                .contains("12 health rules: 1 error, 2 warnings"),
            "{out}"
        );
    }

    #[test]
    fn data_and_properties_are_escaped() {
        assert_eq!(
            data("100% done\r\nnext: a, b"),
            "100%25 done%0D%0Anext: a, b"
        );
        assert_eq!(property("pgvet: a, b%\n"), "pgvet%3A a%2C b%25%0A");
        let line = command("error", "t: x", Some("a,b.toml"), "m\n::stop-commands::x");
        assert_eq!(
            line,
            "::error title=t%3A x,file=a%2Cb.toml::m%0A::stop-commands::x\n"
        );
    }

    #[test]
    fn every_line_is_one_command() {
        let mut report = samples::broken();
        report.queries[1].name = "multi\nline: name, with % and ::".into();
        report.queries[1].error = Some("ERROR: boom\r\nDETAIL: more".into());
        let cache = report.metrics.iter_mut().find(|m| m.unit == "%").unwrap();
        cache.label = "hit: ratio, %\n::error::forged".into();
        cache.unit = "%25\r\n::warning::forged".into();
        let out = render(&report);
        for line in out.lines() {
            assert!(line.starts_with("::error title=pgvet%3A ") || line.starts_with("::notice"));
        }
        assert!(
            out.contains(
                "::error title=pgvet%3A metric \"hit%3A ratio%2C %25%0A%3A%3Aerror%3A%3Aforged\" missed its target"
            ),
            "{out}"
        );
        assert!(
            out.contains("Actual 97.4 %2525%0D%0A::warning::forged"),
            "{out}"
        );
    }

    #[test]
    fn only_relative_suite_paths_become_files() {
        assert_eq!(
            annotated_file("queries/x/pgvet.toml"),
            Some("queries/x/pgvet.toml")
        );
        assert_eq!(annotated_file("./pgvet.toml"), Some("./pgvet.toml"));
        assert_eq!(annotated_file("/etc/pgvet.toml"), None);
        assert_eq!(annotated_file("../other/pgvet.toml"), None);
    }
}
