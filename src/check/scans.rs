//! The plan check: no sequential scan where an index is expected. A seq scan on a large relation
//! (at least `min_rows` rows) fails. On a small relation the planner rightly prefers a seq scan,
//! so the query is planned again with `enable_seqscan = off`: if the seq scan on that relation
//! is gone an index is usable and the check passes with a note; if it stays, no index can serve
//! the query and the check fails. Judged by node type, never by cost.

use std::collections::HashMap;

use crate::plan::Scan;
use crate::report::model::{ScanResult, ScanVerdict};
use crate::suite::{Expect, Query};

/// A relation as EXPLAIN VERBOSE names it: (schema, name).
pub type Relation = (Option<String>, String);

/// The note a passing query gets when a small table's seq scan was proven avoidable.
pub const INDEX_USABLE_NOTE: &str = "index usable; seq scan chosen on a small table";

/// What the plan check concluded for one query.
#[derive(Debug, Clone, Default)]
pub struct PlanJudgement {
    pub scans: Vec<ScanResult>,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
}

/// The relation a scan reads, when it reads one.
pub fn relation_of(scan: &Scan) -> Option<Relation> {
    scan.relation.clone().map(|r| (scan.schema.clone(), r))
}

/// The relations of the seq scans that the check has to judge (not allowed, expect = index).
pub fn judged_seq_scans<'a>(
    query: &'a Query,
    scans: &'a [Scan],
) -> impl Iterator<Item = Relation> + 'a {
    scans
        .iter()
        .filter(move |s| query.expect == Expect::Index && s.is_seq_scan() && !allowed(query, s))
        .filter_map(relation_of)
}

/// How many rows a relation holds for the small-table rule: the planner's statistics, or what
/// the seq scan itself read when that is more (statistics of a freshly loaded table lag).
pub fn relation_rows(scan: &Scan, planner_rows: Option<f64>) -> f64 {
    let read = match (scan.rows_read, scan.loops) {
        (Some(read), Some(loops)) if !scan.parallel && loops > 1.0 => read / loops,
        (Some(read), _) => read,
        _ => 0.0,
    };
    planner_rows.unwrap_or(0.0).max(read)
}

/// Whether some judged seq scan is on a small relation, so the no-seq-scan plan is needed.
pub fn needs_replan(
    query: &Query,
    scans: &[Scan],
    sizes: &HashMap<Relation, f64>,
    min_rows: u64,
) -> bool {
    scans.iter().any(|s| {
        query.expect == Expect::Index
            && s.is_seq_scan()
            && !allowed(query, s)
            && relation_rows(s, relation_of(s).and_then(|r| sizes.get(&r).copied()))
                < min_rows as f64
    })
}

/// Judges every scan of the executed plan. `replanned` is the plan made with
/// `enable_seqscan = off`, present when [`needs_replan`] said so.
pub fn judge(
    query: &Query,
    scans: &[Scan],
    sizes: &HashMap<Relation, f64>,
    replanned: Option<&[Scan]>,
    min_rows: u64,
) -> PlanJudgement {
    let mut judgement = PlanJudgement::default();
    for scan in scans {
        let relation = relation_of(scan);
        let mut rows = None;
        let verdict = if !scan.is_seq_scan() {
            ScanVerdict::Ok
        } else if query.expect == Expect::Any || allowed(query, scan) {
            ScanVerdict::Allowed
        } else {
            let size = relation_rows(scan, relation.as_ref().and_then(|r| sizes.get(r).copied()));
            rows = Some(size);
            if size >= min_rows as f64 {
                judgement.problems.push(format!(
                    "{}{} reads {} rows (min_rows = {min_rows}); expected an index scan",
                    scan.describe(),
                    where_in_plan(scan),
                    whole(size)
                ));
                ScanVerdict::SeqScanOnLargeTable
            } else if still_seq_scanned(replanned, relation.as_ref()) {
                judgement.problems.push(format!(
                    "{}{} ({} rows, a small table) and no usable index: planned with enable_seqscan = off it is still scanned sequentially",
                    scan.describe(),
                    where_in_plan(scan),
                    whole(size)
                ));
                ScanVerdict::NoUsableIndex
            } else {
                ScanVerdict::IndexUsable
            }
        };
        judgement.scans.push(scan_result(scan, verdict, rows));
    }
    if judgement
        .scans
        .iter()
        .any(|s| s.verdict == ScanVerdict::IndexUsable)
    {
        judgement.notes.push(INDEX_USABLE_NOTE.to_string());
    }
    judgement.problems.dedup();
    judgement
}

fn allowed(query: &Query, scan: &Scan) -> bool {
    let Some(relation) = &scan.relation else {
        return false;
    };
    query.allow_seq_scan.iter().any(|entry| {
        entry == relation
            || scan
                .schema
                .as_ref()
                .is_some_and(|schema| *entry == format!("{schema}.{relation}"))
    })
}

/// Without a replan (it failed, or was not made) a small relation cannot be proven indexable.
fn still_seq_scanned(replanned: Option<&[Scan]>, relation: Option<&Relation>) -> bool {
    let Some(replanned) = replanned else {
        return true;
    };
    replanned
        .iter()
        .any(|s| s.is_seq_scan() && relation_of(s).as_ref() == relation)
}

fn where_in_plan(scan: &Scan) -> String {
    scan.context
        .as_ref()
        .map(|c| format!(" (in {c})"))
        .unwrap_or_default()
}

/// A row count for a message: 1000000 → "1,000,000".
pub fn whole(rows: f64) -> String {
    let digits = format!("{:.0}", rows.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn scan_result(scan: &Scan, verdict: ScanVerdict, relation_rows: Option<f64>) -> ScanResult {
    ScanResult {
        relation: scan.relation.clone(),
        schema: scan.schema.clone(),
        node_type: scan.node_type.clone(),
        index: (!scan.indexes.is_empty()).then(|| scan.indexes.join(", ")),
        parallel: scan.parallel,
        rows_estimated: scan.rows_estimated,
        rows_actual: scan.rows_actual,
        loops: scan.loops,
        relation_rows,
        context: scan.context.clone(),
        verdict,
    }
}
