//! Whether the demo's scenario came out as it promises, and the closing summary of what pgvet
//! found. The demo passes when its index and plan verdicts are the scenario's
//! ([`Expectation`]): before the migration every expected index is missing, and the queries
//! seq-scan the table the migration indexes, or fail because the tables it creates do not
//! exist yet; after it every index is present and valid and every query reads the tables
//! through an index. Time targets are measured and judged in the tables as always, but in the
//! demo a missed one is a finding, reported with its diagnosis, not a reason to exit 1: its
//! figures depend on the machine.

use super::scenarios::{Before, Expectation};
use crate::report::markdown::pct;
use crate::report::model::{IndexProblem, QueryResult, Report, ScanResult, ScanVerdict, Status};

/// Where the two runs depart from the scenario, one sentence each; empty when they do not.
pub fn deviations(expect: &Expectation, before: &Report, after: &Report) -> Vec<String> {
    let mut found = Vec::new();
    for index in &before.indexes {
        if index.status == Status::Pass || index.problems != [IndexProblem::Missing] {
            found.push(format!(
                "before the migration, index {} should be missing: {}",
                index.name,
                index.message.as_deref().unwrap_or("it passed")
            ));
        }
    }
    for index in after.indexes.iter().filter(|i| i.status != Status::Pass) {
        found.push(format!(
            "after the migration, index {} failed: {}",
            index.name,
            index.message.as_deref().unwrap_or("")
        ));
    }
    found.extend(
        before
            .queries
            .iter()
            .filter_map(|q| query_before(expect, q)),
    );
    found.extend(after.queries.iter().filter_map(|q| query_after(expect, q)));
    for metric in &before.metrics {
        let Some(error) = &metric.error else { continue };
        if !(expect.before == Before::TablesAbsent && is_absent_table(expect, error)) {
            found.push(format!(
                "before the migration, metric \"{}\" errored: {error}",
                metric.label
            ));
        }
    }
    for metric in &after.metrics {
        if let Some(error) = &metric.error {
            found.push(format!(
                "after the migration, metric \"{}\" errored: {error}",
                metric.label
            ));
        }
    }
    // Tables, foreign keys and grants: after the migration each is as the suite says.
    for section in crate::report::contract::sections(after) {
        for entry in section.entries.iter().filter(|e| e.status != Status::Pass) {
            found.push(format!(
                "after the migration, {} failed: {}",
                entry.subject,
                entry.message.as_deref().unwrap_or("")
            ));
        }
    }
    found
}

/// Before the migration a query seq-scans one of the tables (and fails for it), or fails
/// because one of them does not exist yet.
fn query_before(expect: &Expectation, query: &QueryResult) -> Option<String> {
    let tables = expect.tables.join(", ");
    match (expect.before, &query.error) {
        (Before::TablesAbsent, Some(error)) if is_absent_table(expect, error) => None,
        (Before::TablesAbsent, Some(error)) => Some(format!(
            "before the migration, \"{}\" should fail on a missing table ({tables}), not: {error}",
            query.name
        )),
        (Before::TablesAbsent, None) => Some(format!(
            "before the migration, \"{}\" should fail on a missing table ({tables}); it ran: {}",
            query.name,
            query.plan.as_deref().unwrap_or("—")
        )),
        (Before::SeqScan, Some(error)) => Some(errored(query, "before", error)),
        (Before::SeqScan, None) => {
            let seq_scanned =
                scans_of(expect, query).any(|s| s.verdict == ScanVerdict::SeqScanOnLargeTable);
            (!seq_scanned).then(|| {
                format!(
                    "before the migration, \"{}\" should seq-scan {tables}; its plan: {}",
                    query.name,
                    query.plan.as_deref().unwrap_or("—")
                )
            })
        }
    }
}

/// After it, a query reads the tables through an index (a small table read whole has one it
/// could use), and its plan check passes.
fn query_after(expect: &Expectation, query: &QueryResult) -> Option<String> {
    if let Some(error) = &query.error {
        return Some(errored(query, "after", error));
    }
    let read = scans_of(expect, query).next().is_some();
    let through_index =
        scans_of(expect, query).all(|s| s.index.is_some() || s.verdict == ScanVerdict::IndexUsable);
    let plan_passes = query.scans.iter().all(|s| {
        matches!(
            s.verdict,
            ScanVerdict::Ok | ScanVerdict::Allowed | ScanVerdict::IndexUsable
        )
    });
    (!(read && through_index && plan_passes)).then(|| {
        format!(
            "after the migration, \"{}\" should read {} through an index; its plan: {}",
            query.name,
            expect.tables.join(", "),
            query.plan.as_deref().unwrap_or("—")
        )
    })
}

/// The server's message for a table that does not exist, naming one of the scenario's.
fn is_absent_table(expect: &Expectation, error: &str) -> bool {
    error.contains("(SQLSTATE 42P01)")
        && expect
            .tables
            .iter()
            .any(|t| error.contains(&format!("relation \"{t}\" does not exist")))
}

fn scans_of<'q>(
    expect: &'q Expectation,
    query: &'q QueryResult,
) -> impl Iterator<Item = &'q ScanResult> {
    query.scans.iter().filter(|s| {
        s.relation
            .as_deref()
            .is_some_and(|r| expect.tables.contains(&r))
    })
}

fn errored(query: &QueryResult, when: &str, error: &str) -> String {
    format!("{when} the migration, \"{}\" errored: {error}", query.name)
}

/// The closing summary: what pgvet found, then whether the scenario came out as expected.
pub fn summary(
    expect: &Expectation,
    before: &Report,
    after: &Report,
    deviations: &[String],
) -> String {
    let mut lines = vec![
        format!(
            "· Before the migration: {} of {} indexes missing; {}.",
            before.summary.indexes_failed, before.summary.indexes_total, expect.before_found
        ),
        format!(
            "· After it: {} of {} indexes present and valid; {}.",
            after.summary.indexes_total - after.summary.indexes_failed,
            after.summary.indexes_total,
            match deviations.is_empty() {
                true => expect.after_found,
                false => "see below",
            }
        ),
    ];
    let contract: Vec<String> = crate::report::contract::KINDS
        .iter()
        .filter_map(|kind| {
            let (total, failed, errored) = kind.counts(&after.summary);
            let (one, many) = kind.nouns();
            (total > 0).then(|| {
                let noun = if total == 1 { one } else { many };
                format!("{} of {total} {noun}", total - failed - errored)
            })
        })
        .collect();
    if !contract.is_empty() {
        lines.push(format!(
            "· The contract after it: {} as promised (columns and types, statistics, foreign keys validated and indexed, grants).",
            contract.join(", ")
        ));
    }
    lines.extend(super::advice::lines(before, after));
    lines.extend(faster(after));
    for query in &after.queries {
        lines.extend(finding(query));
    }
    let verdict = if deviations.is_empty() {
        "The scenario came out as expected (exit 0). pgvet demo is a demonstration: time targets \
         depend on the machine, so a missed one is reported here as a finding. pgvet check is the \
         gate, and there a missed target fails the run."
            .to_string()
    } else {
        let listed: Vec<String> = deviations.iter().map(|d| format!("· {d}")).collect();
        format!(
            "The scenario did NOT come out as expected (exit 1):\n{}",
            listed.join("\n")
        )
    };
    format!("What pgvet found\n\n{}\n\n{verdict}\n", lines.join("\n"))
}

/// "· 3 queries 29–100% faster: fetch experiment by config_id (-99%), …": the queries with
/// nothing to explain that got faster.
fn faster(after: &Report) -> Option<String> {
    let faster: Vec<(&str, f64)> = after
        .queries
        .iter()
        .filter(|q| q.diagnosis.is_none() && q.status == Status::Pass)
        .filter_map(|q| Some((q.name.as_str(), q.baseline.as_ref()?.change_pct?)))
        .filter(|&(_, change)| change < 0.0)
        .collect();
    let (least, most) = faster
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &(_, c)| {
            (lo.min(-c), hi.max(-c))
        });
    let range = match (least.round(), most.round()) {
        (lo, hi) if lo == hi => format!("{hi:.0}%"),
        (lo, hi) => format!("{lo:.0}–{hi:.0}%"),
    };
    let each: Vec<String> = faster
        .iter()
        .map(|(name, change)| format!("{name} ({})", pct(*change)))
        .collect();
    let noun = if faster.len() == 1 {
        "query"
    } else {
        "queries"
    };
    (!faster.is_empty()).then(|| {
        format!(
            "· {} {noun} {range} faster: {}.",
            faster.len(),
            each.join(", ")
        )
    })
}

/// A query after the migration that fell short: its diagnosis, or its problems.
fn finding(query: &QueryResult) -> Option<String> {
    if let Some(d) = &query.diagnosis {
        return Some(format!(
            "· {} {}. Why: {}.",
            query.name, d.symptom, d.message
        ));
    }
    (!query.problems.is_empty())
        .then(|| format!("· {}: {}.", query.name, query.problems.join("; ")))
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
