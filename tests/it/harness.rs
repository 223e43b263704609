//! Shared test plumbing: a fresh database per test, suites written to temporary directories,
//! the library's run on a real connection, and the binary driven end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use pgvet::db::connect::{self, Connected};
use pgvet::db::conninfo::{ConnSettings, Env};
use pgvet::report::Report;
use pgvet::run::{self, Quiet, RunContext};
use tempfile::TempDir;

/// The server the tests use, as a conninfo string or URL.
pub fn base_conninfo() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => pgvet::ephemeral::shared_for_tests().conninfo(),
    }
}

/// `base` pointing at another database (URL or key=value form).
pub fn with_dbname(base: &str, dbname: &str) -> String {
    if base.starts_with("postgres://") || base.starts_with("postgresql://") {
        let (left, query) = base
            .split_once('?')
            .map_or((base, None), |(l, q)| (l, Some(q)));
        let scheme_end = left.find("://").unwrap() + 3;
        let authority_end = left[scheme_end..]
            .find('/')
            .map_or(left.len(), |i| scheme_end + i);
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        format!("{}/{dbname}{query}", &left[..authority_end])
    } else {
        format!("{base} dbname='{dbname}'")
    }
}

pub async fn connect_to(conninfo: &str) -> Connected {
    let settings =
        ConnSettings::resolve(Some(conninfo), &Env::empty()).expect("test conninfo resolves");
    connect::connect(&settings)
        .await
        .expect("the test server accepts connections")
}

/// A database of its own for one test; dropped (WITH FORCE) when the test ends.
pub struct TestDb {
    pub name: String,
    pub conninfo: String,
    pub conn: Connected,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    pub async fn new() -> TestDb {
        let name = format!(
            "pgvet_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let admin = connect_to(&base_conninfo()).await;
        admin
            .client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("CREATE DATABASE");
        let conninfo = with_dbname(&base_conninfo(), &name);
        let conn = connect_to(&conninfo).await;
        TestDb {
            name,
            conninfo,
            conn,
        }
    }

    /// The CodeTune schema with `configs` × 500 metric rows (fixtures/codetune), not migrated.
    pub async fn codetune(configs: u32) -> TestDb {
        let db = TestDb::new().await;
        db.exec(&read_repo("fixtures/codetune/schema.sql")).await;
        db.exec(&format!(
            "SET pgvet.codetune_configs = {configs};\n{}",
            read_repo("fixtures/codetune/data.sql")
        ))
        .await;
        db
    }

    pub async fn exec(&self, sql: &str) {
        self.conn
            .client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }

    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        self.conn.client.query_one(sql, &[]).await.unwrap().get(0)
    }

    /// Runs a suite through the library on this database.
    pub async fn check(&self, suite: &SuiteDir) -> Report {
        let suite = pgvet::suite::load(Some(suite.path())).expect("the test suite is valid");
        let context = RunContext {
            database: self.name.clone(),
            ..RunContext::of(&self.conn)
        };
        run::run(&self.conn, &suite, context, &Quiet).await
    }

    /// Starts `pgvet check` on this database in the background, saving to `save`, its session
    /// findable by the application name `app`; stdout and stderr are piped.
    pub fn spawn_check(
        &self,
        suite: &SuiteDir,
        save: &Path,
        app: &str,
        extra: &[&str],
    ) -> std::process::Child {
        Command::new(env!("CARGO_BIN_EXE_pgvet"))
            .args(["check", "--db", &self.conninfo, suite.path_str()])
            .args(["--save", save.to_str().unwrap()])
            .args(extra)
            .env("PGAPPNAME", app)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Polls `count_sql` (a count) until it is above 0; fails the test after 20 s saying
    /// `what` never happened.
    pub async fn wait_until(&self, count_sql: &str, what: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while self.scalar_i64(count_sql).await == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{what} never happened"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Runs the pgvet binary with `--db` for this database.
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut all = vec!["check", "--db", &self.conninfo];
        all.extend_from_slice(args);
        pgvet(&all, &[])
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let admin = connect_to(&base_conninfo()).await;
                let _ = admin
                    .client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}

/// A suite file (and its query files) in a temporary directory.
pub struct SuiteDir {
    dir: TempDir,
}

impl SuiteDir {
    pub fn new(toml: &str, files: &[(&str, &str)]) -> SuiteDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pgvet.toml"), toml).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        SuiteDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn path_str(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }
}

/// A copy of the shipped CodeTune suite (queries/codetune) with `runs` timed runs and every
/// time target set to `target_ms`: one no query can miss (600000) or meet (0.000001), so the
/// verdict is constructed and does not depend on this machine's speed.
pub fn codetune_suite(target_ms: &str, runs: u32) -> SuiteDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo("queries/codetune")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("pgvet.toml") {
            let targets = ["target_ms = 20\n", "target_ms = 40\n", "runs = 5\n"];
            assert!(targets.iter().all(|t| text.contains(t)), "{text}");
            text = text
                .replace(targets[0], &format!("target_ms = {target_ms}\n"))
                .replace(targets[1], &format!("target_ms = {target_ms}\n"))
                .replace(targets[2], &format!("runs = {runs}\n"));
        }
        std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
    }
    SuiteDir { dir }
}

/// Runs the pgvet binary with a clean libpq environment plus `env`.
pub fn pgvet(args: &[&str], env: &[(&str, &str)]) -> Output {
    pgvet_command(args, env).output().expect("pgvet runs")
}

/// The pgvet binary with a clean libpq environment plus `env`, not started yet.
pub fn pgvet_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pgvet"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    command
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The repository's own files (fixtures, shipped suites).
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn read_repo(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap()
}
