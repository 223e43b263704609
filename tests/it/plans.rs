//! The plan check on real plans: seq scans on large relations wherever they hide (parallel
//! workers, InitPlans, subqueries, CTEs, partitions), the small-table rule, and a query that
//! errors while the others still run.

use pgvet::check::scans::INDEX_USABLE_NOTE;
use pgvet::report::Report;
use pgvet::report::model::{QueryResult, ScanVerdict, Status};

use crate::harness::{SuiteDir, TestDb};

/// A table `big` of 5,000 rows (min_rows = 1000 in the suites below), indexed on `id` only, and
/// a small one of 20 rows with an index on `code`.
async fn tables() -> TestDb {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE big (id int PRIMARY KEY, grp int, note text);
         INSERT INTO big SELECT i, i % 50, 'n' || i FROM generate_series(1, 5000) i;
         CREATE TABLE small (id int PRIMARY KEY, code text, label text);
         CREATE INDEX ix_small_code ON small (code);
         INSERT INTO small SELECT i, 'c' || i, 'l' || i FROM generate_series(1, 20) i;
         CREATE TABLE tiny_unindexed (id int, label text);
         INSERT INTO tiny_unindexed SELECT i, 'l' || i FROM generate_series(1, 20) i;
         ANALYZE;",
    )
    .await;
    db
}

fn suite(queries: &[(&str, &str)]) -> SuiteDir {
    let mut toml = String::from("[settings]\nmin_rows = 1000\nruns = 2\nwarmup = 0\n");
    for (name, sql) in queries {
        toml.push_str(&format!(
            "\n[[query]]\nname = \"{name}\"\nsql = '''{sql}'''\n"
        ));
    }
    SuiteDir::new(&toml, &[])
}

fn query<'a>(report: &'a Report, name: &str) -> &'a QueryResult {
    report.queries.iter().find(|q| q.name == name).unwrap()
}

fn assert_fails_with_seq_scan_on_big(report: &Report, name: &str, context: Option<&str>) {
    let q = query(report, name);
    assert_eq!(q.status, Status::Fail, "{name}: {q:?}");
    let scan = q
        .scans
        .iter()
        .find(|s| s.verdict == ScanVerdict::SeqScanOnLargeTable)
        .unwrap_or_else(|| panic!("{name}: {q:?}"));
    assert!(
        scan.relation.as_deref().unwrap().starts_with("big"),
        "{name}: {scan:?}"
    );
    if let Some(context) = context {
        assert!(
            scan.context.as_deref().unwrap_or("").contains(context),
            "{name}: {scan:?}"
        );
    }
    assert!(
        q.problems
            .iter()
            .any(|p| p.contains("expected an index scan")),
        "{name}: {:?}",
        q.problems
    );
}

#[tokio::test]
async fn seq_scans_on_a_large_table_are_found_wherever_they_hide() {
    let db = tables().await;
    let report = db
        .check(&suite(&[
            ("top level", "SELECT * FROM big WHERE grp = 7"),
            ("in an InitPlan", "SELECT * FROM small WHERE id = (SELECT max(grp) FROM big)"),
            ("in a subquery", "SELECT * FROM small s WHERE EXISTS (SELECT 1 FROM big b WHERE b.note = s.label OFFSET 0)"),
            ("in a CTE", "WITH g AS MATERIALIZED (SELECT grp FROM big WHERE note LIKE 'n1%') SELECT count(*) FROM g"),
            ("by index", "SELECT * FROM big WHERE id = 42"),
        ]))
        .await;
    assert_fails_with_seq_scan_on_big(&report, "top level", None);
    assert_fails_with_seq_scan_on_big(&report, "in an InitPlan", Some("InitPlan"));
    assert_fails_with_seq_scan_on_big(&report, "in a subquery", Some("SubPlan"));
    assert_fails_with_seq_scan_on_big(&report, "in a CTE", Some("CTE g"));
    let by_index = query(&report, "by index");
    assert_eq!(by_index.status, Status::Pass, "{by_index:?}");
    assert_eq!(
        by_index.plan.as_deref(),
        Some("Index Scan using big_pkey on big")
    );
    assert_eq!(by_index.timing.as_ref().unwrap().rows, 1);
}

#[tokio::test]
async fn a_parallel_seq_scan_is_a_seq_scan() {
    let db = tables().await;
    db.exec(&format!(
        "ALTER DATABASE {} SET parallel_setup_cost = 0; ALTER DATABASE {0} SET parallel_tuple_cost = 0;
         ALTER DATABASE {0} SET min_parallel_table_scan_size = 0; ALTER DATABASE {0} SET max_parallel_workers_per_gather = 2;",
        db.name
    ))
    .await;
    let fresh = crate::harness::connect_to(&db.conninfo).await;
    let suite = suite(&[("parallel", "SELECT count(*) FROM big WHERE note LIKE '%7%'")]);
    let loaded = pgvet::suite::load(Some(suite.path())).unwrap();
    let report = pgvet::run::run(&fresh, &loaded, Default::default(), &pgvet::run::Quiet).await;
    let q = query(&report, "parallel");
    let scan = &q.scans[0];
    assert!(scan.parallel && scan.node_type == "Seq Scan", "{scan:?}");
    assert_eq!(scan.verdict, ScanVerdict::SeqScanOnLargeTable);
    assert_eq!(q.status, Status::Fail);
    // Judged as a whole (per-worker averages are rounded, hence the range).
    assert!(
        (5000.0..5010.0).contains(&scan.relation_rows.unwrap()),
        "{scan:?}"
    );
    assert!(
        q.plan
            .as_deref()
            .unwrap()
            .contains("Parallel Seq Scan on big"),
        "{:?}",
        q.plan
    );
}

#[tokio::test]
async fn a_seq_scan_on_a_large_partition_names_the_partition() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE events (id int, at date, kind text) PARTITION BY RANGE (at);
         CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         CREATE INDEX ix_events_id ON events (id);
         INSERT INTO events SELECT i, date '2024-01-01' + (i % 700), 'k' || (i % 9) FROM generate_series(1, 6000) i;
         ANALYZE events;",
    )
    .await;
    let report = db
        .check(&suite(&[
            ("by kind", "SELECT * FROM events WHERE kind = 'k3'"),
            ("by id", "SELECT * FROM events WHERE id = 5"),
        ]))
        .await;
    let q = query(&report, "by kind");
    assert_eq!(q.status, Status::Fail);
    let relations: Vec<_> = q
        .scans
        .iter()
        .map(|s| s.relation.clone().unwrap())
        .collect();
    assert_eq!(relations, ["events_2024", "events_2025"]);
    assert!(
        q.scans
            .iter()
            .all(|s| s.verdict == ScanVerdict::SeqScanOnLargeTable),
        "{:?}",
        q.scans
    );
    assert_eq!(
        query(&report, "by id").status,
        Status::Pass,
        "{:?}",
        query(&report, "by id")
    );
}

#[tokio::test]
async fn small_tables_pass_when_an_index_is_usable_and_fail_when_none_is() {
    let db = tables().await;
    let report = db
        .check(&suite(&[
            ("usable", "SELECT * FROM small WHERE code = 'c3'"),
            (
                "unusable",
                "SELECT * FROM tiny_unindexed WHERE label = 'l3'",
            ),
            (
                "unusable on an indexed table",
                "SELECT * FROM small WHERE label = 'l3'",
            ),
        ]))
        .await;
    let usable = query(&report, "usable");
    assert_eq!(usable.status, Status::Pass, "{usable:?}");
    assert_eq!(
        usable.plan.as_deref(),
        Some("Seq Scan on small"),
        "20 rows: the planner rightly seq-scans"
    );
    assert_eq!(
        usable.notes,
        [format!(
            "small: {INDEX_USABLE_NOTE} (ix_small_code); Seq Scan on small chosen on a small table (20 rows, fewer than min_rows = 1000)"
        )]
    );
    assert_eq!(usable.scans[0].verdict, ScanVerdict::IndexUsable);
    for name in ["unusable", "unusable on an indexed table"] {
        let q = query(&report, name);
        assert_eq!(q.status, Status::Fail, "{q:?}");
        assert_eq!(q.scans[0].verdict, ScanVerdict::NoUsableIndex);
        assert!(
            q.problems[0].contains("no usable index"),
            "{:?}",
            q.problems
        );
    }
}

#[tokio::test]
async fn allow_seq_scan_and_expect_any_do_not_judge_seq_scans() {
    let db = tables().await;
    let toml = "[settings]\nmin_rows = 1000\nruns = 1\nwarmup = 0\n
[[query]]\nname = \"allowed\"\nsql = \"SELECT * FROM big WHERE grp = 1\"\nallow_seq_scan = [\"public.big\"]\n
[[query]]\nname = \"measured\"\nsql = \"SELECT * FROM big WHERE grp = 1\"\nexpect = \"any\"\n";
    let report = db.check(&SuiteDir::new(toml, &[])).await;
    for q in &report.queries {
        assert_eq!(q.status, Status::Pass, "{q:?}");
        assert_eq!(q.scans[0].verdict, ScanVerdict::Allowed);
    }
}

#[tokio::test]
async fn one_query_erroring_does_not_stop_the_others() {
    let db = tables().await;
    let report = db
        .check(&suite(&[
            ("missing table", "SELECT * FROM no_such_table"),
            ("syntax", "SELEC 1"),
            ("fine", "SELECT * FROM big WHERE id = 1"),
        ]))
        .await;
    let missing = query(&report, "missing table");
    assert_eq!(missing.status, Status::Error);
    assert!(
        missing
            .error
            .as_deref()
            .unwrap()
            .contains("relation \"no_such_table\" does not exist"),
        "{missing:?}"
    );
    assert!(
        query(&report, "syntax")
            .error
            .as_deref()
            .unwrap()
            .contains("syntax error")
    );
    assert_eq!(query(&report, "fine").status, Status::Pass);
    assert_eq!(
        (report.summary.queries_errored, report.status),
        (2, Status::Fail)
    );
}

#[tokio::test]
async fn a_missed_target_fails_and_fills_the_metrics_table() {
    // Verdicts no machine can change: pg_sleep(0.02) takes at least 20 ms, so it cannot meet
    // 5 ms, and SELECT 1 cannot take 10 minutes.
    let db = tables().await;
    let toml = "[settings]\nruns = 3\nwarmup = 0\n
[[query]]\nname = \"slow\"\nsql = \"SELECT pg_sleep(0.02)\"\nexpect = \"any\"\nmetric = \"Sleep time\"\nbaseline_ms = 100\ntarget_ms = 5\n
[[query]]\nname = \"fast\"\nsql = \"SELECT 1\"\ntarget_ms = 600000\n";
    let report = db.check(&SuiteDir::new(toml, &[])).await;
    let slow = query(&report, "slow");
    assert_eq!(slow.status, Status::Fail);
    assert!(
        slow.problems[0].contains("over the target of 5 ms"),
        "{:?}",
        slow.problems
    );
    let timing = slow.timing.as_ref().unwrap();
    assert!(timing.median_ms >= 20.0 && timing.runs == 3, "{timing:?}");
    let rows: Vec<_> = report
        .metrics
        .iter()
        .map(|m| (m.label.as_str(), m.status))
        .collect();
    use pgvet::report::model::MetricStatus::*;
    assert_eq!(rows, [("Sleep time", Some(Missed)), ("fast", Some(Met))]);
    assert_eq!(report.metrics[0].baseline_ms, Some(100.0));
}

#[tokio::test]
async fn a_full_index_walk_with_a_filter_does_not_prove_a_forgotten_index() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE m (id int PRIMARY KEY, epoch int, step int);
         INSERT INTO m SELECT i, i % 10, i FROM generate_series(1, 50) i;
         ANALYZE m;",
    )
    .await;
    let sql = "SELECT * FROM m WHERE epoch = 3 ORDER BY id";
    let report = db.check(&suite(&[("no epoch index", sql)])).await;
    let q = query(&report, "no epoch index");
    assert_eq!(q.status, Status::Fail, "{q:?}");
    assert_eq!(q.scans[0].verdict, ScanVerdict::NoUsableIndex);

    db.exec("CREATE INDEX ix_m_epoch ON m (epoch)").await;
    let report = db.check(&suite(&[("with epoch index", sql)])).await;
    let q = query(&report, "with epoch index");
    assert_eq!(q.status, Status::Pass, "{q:?}");
    assert_eq!(q.scans[0].usable_index.as_deref(), Some("ix_m_epoch"));
}

#[tokio::test]
async fn a_large_table_never_analyzed_is_large_even_under_a_limit() {
    let db = TestDb::new().await;
    // No ANALYZE and no autovacuum: reltuples stays -1, and the LIMIT stops the scan early.
    db.exec(
        "CREATE TABLE fresh (id int, grp int) WITH (autovacuum_enabled = off);
         INSERT INTO fresh SELECT i, i % 7 FROM generate_series(1, 20000) i;",
    )
    .await;
    let report = db
        .check(&suite(&[(
            "limited",
            "SELECT * FROM fresh WHERE grp > 0 LIMIT 20",
        )]))
        .await;
    let q = query(&report, "limited");
    assert_eq!(q.status, Status::Fail, "{q:?}");
    assert_eq!(q.scans[0].verdict, ScanVerdict::SeqScanOnLargeTable);
    // Counted, reading no more than min_rows rows.
    assert_eq!(q.scans[0].relation_rows, Some(1000.0));
}

#[tokio::test]
async fn each_side_of_a_self_join_is_judged_by_its_own_alias() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE node (id int PRIMARY KEY, parent int, label text);
         INSERT INTO node SELECT i, i / 2, 'n' || i FROM generate_series(1, 30) i;
         ANALYZE node;",
    )
    .await;
    let sql =
        "SELECT c.label, p.label FROM node c JOIN node p ON p.id = c.parent WHERE c.label = 'n7'";
    let report = db.check(&suite(&[("self join", sql)])).await;
    let q = query(&report, "self join");
    let problem_for = |alias: &str| {
        q.problems
            .iter()
            .find(|p| p.contains(&format!("node {alias} ")))
    };
    // c has no index on label: no usable index. p is reached through the primary key.
    assert!(problem_for("c").is_some(), "{q:?}");
    assert!(problem_for("p").is_none(), "{q:?}");
}
