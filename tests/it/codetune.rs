//! The seed checklist's scenario (queries/codetune, fixtures/codetune) through the binary:
//! before the migration pgvet names the missing indexes and the seq scans and exits 1; after
//! it, exit 0. Also the CI case: the migrated schema with no data at all. Where a verdict
//! would depend on the checklist's time targets, the suite is a copy with targets no query can
//! miss or meet, so no test depends on this machine's speed.

use serde_json::Value;

use crate::harness::{SuiteDir, TestDb, codetune_suite, read_repo, repo, stderr, stdout};

const EXPECTED_INDEXES: [&str; 8] = [
    "ix_training_config_model_type",
    "ix_training_config_dataset_name",
    "ix_training_config_created_at",
    "ix_training_metric_config_id",
    "ix_training_metric_epoch",
    "ix_training_metric_step",
    "ix_training_metric_timestamp",
    "ix_metric_config_epoch_step",
];

fn suite_dir() -> String {
    repo("queries/codetune").to_str().unwrap().to_string()
}

fn json_check(db: &TestDb) -> (i32, Value) {
    json_check_suite(db, &suite_dir())
}

fn json_check_suite(db: &TestDb, suite: &str) -> (i32, Value) {
    let out = db.cli(&[suite, "--format", "json"]);
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    (out.status.code().unwrap(), report)
}

/// 200 configs × 500 metric rows: 100,000 rows, the full scenario's shape at a tenth.
async fn codetune_with_data() -> TestDb {
    TestDb::codetune(200).await
}

#[tokio::test]
async fn before_the_migration_indexes_are_missing_and_queries_seq_scan() {
    let db = codetune_with_data().await;
    let (code, report) = json_check(&db);
    assert_eq!(code, 1);
    assert_eq!(report["status"], "fail");
    assert_eq!(report["format_version"], 1);
    let names: Vec<&str> = report["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, EXPECTED_INDEXES);
    assert!(
        report["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["problem"] == "missing" && i["status"] == "fail")
    );
    for q in report["queries"].as_array().unwrap() {
        assert_eq!(q["status"], "fail", "{q}");
        let seq = q["scans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["relation"] == "training_metric")
            .unwrap();
        assert_eq!(seq["node_type"], "Seq Scan", "{q}");
        assert!(
            q["problems"][0]
                .as_str()
                .unwrap()
                .contains("Seq Scan on training_metric"),
            "{q}"
        );
    }
}

/// The shipped suite with targets no query can miss.
fn targets_met() -> SuiteDir {
    codetune_suite("600000", 5)
}

#[tokio::test]
async fn after_the_migration_every_check_passes_with_index_scans() {
    let db = codetune_with_data().await;
    db.exec(&read_repo("fixtures/codetune/migration.sql")).await;
    let suite = targets_met();
    let out = db.cli(&[suite.path_str()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("Index Scan using ix_training_metric_config_id on training_metric"),
        "{text}"
    );
    assert!(
        text.contains("Index Scan Backward using ix_training_metric_timestamp on training_metric"),
        "{text}"
    );
    assert!(text.contains("Avg query time (experiments)"), "{text}");
    assert!(
        text.contains("PASS: 8 indexes and 4 queries checked"),
        "{text}"
    );

    let (code, report) = json_check_suite(&db, suite.path_str());
    assert_eq!((code, report["status"].as_str()), (0, Some("pass")));
    let metrics = report["metrics"].as_array().unwrap();
    // Two query times, then the checklist's monitoring metrics (connection usage, table size).
    assert_eq!(metrics.len(), 4);
    assert_eq!(metrics[2]["label"], "Database connection pool usage");
    assert_eq!(
        (metrics[2]["unit"].as_str(), metrics[2]["status"].as_str()),
        (Some("%"), Some("met"))
    );
    assert_eq!(metrics[0]["label"], "Avg query time (experiments)");
    assert_eq!(
        (
            metrics[0]["baseline_ms"].as_f64(),
            metrics[0]["target_ms"].as_f64()
        ),
        (Some(100.0), Some(600000.0))
    );
    assert_eq!(metrics[0]["status"], "met");
    assert!(metrics[0]["actual_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(metrics[1]["label"], "Avg query time (metrics filter)");
    let timing = &report["queries"][0]["timing"];
    assert_eq!(
        (timing["runs"].as_u64(), timing["rows"].as_u64()),
        (Some(5), Some(500))
    );
    assert!(
        report["queries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["diagnosis"].is_null()),
        "nothing fell short, so nothing is diagnosed: {report:#}"
    );
}

#[tokio::test]
async fn a_target_no_query_can_meet_is_missed_and_diagnosed_from_the_plan() {
    let db = codetune_with_data().await;
    db.exec(&read_repo("fixtures/codetune/migration.sql")).await;
    let (code, report) = json_check_suite(&db, codetune_suite("0.000001", 3).path_str());
    assert_eq!(code, 1);
    let metrics = report["metrics"].as_array().unwrap();
    assert_eq!(
        (metrics[0]["status"].as_str(), metrics[1]["status"].as_str()),
        (Some("missed"), Some("missed"))
    );
    let epoch = &report["queries"][1];
    assert_eq!(epoch["name"], "filter by epoch");
    assert!(
        epoch["problems"][0]
            .as_str()
            .unwrap()
            .contains("is over the target of 0.000001 ms"),
        "{epoch:#}"
    );
    // The plan's own figures: 4,628 of 100,000 rows from 145 of the table's 841 pages.
    let message = epoch["diagnosis"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "ix_training_metric_epoch returns 4,628 rows, 4.63% of the 100,000 in \
             training_metric, from 145 of its 841 pages; "
        ),
        "{message}"
    );
    // The two queries without a target fell short of nothing.
    assert!(report["queries"][2]["diagnosis"].is_null());
    assert!(report["queries"][3]["diagnosis"].is_null());
}

#[tokio::test]
async fn an_empty_migrated_schema_passes_on_the_small_table_rule_and_an_unmigrated_one_fails() {
    let db = TestDb::new().await;
    db.exec(&read_repo("fixtures/codetune/schema.sql")).await;
    let (code, report) = json_check(&db);
    assert_eq!(code, 1);
    for q in report["queries"].as_array().unwrap() {
        assert!(q["problems"].to_string().contains("no usable index"), "{q}");
    }
    db.exec(&read_repo("fixtures/codetune/migration.sql")).await;
    let (code, report) = json_check_suite(&db, targets_met().path_str());
    assert_eq!(code, 0, "{report:#}");
    let notes: Vec<String> = report["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["notes"].to_string())
        .collect();
    assert!(
        notes.iter().any(
            |n| n.contains("training_metric: index usable (ix_training_metric_")
                && n.contains("chosen on a small table (0 rows, fewer than min_rows = 1000)")
        ),
        "{notes:?}"
    );
}
