//! Table checks: the table exists in its schema (or, with `absent = true`, does not), has the
//! expected columns with the expected types (other columns may exist) and the CHECK constraints
//! named in `checks`, has no CHECK constraint left NOT VALID, and, with `analyzed = true`, has
//! fresh planner statistics.
//!
//! **Fresh** means analyzed at least once (`last_analyze` or `last_autoanalyze` is set, or
//! `pg_stats` has the table's column statistics, which survive a reset of the statistics
//! counters), and at most [`STALE_ROWS`] + [`STALE_FRACTION`] × its rows (`reltuples`, 0 when
//! unknown) inserted, updated or deleted since (`n_mod_since_analyze`). That is the point at
//! which autovacuum, with PostgreSQL's default settings, would analyze the table again.

use crate::check::contract::{sql_name, sql_relation, verdict};
use crate::check::type_name::canonical;
use crate::db::contract::{FoundColumn, FoundTable};
use crate::report::model::{Column, Status, TableProblem, TableResult, TableStatistics};
use crate::suite::ExpectedTable;

/// Changed rows always allowed before the statistics are stale (autovacuum_analyze_threshold).
pub const STALE_ROWS: u64 = 50;
/// The share of the rows that may change on top of that (autovacuum_analyze_scale_factor).
pub const STALE_FRACTION: f64 = 0.10;

/// Judges one expected table against what the catalog holds under its name (None: no
/// relation of that name in that schema).
pub fn judge(expected: &ExpectedTable, found: Option<&FoundTable>) -> TableResult {
    let table = format!("{}.{}", expected.schema, expected.name);
    let mut result = empty(expected, Status::Pass, None);
    let Some(found) = found else {
        let problems = match expected.absent {
            true => vec![],
            false => vec![(TableProblem::Missing, format!("no table {table} exists"))],
        };
        finish(&mut result, problems);
        return result;
    };
    let kind = kind_name(found.kind);
    if expected.absent {
        let message = format!(
            "{kind} {table} still exists but must be absent (drop it, or remove `absent = true`)"
        );
        finish(&mut result, vec![(TableProblem::Present, message)]);
        return result;
    }
    if !matches!(found.kind, 'r' | 'p' | 'f') {
        let message = format!("no table {table} exists: {table} is a {kind}");
        finish(&mut result, vec![(TableProblem::Missing, message)]);
        return result;
    }
    result.actual_columns = Some(
        found
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                type_name: c.type_name.clone(),
            })
            .collect(),
    );
    result.actual_checks = Some(found.checks.clone());
    result.not_valid_constraints = found.not_valid_checks.clone();
    let statistics = statistics(found);
    let mut problems = Vec::new();
    if let Some(message) = columns_differ(expected, &found.columns, &table) {
        problems.push((TableProblem::ColumnsDiffer, message));
    }
    let missing: Vec<String> = expected
        .checks
        .iter()
        .filter(|c| !found.checks.contains(c))
        .cloned()
        .collect();
    if !missing.is_empty() {
        let on_table = match found.checks.as_slice() {
            [] => "; it has none".to_string(),
            checks => format!("; its CHECK constraints: {}", checks.join(", ")),
        };
        problems.push((
            TableProblem::CheckMissing,
            format!(
                "table {table} has no CHECK constraint named {}{on_table}",
                crate::check::contract::and_list(&missing)
            ),
        ));
    }
    for name in found.not_valid_checks.iter().filter(|_| expected.validated) {
        problems.push((
            TableProblem::NotValidated,
            format!(
                "CHECK constraint {name} on {table} is NOT VALID: the rows from before it was added were never checked (ALTER TABLE {} VALIDATE CONSTRAINT {})",
                sql_relation(&expected.schema, &expected.name),
                sql_name(name)
            ),
        ));
    }
    if expected.analyzed && !statistics.fresh {
        problems.push((
            TableProblem::StatisticsStale,
            stale(&statistics, &table, expected),
        ));
    }
    result.statistics = Some(statistics);
    finish(&mut result, problems);
    result
}

/// The note of a table whose statistics pgvet made itself.
pub const STATISTICS_BY_PGVET: &str = "statistics not judged: the --setup files left this table without statistics, and pgvet analyzed it itself before the checks; judge `analyzed` on the deployed database";

/// For a table pgvet analyzed itself after the `--setup` files: its statistics are pgvet's, so
/// `analyzed = true` is not judged (neither passed, for `pgvet fill`, nor failed).
pub fn statistics_by_pgvet(result: &mut TableResult) {
    if !result.analyzed {
        return;
    }
    result.statistics_not_judged = Some(STATISTICS_BY_PGVET.to_string());
}

/// A table check that could not be made: the catalog query failed or never ran.
pub fn error(expected: &ExpectedTable, message: String) -> TableResult {
    empty(expected, Status::Error, Some(message))
}

fn empty(expected: &ExpectedTable, status: Status, message: Option<String>) -> TableResult {
    TableResult {
        schema: expected.schema.clone(),
        name: expected.name.clone(),
        status,
        problem: None,
        problems: Vec::new(),
        message,
        absent: expected.absent,
        expected_columns: expected.columns.clone(),
        actual_columns: None,
        expected_checks: expected.checks.clone(),
        actual_checks: None,
        analyzed: expected.analyzed,
        statistics: None,
        not_valid_constraints: Vec::new(),
        checklist: expected.checklist.clone(),
        statistics_not_judged: None,
    }
}

fn finish(result: &mut TableResult, problems: Vec<(TableProblem, String)>) {
    let v = verdict(problems);
    (
        result.status,
        result.problem,
        result.problems,
        result.message,
    ) = (v.status, v.problem, v.problems, v.message);
}

fn kind_name(kind: char) -> &'static str {
    match kind {
        'r' => "table",
        'p' => "partitioned table",
        'f' => "foreign table",
        'v' => "view",
        'm' => "materialized view",
        'i' | 'I' => "index",
        'S' => "sequence",
        'c' => "composite type",
        _ => "relation",
    }
}

/// "table public.t: column model_id is missing; column id is integer, expected bigint", or
/// None when every expected column is there with its type.
fn columns_differ(expected: &ExpectedTable, actual: &[FoundColumn], table: &str) -> Option<String> {
    let mut differences = Vec::new();
    for (name, written) in expected.columns.iter().flatten() {
        let Some(column) = actual.iter().find(|c| &c.name == name) else {
            let other_case = actual
                .iter()
                .find(|c| c.name.to_lowercase() == name.to_lowercase());
            differences.push(match other_case {
                Some(c) => format!(
                    "column {name} is missing (there is a column {}: names compare exactly)",
                    c.name
                ),
                None => format!("column {name} is missing"),
            });
            continue;
        };
        let wanted = canonical(written);
        if type_matches(&wanted, column) {
            continue;
        }
        let spelled = if wanted == written.trim() {
            String::new()
        } else {
            format!(" (written \"{}\")", written.trim())
        };
        differences.push(format!(
            "column {name} is {}, expected {wanted}{spelled}",
            column.type_name
        ));
    }
    (!differences.is_empty()).then(|| format!("table {table}: {}", differences.join("; ")))
}

/// The type as printed, or the same without its schema (`mood` for `public.mood`).
fn type_matches(wanted: &str, column: &FoundColumn) -> bool {
    let actual = canonical(&column.type_name);
    let unqualified = column
        .type_name
        .strip_prefix(&format!("{}.", column.type_schema))
        .map(canonical);
    wanted == actual || Some(wanted) == unqualified.as_deref()
}

fn statistics(found: &FoundTable) -> TableStatistics {
    let rows = (found.reltuples >= 0.0).then(|| found.reltuples.round() as u64);
    let stale_after = STALE_ROWS + (STALE_FRACTION * rows.unwrap_or(0) as f64) as u64;
    let modified = found.modified_since_analyze.max(0) as u64;
    let analyzed = found.last_analyzed.is_some() || found.has_column_statistics;
    TableStatistics {
        last_analyzed: found.last_analyzed.clone(),
        has_column_statistics: found.has_column_statistics,
        rows,
        modified_since_analyze: modified,
        stale_after,
        fresh: analyzed && modified <= stale_after,
    }
}

fn stale(s: &TableStatistics, table: &str, expected: &ExpectedTable) -> String {
    let analyze = format!(
        "run ANALYZE {}",
        sql_relation(&expected.schema, &expected.name)
    );
    if s.last_analyzed.is_none() && !s.has_column_statistics {
        return format!(
            "table {table} has never been analyzed: the planner has no statistics for it ({analyze})"
        );
    }
    let when = s
        .last_analyzed
        .as_deref()
        .map(|t| format!(" (at {t})"))
        .unwrap_or_default();
    let rows = s.rows.unwrap_or(0);
    format!(
        "the statistics of table {table} are stale: {} changed since it was last analyzed{when}, more than {STALE_ROWS} + {}% of its {} ({}) ({analyze})",
        counted(s.modified_since_analyze, "row"),
        STALE_FRACTION * 100.0,
        counted(rows, "row"),
        s.stale_after
    )
}

fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
