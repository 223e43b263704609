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

#[tokio::test]
async fn ctrl_c_cancels_the_running_statement_on_the_server() {
    let db = table_of_ten().await;
    let suite = SuiteDir::new(
        "[settings]\nstatement_timeout = \"60s\"\n[[query]]\nname = \"long\"\nsql = \"SELECT pg_sleep(30)\"\nexpect = \"any\"\n",
        &[],
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pgvet"))
        .args(["check", "--db", &db.conninfo, suite.path_str()])
        .env("PGAPPNAME", "pgvet-ctrl-c-test")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let running = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while db.scalar_i64(running).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the query never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
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
    // Nothing of pgvet's is left on the server: not the statement, not the session.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let leftover = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
        db.name
    );
    while db.scalar_i64(&leftover).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "pgvet's session is still on the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
