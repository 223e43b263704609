//! `--format markdown`: the report as GitHub-flavoured Markdown, to paste into a pull request. A
//! one-line verdict; the metrics table `| Metric | Baseline | Target | Actual | Status |`; the
//! indexes, failures first; the queries, with plan, median and p95, and, when the run was compared
//! with a saved one, the plan and median then → now and the regressions.
//!
//! Actual carries the change against Baseline in brackets, e.g. `0.456 ms (-91.1%)`. Baseline is
//! the measured baseline when there is one, with the declared one beside it. Table cells escape
//! `|` and keep to one line; free text escapes Markdown's punctuation. No HTML.

mod contract;
mod health;

use super::contract::{KINDS, sections};
use super::model::{
    IndexProblem, IndexResult, MetricRow, MetricStatus, QueryResult, Regression, Report, Status,
};
use super::{counted, ms, of_total};

pub fn render(report: &Report) -> String {
    let mut sections = vec![format!("{}\n\n{}\n", summary_line(report), context(report))];
    if !report.metrics.is_empty() {
        sections.push(format!("### Metrics\n\n{}", metrics(report)));
    }
    if !report.indexes.is_empty() {
        sections.push(indexes(report));
    }
    sections.extend(self::sections(report).iter().map(contract::section));
    if let Some(view) = super::health::view(report) {
        sections.push(health::section(&view));
    }
    if !report.queries.is_empty() {
        sections.push(queries(report));
    }
    sections.join("\n")
}

/// "❌ **pgvet: FAIL** · 8 of 8 indexes failed · …".
fn summary_line(report: &Report) -> String {
    let verdict = match report.status {
        Status::Pass => "✅ **pgvet: PASS**",
        _ => "❌ **pgvet: FAIL**",
    };
    let mut parts = vec![verdict.to_string()];
    parts.extend(summary_parts(report).iter().map(|p| text(p)));
    parts.join(" · ")
}

/// The counts behind the verdict, plain text: "1 of 8 indexes failed", "4 queries passed",
/// "1 of 3 metric targets missed, 1 metric errored", "2 regressions against after.json".
pub(crate) fn summary_parts(report: &Report) -> Vec<String> {
    let s = &report.summary;
    let mut parts = Vec::new();
    let (indexes, failed) = (s.indexes_total, s.indexes_failed);
    if indexes > 0 {
        parts.push(tally(
            failed,
            s.indexes_errored,
            indexes,
            "index",
            "indexes",
        ));
    }
    for kind in KINDS {
        let ((total, failed, errored), (one, many)) = (kind.counts(s), kind.nouns());
        if total > 0 {
            parts.push(tally(failed, errored, total, one, many));
        }
    }
    if let Some(view) = super::health::view(report) {
        let mut part = format!("{}: {}", view.rules(), view.tally());
        if view.run.error.is_some() {
            part = format!("{}: could not be judged", view.rules());
        }
        parts.push(part);
    }
    if s.queries_total > 0 {
        let (failed, errored) = (s.queries_failed, s.queries_errored);
        parts.push(tally(failed, errored, s.queries_total, "query", "queries"));
    }
    let judged = report.metrics.iter().filter(|m| m.status.is_some()).count();
    if judged > 0 || s.metrics_errored > 0 {
        let mut part = match s.metrics_missed {
            0 => format!(
                "{} met",
                of_total(judged, judged, "metric target", "metric targets")
            ),
            n => format!(
                "{} missed",
                of_total(n, judged, "metric target", "metric targets")
            ),
        };
        if s.metrics_errored > 0 {
            let errored = counted(s.metrics_errored, "metric", "metrics");
            part.push_str(&format!(", {errored} errored"));
        }
        parts.push(part);
    }
    if let Some(baseline) = &report.baseline {
        let regressions = match s.regressions {
            0 => "no regressions".to_string(),
            n => counted(n, "regression", "regressions"),
        };
        parts.push(format!("{regressions} against {}", baseline.file));
    }
    parts
}

/// "3 indexes passed", "1 of 8 indexes failed", "2 of 4 queries failed, 1 errored".
fn tally(failed: usize, errored: usize, total: usize, one: &str, many: &str) -> String {
    let noun = if total == 1 { one } else { many };
    match (failed, errored) {
        (0, 0) => format!("{total} {noun} passed"),
        (0, e) => format!("{e} of {total} {noun} errored"),
        (f, 0) => format!("{f} of {total} {noun} failed"),
        (f, e) => format!("{f} of {total} {noun} failed, {e} errored"),
    }
}

/// Which pgvet, suite, server and database; and the saved run compared with.
fn context(report: &Report) -> String {
    let server = report.server_version.as_deref().unwrap_or("?");
    let suite = match report.suite.is_empty() {
        true => String::new(),
        false => format!(" · suite {}", code(&report.suite)),
    };
    let mut line = format!(
        "pgvet {}{suite} · PostgreSQL {} · {}",
        text(&report.pgvet_version),
        text(server),
        code(&report.database)
    );
    if let Some(b) = &report.baseline {
        let server = b.server_version.as_deref().unwrap_or("?");
        line.push_str(&format!(
            "\n\nBaseline: {} (pgvet {}, PostgreSQL {}, {})",
            code(&b.file),
            text(&b.pgvet_version),
            text(server),
            code(&b.database)
        ));
    }
    line
}

fn metrics(report: &Report) -> String {
    let mut out = String::from("| Metric | Baseline | Target | Actual | Status |\n");
    out.push_str("|---|--:|--:|--:|---|\n");
    for m in &report.metrics {
        let target = match (m.target, super::relative_target(report, m)) {
            (Some(t), _) => amount(t, &m.unit),
            (None, Some(pct)) => format!("{}% faster", number(pct)),
            (None, None) => "—".into(),
        };
        let status = match (m.status, &m.error) {
            (_, Some(error)) => format!("**error**: {}", text(error)),
            (Some(MetricStatus::Met), None) => "met".into(),
            (Some(MetricStatus::Missed), None) => "**missed**".into(),
            (None, None) => "—".into(),
        };
        out.push_str(&row(&[
            text(&m.label),
            metric_baseline(m),
            target,
            metric_actual(m),
            status,
        ]));
    }
    out
}

/// "36.3 ms (declared 100 ms)" when measured in a saved run, else the declared one.
fn metric_baseline(m: &MetricRow) -> String {
    match (m.measured_baseline, m.baseline) {
        (Some(measured), Some(declared)) => format!(
            "{} (declared {})",
            amount(measured, &m.unit),
            amount(declared, &m.unit)
        ),
        (measured, declared) => measured
            .or(declared)
            .map_or_else(|| "—".into(), |v| amount(v, &m.unit)),
    }
}

/// "0.456 ms (-91.1%)": the value and its change against Baseline.
fn metric_actual(m: &MetricRow) -> String {
    match (m.actual, m.change_pct) {
        (Some(actual), Some(change)) => format!("{} ({})", amount(actual, &m.unit), pct(change)),
        (Some(actual), None) => amount(actual, &m.unit),
        (None, _) => "—".into(),
    }
}

/// Failures in a table with their problem and message; passing indexes in one line.
fn indexes(report: &Report) -> String {
    let (failed, passed): (Vec<&IndexResult>, Vec<&IndexResult>) = report
        .indexes
        .iter()
        .partition(|i| i.status != Status::Pass);
    let total = report.indexes.len();
    let mut parts = Vec::new();
    if !failed.is_empty() {
        let mut out = String::from("| Index | Table | Problem | Message |\n|---|---|---|---|\n");
        for i in &failed {
            out.push_str(&row(&[
                code(&i.name),
                code(&format!("{}.{}", i.schema, i.table)),
                problem_names(&i.problems).join(", "),
                text(i.message.as_deref().unwrap_or("")),
            ]));
        }
        parts.push(out);
    }
    if !passed.is_empty() {
        let names: Vec<String> = passed
            .iter()
            .map(|i| match i.absent {
                true => format!("{} (absent, as expected)", code(&i.name)),
                false => code(&i.name),
            })
            .collect();
        parts.push(format!("Passed: {}\n", names.join(", ")));
    }
    let errored = failed.iter().filter(|i| i.status == Status::Error).count();
    let heading = tally(failed.len() - errored, errored, total, "index", "indexes");
    format!("### Indexes: {heading}\n\n{}", parts.join("\n"))
}

/// The problems as the JSON report names them: "missing", "columns_differ", …
pub(crate) fn problem_names(problems: &[IndexProblem]) -> Vec<String> {
    let name = |p| serde_json::to_value(p).expect("a unit variant serialises");
    problems
        .iter()
        .map(|&p| name(p).as_str().unwrap_or_default().to_string())
        .collect()
}

/// One row per query; with a baseline, Plan and Median read "then → now".
fn queries(report: &Report) -> String {
    let s = &report.summary;
    let (failed, errored) = (s.queries_failed, s.queries_errored);
    let mut out = format!(
        "### Queries: {}\n\n",
        tally(failed, errored, s.queries_total, "query", "queries")
    );
    out.push_str(match report.baseline {
        Some(_) => "| Query | Status | Plan (baseline → now) | Median (baseline → now) | p95 | Rows | Problems and notes |\n",
        None => "| Query | Status | Plan | Median | p95 | Rows | Problems and notes |\n",
    });
    out.push_str("|---|---|---|--:|--:|--:|---|\n");
    for q in &report.queries {
        let timing = q.timing.as_ref();
        let name = match super::params_line(q, false) {
            Some(params) => format!("{} ({})", text(&q.name), code(&params)),
            None => text(&q.name),
        };
        out.push_str(&row(&[
            name,
            query_status(q),
            query_plan(q),
            query_median(q),
            timing.map_or_else(|| "—".into(), |t| ms(t.p95_ms)),
            timing.map_or_else(|| "—".into(), |t| t.rows.to_string()),
            findings(q),
        ]));
    }
    out
}

fn query_status(q: &QueryResult) -> String {
    let word = match q.status {
        Status::Pass => "pass",
        Status::Fail => "**FAIL**",
        Status::Error => "**ERROR**",
    };
    match q.baseline.as_ref().and_then(|b| b.regression) {
        Some(Regression::IndexLost) => format!("{word} (regression: index lost)"),
        Some(Regression::Slower) => format!("{word} (regression: slower)"),
        None => word.into(),
    }
}

/// The plan now; with a baseline whose plan differs, "`then` → `now`".
fn query_plan(q: &QueryResult) -> String {
    let now = q.plan.as_deref().map_or_else(|| "—".into(), code);
    match q.baseline.as_ref().map(|b| b.plan.as_deref()) {
        Some(then) if then != q.plan.as_deref() => {
            format!("{} → {now}", then.map_or_else(|| "—".into(), code))
        }
        _ => now,
    }
}

/// The median now; with a baseline, "5.10 ms → 0.456 ms (-91.1%)".
fn query_median(q: &QueryResult) -> String {
    let now = q
        .timing
        .as_ref()
        .map_or_else(|| "—".into(), |t| ms(t.median_ms));
    let Some(b) = &q.baseline else { return now };
    let then = b.median_ms.map_or_else(|| "—".into(), ms);
    match b.change_pct {
        Some(change) => format!("{then} → {now} ({})", pct(change)),
        None => format!("{then} → {now}"),
    }
}

fn findings(q: &QueryResult) -> String {
    let error = q.error.iter().map(|e| format!("error: {}", text(e)));
    let problems = q.problems.iter().map(|p| text(p));
    let why = q.diagnosis.iter().map(|d| text(&d.line()));
    let advice = q.advice.iter().map(|a| text(&a.line()));
    let notes = q.notes.iter().map(|n| format!("note: {}", text(n)));
    error
        .chain(problems)
        .chain(why)
        .chain(advice)
        .chain(notes)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A value in its unit as Markdown text: the unit comes from the suite, so it is escaped.
fn amount(v: f64, unit: &str) -> String {
    value(v, &text(unit))
}

/// A value in its unit: query times as `ms` does, percentages as "97.4%", else "840 bytes".
pub(crate) fn value(v: f64, unit: &str) -> String {
    match unit {
        "ms" => ms(v),
        "%" => format!("{}%", number(v)),
        "" => number(v),
        unit => format!("{} {unit}", number(v)),
    }
}

/// About three significant figures; whole numbers (below 10¹⁵) as they are.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        super::significant(v)
    }
}

/// A change in percent with its sign: "-91.1%", "+4.0%".
pub(crate) fn pct(p: f64) -> String {
    if p.abs() >= 1000.0 {
        format!("{p:+.0}%")
    } else {
        format!("{p:+.1}%")
    }
}

/// A table row: each cell on one line, every `|` in it escaped (GitHub needs that even in code
/// spans).
fn row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    format!("| {} |\n", cells.join(" | "))
}

/// A cell's text on one line with its pipes escaped. GitHub pairs backslashes from the left, so
/// a `|` after an even run of them (none, or a code span's own `\\`) gets one more.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut backslashes = 0;
    for c in one_line(text).chars() {
        if c == '|' && backslashes % 2 == 0 {
            out.push('\\');
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
        out.push(c);
    }
    out
}

/// Free text on one line, with Markdown's punctuation escaped so it shows as written.
fn text(s: &str) -> String {
    let chars: Vec<char> = one_line(s).chars().collect();
    let mut out = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        let escape = match c {
            '\\' | '`' | '*' | '<' | '>' | '[' | ']' | '~' | '&' => true,
            // An underscore inside a word never starts emphasis: min_rows stays as it is.
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span on one line, fenced with more backticks than it holds.
fn code(s: &str) -> String {
    let s = one_line(s);
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    #[test]
    fn a_failing_run() {
        insta::assert_snapshot!(render(&samples::before()));
    }

    #[test]
    fn a_passing_run_compared_with_the_run_before_the_migration() {
        insta::assert_snapshot!(render(&samples::after_with_baseline()));
    }

    #[test]
    fn errors_misses_and_regressions() {
        insta::assert_snapshot!(render(&samples::broken()));
    }

    #[test]
    fn a_target_improvement_shows_as_the_target() {
        let mut report = samples::after();
        report.queries[0].target_improvement_pct = Some(50.0);
        (report.metrics[0].target, report.metrics[0].target_ms) = (None, None);
        crate::check::baseline::apply(&mut report, &samples::before(), "before.json");
        let table = metrics(&report);
        assert!(
            table.contains("| 5.10 ms (declared 100 ms) | 50% faster | 0.456 ms (-91.1%) | met |"),
            "{table}"
        );
    }

    #[test]
    fn cells_escape_pipes_and_newlines() {
        assert_eq!(
            row(&[text("a | b\nc"), code("x|y")]),
            "| a \\| b c | `x\\|y` |\n"
        );
        assert_eq!(
            text("min_rows = *_x_* <b> [l](u)"),
            "min_rows = \\*\\_x\\_\\* \\<b\\> \\[l\\](u)"
        );
        assert_eq!(code("a ``b`` c"), "```a ``b`` c```");
        assert_eq!(code("`q`"), "`` `q` ``");
    }

    /// The cells GitHub sees in a table row: it pairs `\\` with the next character, left to
    /// right, and every other `|` is a border.
    fn cells_seen(line: &str) -> usize {
        let mut chars = line.chars();
        let mut borders = 0;
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '|' => borders += 1,
                _ => {}
            }
        }
        borders - 1
    }

    #[test]
    fn labels_names_units_and_plans_cannot_add_cells_or_rows() {
        let mut report = samples::broken();
        let cache = report.metrics.iter_mut().find(|m| m.unit == "%").unwrap();
        cache.label = "hits | misses\n| forged | row |".into();
        cache.unit = "x|y\r\n| z\\".into();
        report.queries[0].name = "q\\|name\n---".into();
        report.queries[0].plan = Some("Seq Scan on \"a\\|b\"\n| x |".into());
        report.indexes[0].message = Some("gone\\\\| <b>".into());
        let out = render(&report);
        let tables: Vec<&str> = out.lines().filter(|l| l.starts_with('|')).collect();
        assert!(tables.len() > 10, "{out}");
        let mut expected = 0;
        for line in tables {
            let cells = cells_seen(line);
            if line.starts_with("| Metric |")
                || line.starts_with("| Index |")
                || line.starts_with("| Query |")
            {
                expected = cells;
            }
            assert_eq!(cells, expected, "{line}");
        }
        assert!(
            out.contains("| hits \\| misses \\| forged \\| row \\| |"),
            "{out}"
        );
        assert!(out.contains("97.4 x\\|y \\| z\\\\ "), "{out}");
    }

    #[test]
    fn values_keep_their_units() {
        assert_eq!(value(36.29, "ms"), "36.3 ms");
        assert_eq!(value(97.4, "%"), "97.4%");
        assert_eq!(value(1e9, "bytes"), "1000000000 bytes");
        assert_eq!(
            (pct(-91.07), pct(4.0), pct(5382.4)),
            ("-91.1%".into(), "+4.0%".into(), "+5382%".into())
        );
    }
}
