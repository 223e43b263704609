//! The plan check: no sequential scan, and no full index scan, where an index is expected. A
//! scan that reads a whole large relation (at least `min_rows` rows) fails: a seq scan, or a
//! scan whose index does not narrow the rows (see [`super::leading`]). On a small relation the
//! planner rightly prefers such a scan, so the query is planned again with
//! `enable_seqscan = off`: if that plan reads the relation through an index that narrows the
//! rows, an index is usable and the check passes with a note. A full index scan proves
//! nothing (on near-empty tables the planner picks one on a cost tie), so the query is then
//! planned with plain index scans off too, leaving bitmap scans. If neither plan narrows the
//! relation through an index, the check fails. Judged by node type and index keys, never by
//! cost.

use std::collections::HashMap;

use super::leading::{self, FullRead, IndexKeyMap};
use crate::plan::Scan;
use crate::report::model::{ScanResult, ScanVerdict};
use crate::suite::{Expect, Query};

/// A relation as EXPLAIN VERBOSE names it: (schema, name).
pub type Relation = (Option<String>, String);

/// The note a passing query gets when a small table's seq scan was proven avoidable.
pub const INDEX_USABLE_NOTE: &str = "index usable; seq scan chosen on a small table";

/// What the check knows besides the plans: the judged relations' sizes, the key columns of
/// the indexes the plans read, and `min_rows`.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub sizes: &'a HashMap<Relation, f64>,
    pub keys: &'a IndexKeyMap,
    pub min_rows: u64,
}

impl<'a> Facts<'a> {
    pub fn new(sizes: &'a HashMap<Relation, f64>, keys: &'a IndexKeyMap, min_rows: u64) -> Self {
        Facts {
            sizes,
            keys,
            min_rows,
        }
    }
}

/// What the plan check concluded for one query.
#[derive(Debug, Clone, Default)]
pub struct PlanJudgement {
    pub scans: Vec<ScanResult>,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
}

/// How one scan of the executed plan stands before any replanning. `Large` and `Small` are
/// whole reads of the relation: a seq scan, or a full index scan (`Some`).
enum Class {
    Narrow,
    Allowed,
    Large(f64, Option<FullRead>),
    Small(f64, Option<FullRead>),
}

fn classify(query: &Query, scan: &Scan, facts: Facts<'_>) -> Class {
    let full = leading::full_index_read(scan, facts.keys);
    if !scan.is_seq_scan() && full.is_none() {
        return Class::Narrow;
    }
    if query.expect == Expect::Any || allowed(query, scan) {
        return Class::Allowed;
    }
    let catalog = relation_of(scan).and_then(|r| facts.sizes.get(&r).copied());
    let rows = relation_rows(scan, catalog);
    if rows >= facts.min_rows as f64 {
        Class::Large(rows, full)
    } else {
        Class::Small(rows, full)
    }
}

/// The relation a scan reads, when it reads one.
pub fn relation_of(scan: &Scan) -> Option<Relation> {
    scan.relation.clone().map(|r| (scan.schema.clone(), r))
}

/// The relations whose size the check needs: those of the whole reads it judges.
pub fn judged_relations(query: &Query, scans: &[Scan], keys: &IndexKeyMap) -> Vec<Relation> {
    let none = HashMap::new();
    let facts = Facts {
        sizes: &none,
        keys,
        min_rows: 0,
    };
    let mut relations: Vec<Relation> = scans
        .iter()
        .filter(|s| !matches!(classify(query, s, facts), Class::Narrow | Class::Allowed))
        .filter_map(relation_of)
        .collect();
    relations.sort();
    relations.dedup();
    relations
}

/// How many rows a relation holds for the small-table rule: its row count from the catalog
/// (see `db::catalog::relation_rows`), or what the scan itself read when that is more.
pub fn relation_rows(scan: &Scan, catalog_rows: Option<f64>) -> f64 {
    let read = match (scan.rows_read, scan.loops) {
        (Some(read), Some(loops)) if !scan.parallel && loops > 1.0 => read / loops,
        (Some(read), _) => read,
        _ => 0.0,
    };
    catalog_rows.unwrap_or(0.0).max(read)
}

/// Whether some judged scan reads a small relation whole, so the no-seq-scan plan is needed.
pub fn needs_replan(query: &Query, scans: &[Scan], facts: Facts<'_>) -> bool {
    scans
        .iter()
        .any(|s| matches!(classify(query, s, facts), Class::Small(..)))
}

/// Whether some small relation's whole read is not yet proven avoidable by the plans so far.
pub fn unproven(query: &Query, scans: &[Scan], facts: Facts<'_>, replanned: &[Vec<Scan>]) -> bool {
    scans.iter().any(|s| {
        matches!(classify(query, s, facts), Class::Small(..))
            && narrowing_index(replanned, s, facts.keys).is_none()
    })
}

/// Judges every scan of the executed plan. `replanned` holds the plans made without seq scans
/// (see the module docs), when [`needs_replan`] said so.
pub fn judge(
    query: &Query,
    scans: &[Scan],
    facts: Facts<'_>,
    replanned: &[Vec<Scan>],
) -> PlanJudgement {
    let mut judgement = PlanJudgement::default();
    for scan in scans {
        let (verdict, rows, usable_index) = match classify(query, scan, facts) {
            Class::Narrow => (ScanVerdict::Ok, None, None),
            Class::Allowed => (ScanVerdict::Allowed, None, None),
            Class::Large(rows, full) => {
                judgement
                    .problems
                    .push(large_problem(scan, rows, full.as_ref(), facts.min_rows));
                let verdict = match full {
                    Some(_) => ScanVerdict::FullIndexScan,
                    None => ScanVerdict::SeqScanOnLargeTable,
                };
                (verdict, Some(rows), None)
            }
            Class::Small(rows, full) => match narrowing_index(replanned, scan, facts.keys) {
                Some(index) => (ScanVerdict::IndexUsable, Some(rows), Some(index)),
                None => {
                    judgement.problems.push(format!(
                        "{}{} ({} rows, a small table){} and no usable index: planned with enable_seqscan = off, no index narrows the rows read",
                        scan.describe(),
                        where_in_plan(scan),
                        whole(rows),
                        reads_whole(full.as_ref())
                    ));
                    (ScanVerdict::NoUsableIndex, Some(rows), None)
                }
            },
        };
        judgement
            .scans
            .push(scan_result(scan, verdict, rows, usable_index));
    }
    if judgement
        .scans
        .iter()
        .any(|s| s.verdict == ScanVerdict::IndexUsable)
    {
        judgement.notes.push(INDEX_USABLE_NOTE.to_string());
    }
    judgement
}

fn large_problem(scan: &Scan, rows: f64, full: Option<&FullRead>, min_rows: u64) -> String {
    let expected = match full {
        Some(_) => "expected an index whose leading column the query constrains",
        None => "expected an index scan",
    };
    format!(
        "{}{}{} reads {} rows (min_rows = {min_rows}); {expected}",
        scan.describe(),
        where_in_plan(scan),
        reads_whole(full),
        whole(rows)
    )
}

/// ", which reads all of ix (its condition …)" for a full index scan; nothing for a seq scan.
fn reads_whole(full: Option<&FullRead>) -> String {
    full.map(|f| format!(", a full index scan of {} ({}),", f.index, f.reason))
        .unwrap_or_default()
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

/// The index a replanned query reads the same relation (same alias) through, if it narrows
/// the rows by the leading-column rule ([`leading::narrows`]), or the index that would, had
/// the planner not broken a cost tie with a full index scan ([`leading::tie_alternatives`]).
/// A full index scan that only trades a seq scan for a walk of the whole index proves nothing.
fn narrowing_index(replanned: &[Vec<Scan>], judged: &Scan, keys: &IndexKeyMap) -> Option<String> {
    replanned
        .iter()
        .flatten()
        .filter(|s| {
            s.relation == judged.relation && s.schema == judged.schema && s.alias == judged.alias
        })
        .filter(|s| !s.is_seq_scan())
        .find_map(|s| match leading::narrows(s, keys) {
            true => Some(s.indexes.join(", ")),
            false => leading::tie_alternatives(s, keys).map(|names| names.join(", ")),
        })
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

fn scan_result(
    scan: &Scan,
    verdict: ScanVerdict,
    relation_rows: Option<f64>,
    usable_index: Option<String>,
) -> ScanResult {
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
        usable_index,
        context: scan.context.clone(),
        verdict,
    }
}
