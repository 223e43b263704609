//! The plan check's verdicts on hand-built scans: seq scans and full index scans on large and
//! small relations, the replanned proof, `allow_seq_scan` and `expect = "any"`.

use std::collections::HashMap;

use super::leading::{IndexKeyMap, test_keys};
use super::scans::*;
use crate::plan::{IndexRead, Scan};
use crate::report::model::ScanVerdict;
use crate::suite::{Expect, Query};

fn query(expect: Expect, allow: &[&str]) -> Query {
    Query {
        name: "q".into(),
        sql: "SELECT 1".into(),
        source: "pgvet.toml".into(),
        expect,
        allow_seq_scan: allow
            .iter()
            .map(|s| crate::suite::RelationPattern::parse(s).unwrap())
            .collect(),
        writes: false,
        metric: None,
        baseline_ms: None,
        target_ms: None,
        target_improvement: None,
        params: None,
        params_at: "pgvet.toml:1".into(),
        checklist: None,
    }
}

fn scan(node_type: &str, relation: &str, alias: &str, read: f64) -> Scan {
    Scan {
        node_type: node_type.into(),
        relation: Some(relation.into()),
        schema: Some("public".into()),
        alias: Some(alias.into()),
        indexes: vec![],
        index_reads: vec![],
        parallel: false,
        backward: false,
        rows_estimated: Some(1.0),
        rows_actual: Some(1.0),
        loops: Some(1.0),
        rows_read: Some(read),
        index_cond: false,
        filter: Some("(note IS NOT NULL)".into()),
        under_limit: false,
        context: None,
    }
}

/// An index scan of `relation` as `alias` through `index`, with its condition if any.
fn index_scan(node_type: &str, relation: &str, alias: &str, index: &str, cond: &str) -> Scan {
    let cond = (!cond.is_empty()).then(|| cond.to_string());
    Scan {
        indexes: vec![index.into()],
        index_reads: vec![IndexRead {
            index: index.into(),
            cond: cond.clone(),
            searches: None,
        }],
        index_cond: cond.is_some(),
        filter: None,
        ..scan(node_type, relation, alias, 1.0)
    }
}

/// ix_m_ec on m (epoch, config_id); ix_m_ts on m (ts).
fn keys() -> IndexKeyMap {
    let btree = |columns: &[&str]| test_keys("m", "btree", columns, false);
    [
        ("ix_m_ec", btree(&["epoch", "config_id"])),
        ("ix_m_ts", btree(&["ts"])),
    ]
    .into_iter()
    .map(|(name, k)| ((Some("public".into()), name.to_string()), k))
    .collect()
}

fn sizes(entries: &[(&str, f64)]) -> HashMap<Relation, f64> {
    entries
        .iter()
        .map(|(r, n)| ((Some("public".into()), r.to_string()), *n))
        .collect()
}

fn judged(
    q: &Query,
    scans: &[Scan],
    sizes: &HashMap<Relation, f64>,
    replanned: &[Vec<Scan>],
) -> PlanJudgement {
    judge(q, scans, Facts::new(sizes, &keys(), 1000), replanned)
}

#[test]
fn large_means_catalog_rows_or_rows_read_whichever_is_more() {
    let q = query(Expect::Index, &[]);
    let stale = scan("Seq Scan", "t", "t", 5000.0);
    let j = judged(&q, &[stale], &sizes(&[("t", 10.0)]), &[]);
    assert_eq!(j.scans[0].verdict, ScanVerdict::SeqScanOnLargeTable);
    assert_eq!(j.scans[0].relation_rows, Some(5000.0));
    assert!(
        j.problems[0].starts_with("Seq Scan on t reads 5,000 rows"),
        "{:?}",
        j.problems
    );
}

#[test]
fn a_full_index_scan_of_a_large_table_fails_like_a_seq_scan() {
    let q = query(Expect::Index, &[]);
    let big = sizes(&[("m", 50_000.0)]);
    let later = index_scan("Bitmap Heap Scan", "m", "m", "ix_m_ec", "(m.config_id = 7)");
    let leading = index_scan("Index Scan", "m", "m", "ix_m_ec", "(m.epoch = 3)");
    let j = judged(&q, &[later.clone(), leading], &big, &[]);
    let verdicts: Vec<_> = j.scans.iter().map(|s| s.verdict).collect();
    assert_eq!(verdicts, [ScanVerdict::FullIndexScan, ScanVerdict::Ok]);
    assert_eq!(j.scans[0].relation_rows, Some(50_000.0));
    assert_eq!(
        j.problems,
        [
            "Bitmap Heap Scan on m using ix_m_ec, a full index scan of ix_m_ec (its condition \
          (m.config_id = 7) does not constrain its leading column epoch), reads 50,000 rows \
          (min_rows = 1000); expected an index whose leading column the query constrains"
        ]
    );
    assert_eq!(
        judged_relations(&q, std::slice::from_ref(&later), &keys(), None).len(),
        1
    );
    let allowed = judged(&query(Expect::Index, &["m"]), &[later], &big, &[]);
    assert_eq!(allowed.scans[0].verdict, ScanVerdict::Allowed);
    assert!(allowed.problems.is_empty());
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
    assert!(needs_replan(&q, &seq, Facts::new(&small, &keys(), 1000)));
    let ordered = Scan {
        under_limit: true,
        ..index_scan("Index Scan", "m", "a", "ix_m_ts", "")
    };
    let cases: [(Vec<Scan>, Option<&str>); 6] = [
        (
            vec![index_scan(
                "Index Scan",
                "m",
                "a",
                "ix_m_ec",
                "(a.epoch = 3)",
            )],
            Some("ix_m_ec"),
        ),
        // A condition on a later column reads the whole index.
        (
            vec![index_scan(
                "Bitmap Heap Scan",
                "m",
                "a",
                "ix_m_ec",
                "(a.config_id = 3)",
            )],
            None,
        ),
        // A full walk with the WHERE clause left as a filter proves nothing.
        (
            vec![Scan {
                filter: Some("(note IS NOT NULL)".into()),
                ..index_scan("Index Scan", "m", "a", "ix_m_ts", "")
            }],
            None,
        ),
        // Nor does a walk of the whole index without a LIMIT...
        (
            vec![index_scan("Index Only Scan", "m", "a", "ix_m_ts", "")],
            None,
        ),
        // ...but an index that supplies order under a LIMIT, nothing filtered, is usable.
        (vec![ordered], Some("ix_m_ts")),
        // The other side of a self-join has an index; this alias does not.
        (
            vec![
                index_scan("Index Scan", "m", "b", "ix_m_ec", "(b.epoch = 1)"),
                scan("Seq Scan", "m", "a", 0.0),
            ],
            None,
        ),
    ];
    for (replanned, expected) in cases {
        let keys = keys();
        let facts = Facts::new(&small, &keys, 1000);
        let one = std::slice::from_ref(&replanned);
        assert_eq!(unproven(&q, &seq, facts, one), expected.is_none());
        let j = judged(&q, &seq, &small, one);
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
        if let Some(index) = expected {
            assert_eq!(
                j.notes[0],
                format!(
                    "m: index usable ({index}); Seq Scan on m a chosen on a small table (50 rows, fewer than min_rows = 1000)"
                )
            );
        }
    }
}

#[test]
fn the_boundary_of_min_rows_is_said_where_it_decides() {
    let q = query(Expect::Index, &[]);
    let problem = |rows: f64| {
        let seq = [scan("Seq Scan", "m", "m", rows)];
        judged(&q, &seq, &sizes(&[("m", rows)]), &[]).problems
    };
    // A relation of exactly min_rows rows is large, and the message says so.
    assert_eq!(
        problem(1000.0),
        [
            "Seq Scan on m reads 1,000 rows (min_rows = 1000: a relation of min_rows rows or more is large); expected an index scan"
        ]
    );
    assert_eq!(
        problem(1001.0),
        ["Seq Scan on m reads 1,001 rows (min_rows = 1000); expected an index scan"]
    );
    assert_eq!(
        problem(999.0),
        [
            "Seq Scan on m (999 rows, a small table: fewer than min_rows = 1000) and no usable index: planned with enable_seqscan = off, no index narrows the rows read"
        ]
    );
}

#[test]
fn a_full_index_scan_of_a_small_table_needs_the_same_proof() {
    let q = query(Expect::Index, &[]);
    let small = sizes(&[("m", 0.0)]);
    let full = [index_scan(
        "Bitmap Heap Scan",
        "m",
        "m",
        "ix_m_ec",
        "(m.config_id = 7)",
    )];
    let keys = keys();
    let facts = Facts::new(&small, &keys, 1000);
    assert!(needs_replan(&q, &full, facts));
    let j = judged(&q, &full, &small, &[full.to_vec(), full.to_vec()]);
    assert_eq!(j.scans[0].verdict, ScanVerdict::NoUsableIndex);
    assert!(
        j.problems[0].starts_with(
            "Bitmap Heap Scan on m using ix_m_ec (1 row, a small table: fewer than min_rows = 1000), a full index scan of ix_m_ec"
        ),
        "{:?}",
        j.problems
    );
    let narrowing = index_scan("Index Scan", "m", "m", "ix_m_ec", "(m.epoch = 3)");
    assert!(!needs_replan(&q, std::slice::from_ref(&narrowing), facts));
}

#[test]
fn a_cost_tie_on_a_small_table_counts_the_index_that_leads_with_the_column() {
    let q = query(Expect::Index, &[]);
    let seq = [scan("Seq Scan", "m", "m", 0.0)];
    let small = sizes(&[("m", 0.0)]);
    let tie = vec![index_scan(
        "Bitmap Heap Scan",
        "m",
        "m",
        "ix_m_ec",
        "(m.config_id = 7)",
    )];
    let mut keys = keys();
    let j = judge(
        &q,
        &seq,
        Facts::new(&small, &keys, 1000),
        std::slice::from_ref(&tie),
    );
    assert_eq!(j.scans[0].verdict, ScanVerdict::NoUsableIndex);
    keys.insert(
        (Some("public".into()), "ix_m_config".into()),
        test_keys("m", "btree", &["config_id"], false),
    );
    let j = judge(&q, &seq, Facts::new(&small, &keys, 1000), &[tie]);
    assert_eq!(j.scans[0].verdict, ScanVerdict::IndexUsable);
    assert_eq!(j.scans[0].usable_index.as_deref(), Some("ix_m_config"));
    // On a large relation the planner's choice stands.
    let big = sizes(&[("m", 50_000.0)]);
    let full = [index_scan(
        "Bitmap Heap Scan",
        "m",
        "m",
        "ix_m_ec",
        "(m.config_id = 7)",
    )];
    let j = judge(&q, &full, Facts::new(&big, &keys, 1000), &[]);
    assert_eq!(j.scans[0].verdict, ScanVerdict::FullIndexScan);
}

#[test]
fn a_filtered_walk_in_the_first_replan_is_settled_by_the_bitmap_replan() {
    let q = query(Expect::Index, &[]);
    let seq = [scan("Seq Scan", "m", "m", 0.0)];
    let small = sizes(&[("m", 0.0)]);
    let walk = vec![Scan {
        filter: Some("(note IS NOT NULL)".into()),
        ..index_scan("Index Scan", "m", "m", "ix_m_ts", "")
    }];
    let bitmap = vec![index_scan(
        "Bitmap Heap Scan",
        "m",
        "m",
        "ix_m_ec",
        "(m.epoch = 2)",
    )];
    let keys = keys();
    let facts = Facts::new(&small, &keys, 1000);
    assert!(unproven(&q, &seq, facts, std::slice::from_ref(&walk)));
    let j = judged(&q, &seq, &small, &[walk, bitmap]);
    assert_eq!(j.scans[0].usable_index.as_deref(), Some("ix_m_ec"));
}

#[test]
fn allowed_relations_and_expect_any_are_not_judged() {
    let seq = [scan("Seq Scan", "big", "b", 1e6)];
    for q in [
        query(Expect::Any, &[]),
        query(Expect::Index, &["big"]),
        query(Expect::Index, &["public.big"]),
    ] {
        let j = judged(&q, &seq, &HashMap::new(), &[]);
        assert_eq!(
            (j.scans[0].verdict, j.problems.len()),
            (ScanVerdict::Allowed, 0)
        );
        assert!(judged_relations(&q, &seq, &keys(), None).is_empty());
    }
    assert_eq!(
        judged_relations(&query(Expect::Index, &["other"]), &seq, &keys(), None).len(),
        1
    );
}

#[test]
fn a_parent_or_a_glob_allows_its_partitions() {
    let seq = [
        scan("Seq Scan", "scan_event_2026_01", "scan_event", 1e6),
        scan("Seq Scan", "scan_event_2025_12", "scan_event", 1e6),
    ];
    let parents: Ancestors = [
        (
            (Some("public".to_string()), "scan_event_2026_01".to_string()),
            vec![
                ("public".to_string(), "scan_event_2026".to_string()),
                ("public".to_string(), "scan_event".to_string()),
            ],
        ),
        (
            (Some("public".to_string()), "scan_event_2025_12".to_string()),
            vec![("public".to_string(), "scan_event".to_string())],
        ),
    ]
    .into_iter()
    .collect();
    let verdicts = |allow: &[&str], ancestors: Option<&Ancestors>| {
        let q = query(Expect::Index, allow);
        let none = HashMap::new();
        let keys = keys();
        let mut facts = Facts::new(&none, &keys, 1000);
        if let Some(a) = ancestors {
            facts = facts.with_ancestors(a);
        }
        let j = judge(&q, &seq, facts, &[]);
        j.scans.iter().map(|s| s.verdict).collect::<Vec<_>>()
    };
    use ScanVerdict::{Allowed, SeqScanOnLargeTable as Large};
    // The grandparent covers both levels; without the catalog's answer it covers nothing.
    assert_eq!(
        verdicts(&["scan_event"], Some(&parents)),
        [Allowed, Allowed]
    );
    assert_eq!(verdicts(&["scan_event"], None), [Large, Large]);
    assert_eq!(
        verdicts(&["public.scan_event_2026"], Some(&parents)),
        [Allowed, Large]
    );
    assert_eq!(verdicts(&["scan_event_2026_*"], None), [Allowed, Large]);
    assert_eq!(verdicts(&["public.*"], None), [Allowed, Allowed]);
    assert_eq!(verdicts(&["archive.*"], Some(&parents)), [Large, Large]);
    // The partitions whose parents are looked up are those of the whole reads judged.
    let q = query(Expect::Index, &["scan_event"]);
    assert_eq!(judged_relations(&q, &seq, &keys(), None).len(), 2);
    assert!(judged_relations(&q, &seq, &keys(), Some(&parents)).is_empty());
}

#[test]
fn whole_groups_thousands() {
    assert_eq!(
        (whole(0.0), whole(999.0), whole(1000.0), whole(1234567.4)),
        ("0".into(), "999".into(), "1,000".into(), "1,234,567".into())
    );
}
