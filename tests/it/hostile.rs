//! A hostile database user: functions and operators planted to take the place of the built-in
//! ones pgvet's own statements call, metrics that are not queries, session state a query leaves
//! behind, and locks held by another session. None of it may run, leak or lose the run.

use pgvet::report::model::{AbortReason, MetricStatus, Status};

use crate::harness::{SuiteDir, TestDb, stderr, stdout};

/// Objects an unprivileged role planted in `public`, each a better match than (or, with
/// `public` first in the search_path, the same match as) what pgvet's own SQL calls. Every one
/// tries to make its owner a superuser; inside a READ ONLY transaction that fails loudly.
const PLANTED: &[&str] = &[
    "generate_series(int, smallint) RETURNS SETOF int",
    "generate_series(int, int) RETURNS SETOF int",
    "unnest(text[]) RETURNS SETOF text",
    "pg_get_indexdef(oid, int, boolean) RETURNS text",
    "pg_get_indexdef(oid) RETURNS text",
    "pg_get_expr(pg_node_tree, oid, boolean) RETURNS text",
    "pg_get_expr(pg_node_tree, oid) RETURNS text",
    "current_setting(text) RETURNS text",
    "pg_is_in_recovery() RETURNS boolean",
    "format_type(oid, int) RETURNS text",
    "quote_ident(text) RETURNS text",
    "to_char(timestamptz, text) RETURNS text",
    "has_table_privilege(oid, oid, text) RETURNS boolean",
    "has_schema_privilege(oid, oid, text) RETURNS boolean",
    "has_sequence_privilege(oid, oid, text) RETURNS boolean",
    "current_schemas(boolean) RETURNS name[]",
    "pg_advisory_unlock_all() RETURNS void",
];

/// Operators of pgvet's catalog joins and of the driver's own type look-ups (for a column of
/// an enum, domain or composite type), planted with the same signatures as pg_catalog's.
const PLANTED_OPERATORS: &[(&str, &str, &str)] = &[
    ("=", "name", "text"),
    ("=", "oid", "oid"),
    ("=", "\"char\"", "\"char\""),
    (">", "smallint", "int"),
];

pub(crate) async fn plant(db: &TestDb, role: &str) {
    db.exec(&format!(
        "CREATE ROLE {role}; GRANT CREATE ON SCHEMA public TO {role}; SET ROLE {role};"
    ))
    .await;
    let escalate = format!("EXECUTE 'ALTER ROLE {role} SUPERUSER'");
    for signature in PLANTED {
        let (head, returns) = signature.split_once(" RETURNS ").unwrap();
        let body = match returns {
            r if r.starts_with("SETOF int") => "RETURN NEXT 1;",
            r if r.starts_with("SETOF text") => "RETURN NEXT 'x';",
            "void" => "RETURN;",
            "boolean" => "RETURN true;",
            "name[]" => "RETURN ARRAY['public']::name[];",
            _ => "RETURN 'x';",
        };
        db.exec(&format!(
            "CREATE FUNCTION public.{head} RETURNS {returns} LANGUAGE plpgsql AS $$ BEGIN {escalate}; {body} END $$;"
        ))
        .await;
    }
    for (n, (op, left, right)) in PLANTED_OPERATORS.iter().enumerate() {
        db.exec(&format!(
            "CREATE FUNCTION public.planted_op_{n}({left}, {right}) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN {escalate}; RETURN true; END $$;
             CREATE OPERATOR public.{op} (LEFTARG = {left}, RIGHTARG = {right}, FUNCTION = public.planted_op_{n});"
        ))
        .await;
    }
    db.exec("RESET ROLE").await;
    // The database owner puts `public` first, so same-signature objects win unqualified names.
    db.exec(&format!(
        "ALTER DATABASE {} SET search_path = public, pg_catalog",
        db.name
    ))
    .await;
}

pub(crate) async fn is_superuser(db: &TestDb, role: &str) -> bool {
    let sql = format!("SELECT rolsuper::int::bigint FROM pg_roles WHERE rolname = '{role}'");
    db.scalar_i64(&sql).await == 1
}

#[tokio::test]
async fn planted_functions_and_operators_never_run_in_pgvets_own_statements() {
    let db = TestDb::new().await;
    let role = format!("mallory_{}", db.name);
    // Small, so the query's seq scan is sized and the query planned again. Its columns of an
    // enum, a domain and a composite type make the driver look their types up in the catalog.
    db.exec(
        "CREATE TYPE mood AS ENUM ('calm'); CREATE DOMAIN positive AS int CHECK (VALUE > 0);
         CREATE TYPE pair AS (a int, b text); CREATE DOMAIN small AS smallint;
         CREATE TABLE t (id int PRIMARY KEY, v text, m mood, d positive, p pair, s small); CREATE SEQUENCE t_seq;
         INSERT INTO t SELECT i, 'v', 'calm', i, ROW(i, 'b')::pair, 1 FROM generate_series(1, 50) i; ANALYZE t;
         CREATE TABLE c (t_id int REFERENCES t); CREATE INDEX ON c (t_id);",
    )
    .await;
    plant(&db, &role).await;
    db.exec(&format!(
        "GRANT SELECT ON t TO {role}; GRANT USAGE ON SEQUENCE t_seq TO {role}"
    ))
    .await;

    // The plants work: unpinned, in a READ ONLY transaction, they are picked and try to escalate.
    let control = crate::harness::connect_to(&db.conninfo).await;
    for probe in [
        "SELECT * FROM generate_series(1, 2::smallint)",
        "SELECT * FROM unnest(ARRAY['a']::text[])",
        "SELECT 'a'::name = 'a'::text",
        "SELECT 1::smallint > 0",
        "SELECT 1::oid = 1::oid",
        "SELECT pg_advisory_unlock_all()",
        "SELECT format_type(23::oid, -1)",
        "SELECT has_schema_privilege(1::oid, 1::oid, 'USAGE')",
    ] {
        control
            .client
            .batch_execute("BEGIN TRANSACTION READ ONLY")
            .await
            .unwrap();
        let err = control.client.batch_execute(probe).await.unwrap_err();
        control.client.batch_execute("ROLLBACK").await.unwrap();
        assert!(
            format!("{err:?}").contains("cannot execute ALTER ROLE in a read-only transaction"),
            "{probe}: {err:?}"
        );
    }

    // The allow_seq_scan entry matches nothing: it only makes pgvet look up t's parents.
    let suite = SuiteDir::new(
        &"[settings]\nruns = 2\n
[[index]]\nname = \"t_pkey\"\ntable = \"t\"\ncolumns = [\"id\"]\nunique = true\n
[[table]]\nname = \"t\"\ncolumns = { id = \"int\", m = \"mood\", s = \"small\" }\n
[[foreign_key]]\ntable = \"c\"\ncolumns = [\"t_id\"]\nreferences = \"t\"\n
[[privilege]]\nrole = \"ROLE\"\ntable = \"t\"\nprivileges = [\"SELECT\"]\n
[[privilege]]\nrole = \"ROLE\"\nschema = \"public\"\nprivileges = [\"USAGE\", \"CREATE\"]\n
[[privilege]]\nrole = \"ROLE\"\nsequence = \"t_seq\"\nprivileges = [\"USAGE\"]\n
[[query]]\nname = \"by id\"\nsql = \"SELECT v, m, d, p FROM t WHERE id > 0\"\nallow_seq_scan = [\"nothing_*\"]\n
[[metric]]\nlabel = \"one\"\nsql = \"SELECT s FROM t WHERE id = 1\"\n"
            .replace("\"ROLE\"", &format!("\"{role}\"")),
        &[],
    );
    let out = db.cli(&[suite.path_str(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report:#}\n{}", stderr(&out));
    assert_eq!(report["indexes"][0]["status"], "pass", "{report:#}");
    assert_eq!(report["indexes"][0]["actual_columns"][0], "id");
    for kind in ["tables", "foreign_keys", "privileges"] {
        let statuses: Vec<&str> = report[kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert!(statuses.iter().all(|s| *s == "pass"), "{kind}: {report:#}");
    }
    // Types of the application's schema read with it, as pgvet's pinned search_path prints them.
    assert_eq!(
        report["tables"][0]["actual_columns"][2]["type"],
        "public.mood"
    );
    let scan = &report["queries"][0]["scans"][0];
    assert_eq!(report["queries"][0]["status"], "pass", "{report:#}");
    // A seq scan of a small table: sized from the catalog, then planned again.
    assert_eq!(
        (scan["node_type"].as_str(), scan["relation_rows"].as_f64()),
        (Some("Seq Scan"), Some(50.0)),
        "{scan}"
    );
    assert_eq!(scan["verdict"], "index_usable", "{scan}");
    assert_eq!(report["metrics"][0]["actual"], 1.0);
    assert!(!is_superuser(&db, &role).await);
    // The user is told of a superuser and of the search_path that shadows pg_catalog.
    let superuser = db
        .scalar_i64("SELECT rolsuper::int::bigint FROM pg_roles WHERE rolname = current_user")
        .await
        == 1;
    assert_eq!(report["superuser"], superuser);
    let err = stderr(&out);
    assert_eq!(err.contains("connected as superuser"), superuser, "{err}");
    assert!(
        err.contains("search_path puts public before pg_catalog"),
        "{err}"
    );

    db.exec(&format!(
        "DROP OWNED BY {role}; ALTER DATABASE {} RESET search_path",
        db.name
    ))
    .await;
    db.exec(&format!("DROP ROLE {role}")).await;
}

#[tokio::test]
async fn a_metric_that_is_not_a_query_is_refused_before_anything_runs() {
    let db = TestDb::new().await;
    let marker = std::env::temp_dir().join(format!("pgvet-copy-{}", db.name));
    let suite = SuiteDir::new(
        &format!(
            "[[metric]]\nlabel = \"ok\"\nsql = \"SELECT 1\"\n
[[metric]]\nlabel = \"shell\"\nsql = \"COPY (SELECT 1) TO PROGRAM 'touch {}'\"\n",
            marker.display()
        ),
        &[],
    );
    let out = db.cli(&[suite.path_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pgvet.toml:7:7: metric \"shell\" must be a query"),
        "{}",
        stderr(&out)
    );
    assert!(!marker.exists());
    // One that passes the first keyword but returns other than one column is an error of its own.
    let report = db
        .check(&SuiteDir::new(
            "[[metric]]\nlabel = \"two\"\nsql = \"SELECT 1, 2\"\n
[[metric]]\nlabel = \"into\"\nsql = \"SELECT 1 AS x INTO TABLE pgvet_made\"\n
[[metric]]\nlabel = \"fine\"\nsql = \"SELECT 3\"\n",
            &[],
        ))
        .await;
    let errors: Vec<_> = report.metrics.iter().map(|m| m.error.clone()).collect();
    assert!(
        errors[0].as_deref().unwrap().contains("exactly one column")
            && errors[0].as_deref().unwrap().contains("returns 2"),
        "{errors:?}"
    );
    assert!(
        errors[1].as_deref().unwrap().contains("returns 0"),
        "{errors:?}"
    );
    assert_eq!(
        (errors[2].as_deref(), report.metrics[2].actual),
        (None, Some(3.0))
    );
    assert_eq!(
        db.scalar_i64("SELECT count(*) FROM pg_class WHERE relname = 'pgvet_made'")
            .await,
        0
    );
}

#[tokio::test]
async fn each_check_leaves_the_session_as_it_found_it() {
    let db = TestDb::new().await;
    let suite = SuiteDir::new(
        "[settings]\nruns = 2\nstatement_timeout = \"30s\"\n
[[query]]\nname = \"lock\"\nsql = \"SELECT pg_advisory_lock(4242)\"\nexpect = \"any\"\n
[[query]]\nname = \"settings\"\nsql = \"SELECT set_config('statement_timeout', '1', false), set_config('work_mem', '64kB', false), set_config('search_path', 'nowhere', false)\"\nexpect = \"any\"\n
[[metric]]\nlabel = \"advisory locks held\"\nsql = \"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()\"\ntarget = 0\n
[[metric]]\nlabel = \"statement_timeout\"\nsql = \"SELECT extract(epoch FROM current_setting('statement_timeout')::interval)\"\nunit = \"s\"\n
[[metric]]\nlabel = \"work_mem\"\nsql = \"SELECT pg_size_bytes(current_setting('work_mem'))\"\n
[[metric]]\nlabel = \"search_path\"\nsql = \"SELECT length(current_setting('search_path'))\"\n",
        &[],
    );
    let fresh = crate::harness::connect_to(&db.conninfo).await;
    let default_work_mem: i64 = fresh
        .client
        .query_one("SELECT pg_size_bytes(current_setting('work_mem'))", &[])
        .await
        .unwrap()
        .get(0);
    let default_path: i32 = fresh
        .client
        .query_one("SELECT length(current_setting('search_path'))", &[])
        .await
        .unwrap()
        .get(0);
    let report = db.check(&suite).await;
    assert_eq!(report.status, Status::Pass, "{report:#?}");
    let value = |label: &str| {
        report
            .metrics
            .iter()
            .find(|m| m.label == label)
            .and_then(|m| m.actual)
    };
    assert_eq!(report.metrics[0].status, Some(MetricStatus::Met));
    assert_eq!(value("advisory locks held"), Some(0.0));
    assert_eq!(value("statement_timeout"), Some(30.0));
    assert_eq!(value("work_mem"), Some(default_work_mem as f64));
    assert_eq!(value("search_path"), Some(default_path as f64));
    // After the run too: no advisory lock of pgvet's session remains.
    let held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'";
    assert_eq!(db.scalar_i64(held).await, 0);
}

/// A session that holds an ACCESS EXCLUSIVE lock on `t` until it is dropped.
async fn lock_table(db: &TestDb) -> pgvet::db::connect::Connected {
    let locker = crate::harness::connect_to(&db.conninfo).await;
    locker
        .client
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    locker
}

async fn table_t(db: &TestDb) {
    db.exec("CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE u (id int PRIMARY KEY);")
        .await;
}

#[tokio::test]
async fn a_lock_on_an_indexed_table_errors_the_index_checks_and_the_rest_still_runs() {
    let db = TestDb::new().await;
    table_t(&db).await;
    let _locker = lock_table(&db).await;
    let suite = SuiteDir::new(
        "[settings]\nlock_timeout = \"300ms\"\n
[[index]]\nname = \"t_pkey\"\ntable = \"t\"\n
[[query]]\nname = \"free\"\nsql = \"SELECT id FROM u WHERE id = 1\"\n
[[metric]]\nlabel = \"one\"\nsql = \"SELECT 1\"\n",
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("run.json");
    let out = db.cli(&[suite.path_str(), "--save", save.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("lock timeout"), "{text}");
    assert!(text.contains("1 of 1 index could not be checked"), "{text}");
    let saved: pgvet::report::Report =
        serde_json::from_str(&std::fs::read_to_string(&save).unwrap()).unwrap();
    assert_eq!(saved.indexes[0].status, Status::Error);
    assert!(
        saved.indexes[0]
            .message
            .as_deref()
            .unwrap()
            .contains("lock timeout")
    );
    assert_eq!(
        saved.queries[0].status,
        Status::Pass,
        "{:?}",
        saved.queries[0]
    );
    assert_eq!(saved.metrics[0].actual, Some(1.0));
    assert!(saved.aborted.is_none());
}

async fn wait_for_lock_wait(db: &TestDb, app: &str) {
    let waiting = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}' AND wait_event_type = 'Lock'"
    );
    db.wait_until(&waiting, "pgvet waiting for the lock").await;
}

fn blocked_suite() -> SuiteDir {
    SuiteDir::new(
        "[settings]\nlock_timeout = \"60s\"\n
[[index]]\nname = \"t_pkey\"\ntable = \"t\"\n
[[query]]\nname = \"later\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n",
        &[],
    )
}

#[tokio::test]
async fn ctrl_c_or_a_lost_connection_during_the_index_lookup_keeps_the_documented_exit_status() {
    let db = TestDb::new().await;
    table_t(&db).await;
    let _locker = lock_table(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let suite = blocked_suite();

    for (signal, code, reason) in [
        (libc::SIGINT, 130, AbortReason::Interrupted),
        (libc::SIGTERM, 143, AbortReason::Interrupted),
        (0, 3, AbortReason::ConnectionLost),
    ] {
        let app = format!("pgvet-lookup-{code}");
        let save = dir.path().join(format!("{code}.json"));
        let mut child = db.spawn_check(&suite, &save, &app, &[]);
        wait_for_lock_wait(&db, &app).await;
        if signal == 0 {
            db.exec(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{app}'"
            ))
            .await;
        } else {
            unsafe { libc::kill(child.id() as i32, signal) };
        }
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{app}");
        let saved: pgvet::report::Report =
            serde_json::from_str(&std::fs::read_to_string(&save).unwrap()).unwrap();
        assert_eq!(
            saved.aborted.as_ref().map(|a| a.reason),
            Some(reason),
            "{app}"
        );
        assert_eq!(saved.indexes[0].status, Status::Error);
        assert!(
            saved.queries[0]
                .error
                .as_deref()
                .unwrap()
                .starts_with("not run"),
            "{:?}",
            saved.queries[0]
        );
    }
}

#[tokio::test]
async fn ctrl_c_between_many_fast_runs_stops_at_once_and_keeps_the_runs_done() {
    let db = TestDb::new().await;
    let suite = SuiteDir::new(
        "[settings]\nruns = 100000\nwarmup = 0\n
[[query]]\nname = \"first\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n
[[query]]\nname = \"fast\"\nsql = \"SELECT 2\"\nexpect = \"any\"\n",
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let save = dir.path().join(format!("{round}.json"));
        let child = db.spawn_check(&suite, &save, "pgvet-fast-runs", &["--format", "json"]);
        // Some moment within the timed runs of the first query or the second.
        let jitter = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as u64
            % 400;
        tokio::time::sleep(std::time::Duration::from_millis(600 + 600 * round + jitter)).await;
        let sent = std::time::Instant::now();
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        // Read while waiting: the JSON with tens of thousands of samples outgrows a pipe.
        let output = child.wait_with_output().unwrap();
        let stopped_in = sent.elapsed();
        assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
        assert!(
            stopped_in < std::time::Duration::from_secs(2),
            "took {stopped_in:?}"
        );
        let out = stdout(&output);
        let printed: pgvet::report::Report = serde_json::from_str(&out).unwrap();
        let saved: pgvet::report::Report =
            serde_json::from_str(&std::fs::read_to_string(&save).unwrap()).unwrap();
        assert_eq!(printed.queries.len(), saved.queries.len());
        let interrupted: Vec<_> = saved
            .queries
            .iter()
            .filter(|q| {
                q.error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("interrupted by Ctrl-C after"))
            })
            .collect();
        assert_eq!(interrupted.len(), 1, "{:#?}", saved.queries);
        let timing = interrupted[0]
            .timing
            .as_ref()
            .expect("the runs done are kept");
        assert!(
            timing.runs > 0
                && timing.runs < 100_000
                && timing.samples_ms.len() == timing.runs as usize
        );
        assert!(
            interrupted[0]
                .error
                .as_deref()
                .unwrap()
                .contains(&format!("after {} of 100000 timed runs", timing.runs)),
            "{:?}",
            interrupted[0].error
        );
    }
}
