//! Checks [`Explain::parse`] against real EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)
//! output captured from PostgreSQL 15 into `fixtures/plans/` (see its README.md).

use super::{Explain, Scan, summary};

/// The fixture's scans, with the conditions cleared: most tests compare everything else
/// (`conditions_are_recorded` and `index_reads_keep_each_condition` check them).
fn fixture(name: &str) -> Explain {
    let mut explain = fixture_as_read(name);
    for scan in &mut explain.scans {
        (scan.index_cond, scan.filter) = (false, None);
        scan.index_reads.clear();
    }
    explain
}

fn fixture_as_read(name: &str) -> Explain {
    let path = format!("{}/fixtures/plans/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let explain = Explain::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    if name != "no_analyze.json" {
        assert!(
            explain.planning_ms.is_some() && explain.execution_ms.is_some(),
            "{name}"
        );
    }
    explain
}

/// A scan of a `public` table as ANALYZE reports it; `rows` is
/// [Plan Rows, Actual Rows, Actual Loops, expected rows_read].
fn analyzed(node_type: &str, relation: &str, alias: &str, rows: [f64; 4]) -> Scan {
    Scan {
        rows_actual: Some(rows[1]),
        loops: Some(rows[2]),
        rows_read: Some(rows[3]),
        ..planned(node_type, relation, alias, rows[0])
    }
}

/// A scan of a `public` table as plain EXPLAIN (no ANALYZE) reports it.
fn planned(node_type: &str, relation: &str, alias: &str, plan_rows: f64) -> Scan {
    Scan {
        node_type: node_type.to_string(),
        relation: Some(relation.to_string()),
        schema: Some("public".to_string()),
        alias: Some(alias.to_string()),
        indexes: Vec::new(),
        index_reads: Vec::new(),
        parallel: false,
        backward: false,
        rows_estimated: Some(plan_rows),
        rows_actual: None,
        loops: None,
        rows_read: None,
        index_cond: false,
        filter: None,
        under_limit: false,
        context: None,
    }
}

#[test]
fn conditions_are_recorded() {
    let flags = |name: &str| -> Vec<(bool, bool)> {
        fixture_as_read(name)
            .scans
            .iter()
            .map(|s| (s.index_cond, s.filter.is_some()))
            .collect()
    };
    // An index scan narrowed by its index; a bitmap scan through its Bitmap Index Scans.
    assert_eq!(flags("index_scan.json"), [(true, false)]);
    assert_eq!(flags("bitmap_heap_scan.json"), [(true, false)]);
    // A seq scan with a WHERE clause filters; a backward index scan for ORDER BY has no condition.
    assert_eq!(flags("seq_scan.json"), [(false, true)]);
    assert_eq!(flags("index_scan_backward.json"), [(false, false)]);
}

#[test]
fn index_reads_keep_each_condition() {
    let reads = |name: &str| -> Vec<(String, Option<String>)> {
        fixture_as_read(name).scans[0]
            .index_reads
            .iter()
            .map(|r| (r.index.clone(), r.cond.clone()))
            .collect()
    };
    let read = |index: &str, cond: Option<&str>| (index.to_string(), cond.map(str::to_string));
    // BitmapAnd(BitmapOr(config_id = 7, config_id = 9), epoch = 3): every Bitmap Index Scan.
    assert_eq!(
        reads("bitmap_and_or.json"),
        [
            read(
                "ix_training_metric_config_id",
                Some("(training_metric.config_id = 7)")
            ),
            read(
                "ix_training_metric_config_id",
                Some("(training_metric.config_id = 9)")
            ),
            read(
                "ix_training_metric_epoch",
                Some("(training_metric.epoch = 3)")
            ),
        ]
    );
    assert_eq!(
        reads("index_scan_backward.json"),
        [read("ix_training_metric_timestamp", None)]
    );
    assert!(reads("seq_scan.json").is_empty());
}

fn indexes(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

const METRIC: &str = "training_metric";
const CONFIG: &str = "training_config";

#[test]
fn seq_scan_reads_the_whole_table() {
    let explain = fixture("seq_scan.json");
    let want = analyzed(
        "Seq Scan",
        METRIC,
        METRIC,
        [100074.0, 99991.0, 1.0, 200000.0],
    );
    assert_eq!(explain.scans, [want]);
    assert_eq!(
        (explain.planning_ms, explain.execution_ms),
        (Some(0.512), Some(15.665))
    );
    assert_eq!(explain.node_count, 1);
    assert_eq!(explain.summary(), "Seq Scan on training_metric");
}

#[test]
fn parallel_seq_scan_under_gather() {
    let explain = fixture("parallel_seq_scan.json");
    let want = Scan {
        parallel: true,
        ..analyzed("Seq Scan", METRIC, METRIC, [8603.0, 6668.0, 3.0, 199998.0])
    };
    assert_eq!(explain.scans, [want]);
    assert!(explain.scans[0].is_seq_scan());
    assert_eq!(explain.node_count, 4);
    assert_eq!(explain.summary(), "Parallel Seq Scan on training_metric");
}

#[test]
fn index_scan() {
    let explain = fixture("index_scan.json");
    let want = Scan {
        indexes: indexes(&["ix_training_metric_timestamp"]),
        ..analyzed("Index Scan", METRIC, METRIC, [324.0, 301.0, 1.0, 301.0])
    };
    assert_eq!(explain.scans, [want]);
    assert!(explain.scans[0].uses_index() && !explain.scans[0].is_seq_scan());
}

#[test]
fn index_scan_backward_under_limit() {
    let explain = fixture("index_scan_backward.json");
    let want = Scan {
        indexes: indexes(&["ix_training_metric_timestamp"]),
        backward: true,
        under_limit: true,
        ..analyzed("Index Scan", METRIC, METRIC, [200000.0, 10.0, 1.0, 10.0])
    };
    assert_eq!(explain.scans, [want]);
    assert_eq!(
        explain.summary(),
        "Index Scan Backward using ix_training_metric_timestamp on training_metric"
    );
}

#[test]
fn index_only_scan() {
    let explain = fixture("index_only_scan.json");
    let want = Scan {
        indexes: indexes(&["ix_training_metric_epoch"]),
        ..analyzed(
            "Index Only Scan",
            METRIC,
            METRIC,
            [3860.0, 4000.0, 1.0, 4000.0],
        )
    };
    assert_eq!(explain.scans, [want]);
    assert_eq!(explain.node_count, 2);
}

#[test]
fn bitmap_heap_scan_takes_its_index_scan() {
    let explain = fixture("bitmap_heap_scan.json");
    let want = Scan {
        indexes: indexes(&["ix_training_metric_config_id"]),
        ..analyzed(
            "Bitmap Heap Scan",
            METRIC,
            METRIC,
            [992.0, 1000.0, 1.0, 1000.0],
        )
    };
    assert_eq!(explain.scans, [want]);
    assert_eq!(explain.node_count, 2);
}

#[test]
fn bitmap_and_or_indexes_are_listed_once() {
    let explain = fixture("bitmap_and_or.json");
    let want = Scan {
        indexes: indexes(&["ix_training_metric_config_id", "ix_training_metric_epoch"]),
        ..analyzed("Bitmap Heap Scan", METRIC, METRIC, [38.0, 40.0, 1.0, 40.0])
    };
    assert_eq!(explain.scans, [want]);
    assert_eq!(explain.node_count, 6);
    assert_eq!(
        explain.summary(),
        "Bitmap Heap Scan on training_metric using ix_training_metric_config_id, \
         ix_training_metric_epoch"
    );
}

#[test]
fn seq_scan_hidden_in_an_initplan() {
    let explain = fixture("initplan_seq_scan.json");
    let outer = Scan {
        indexes: indexes(&["training_metric_pkey"]),
        ..analyzed("Index Scan", METRIC, METRIC, [1.0, 1.0, 1.0, 1.0])
    };
    let hidden = Scan {
        context: Some("InitPlan 1 (returns $0)".to_string()),
        ..analyzed(
            "Seq Scan",
            METRIC,
            "training_metric_1",
            [1868.0, 1999.0, 1.0, 200000.0],
        )
    };
    assert_eq!(explain.scans, [outer, hidden]);
}

#[test]
fn correlated_subplan_runs_once_per_outer_row() {
    let explain = fixture("subplan.json");
    let outer = analyzed("Seq Scan", CONFIG, "c", [20.0, 20.0, 1.0, 200.0]);
    let inner = Scan {
        indexes: indexes(&["ix_training_metric_config_id", "ix_training_metric_epoch"]),
        context: Some("SubPlan 1".to_string()),
        ..analyzed("Bitmap Heap Scan", METRIC, "m", [19.0, 20.0, 20.0, 400.0])
    };
    assert_eq!(explain.scans, [outer, inner]);
    assert_eq!(explain.node_count, 6);
}

#[test]
fn materialized_cte_and_its_cte_scan() {
    let explain = fixture("cte_materialized.json");
    let in_cte = Scan {
        indexes: indexes(&["ix_training_metric_timestamp"]),
        context: Some("CTE recent".to_string()),
        ..analyzed(
            "Index Scan",
            METRIC,
            METRIC,
            [27416.0, 27200.0, 1.0, 27200.0],
        )
    };
    // A CTE Scan reads the CTE's stored rows, not a table: no relation, no schema.
    let cte_scan = Scan {
        relation: None,
        schema: None,
        ..analyzed(
            "CTE Scan",
            "(none)",
            "recent",
            [27416.0, 27200.0, 1.0, 27200.0],
        )
    };
    assert_eq!(explain.scans, [in_cte, cte_scan]);
    assert_eq!(
        explain.summary(),
        "Index Scan using ix_training_metric_timestamp on training_metric; CTE Scan on recent"
    );
}

#[test]
fn append_names_each_partition() {
    let explain = fixture("partition_append.json");
    let early = analyzed(
        "Seq Scan",
        "training_metric_part_early",
        "training_metric_part_1",
        [3987.0, 4000.0, 1.0, 40000.0],
    );
    let late = Scan {
        indexes: indexes(&["ix_training_metric_part_late_epoch"]),
        ..analyzed(
            "Bitmap Heap Scan",
            "training_metric_part_late",
            "training_metric_part_2",
            [3920.0, 4000.0, 1.0, 4000.0],
        )
    };
    assert_eq!(explain.scans, [early, late]);
}

#[test]
fn nested_loop_inner_side_loops() {
    let explain = fixture("nested_loop.json");
    let outer = analyzed("Seq Scan", CONFIG, "c", [2.0, 2.0, 1.0, 200.0]);
    let inner = Scan {
        indexes: indexes(&["ix_training_metric_config_id", "ix_training_metric_epoch"]),
        ..analyzed("Bitmap Heap Scan", METRIC, "m", [19.0, 20.0, 2.0, 40.0])
    };
    assert_eq!(explain.scans, [outer, inner]);
    assert_eq!(
        summary(&explain.scans),
        "Seq Scan on training_config c; Bitmap Heap Scan on training_metric m using \
         ix_training_metric_config_id, ix_training_metric_epoch"
    );
}

#[test]
fn never_executed_scan_has_zero_loops() {
    let explain = fixture("never_executed.json");
    let outer = Scan {
        indexes: indexes(&["training_config_pkey"]),
        ..analyzed("Index Scan", CONFIG, "c", [1.0, 0.0, 1.0, 0.0])
    };
    let skipped = Scan {
        indexes: indexes(&["ix_training_metric_config_id"]),
        ..analyzed("Index Only Scan", METRIC, "m", [1000.0, 0.0, 0.0, 0.0])
    };
    assert_eq!(explain.scans, [outer, skipped]);
}

#[test]
fn delete_scans_below_modify_table() {
    let explain = fixture("delete.json");
    let want = Scan {
        indexes: indexes(&["ix_training_metric_epoch"]),
        ..analyzed(
            "Bitmap Heap Scan",
            METRIC,
            METRIC,
            [394.0, 403.0, 1.0, 4000.0],
        )
    };
    assert_eq!(explain.scans, [want]);
    assert_eq!(explain.node_count, 3);
}

#[test]
fn plan_without_analyze_has_no_actuals() {
    let explain = fixture("no_analyze.json");
    let outer = planned("Seq Scan", CONFIG, "c", 2.0);
    let inner = Scan {
        indexes: indexes(&["ix_training_metric_config_id", "ix_training_metric_epoch"]),
        ..planned("Bitmap Heap Scan", METRIC, "m", 19.0)
    };
    assert_eq!(explain.scans, [outer, inner]);
    assert_eq!((explain.planning_ms, explain.execution_ms), (None, None));
    assert_eq!(explain.node_count, 6);
}
