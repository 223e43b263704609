//! `--setup` files as people have them, applied to a throwaway server as psql would apply
//! them: a real pg_dump (schema, COPY data, its SETs and \restrict) round trip with the same
//! verdicts as on the source database, a session per file, meta-commands refused with their
//! line (or applied with `--setup-with psql`), `\connect` elsewhere refused, COPY row errors
//! with their line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{SuiteDir, TestDb, pgvet_command, repo, stderr, stdout};

/// A TMPDIR the server user can reach (as root the server runs as postgres), checked empty at
/// the end: the throwaway server removed itself.
pub(crate) struct Tmp(tempfile::TempDir);

impl Tmp {
    pub(crate) fn new() -> Tmp {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("pgvet-setup-test")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        Tmp(dir)
    }

    /// Writes a setup file beside (not in) the TMPDIR.
    pub(crate) fn file(&self, name: &str, text: &str) -> String {
        let files = self.0.path().with_extension("files");
        std::fs::create_dir_all(&files).unwrap();
        let path = files.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// `pgvet ARGS` with TMPDIR here and a clean libpq environment.
    fn pgvet(&self, args: &[&str]) -> Command {
        let mut command = pgvet_command(args, &[]);
        command.env("TMPDIR", self.0.path());
        command
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let out = self.pgvet(args).output().unwrap();
        self.assert_nothing_left();
        out
    }

    fn assert_nothing_left(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left: Vec<_> = std::fs::read_dir(self.0.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            if left.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "left behind in TMPDIR: {left:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.path().with_extension("files"));
    }
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

/// What must be the same on the source and on its restored copy: every index verdict, and per
/// query its verdict, plan and row count, and every metric's value.
fn verdicts(report: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for index in report["indexes"].as_array().unwrap() {
        out.push(format!(
            "index {} {} {}",
            index["name"], index["status"], index["problems"]
        ));
    }
    for query in report["queries"].as_array().unwrap() {
        out.push(format!(
            "query {} {} {} rows={}",
            query["name"], query["status"], query["plan"], query["timing"]["rows"]
        ));
    }
    for metric in report["metrics"].as_array().unwrap() {
        out.push(format!("metric {} = {}", metric["label"], metric["actual"]));
    }
    out
}

/// pg_dump beside the server binaries, else on PATH.
fn pg_dump() -> PathBuf {
    pgvet::ephemeral::find_binaries()
        .ok()
        .map(|b| b.bin_dir.join("pg_dump"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("pg_dump"))
}

/// Dumps `db` in plain format (schema and data) to `path`, with `extra` options. Objects owned
/// by a role other than postgres would need that role on the throwaway server, so a test run
/// as another role (DATABASE_URL) dumps without owners and grants.
async fn dump(db: &TestDb, path: &Path, extra: &[&str]) {
    let as_postgres = db
        .scalar_i64("SELECT (current_user = 'postgres')::int::int8")
        .await
        == 1;
    let mut command = Command::new(pg_dump());
    command
        .args(["-d", &db.conninfo, "-f", path.to_str().unwrap()])
        .args(extra);
    if !as_postgres {
        command.args(["--no-owner", "--no-privileges"]);
    }
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") {
            command.env_remove(key);
        }
    }
    let out = command.output().expect("pg_dump runs");
    assert!(out.status.success(), "pg_dump: {}", stderr(&out));
}

#[tokio::test]
async fn a_pg_dump_applied_to_a_throwaway_server_gets_the_source_verdicts() {
    let db = TestDb::new().await;
    db.exec(&std::fs::read_to_string(repo("fixtures/dump/rental.sql")).unwrap())
        .await;
    let suite = SuiteDir::new(
        &std::fs::read_to_string(repo("fixtures/dump/pgvet.toml")).unwrap(),
        &[],
    );
    let tmp = Tmp::new();
    let dump_path = PathBuf::from(tmp.file("dump.sql", ""));
    dump(&db, &dump_path, &[]).await;
    let text = std::fs::read_to_string(&dump_path).unwrap();
    for expected in [
        "SELECT pg_catalog.set_config('search_path', '', false);",
        "COPY public.customer (customer_id, name, note) FROM stdin;\n",
        "\n\\.\n",
        "AS $_$",
    ] {
        assert!(text.contains(expected), "{expected:?} is in the dump");
    }

    let source = db.cli(&[suite.path_str(), "--format", "json"]);
    assert_eq!(source.status.code(), Some(0), "{}", stderr(&source));
    let source = verdicts(&json(&source));
    assert!(
        source
            .iter()
            .filter(|v| v.starts_with("index"))
            .all(|v| v.contains("\"pass\"")),
        "{source:#?}"
    );
    assert!(
        source
            .iter()
            .any(|v| v.contains("Index Scan using rental_pkey")),
        "{source:#?}"
    );

    let dump = dump_path.to_str().unwrap();
    let args = ["check", "--ephemeral", "--setup", dump, suite.path_str()];
    let restored = tmp.run(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(restored.status.code(), Some(0), "{}", stderr(&restored));
    assert_eq!(verdicts(&json(&restored)), source);
}

#[tokio::test]
async fn a_dump_made_with_create_is_refused_at_its_connect() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE t (id int)").await;
    let tmp = Tmp::new();
    let dump_path = PathBuf::from(tmp.file("created.sql", ""));
    dump(&db, &dump_path, &["--create"]).await;
    let text = std::fs::read_to_string(&dump_path).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("\\connect "))
        .expect("pg_dump --create writes \\connect")
        + 1;
    let dump = dump_path.to_str().unwrap();
    let out = tmp.run(&[
        "check",
        "--ephemeral",
        "--setup",
        dump,
        suite_any().path_str(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{dump}:{line}: `\\connect` to the database \"{}\", but pgvet checks the throwaway server's database \"postgres\" only",
            db.name
        )),
        "{err}"
    );
    assert!(err.contains("dump without --create"), "{err}");
}

#[tokio::test]
async fn pg_dump_archives_are_refused_with_how_to_turn_them_into_sql() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100)")
        .await;
    let tmp = Tmp::new();
    for (format, name) in [
        ("custom", "dump.custom"),
        ("directory", "dump.dir"),
        ("tar", "dump.tar"),
    ] {
        let path = PathBuf::from(tmp.file(name, ""));
        std::fs::remove_file(&path).unwrap();
        dump(&db, &path, &["--format", format]).await;
        let path = path.to_str().unwrap();
        let out = tmp.run(&[
            "check",
            "--ephemeral",
            "--setup",
            path,
            suite_any().path_str(),
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "setup file {path}: a pg_dump {format}-format archive, not SQL"
            )) && err.contains(&format!("pg_restore --file=dump.sql {path}")),
            "{err}"
        );
        assert_eq!(err.matches("not SQL").count(), 1, "said once: {err}");
        assert!(!err.contains("UTF-8"), "{err}");
    }
    tmp.assert_nothing_left();
}

#[test]
fn a_role_the_throwaway_server_already_has_is_explained() {
    let tmp = Tmp::new();
    let globals = tmp.file(
        "globals.sql",
        "SET default_transaction_read_only = off;\nCREATE ROLE app;\nCREATE ROLE postgres;\n",
    );
    let out = tmp.run(&[
        "check",
        "--ephemeral",
        "--setup",
        &globals,
        suite_any().path_str(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{globals}:3: ")), "{err}");
    assert!(
        err.contains("role \"postgres\" already exists")
            && err.contains("remove that CREATE ROLE line"),
        "{err}"
    );
}

#[test]
fn setup_with_psql_needs_setup_files() {
    let tmp = Tmp::new();
    let out = tmp.run(&[
        "check",
        "--ephemeral",
        "--setup-with",
        "psql",
        suite_any().path_str(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--setup-with psql applies the --setup files, and none is given"),
        "{err}"
    );
}

/// A suite that checks nothing but a trivial query: for runs where only the setup matters.
fn suite_any() -> SuiteDir {
    SuiteDir::new(
        "[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n",
        &[],
    )
}

#[test]
fn each_setup_file_runs_in_a_session_of_its_own() {
    let tmp = Tmp::new();
    // File 1 sets what pg_dump sets and more, before and after a \connect; file 2 and the
    // checks must see none of it.
    let sets = "SET search_path = elsewhere;\nSELECT pg_catalog.set_config('app.leak', 'file 1', false);\nSET ROLE setup_role;\nSET standard_conforming_strings = off;\n";
    let first = tmp.file(
        "first.sql",
        &format!(
            "CREATE ROLE setup_role;\nCREATE SCHEMA elsewhere;\n{sets}\\connect postgres\nCREATE TABLE after_connect AS SELECT current_setting('search_path') AS search_path, current_setting('app.leak', true) AS leak, current_user AS role;\n{sets}"
        ),
    );
    // With standard_conforming_strings still off, this string would run to the end.
    let second = tmp.file(
        "second.sql",
        "CREATE TABLE seen AS SELECT current_setting('search_path') AS search_path, current_setting('app.leak', true) AS leak, current_user AS role, 'a\\' AS s;\n",
    );
    let defaults = r#"search_path = '"$user", public' AND leak IS NULL AND role = 'postgres'"#;
    let suite = SuiteDir::new(
        &format!(
            r#"[[query]]
name = "seen by file 2"
sql = '''SELECT 1 FROM seen WHERE {defaults} AND s = 'a\' '''
expect = "any"

[[query]]
name = "seen after connect"
sql = '''SELECT 1 FROM after_connect WHERE {defaults}'''
expect = "any"

[[query]]
name = "seen by the checks"
sql = '''SELECT 1 FROM (SELECT current_setting('search_path') AS search_path, current_setting('app.leak', true) AS leak, current_user AS role) AS now WHERE {defaults}'''
expect = "any"
"#
        ),
        &[],
    );
    let out = tmp.run(&[
        "check",
        "--ephemeral",
        "--setup",
        &first,
        "--setup",
        &second,
        suite.path_str(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    for query in report["queries"].as_array().unwrap() {
        assert_eq!(query["timing"]["rows"], 1, "{query:#}");
    }
}

/// A bin directory with the server binaries and no psql, and a PATH without one either.
struct NoPsql(tempfile::TempDir);

impl NoPsql {
    fn new() -> NoPsql {
        let dir = tempfile::tempdir().unwrap();
        let real = pgvet::ephemeral::find_binaries().unwrap().bin_dir;
        for name in ["initdb", "postgres"] {
            std::os::unix::fs::symlink(real.join(name), dir.path().join(name)).unwrap();
        }
        NoPsql(dir)
    }

    fn hide(&self, command: &mut Command) {
        command
            .env("PGVET_PG_BIN", self.0.path())
            .env("PATH", self.0.path());
    }
}

#[test]
fn a_meta_command_is_refused_with_its_line_unless_psql_applies_the_file() {
    let tmp = Tmp::new();
    let file = tmp.file(
        "variables.sql",
        "CREATE TABLE widgets (id int);\n-- psql's own commands:\n\\set tbl gadgets\nCREATE TABLE :\"tbl\" (id int);\n",
    );
    let suite = SuiteDir::new(
        "[[query]]\nname = \"made by psql\"\nsql = \"SELECT * FROM gadgets, widgets\"\nexpect = \"any\"\n",
        &[],
    );
    let args = ["check", "--ephemeral", "--setup", &file, suite.path_str()];
    let refused = format!("{file}:3: `\\set` is a psql meta-command, which pgvet does not run");

    let no_psql = NoPsql::new();
    let mut command = tmp.pgvet(&args);
    no_psql.hide(&mut command);
    let out = command.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&refused), "{err}");
    assert!(
        err.contains("add --setup-with psql, once psql is installed"),
        "{err}"
    );
    tmp.assert_nothing_left();

    let out = tmp.run(&args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&refused), "{err}");
    assert!(err.contains("(add --setup-with psql; psql is /"), "{err}");

    let with_psql = [&args[..], &["--setup-with", "psql"]].concat();
    let out = tmp.run(&with_psql);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let mut command = tmp.pgvet(&with_psql);
    no_psql.hide(&mut command);
    let out = command.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--setup-with psql: no psql found"), "{err}");
    tmp.assert_nothing_left();

    // psql's own error names the file and line.
    let failing = tmp.file(
        "failing.sql",
        "\\set x 1\nSELECT 1;\nSELECT * FROM missing;\n",
    );
    let out = tmp.run(&[
        "check",
        "--ephemeral",
        "--setup-with",
        "psql",
        "--setup",
        &failing,
        suite.path_str(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("setup file {failing} (applied with psql): psql exited with status 3: psql:{failing}:3: ERROR:  relation \"missing\" does not exist")),
        "{err}"
    );
}

#[test]
fn a_copy_row_the_server_refuses_is_named_by_its_file_and_line() {
    let tmp = Tmp::new();
    let suite = suite_any();
    let text = tmp.file(
        "text.sql",
        "CREATE TABLE t (id int PRIMARY KEY, s text);\nCOPY t (id, s) FROM stdin;\n1\ta;b\n2\tit's \\\\ \"q\"\nx\tc\n\\.\n",
    );
    let out = tmp.run(&["check", "--ephemeral", "--setup", &text, suite.path_str()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "setup file {text}:5: ERROR: invalid input syntax for type integer: \"x\" (SQLSTATE 22P02); context: COPY t, line 3, column id: \"x\""
        )),
        "{err}"
    );

    // In CSV a quoted value spans lines; the duplicate is found as the row is inserted.
    let csv = tmp.file(
        "csv.sql",
        "CREATE TABLE t (id int PRIMARY KEY, s text);\n\nCOPY t FROM stdin WITH (FORMAT csv);\n1,\"two\nlines\"\n1,dup\n\\.\n",
    );
    let out = tmp.run(&["check", "--ephemeral", "--setup", &csv, suite.path_str()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "setup file {csv}:6: ERROR: duplicate key value violates unique constraint \"t_pkey\""
        )),
        "{err}"
    );
}
