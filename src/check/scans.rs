//! The plan check: no sequential scan where an index is expected. A seq scan on a large relation
//! (at least `min_rows` rows) fails. On a small relation the planner rightly prefers a seq scan,
//! so the query is planned again with `enable_seqscan = off`: if that plan reads the relation
//! through an index that narrows the rows (an Index Cond, or no Filter left), an index is usable
//! and the check passes with a note. A full index scan with the condition left as a Filter
//! proves nothing (on near-empty tables the planner picks one on a cost tie), so the query is
//! then planned with plain index scans off too: a bitmap scan always has an index condition.
//! If neither plan narrows the relation through an index, the check fails. Judged by node
//! type, never by cost.

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

/// How one scan of the executed plan stands before any replanning.
enum Class {
    NotSeqScan,
    Allowed,
    Large(f64),
    Small(f64),
}

fn classify(query: &Query, scan: &Scan, sizes: &HashMap<Relation, f64>, min_rows: u64) -> Class {
    if !scan.is_seq_scan() {
        return Class::NotSeqScan;
    }
    if query.expect == Expect::Any || allowed(query, scan) {
        return Class::Allowed;
    }
    let rows = relation_rows(scan, relation_of(scan).and_then(|r| sizes.get(&r).copied()));
    if rows >= min_rows as f64 {
        Class::Large(rows)
    } else {
        Class::Small(rows)
    }
}

/// The relation a scan reads, when it reads one.
pub fn relation_of(scan: &Scan) -> Option<Relation> {
    scan.relation.clone().map(|r| (scan.schema.clone(), r))
}

/// The relations whose size the check needs: those of seq scans it judges.
pub fn judged_relations(query: &Query, scans: &[Scan]) -> Vec<Relation> {
    let mut relations: Vec<Relation> = scans
        .iter()
        .filter(|s| {
            !matches!(
                classify(query, s, &HashMap::new(), 0),
                Class::NotSeqScan | Class::Allowed
            )
        })
        .filter_map(relation_of)
        .collect();
    relations.sort();
    relations.dedup();
    relations
}

/// How many rows a relation holds for the small-table rule: its row count from the catalog
/// (see `db::catalog::relation_rows`), or what the seq scan itself read when that is more.
pub fn relation_rows(scan: &Scan, catalog_rows: Option<f64>) -> f64 {
    let read = match (scan.rows_read, scan.loops) {
        (Some(read), Some(loops)) if !scan.parallel && loops > 1.0 => read / loops,
        (Some(read), _) => read,
        _ => 0.0,
    };
    catalog_rows.unwrap_or(0.0).max(read)
}

/// Whether some judged seq scan is on a small relation, so the no-seq-scan plan is needed.
pub fn needs_replan(
    query: &Query,
    scans: &[Scan],
    sizes: &HashMap<Relation, f64>,
    min_rows: u64,
) -> bool {
    scans
        .iter()
        .any(|s| matches!(classify(query, s, sizes, min_rows), Class::Small(_)))
}

/// Whether some small relation's seq scan is not yet proven avoidable by the plans made so far.
pub fn unproven(
    query: &Query,
    scans: &[Scan],
    sizes: &HashMap<Relation, f64>,
    replanned: &[Vec<Scan>],
    min_rows: u64,
) -> bool {
    scans.iter().any(|s| {
        matches!(classify(query, s, sizes, min_rows), Class::Small(_))
            && narrowing_index(replanned, s).is_none()
    })
}

/// Judges every scan of the executed plan. `replanned` holds the plans made without seq scans
/// (see the module docs), when [`needs_replan`] said so.
pub fn judge(
    query: &Query,
    scans: &[Scan],
    sizes: &HashMap<Relation, f64>,
    replanned: &[Vec<Scan>],
    min_rows: u64,
) -> PlanJudgement {
    let mut judgement = PlanJudgement::default();
    for scan in scans {
        let (verdict, rows, usable_index) = match classify(query, scan, sizes, min_rows) {
            Class::NotSeqScan => (ScanVerdict::Ok, None, None),
            Class::Allowed => (ScanVerdict::Allowed, None, None),
            Class::Large(rows) => {
                judgement.problems.push(format!(
                    "{}{} reads {} rows (min_rows = {min_rows}); expected an index scan",
                    scan.describe(),
                    where_in_plan(scan),
                    whole(rows)
                ));
                (ScanVerdict::SeqScanOnLargeTable, Some(rows), None)
            }
            Class::Small(rows) => match narrowing_index(replanned, scan) {
                Some(index) => (ScanVerdict::IndexUsable, Some(rows), Some(index)),
                None => {
                    judgement.problems.push(format!(
                        "{}{} ({} rows, a small table) and no usable index: planned with enable_seqscan = off, no index narrows the rows read",
                        scan.describe(),
                        where_in_plan(scan),
                        whole(rows)
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
/// the rows: an index condition, or no filter left (the index supplies order or coverage).
/// A full index scan that only trades a seq scan for a filtered walk proves nothing.
fn narrowing_index(replanned: &[Vec<Scan>], seq_scan: &Scan) -> Option<String> {
    replanned
        .iter()
        .flatten()
        .filter(|s| {
            s.relation == seq_scan.relation
                && s.schema == seq_scan.schema
                && s.alias == seq_scan.alias
        })
        .find(|s| !s.is_seq_scan() && s.uses_index() && (s.index_cond || !s.filtered))
        .map(|s| s.indexes.join(", "))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn query(expect: Expect, allow: &[&str]) -> Query {
        Query {
            name: "q".into(),
            sql: "SELECT 1".into(),
            source: "pgvet.toml".into(),
            expect,
            allow_seq_scan: allow.iter().map(|s| s.to_string()).collect(),
            writes: false,
            metric: None,
            baseline_ms: None,
            target_ms: None,
            target_improvement: None,
        }
    }

    fn scan(node_type: &str, relation: &str, alias: &str, read: f64) -> Scan {
        Scan {
            node_type: node_type.into(),
            relation: Some(relation.into()),
            schema: Some("public".into()),
            alias: Some(alias.into()),
            indexes: vec![],
            parallel: false,
            backward: false,
            rows_estimated: Some(1.0),
            rows_actual: Some(1.0),
            loops: Some(1.0),
            rows_read: Some(read),
            index_cond: false,
            filtered: true,
            context: None,
        }
    }

    fn index_scan(relation: &str, alias: &str, index: &str, cond: bool, filtered: bool) -> Scan {
        Scan {
            indexes: vec![index.into()],
            index_cond: cond,
            filtered,
            ..scan("Index Scan", relation, alias, 1.0)
        }
    }

    fn sizes(entries: &[(&str, f64)]) -> HashMap<Relation, f64> {
        entries
            .iter()
            .map(|(r, n)| ((Some("public".into()), r.to_string()), *n))
            .collect()
    }

    #[test]
    fn large_means_catalog_rows_or_rows_read_whichever_is_more() {
        let q = query(Expect::Index, &[]);
        let stale = scan("Seq Scan", "t", "t", 5000.0);
        let j = judge(&q, &[stale], &sizes(&[("t", 10.0)]), &[], 1000);
        assert_eq!(j.scans[0].verdict, ScanVerdict::SeqScanOnLargeTable);
        assert_eq!(j.scans[0].relation_rows, Some(5000.0));
        assert!(
            j.problems[0].starts_with("Seq Scan on t reads 5,000 rows"),
            "{:?}",
            j.problems
        );
    }

    #[test]
    fn rows_read_per_loop_unless_parallel() {
        let mut inner = scan("Seq Scan", "t", "t", 3000.0);
        inner.loops = Some(100.0);
        assert_eq!(relation_rows(&inner, None), 30.0);
        inner.parallel = true;
        assert_eq!(relation_rows(&inner, None), 3000.0);
    }

    #[test]
    fn a_small_table_passes_only_with_a_narrowing_index_on_the_same_alias() {
        let q = query(Expect::Index, &[]);
        let seq = [scan("Seq Scan", "m", "a", 50.0)];
        let small = sizes(&[("m", 50.0)]);
        assert!(needs_replan(&q, &seq, &small, 1000));
        let cases: [(Vec<Scan>, Option<&str>); 4] = [
            (
                vec![index_scan("m", "a", "ix_m_epoch", true, false)],
                Some("ix_m_epoch"),
            ),
            // A full walk of the primary key with the WHERE clause left as a filter proves nothing.
            (vec![index_scan("m", "a", "m_pkey", false, true)], None),
            // An index that supplies order with nothing filtered is usable.
            (
                vec![index_scan("m", "a", "ix_m_ts", false, false)],
                Some("ix_m_ts"),
            ),
            // The other side of a self-join has an index; this alias does not.
            (
                vec![
                    index_scan("m", "b", "m_pkey", true, false),
                    scan("Seq Scan", "m", "a", 0.0),
                ],
                None,
            ),
        ];
        for (replanned, expected) in cases {
            assert_eq!(
                unproven(&q, &seq, &small, std::slice::from_ref(&replanned), 1000),
                expected.is_none()
            );
            let j = judge(&q, &seq, &small, std::slice::from_ref(&replanned), 1000);
            assert_eq!(
                j.scans[0].usable_index.as_deref(),
                expected,
                "{replanned:?}"
            );
            let verdict = if expected.is_some() {
                ScanVerdict::IndexUsable
            } else {
                ScanVerdict::NoUsableIndex
            };
            assert_eq!(j.scans[0].verdict, verdict);
            assert_eq!(j.notes.len() + j.problems.len(), 1);
        }
    }

    #[test]
    fn a_filtered_walk_in_the_first_replan_is_settled_by_the_bitmap_replan() {
        let q = query(Expect::Index, &[]);
        let seq = [scan("Seq Scan", "tc", "tc", 0.0)];
        let small = sizes(&[("tc", 0.0)]);
        let walk = vec![index_scan("tc", "tc", "tc_pkey", false, true)];
        let bitmap = vec![Scan {
            indexes: vec!["ix_tc_model_type".into()],
            index_cond: true,
            ..scan("Bitmap Heap Scan", "tc", "tc", 0.0)
        }];
        assert!(unproven(
            &q,
            &seq,
            &small,
            std::slice::from_ref(&walk),
            1000
        ));
        let j = judge(&q, &seq, &small, &[walk, bitmap], 1000);
        assert_eq!(j.scans[0].usable_index.as_deref(), Some("ix_tc_model_type"));
    }

    #[test]
    fn allowed_relations_and_expect_any_are_not_judged() {
        let seq = [scan("Seq Scan", "big", "b", 1e6)];
        for q in [
            query(Expect::Any, &[]),
            query(Expect::Index, &["big"]),
            query(Expect::Index, &["public.big"]),
        ] {
            let j = judge(&q, &seq, &HashMap::new(), &[], 1000);
            assert_eq!(
                (j.scans[0].verdict, j.problems.len()),
                (ScanVerdict::Allowed, 0)
            );
            assert!(judged_relations(&q, &seq).is_empty());
        }
        assert_eq!(
            judged_relations(&query(Expect::Index, &["other"]), &seq).len(),
            1
        );
    }

    #[test]
    fn whole_groups_thousands() {
        assert_eq!(
            (whole(0.0), whole(999.0), whole(1000.0), whole(1234567.4)),
            ("0".into(), "999".into(), "1,000".into(), "1,234,567".into())
        );
    }
}
