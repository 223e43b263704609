//! Queries with `$1…$n`: `params` bound as a prepared statement (the plan for those values, the
//! timed runs through the extended protocol), the load-time count check, values that do not fit
//! their type, and `$n` without params: an error before PostgreSQL 16, the generic plan from 16
//! on. The 16+ test runs on a throwaway server from `PGVET_TEST_PG16_BIN` (fetched by
//! `.ci/pg-binaries.sh 16`), or on the test server itself when that is 16 or newer.

use pgvet::db::connect::Connected;
use pgvet::ephemeral::{Options, Probe, TempServer, find_binaries_with};
use pgvet::report::Report;
use pgvet::report::model::{PlanKind, Protocol, QueryResult, ScanVerdict, Status};
use pgvet::run::{self, Quiet, RunContext};
use pgvet::suite::params::Param;

use crate::harness::{SuiteDir, TestDb, connect_to, stderr};

/// `shipment`: 20,000 rows, 1 in 1,000 shipped by "rare" and the rest by "common", with an index
/// on (carrier, shipped_at) and none on warehouse_id. The planner reads "rare" through the index
/// and "common" whole, so a plan shows which value it was made for.
const SHIPMENTS: &str = "
    CREATE TABLE shipment (id int PRIMARY KEY, warehouse_id int, carrier text, shipped_at date, note text);
    INSERT INTO shipment
        SELECT i, i % 50, CASE WHEN i % 1000 = 0 THEN 'rare' ELSE 'common' END,
               DATE '2026-01-01' + i % 365, 'n' || i
        FROM generate_series(1, 20000) i;
    CREATE INDEX ix_shipment_carrier ON shipment (carrier, shipped_at);
    ANALYZE shipment;";

const BY_CARRIER: &str =
    "SELECT id, note FROM shipment WHERE carrier = $1 AND shipped_at >= $2 AND id > $3";

fn suite(entries: &str) -> SuiteDir {
    let toml = format!("[settings]\nmin_rows = 1000\nruns = 3\nwarmup = 1\n{entries}");
    SuiteDir::new(&toml, &[])
}

fn query(sql: &str, params: &str) -> String {
    format!("\n[[query]]\nname = \"q\"\nsql = \"{sql}\"\n{params}\n")
}

fn the_query(report: &Report) -> &QueryResult {
    &report.queries[0]
}

async fn shipments() -> TestDb {
    let db = TestDb::new().await;
    db.exec(SHIPMENTS).await;
    db
}

#[tokio::test]
async fn params_are_bound_and_the_plan_is_the_one_for_those_values() {
    let db = shipments().await;
    let report = db
        .check(&suite(&query(
            BY_CARRIER,
            "params = [\"rare\", 2026-01-01, 0]",
        )))
        .await;
    let q = the_query(&report);
    assert_eq!(q.status, Status::Pass, "{q:?}");
    let plan = q.plan.as_deref().unwrap();
    assert!(plan.contains("ix_shipment_carrier"), "{plan}");
    assert_eq!(q.plan_kind, Some(PlanKind::Custom));
    let params = q.params.as_ref().unwrap();
    let types: Vec<_> = params.iter().map(|p| p.type_name.as_deref()).collect();
    assert_eq!(types, [Some("text"), Some("date"), Some("integer")]);
    assert_eq!(params[1].value, Param::Text("2026-01-01".into()));
    // EXPLAIN ANALYZE executed the query with the values: 20 shipments by "rare".
    assert_eq!(q.scans[0].rows_actual, Some(20.0), "{:?}", q.scans);
    let timing = q.timing.as_ref().unwrap();
    assert_eq!(timing.protocol, Protocol::Extended);
    assert_eq!(timing.rows, 20);
    // The plan cache counted every execution: one warm-up and three timed runs (14+).
    if major(&db.conn) >= 14 {
        let cache = timing
            .plan_cache
            .expect("pg_prepared_statements has the counts");
        assert_eq!(cache.custom_plans + cache.generic_plans, 4, "{cache:?}");
    }
    // The prepared statement is closed afterwards: the session is left as it was found.
    let left: i64 = db
        .conn
        .client
        .query_one(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%' || $1",
            &[&BY_CARRIER],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_value_that_makes_the_planner_read_the_table_whole_fails() {
    let db = shipments().await;
    let report = db
        .check(&suite(&query(
            BY_CARRIER,
            "params = [\"common\", 2026-01-01, 0]",
        )))
        .await;
    let q = the_query(&report);
    assert_eq!(q.status, Status::Fail, "{q:?}");
    assert!(
        q.scans
            .iter()
            .any(|s| s.verdict == ScanVerdict::SeqScanOnLargeTable),
        "{:?}",
        q.scans
    );
    assert!(
        q.problems
            .iter()
            .any(|p| p.contains("Seq Scan on shipment")),
        "{:?}",
        q.problems
    );
}

#[tokio::test]
async fn arrays_enums_and_a_query_that_writes_are_bound_and_rolled_back() {
    let db = shipments().await;
    db.exec(
        "CREATE TYPE state AS ENUM ('open', 'shipped');
         ALTER TABLE shipment ADD COLUMN state state NOT NULL DEFAULT 'open';",
    )
    .await;
    let entries = format!(
        "{}{}{}",
        query(
            "SELECT * FROM shipment WHERE id = ANY($1)",
            "params = [[1, 2, 3]]"
        ),
        "\n[[query]]\nname = \"enum\"\nsql = \"SELECT id FROM shipment WHERE state = $1 AND id < $2\"\nparams = [\"open\", 10]\n",
        "\n[[query]]\nname = \"w\"\nsql = \"UPDATE shipment SET note = $1 WHERE id = $2\"\nwrites = true\nparams = [\"changed\", 7]\n"
    );
    let report = db.check(&suite(&entries)).await;
    let any = the_query(&report);
    assert_eq!(any.status, Status::Pass, "{any:?}");
    assert_eq!(any.timing.as_ref().unwrap().rows, 3);
    // An enum's label is a string the server reads with the enum's input function.
    let state = &report.queries[1];
    assert_eq!(state.status, Status::Pass, "{state:?}");
    assert_eq!(state.timing.as_ref().unwrap().rows, 9);
    let types: Vec<_> = state
        .params
        .as_ref()
        .unwrap()
        .iter()
        .map(|p| p.type_name.clone())
        .collect();
    assert_eq!(
        types,
        [Some("state".to_string()), Some("integer".to_string())]
    );
    let w = &report.queries[2];
    assert_eq!(w.status, Status::Pass, "{w:?}");
    assert_eq!(w.timing.as_ref().unwrap().rows, 1);
    let changed = db
        .scalar_i64("SELECT count(*) FROM shipment WHERE note = 'changed'")
        .await;
    assert_eq!(changed, 0);
}

#[tokio::test]
async fn a_value_that_does_not_fit_names_the_parameter_and_its_type() {
    let db = shipments().await;
    let entries = format!(
        "{}{}",
        query(BY_CARRIER, "params = [\"rare\", 2026-01-01, true]"),
        "\n[[query]]\nname = \"refused by the server\"\nsql = \"SELECT * FROM shipment WHERE warehouse_id = $1 AND carrier = $2\"\nparams = [\"dhl\", \"rare\"]\n"
    );
    let report = db.check(&suite(&entries)).await;
    let q = the_query(&report);
    assert_eq!(q.status, Status::Error);
    let error = q.error.as_deref().unwrap();
    assert!(
        error.ends_with("pgvet.toml:9: params: $3 is integer (as the server infers it from the SQL), and true is a boolean; write a whole number"),
        "the value, its type and the suite's line: {error}"
    );
    let q = &report.queries[1];
    assert_eq!(q.status, Status::Error);
    let error = q.error.as_deref().unwrap();
    assert!(
        error.starts_with("params: $1 is integer (as the server infers it from the SQL), and the server refused \"dhl\": ERROR: invalid input syntax for type integer: \"dhl\""),
        "{error}"
    );
}

#[test]
fn a_count_that_does_not_match_is_refused_before_connecting() {
    let suite = suite(&query(BY_CARRIER, "params = [\"rare\", 2026-01-01]"));
    // No server is needed: the suite is refused while it loads, with the params line.
    let out = crate::harness::pgvet(
        &[
            "check",
            "--db",
            "postgresql://nobody@127.0.0.1:1/none",
            suite.path_str(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("pgvet.toml:9:10: query \"q\" has 2 values in params for 3 parameters in its SQL ($1…$3); give one value per parameter, in order"),
        "{err}"
    );
}

#[tokio::test]
async fn parameters_without_params_before_postgresql_16_are_an_error_naming_params() {
    let db = shipments().await;
    let major = major(&db.conn);
    if major >= 16 {
        println!(
            "skipped: the test server is PostgreSQL {major}; this test needs one before 16 (the 16+ behaviour has its own test)"
        );
        return;
    }
    let report = db
        .check(&suite(&query("SELECT * FROM shipment WHERE id = $1", "")))
        .await;
    let q = the_query(&report);
    assert_eq!(q.status, Status::Error);
    let error = q.error.as_deref().unwrap();
    assert!(
        error.contains(
            "pgvet.toml:7: the query uses $1 and has no params; add `params = [...]` to its [[query]]"
        ) && error.ends_with(&format!("this server is PostgreSQL {major})")),
        "{error}"
    );
}

#[tokio::test]
async fn parameters_without_params_from_postgresql_16_are_checked_by_the_generic_plan() {
    let (server, conn) = match std::env::var_os("PGVET_TEST_PG16_BIN").filter(|v| !v.is_empty()) {
        Some(bin) => {
            let binaries = find_binaries_with(&Probe {
                pg_bin: Some(bin.into()),
                ..Probe::default()
            })
            .expect("PGVET_TEST_PG16_BIN names a bin directory with initdb and postgres");
            assert!(
                binaries.major >= 16,
                "PGVET_TEST_PG16_BIN holds PostgreSQL {}; it must be 16 or newer",
                binaries.version
            );
            let server = TempServer::start(Options {
                binaries: Some(binaries),
                ..Options::default()
            })
            .expect("a PostgreSQL 16+ server starts");
            let conn = connect_to(&server.conninfo()).await;
            (Some(server), conn)
        }
        None => {
            let conn = connect_to(&crate::harness::base_conninfo()).await;
            let major = major(&conn);
            if major < 16 {
                println!(
                    "skipped: needs PostgreSQL 16+; the test server is {major} and PGVET_TEST_PG16_BIN is not set (PGVET_TEST_PG16_BIN=$(.ci/pg-binaries.sh 16) runs it)"
                );
                return;
            }
            (None, conn)
        }
    };
    if server.is_none() {
        // The test server itself is 16+: use a database of its own there.
        let db = shipments().await;
        return check_generic(&db.conn, &db.name).await;
    }
    conn.client.batch_execute(SHIPMENTS).await.unwrap();
    check_generic(&conn, "postgres").await;
}

async fn check_generic(conn: &Connected, database: &str) {
    let suite = suite(&format!(
        "{}{}{}",
        query("SELECT * FROM shipment WHERE id = $1", ""),
        "\n[[query]]\nname = \"seq\"\nsql = \"SELECT * FROM shipment WHERE warehouse_id = $1\"\n",
        "\n[[query]]\nname = \"bound\"\nsql = \"SELECT * FROM shipment WHERE id = $1\"\nparams = [7]\n"
    ));
    let suite = pgvet::suite::load(Some(suite.path())).unwrap();
    let context = RunContext {
        database: database.into(),
        ..RunContext::of(conn)
    };
    let report = run::run(conn, &suite, context, &Quiet).await;
    let q = the_query(&report);
    assert_eq!(q.status, Status::Pass, "{q:?}");
    assert_eq!(q.plan_kind, Some(PlanKind::Generic));
    assert_eq!(
        q.plan.as_deref(),
        Some("Index Scan using shipment_pkey on shipment")
    );
    assert!(q.timing.is_none(), "{q:?}");
    assert_eq!(
        q.notes,
        [
            "generic plan (EXPLAIN (GENERIC_PLAN)); not timed: the query uses $1 and has no params, add `params = [...]` to its [[query]] to time it"
        ]
    );
    let seq = &report.queries[1];
    assert_eq!(seq.status, Status::Fail, "{seq:?}");
    assert_eq!(seq.plan_kind, Some(PlanKind::Generic));
    assert!(
        seq.scans
            .iter()
            .any(|s| s.verdict == ScanVerdict::SeqScanOnLargeTable),
        "{:?}",
        seq.scans
    );
    // With params, the same server binds them: the custom plan, timed as a prepared statement.
    let bound = &report.queries[2];
    assert_eq!(bound.status, Status::Pass, "{bound:?}");
    assert_eq!(bound.plan_kind, Some(PlanKind::Custom));
    let timing = bound.timing.as_ref().unwrap();
    assert_eq!((timing.protocol, timing.rows), (Protocol::Extended, 1));
    let cache = timing.plan_cache.unwrap();
    assert_eq!(cache.custom_plans + cache.generic_plans, 4, "{cache:?}");
}

fn major(conn: &Connected) -> u32 {
    let digits: String = conn
        .server_version
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}
