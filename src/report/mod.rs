//! The report model and one module per output format. A format is a pure function of the
//! report: it never runs a query and never decides a verdict.

pub mod compare_text;
pub mod contract;
pub mod count;
pub mod github;
pub mod health;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
#[cfg(test)]
pub(crate) mod samples;
pub mod saved;
pub mod terminal;

pub use model::Report;

/// Output formats, as `--format` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for a terminal: indexes, queries with plan summaries, the metrics table.
    Text,
    /// The versioned report model (see the README for its fields).
    Json,
    /// A report to paste into a pull request: summary, metrics table, indexes, plan changes.
    Markdown,
    /// JUnit XML: one testcase per index, query and metric, for CI test tabs.
    Junit,
    /// GitHub Actions annotations (::error) for each failing check, and a summary notice.
    Github,
}

/// Renders the report in the chosen format.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => terminal::render(report),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Junit => junit::render(report),
        Format::Github => github::render(report),
    }
}

/// The relative target of a query-time row (`target_improvement`, percent faster than the
/// measured baseline), when it has no absolute one.
pub fn relative_target(report: &Report, metric: &model::MetricRow) -> Option<f64> {
    if metric.target.is_some() {
        return None;
    }
    let query = metric.query.as_ref()?;
    report
        .queries
        .iter()
        .find(|q| &q.name == query)?
        .target_improvement_pct
}

/// A count with its noun: "1 query", "2 queries" (`many` is the plural).
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A part of a total, the noun agreeing with the total: "1 of 8 indexes", "1 of 1 index".
pub fn of_total(n: usize, total: usize, one: &str, many: &str) -> String {
    format!("{n} of {}", counted(total, one, many))
}

/// A query's `params` as the reports show them beside its name: `$1 = 3, $2 = "dhl"` (values as
/// the suite writes them, each cut at 40 characters), with the inferred types when `typed`:
/// `$1 = 3 (integer)`. None for a query without params.
pub fn params_line(q: &model::QueryResult, typed: bool) -> Option<String> {
    const LONGEST: usize = 40;
    let params = q.params.as_ref()?;
    let shown: Vec<String> = params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let value = p.value.toml();
            let value = match value.char_indices().nth(LONGEST) {
                Some((cut, _)) => format!("{}…", &value[..cut]),
                None => value,
            };
            match (&p.type_name, typed) {
                (Some(ty), true) => format!("${} = {value} ({ty})", i + 1),
                _ => format!("${} = {value}", i + 1),
            }
        })
        .collect();
    Some(shown.join(", "))
}

/// A duration in milliseconds for people: three significant figures or so.
pub fn ms(value: f64) -> String {
    format!("{} ms", significant(value))
}

/// About three significant figures (never fewer than the whole part, up to 10¹⁵).
pub fn significant(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1e15 {
        format!("{value:.3e}")
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::model::{ParamValue, PlanKind, Status};
    use crate::suite::params::Param;

    #[test]
    fn params_are_shown_where_the_query_is() {
        let mut report = super::samples::after();
        let q = &mut report.queries[0];
        q.params = Some(vec![
            ParamValue {
                type_name: Some("integer".into()),
                value: Param::Integer(3),
            },
            ParamValue {
                type_name: Some("text".into()),
                value: Param::Text("x".repeat(50)),
            },
        ]);
        q.plan_kind = Some(PlanKind::Custom);
        q.status = Status::Fail;
        q.problems.push("a problem".into());
        let long = format!("\"{}…", "x".repeat(39));
        let shown = format!("$1 = 3, $2 = {long}");
        assert_eq!(super::params_line(q, false).unwrap(), shown);
        let typed = format!("$1 = 3 (integer), $2 = {long} (text)");
        assert_eq!(super::params_line(q, true).unwrap(), typed);
        assert_eq!(super::params_line(&report.queries[1], true), None);

        let render = |format| super::render(&report, format);
        let text = render(super::Format::Text);
        assert!(text.contains(&shown), "{text}");
        let markdown = render(super::Format::Markdown);
        assert!(
            markdown.contains(&format!("| fetch experiment by config_id (`{shown}`) |")),
            "{markdown}"
        );
        let junit = render(super::Format::Junit);
        assert!(
            junit.contains(&format!("params: {}", typed.replace('"', "&quot;"))),
            "{junit}"
        );
        let github = render(super::Format::Github);
        assert!(github.contains(&format!("Params: {typed}")), "{github}");
        let json: serde_json::Value = serde_json::from_str(&render(super::Format::Json)).unwrap();
        let q = &json["queries"][0];
        assert_eq!(
            q["params"][0],
            serde_json::json!({"type": "integer", "value": 3})
        );
        assert_eq!(q["plan_kind"], "custom");
        assert_eq!(json["queries"][1]["params"], serde_json::Value::Null);
        assert_eq!(json["queries"][1]["timing"]["protocol"], "simple");
    }

    #[test]
    fn ms_keeps_about_three_significant_figures() {
        assert_eq!(super::ms(150.0), "150 ms");
        assert_eq!(super::ms(36.19), "36.2 ms");
        assert_eq!(super::ms(2.696), "2.70 ms");
        assert_eq!(super::ms(0.1174), "0.117 ms");
        assert_eq!(super::significant(-1e308), "-1.000e308");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(super::counted(1, "query", "queries"), "1 query");
        assert_eq!(super::counted(0, "query", "queries"), "0 queries");
        assert_eq!(super::counted(2, "index", "indexes"), "2 indexes");
        assert_eq!(super::of_total(1, 1, "index", "indexes"), "1 of 1 index");
        assert_eq!(super::of_total(1, 8, "index", "indexes"), "1 of 8 indexes");
    }

    #[test]
    fn the_summary_line_says_1_query_and_1_index() {
        let mut report = super::samples::after();
        report.queries.truncate(1);
        report.indexes.truncate(1);
        report.metrics.truncate(1);
        report.summary = super::model::Summary::of(&report);
        report.status = report.summary.status();
        assert_eq!(
            super::terminal::summary_line(&report),
            "PASS: 1 index and 1 query checked, 1 metric"
        );
        report.indexes[0].status = super::model::Status::Fail;
        report.summary = super::model::Summary::of(&report);
        report.status = report.summary.status();
        assert_eq!(
            super::terminal::summary_line(&report),
            "FAIL: 1 of 1 index failed"
        );
    }
}
