//! Nothing pgvet runs changes the database: every EXPLAIN ANALYZE and timed run is rolled back,
//! READ ONLY unless the query says `writes = true`; statement_timeout bounds every statement.

use pgvet::report::model::Status;

use crate::harness::{SuiteDir, TestDb, stderr};

async fn table_of_ten() -> TestDb {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' FROM generate_series(1, 10) i;")
        .await;
    db
}

#[tokio::test]
async fn a_delete_without_writes_is_refused_and_changes_nothing() {
    let db = table_of_ten().await;
    let report = db
        .check(&SuiteDir::new(
            "[[query]]\nname = \"purge\"\nsql = \"DELETE FROM t WHERE id > 2\"\nexpect = \"any\"\n",
            &[],
        ))
        .await;
    let q = &report.queries[0];
    assert_eq!(q.status, Status::Error);
    assert!(
        q.error
            .as_deref()
            .unwrap()
            .contains("cannot execute DELETE in a read-only transaction"),
        "{q:?}"
    );
    assert_eq!(db.scalar_i64("SELECT count(*) FROM t").await, 10);
}

#[tokio::test]
async fn a_delete_with_writes_runs_every_time_and_is_rolled_back() {
    let db = table_of_ten().await;
    let toml = "[settings]\nruns = 3\nwarmup = 1\n[[query]]\nname = \"purge\"\nsql = \"DELETE FROM t WHERE id > 2\"\nwrites = true\n";
    let report = db.check(&SuiteDir::new(toml, &[])).await;
    let q = &report.queries[0];
    assert_eq!(q.status, Status::Pass, "{q:?}");
    // Each timed run deleted 8 rows, which means each started from the untouched table.
    assert_eq!(q.timing.as_ref().unwrap().rows, 8);
    assert_eq!(db.scalar_i64("SELECT count(*) FROM t").await, 10);
    assert_eq!(
        db.scalar_i64("SELECT count(*) FROM t WHERE id > 2").await,
        8
    );
}

#[tokio::test]
async fn a_write_hidden_in_a_select_is_refused_too() {
    let db = table_of_ten().await;
    db.exec("CREATE SEQUENCE s; CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'DELETE FROM t RETURNING 1';").await;
    let toml = "[[query]]\nname = \"nextval\"\nsql = \"SELECT nextval('s')\"\nexpect = \"any\"\n
[[query]]\nname = \"function\"\nsql = \"SELECT sneaky()\"\nexpect = \"any\"\n";
    let report = db.check(&SuiteDir::new(toml, &[])).await;
    for q in &report.queries {
        assert_eq!(q.status, Status::Error, "{q:?}");
        assert!(
            q.error
                .as_deref()
                .unwrap()
                .contains("read-only transaction"),
            "{q:?}"
        );
    }
    assert_eq!(db.scalar_i64("SELECT count(*) FROM t").await, 10);
    assert_eq!(db.scalar_i64("SELECT last_value FROM s").await, 1);
    assert_eq!(
        db.scalar_i64("SELECT count(*) FROM s WHERE is_called")
            .await,
        0
    );
}

#[tokio::test]
async fn statement_timeout_fails_the_query_with_the_servers_message() {
    let db = table_of_ten().await;
    let toml = "[settings]\nstatement_timeout = \"200ms\"\n
[[query]]\nname = \"sleepy\"\nsql = \"SELECT pg_sleep(5)\"\nexpect = \"any\"\n
[[query]]\nname = \"quick\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n";
    let started = std::time::Instant::now();
    let report = db.check(&SuiteDir::new(toml, &[])).await;
    assert!(
        started.elapsed().as_secs() < 4,
        "the timeout bounds the run"
    );
    assert!(
        report.queries[0]
            .error
            .as_deref()
            .unwrap()
            .contains("statement timeout"),
        "{:?}",
        report.queries[0]
    );
    assert_eq!(report.queries[1].status, Status::Pass);
}

#[tokio::test]
async fn a_query_file_with_two_statements_is_refused_before_anything_runs() {
    let db = table_of_ten().await;
    let suite = SuiteDir::new(
        "[[query]]\nname = \"two\"\nfile = \"two.sql\"\n",
        &[("two.sql", "SELECT * FROM t;\n-- cleanup\nDELETE FROM t;\n")],
    );
    let out = db.cli(&[suite.path_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("two.sql:3:1: query \"two\" holds more than one statement"),
        "{err}"
    );
    assert_eq!(db.scalar_i64("SELECT count(*) FROM t").await, 10);
}

#[tokio::test]
async fn a_second_statement_hidden_from_the_lexer_is_refused_by_the_server() {
    let db = table_of_ten().await;
    // With standard_conforming_strings off, \' escapes a quote: the server sees three statements
    // where the suite's lexer (standard strings) sees one unterminated string.
    db.exec("SET standard_conforming_strings = off").await;
    let sql = "SELECT 'x\\''; DELETE FROM t; SELECT ''";
    assert_eq!(pgvet::suite::sql::statements(sql).len(), 1);
    let suite = SuiteDir::new(
        "[[query]]\nname = \"sneaky\"\nfile = \"q.sql\"\nexpect = \"any\"\n",
        &[("q.sql", sql)],
    );
    let report = db.check(&suite).await;
    let q = &report.queries[0];
    assert_eq!(q.status, Status::Error, "{q:?}");
    assert!(
        q.error
            .as_deref()
            .unwrap()
            .contains("more than one statement"),
        "{q:?}"
    );
    assert_eq!(db.scalar_i64("SELECT count(*) FROM t").await, 10);
}

fn three_queries() -> SuiteDir {
    SuiteDir::new(
        "[settings]\nstatement_timeout = \"60s\"\nruns = 1\nwarmup = 0\n
[[query]]\nname = \"first\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n
[[query]]\nname = \"long\"\nsql = \"SELECT pg_sleep(30)\"\nexpect = \"any\"\n
[[query]]\nname = \"third\"\nsql = \"SELECT 3\"\nexpect = \"any\"\n",
        &[],
    )
}

async fn wait_for_sleep(db: &TestDb, app: &str) {
    let running = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}' AND query LIKE '%pg_sleep(30)%'"
    );
    db.wait_until(&running, "the long query").await;
}

fn saved_statuses(save: &std::path::Path) -> (serde_json::Value, Vec<(String, String)>) {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(save).unwrap()).unwrap();
    let queries = report["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["status"].as_str().unwrap().to_string(),
                q["error"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (report, queries)
}

#[tokio::test]
async fn ctrl_c_cancels_the_running_statement_reports_and_saves_what_was_finished() {
    let db = table_of_ten().await;
    let (suite, dir) = (three_queries(), tempfile::tempdir().unwrap());
    let save = dir.path().join("partial.json");
    let mut child = db.spawn_check(&suite, &save, "pgvet-ctrl-c-test", &[]);
    wait_for_sleep(&db, "pgvet-ctrl-c-test").await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let sent = std::time::Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        sent.elapsed() < std::time::Duration::from_secs(3),
        "took {:?}",
        sent.elapsed()
    );
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    assert!(
        stdout.contains("stopped early: interrupted by Ctrl-C"),
        "{stdout}"
    );

    let (report, queries) = saved_statuses(&save);
    assert_eq!(report["aborted"]["reason"], "interrupted");
    assert_eq!(queries[0].0, "pass");
    assert!(
        queries[1].1.starts_with("interrupted by Ctrl-C"),
        "{queries:?}"
    );
    assert!(queries[2].1.starts_with("not run"), "{queries:?}");
    // Nothing of pgvet's is left on the server: not the statement, not the session.
    let leftover =
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgvet-ctrl-c-test'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while db.scalar_i64(leftover).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "pgvet's session is still on the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_connection_lost_mid_run_reports_the_rest_as_not_run_and_exits_3() {
    let db = table_of_ten().await;
    let (suite, dir) = (three_queries(), tempfile::tempdir().unwrap());
    let save = dir.path().join("partial.json");
    let mut child = db.spawn_check(&suite, &save, "pgvet-lost-test", &[]);
    wait_for_sleep(&db, "pgvet-lost-test").await;
    db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgvet-lost-test'").await;
    let started = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "no hang: {:?}",
        started.elapsed()
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("the connection to the server was lost"),
        "{stderr}"
    );

    let (report, queries) = saved_statuses(&save);
    assert_eq!(report["aborted"]["reason"], "connection_lost");
    assert_eq!(queries[0].0, "pass");
    assert!(
        queries[1]
            .1
            .contains("terminating connection due to administrator command"),
        "{queries:?}"
    );
    assert!(
        queries[2]
            .1
            .starts_with("not run: the connection to the server was lost"),
        "{queries:?}"
    );
}

#[tokio::test]
async fn a_query_blocked_by_a_lock_fails_at_lock_timeout_instead_of_waiting() {
    let db = table_of_ten().await;
    let locker = crate::harness::connect_to(&db.conninfo).await;
    locker
        .client
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let toml = "[settings]\nlock_timeout = \"300ms\"\nstatement_timeout = \"20s\"\n
[[query]]\nname = \"blocked\"\nsql = \"SELECT count(*) FROM t\"\nexpect = \"any\"\n
[[query]]\nname = \"free\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n";
    let started = std::time::Instant::now();
    let report = db.check(&SuiteDir::new(toml, &[])).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "waited {:?}",
        started.elapsed()
    );
    let blocked = &report.queries[0];
    assert_eq!(blocked.status, Status::Error);
    assert!(
        blocked.error.as_deref().unwrap().contains("lock timeout"),
        "{blocked:?}"
    );
    assert_eq!(report.queries[1].status, Status::Pass);
    locker.client.batch_execute("ROLLBACK").await.unwrap();
}
