//! The plan check: no sequential scan, and no full index scan, where an index is expected. A
//! scan that reads a whole large relation (at least `min_rows` rows) fails: a seq scan, or a
//! scan whose index does not narrow the rows (see [`super::leading`]). On a small relation the
//! planner rightly prefers such a scan, so the query is planned again with
//! `enable_seqscan = off`: if that plan reads the relation through an index that narrows the
//! rows, an index is usable and the check passes with a note. A full index scan proves
//! nothing (on near-empty tables the planner picks one on a cost tie), so the query is then
//! planned with plain index scans off too, leaving bitmap scans. If neither plan narrows the
//! relation through an index, the check fails. Judged by node type and index keys, never by
//! cost. A relation the query's `allow_seq_scan` names, or whose partitioned (or inheritance)
//! parent it names at any level, is not judged.

use std::collections::HashMap;

use super::leading::{self, FullRead, IndexKeyMap};
use crate::plan::Scan;
use crate::report::model::{ScanResult, ScanVerdict};
use crate::suite::{Expect, Query};

/// A relation as EXPLAIN VERBOSE names it: (schema, name).
pub type Relation = (Option<String>, String);

/// The parents of partitions and inheritance children, nearest first, as (schema, name)
/// (`db::catalog::ancestors`): an `allow_seq_scan` entry naming a parent covers them.
pub type Ancestors = HashMap<Relation, Vec<(String, String)>>;

/// What the note a passing query gets when a small table's seq scan was proven avoidable
/// says, after the relation's name: "small: index usable (ix_small_code); Seq Scan on small
/// chosen on a small table (20 rows, fewer than min_rows = 1000)".
pub const INDEX_USABLE_NOTE: &str = "index usable";

/// What the check knows besides the plans: the judged relations' sizes, the key columns of
/// the indexes the plans read, and `min_rows`.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub sizes: &'a HashMap<Relation, f64>,
    pub keys: &'a IndexKeyMap,
    pub min_rows: u64,
    /// The parents of the relations read whole, for `allow_seq_scan`; None when not looked up.
    pub ancestors: Option<&'a Ancestors>,
}

impl<'a> Facts<'a> {
    pub fn new(sizes: &'a HashMap<Relation, f64>, keys: &'a IndexKeyMap, min_rows: u64) -> Self {
        Facts {
            sizes,
            keys,
            min_rows,
            ancestors: None,
        }
    }

    /// The same facts, with the parents of the relations read whole.
    pub fn with_ancestors(self, ancestors: &'a Ancestors) -> Self {
        Facts {
            ancestors: Some(ancestors),
            ..self
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
    /// With the partitioned table whose partitions this plan reads whole, and their rows
    /// together, when that sum (not the partition itself) makes the read large.
    Large(f64, Option<FullRead>, Option<(String, f64)>),
    Small(f64, Option<FullRead>),
}

fn classify(query: &Query, scan: &Scan, facts: Facts<'_>) -> Class {
    let full = leading::full_index_read(scan, facts.keys);
    if !scan.is_seq_scan() && full.is_none() {
        return Class::Narrow;
    }
    if query.expect == Expect::Any || allowed(query, scan, facts.ancestors) {
        return Class::Allowed;
    }
    let catalog = relation_of(scan).and_then(|r| facts.sizes.get(&r).copied());
    let rows = relation_rows(scan, catalog);
    if rows >= facts.min_rows as f64 {
        return Class::Large(rows, full, None);
    }
    match partitions_together(scan, facts) {
        Some((root, total)) if total >= facts.min_rows as f64 => {
            Class::Large(rows, full, Some((root, total)))
        }
        _ => Class::Small(rows, full),
    }
}

/// The partitioned table (or inheritance parent) at the top of the scan's relation, and the
/// rows of all its partitions that the plan reads whole and the check judges: a query that
/// reads five small partitions of a large table reads a large table.
fn partitions_together(scan: &Scan, facts: Facts<'_>) -> Option<(String, f64)> {
    let ancestors = facts.ancestors?;
    let root = |relation: &Relation| ancestors.get(relation).and_then(|a| a.last());
    let top = root(&relation_of(scan)?)?;
    let total = facts
        .sizes
        .iter()
        .filter(|(relation, _)| root(relation) == Some(top))
        .map(|(_, rows)| rows)
        .sum();
    Some((format!("{}.{}", top.0, top.1), total))
}

/// The relation a scan reads, when it reads one.
pub fn relation_of(scan: &Scan) -> Option<Relation> {
    scan.relation.clone().map(|r| (scan.schema.clone(), r))
}

/// The relations whose size the check needs: those of the whole reads it judges. Without
/// `ancestors`, a partition its parent's `allow_seq_scan` entry covers is among them: these
/// are the relations whose parents to look up, when the query has such entries at all.
pub fn judged_relations(
    query: &Query,
    scans: &[Scan],
    keys: &IndexKeyMap,
    ancestors: Option<&Ancestors>,
) -> Vec<Relation> {
    let none = HashMap::new();
    let facts = Facts {
        sizes: &none,
        keys,
        min_rows: 0,
        ancestors,
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
            Class::Large(rows, full, together) => {
                let mut problem = large_problem(scan, rows, full.as_ref(), facts.min_rows);
                if let Some((root, total)) = together {
                    problem.push_str(&format!(
                        " (the partition itself is small, but the plan reads partitions of {root} whole, {} together)",
                        counted_rows(total)
                    ));
                }
                judgement.problems.push(problem);
                let verdict = match full {
                    Some(_) => ScanVerdict::FullIndexScan,
                    None => ScanVerdict::SeqScanOnLargeTable,
                };
                (verdict, Some(rows), None)
            }
            Class::Small(rows, full) => match narrowing_index(replanned, scan, facts.keys) {
                Some(index) => {
                    let note = usable_note(scan, rows, &index, facts.min_rows);
                    if !judgement.notes.contains(&note) {
                        judgement.notes.push(note);
                    }
                    (ScanVerdict::IndexUsable, Some(rows), Some(index))
                }
                None => {
                    judgement.problems.push(format!(
                        "{}{} ({}){} and no usable index: planned with enable_seqscan = off, no index narrows the rows read",
                        scan.describe(),
                        where_in_plan(scan),
                        small(rows, facts.min_rows),
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
    judgement
        .notes
        .extend(unmatched_entries(query, scans, facts.ancestors));
    judgement
}

/// A note for each `allow_seq_scan` entry that names no relation the plan reads (nor a parent
/// of one): a typo there makes the entry allow nothing. Names the closest relation of the plan.
fn unmatched_entries(query: &Query, scans: &[Scan], ancestors: Option<&Ancestors>) -> Vec<String> {
    let mut relations: Vec<(Option<&str>, &str)> = Vec::new();
    for scan in scans {
        let Some(name) = scan.relation.as_deref() else {
            continue;
        };
        relations.push((scan.schema.as_deref(), name));
        let parents = ancestors.and_then(|a| a.get(&(scan.schema.clone(), name.to_string())));
        for (schema, parent) in parents.into_iter().flatten() {
            relations.push((Some(schema.as_str()), parent.as_str()));
        }
    }
    query
        .allow_seq_scan
        .iter()
        .filter(|entry| {
            !relations
                .iter()
                .any(|(schema, name)| entry.matches(*schema, name))
        })
        .map(|entry| {
            let bare = entry.written.rsplit('.').next().unwrap_or(&entry.written);
            let close = super::closest::closest(bare, relations.iter().map(|(_, name)| *name));
            let hint = match close.as_slice() {
                [] => String::new(),
                names => format!(
                    "; did you mean {}?",
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            };
            format!(
                "allow_seq_scan entry \"{}\" names no relation this plan reads{hint}",
                entry.written
            )
        })
        .collect()
}

/// "small: index usable (ix_small_code); Seq Scan on small chosen on a small table (20 rows,
/// fewer than min_rows = 1000)": which relation, which index, and why the whole read passed.
fn usable_note(scan: &Scan, rows: f64, index: &str, min_rows: u64) -> String {
    format!(
        "{}: {INDEX_USABLE_NOTE} ({index}); {}{} chosen on a small table ({}, fewer than min_rows = {min_rows})",
        scan.relation.as_deref().unwrap_or("the relation"),
        scan.describe(),
        where_in_plan(scan),
        counted_rows(rows)
    )
}

/// "20 rows, a small table: fewer than min_rows = 1000".
fn small(rows: f64, min_rows: u64) -> String {
    format!(
        "{}, a small table: fewer than min_rows = {min_rows}",
        counted_rows(rows)
    )
}

fn large_problem(scan: &Scan, rows: f64, full: Option<&FullRead>, min_rows: u64) -> String {
    let expected = match full {
        Some(_) => "expected an index whose leading column the query constrains",
        None => "expected an index scan",
    };
    // At the boundary, say which side of it min_rows itself is on.
    let boundary = if rows == min_rows as f64 {
        ": a relation of min_rows rows or more is large"
    } else {
        ""
    };
    format!(
        "{}{}{} reads {} (min_rows = {min_rows}{boundary}); {expected}",
        scan.describe(),
        where_in_plan(scan),
        reads_whole(full),
        counted_rows(rows)
    )
}

/// "1 row", "5,000 rows".
fn counted_rows(rows: f64) -> String {
    match whole(rows).as_str() {
        "1" => "1 row".to_string(),
        n => format!("{n} rows"),
    }
}

/// ", which reads all of ix (its condition …)" for a full index scan; nothing for a seq scan.
fn reads_whole(full: Option<&FullRead>) -> String {
    full.map(|f| format!(", a full index scan of {} ({}),", f.index, f.reason))
        .unwrap_or_default()
}

/// Whether an `allow_seq_scan` entry names the scan's relation, or one of its parents (a
/// partitioned table covers its partitions at any depth).
fn allowed(query: &Query, scan: &Scan, ancestors: Option<&Ancestors>) -> bool {
    let Some(relation) = &scan.relation else {
        return false;
    };
    let parents = ancestors
        .and_then(|a| a.get(&(scan.schema.clone(), relation.clone())))
        .into_iter()
        .flatten()
        .map(|(schema, name)| (Some(schema.as_str()), name.as_str()));
    let mut names = std::iter::once((scan.schema.as_deref(), relation.as_str())).chain(parents);
    names.any(|(schema, name)| {
        query
            .allow_seq_scan
            .iter()
            .any(|entry| entry.matches(schema, name))
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
