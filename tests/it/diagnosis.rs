//! Why an index did not help, on a real server. The targets are ones no query can meet (1 ns)
//! or miss (10 minutes), so the verdicts are constructed; what is asserted is the diagnosis,
//! which follows from the plan's figures: which pages the rows are on, and `work_mem`.

use serde_json::Value;

use crate::harness::{SuiteDir, TestDb, stderr, stdout};

/// `readings`: 50,000 rows, about 33 to a page (1,516 pages), and `sensor = 3` picks every 60th
/// row: 834 rows, each on a page of its own. The database's sessions get `work_mem = 64kB` (so
/// a sort of those rows spills) and `enable_seqscan = off` (so the planner reads them through
/// the index, as a migration's author expects it to).
async fn readings() -> TestDb {
    let db = TestDb::new().await;
    db.exec(&format!(
        "CREATE TABLE readings (id int PRIMARY KEY, sensor int NOT NULL, pad text NOT NULL);
         INSERT INTO readings SELECT i, i % 60, repeat('x', 200) FROM generate_series(1, 50000) i;
         CREATE INDEX ix_readings_sensor ON readings (sensor);
         ALTER DATABASE {0} SET work_mem = '64kB';
         ALTER DATABASE {0} SET enable_seqscan = off;",
        db.name
    ))
    .await;
    db.exec("VACUUM ANALYZE readings").await;
    db
}

const SUITE: &str = r#"
[settings]
runs = 3
warmup = 0

[[query]]
name = "scattered"
sql = "SELECT * FROM readings WHERE sensor = 3"
target_ms = 0.000001

[[query]]
name = "scattered and sorted"
sql = "SELECT * FROM readings WHERE sensor = 3 ORDER BY pad, id"
target_ms = 0.000001

[[query]]
name = "within its target"
sql = "SELECT * FROM readings WHERE sensor = 3"
target_ms = 600000
"#;

fn causes(query: &Value) -> Vec<&str> {
    query["diagnosis"]["causes"]
        .as_array()
        .unwrap_or_else(|| panic!("no diagnosis: {query:#}"))
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_index_that_reads_most_pages_or_sorts_on_disk_is_diagnosed() {
    let db = readings().await;
    let suite = SuiteDir::new(SUITE, &[]);
    let out = db.cli(&[suite.path_str(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let [scattered, sorted, within] = report["queries"].as_array().unwrap().as_slice() else {
        panic!("three queries: {report:#}")
    };

    assert_eq!(causes(scattered), ["most_pages"], "{scattered:#}");
    let message = scattered["diagnosis"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "ix_readings_sensor returns 834 rows, 1.67% of the 50,000 in readings, from 834 of \
             its 1,516 pages; it read 55% of the pages, about what a seq scan reads"
        ),
        "{message}"
    );
    assert_eq!(
        scattered["diagnosis"]["symptom"].as_str().unwrap(),
        format!(
            "missed its 0.000 ms target ({})",
            pgvet::report::ms(scattered["timing"]["median_ms"].as_f64().unwrap())
        )
    );
    let figures = &scattered["plan_figures"]["scans"][0];
    assert_eq!(
        (
            figures["relation_pages"].as_f64(),
            figures["index_method"].as_str()
        ),
        (Some(1516.0), Some("btree"))
    );

    assert_eq!(causes(sorted), ["sort_spill", "most_pages"], "{sorted:#}");
    let message = sorted["diagnosis"]["message"].as_str().unwrap();
    assert!(
        message.contains("; a Sort spilled 208 kB to disk (external merge);"),
        "{message}"
    );
    assert!(
        message
            .ends_with(": raise work_mem above the size spilled, or let an index supply the order")
    );

    assert_eq!(within["status"], "pass", "{within:#}");
    assert_eq!(within["diagnosis"], Value::Null);

    // The text report gives the same sentence under the query's findings.
    let out = db.cli(&[suite.path_str()]);
    let text = stdout(&out);
    assert!(
        text.contains("why it missed its 0.000 ms target ("),
        "{text}"
    );
}
