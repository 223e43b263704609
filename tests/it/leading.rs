//! The leading-column rule on a real server: an index reads "through" only when its condition
//! constrains the index's leading column. A composite index (warehouse_id, carrier, shipped_at)
//! queried by a later column is a full index scan, and fails on an empty table (where the
//! planner picks it on a cost tie) as on a loaded one; the leading column, an expression
//! index, a partial index, an ORDER BY … LIMIT and a join parameter pass.

use pgvet::report::Report;
use pgvet::report::model::{QueryResult, ScanVerdict, Status};

use crate::harness::{SuiteDir, TestDb};

/// `shipment` with a composite index and a wide row (so an index-only scan of the composite
/// index is cheaper than a seq scan), `rows` rows, vacuumed and analyzed when loaded. The load
/// commits synchronously: VACUUM marks no page all-visible under an asynchronous commit that
/// has not reached the disk yet (throwaway servers run with synchronous_commit = off).
async fn shipments(rows: u32) -> TestDb {
    let db = TestDb::new().await;
    db.exec(&format!(
        "SET synchronous_commit = on;
         CREATE TABLE warehouse (id int PRIMARY KEY, name text);
         CREATE INDEX ix_warehouse_name ON warehouse (name);
         INSERT INTO warehouse SELECT g, 'w' || g FROM generate_series(1, 20) g;
         CREATE TABLE shipment (id int PRIMARY KEY, warehouse_id int, carrier text,
           shipped_at timestamp, email varchar(50), status text, note text);
         CREATE INDEX ix_shipment_wcs ON shipment (warehouse_id, carrier, shipped_at);
         CREATE INDEX ix_shipment_email_status ON shipment (lower(email), status);
         CREATE INDEX ix_shipment_open ON shipment (shipped_at) WHERE status = 'open';
         INSERT INTO shipment
           SELECT g, 1 + g % 20, (ARRAY['ups', 'dhl', 'fedex', 'usps'])[1 + g % 4],
                  timestamp '2024-01-01' + g * interval '1 minute', 'u' || g || '@example.com',
                  CASE WHEN g % 100 = 0 THEN 'open' ELSE 'done' END, repeat('x', 200)
           FROM generate_series(1, {rows}) g;"
    ))
    .await;
    if rows > 0 {
        db.exec("VACUUM ANALYZE shipment").await;
        db.exec("ANALYZE warehouse").await;
    }
    db
}

fn suite(queries: &[(&str, &str)], allow: &str) -> SuiteDir {
    let mut toml = String::from("[settings]\nmin_rows = 1000\nruns = 1\nwarmup = 0\n");
    for (name, sql) in queries {
        toml.push_str(&format!(
            "\n[[query]]\nname = \"{name}\"\nsql = '''{sql}'''\n{allow}\n"
        ));
    }
    SuiteDir::new(&toml, &[])
}

fn query<'a>(report: &'a Report, name: &str) -> &'a QueryResult {
    report.queries.iter().find(|q| q.name == name).unwrap()
}

/// The verdict of the query's scan of `shipment`.
fn shipment_verdict(q: &QueryResult) -> ScanVerdict {
    q.scans
        .iter()
        .find(|s| s.relation.as_deref() == Some("shipment"))
        .unwrap_or_else(|| panic!("{q:?}"))
        .verdict
}

const LATER_COLUMNS: [(&str, &str); 2] = [
    ("by carrier", "SELECT * FROM shipment WHERE carrier = 'ups'"),
    (
        "by shipped_at",
        "SELECT * FROM shipment WHERE shipped_at > '2024-01-20'",
    ),
];

#[tokio::test]
async fn later_columns_of_a_composite_index_fail_on_an_empty_table() {
    let db = shipments(0).await;
    let mut queries = LATER_COLUMNS.to_vec();
    queries.push((
        "by warehouse",
        "SELECT * FROM shipment WHERE warehouse_id = 3",
    ));
    let report = db.check(&suite(&queries, "")).await;
    for (name, _) in LATER_COLUMNS {
        let q = query(&report, name);
        assert_eq!(q.status, Status::Fail, "{q:?}");
        assert_eq!(shipment_verdict(q), ScanVerdict::NoUsableIndex, "{q:?}");
        assert!(
            q.problems[0].contains("no usable index"),
            "{:?}",
            q.problems
        );
        assert!(q.notes.is_empty(), "{:?}", q.notes);
    }
    let q = query(&report, "by warehouse");
    assert_eq!(q.status, Status::Pass, "{q:?}");
    assert!(
        matches!(
            shipment_verdict(q),
            ScanVerdict::Ok | ScanVerdict::IndexUsable
        ),
        "{q:?}"
    );
}

#[tokio::test]
async fn later_columns_of_a_composite_index_fail_on_a_loaded_table() {
    let db = shipments(50_000).await;
    let mut queries = LATER_COLUMNS.to_vec();
    queries.push((
        "count by carrier",
        "SELECT count(*) FROM shipment WHERE carrier = 'ups'",
    ));
    queries.push((
        "by warehouse",
        "SELECT * FROM shipment WHERE warehouse_id = 3",
    ));
    let report = db.check(&suite(&queries, "")).await;
    for (name, _) in LATER_COLUMNS {
        let q = query(&report, name);
        assert_eq!(q.status, Status::Fail, "{q:?}");
        assert!(
            matches!(
                shipment_verdict(q),
                ScanVerdict::SeqScanOnLargeTable | ScanVerdict::FullIndexScan
            ),
            "{q:?}"
        );
    }
    // An index-only scan of the narrower index beats a seq scan of the wide table, yet reads
    // the whole index: the false pass the rule exists for.
    let q = query(&report, "count by carrier");
    assert_eq!(q.status, Status::Fail, "{q:?}");
    assert_eq!(shipment_verdict(q), ScanVerdict::FullIndexScan, "{q:?}");
    assert!(
        q.plan.as_deref().unwrap().contains("using ix_shipment_wcs"),
        "{q:?}"
    );
    assert!(
        q.problems[0].contains(
            "a full index scan of ix_shipment_wcs (its condition (shipment.carrier = 'ups'::text) does not constrain its leading column warehouse_id"
        ),
        "{:?}",
        q.problems
    );
    let q = query(&report, "by warehouse");
    assert_eq!(
        (q.status, shipment_verdict(q)),
        (Status::Pass, ScanVerdict::Ok),
        "{q:?}"
    );

    // allow_seq_scan accepts a full index scan as it accepts a seq scan.
    let allowed = suite(&queries, "allow_seq_scan = [\"shipment\"]");
    let report = db.check(&allowed).await;
    let q = query(&report, "count by carrier");
    assert_eq!(
        (q.status, shipment_verdict(q)),
        (Status::Pass, ScanVerdict::Allowed),
        "{q:?}"
    );
}

#[tokio::test]
async fn expression_and_partial_indexes_narrow_by_their_own_keys() {
    let db = shipments(0).await;
    let report = db
        .check(&suite(
            &[
                (
                    "by email",
                    "SELECT * FROM shipment WHERE lower(email) = 'u7@example.com'",
                ),
                ("by status", "SELECT * FROM shipment WHERE status = 'done'"),
                (
                    "open ones",
                    "SELECT count(*) FROM shipment WHERE status = 'open'",
                ),
            ],
            "",
        ))
        .await;
    // The expression leads ix_shipment_email_status: compared as PostgreSQL prints it.
    let q = query(&report, "by email");
    assert_eq!(q.status, Status::Pass, "{q:?}");
    // status is its second column; the partial index's predicate is status = 'open' only.
    let q = query(&report, "by status");
    assert_eq!(
        (q.status, shipment_verdict(q)),
        (Status::Fail, ScanVerdict::NoUsableIndex),
        "{q:?}"
    );
    // The partial index holds only the open shipments: reading all of it narrows.
    let q = query(&report, "open ones");
    assert_eq!(q.status, Status::Pass, "{q:?}");
    assert_eq!(
        q.scans[0]
            .usable_index
            .as_deref()
            .or(q.scans[0].index.as_deref()),
        Some("ix_shipment_open"),
        "{q:?}"
    );
}

#[tokio::test]
async fn an_order_under_a_limit_and_a_join_parameter_narrow_but_a_full_walk_does_not() {
    let db = shipments(0).await;
    let report = db
        .check(&suite(
            &[
                (
                    "first ten",
                    "SELECT * FROM shipment ORDER BY warehouse_id, carrier LIMIT 10",
                ),
                ("count all", "SELECT count(*) FROM shipment"),
                (
                    "in order",
                    "SELECT * FROM shipment ORDER BY warehouse_id, carrier",
                ),
            ],
            "",
        ))
        .await;
    assert_eq!(
        query(&report, "first ten").status,
        Status::Pass,
        "{report:?}"
    );
    for name in ["count all", "in order"] {
        let q = query(&report, name);
        assert_eq!(
            (q.status, shipment_verdict(q)),
            (Status::Fail, ScanVerdict::NoUsableIndex),
            "{q:?}"
        );
    }

    let loaded = shipments(20_000).await;
    let join = "SELECT w.name, s.shipped_at FROM warehouse w JOIN shipment s ON s.warehouse_id = w.id WHERE w.name = 'w3' AND s.carrier = 'dhl'";
    loaded
        .exec("SET enable_hashjoin = off; SET enable_mergejoin = off")
        .await;
    let toml = format!(
        "[settings]\nmin_rows = 1000\nruns = 1\nwarmup = 0\n[[query]]\nname = \"join\"\nsql = '''{join}'''\n"
    );
    let report = loaded.check(&SuiteDir::new(&toml, &[])).await;
    let q = query(&report, "join");
    assert_eq!(q.status, Status::Pass, "{q:?}");
    assert_eq!(shipment_verdict(q), ScanVerdict::Ok, "{q:?}");
}

#[tokio::test]
async fn an_index_leading_with_the_column_passes_even_when_a_cost_tie_hides_it() {
    // On an empty analyzed table every index costs the same, and PostgreSQL 14 to 18 break the
    // tie with the index created last: here the composite one, for `carrier = 'ups'`, though
    // ix_shipment_carrier leads with carrier (13 estimates 10 pages and picks the latter).
    let db = shipments(0).await;
    db.exec(
        "CREATE INDEX ix_shipment_carrier ON shipment (carrier);
         DROP INDEX ix_shipment_wcs;
         CREATE INDEX ix_shipment_wcs ON shipment (warehouse_id, carrier, shipped_at);
         ANALYZE shipment;",
    )
    .await;
    let sql = "SELECT * FROM shipment WHERE carrier = 'ups'";
    let report = db.check(&suite(&[("by carrier", sql)], "")).await;
    let q = query(&report, "by carrier");
    assert_eq!(q.status, Status::Pass, "{q:?}");
    // 14 to 18 seq-scan the empty table and prove the index in the re-plan; 13 uses it at once.
    let scan = &q.scans[0];
    assert!(
        matches!(scan.verdict, ScanVerdict::IndexUsable | ScanVerdict::Ok),
        "{q:?}"
    );
    assert_eq!(
        scan.usable_index.as_deref().or(scan.index.as_deref()),
        Some("ix_shipment_carrier"),
        "{q:?}"
    );
}

#[tokio::test]
async fn a_cost_tie_that_leaves_the_leading_column_in_a_filter_still_proves_its_index() {
    // The FastAPI scenario's shape on an empty table: the planner breaks the tie with the index
    // created last, (organization_id, predicted_at), read by its second column, and leaves
    // `model_id = 42` as a Filter, though (model_id, predicted_at) narrows both.
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE prediction (id bigint PRIMARY KEY, model_id int NOT NULL,
           organization_id int NOT NULL, predicted_at timestamptz NOT NULL, note text);
         CREATE INDEX ix_prediction_model_at ON prediction (model_id, predicted_at);
         CREATE INDEX ix_prediction_org_at ON prediction (organization_id, predicted_at);
         ANALYZE prediction;",
    )
    .await;
    let sql =
        "SELECT count(*) FROM prediction WHERE model_id = 42 AND predicted_at >= '2026-01-01'";
    let report = db.check(&suite(&[("of a model", sql)], "")).await;
    let q = query(&report, "of a model");
    assert_eq!(q.status, Status::Pass, "{q:?}");
    let scan = &q.scans[0];
    assert_eq!(
        scan.usable_index.as_deref().or(scan.index.as_deref()),
        Some("ix_prediction_model_at"),
        "{q:?}"
    );
    // Without the model's index nothing narrows model_id: the query fails.
    db.exec("DROP INDEX ix_prediction_model_at").await;
    let report = db.check(&suite(&[("of a model", sql)], "")).await;
    let q = query(&report, "of a model");
    assert_eq!(q.status, Status::Fail, "{q:?}");
}
