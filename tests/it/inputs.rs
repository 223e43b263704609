//! Hostile input files through the binary: a named pipe, a device or a directory where a file
//! is expected, a saved run edited by hand. Each is refused at once with a message and exit 2;
//! none hangs, grows without bound or panics.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{SuiteDir, TestDb, pgvet, pgvet_command, repo, stderr, stdout};

/// A named pipe nobody writes to: opening it for reading would wait forever.
fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    path
}

/// Runs pgvet and checks it refused the input at once: exit 2, `expected` on stderr. A pgvet
/// still running after 10 s (waiting on a pipe) is killed and fails the test.
fn refused(args: &[&str], expected: &str) {
    let mut child = pgvet_command(args, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("{args:?}: still running after 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(expected), "{args:?}: {err}");
}

const NOT_REGULAR: &str = "not a regular file";

#[test]
fn a_fifo_as_suite_or_query_file_is_refused_without_blocking() {
    let suite = SuiteDir::new("[[query]]\nname = \"q\"\nfile = \"q.sql\"\n", &[]);
    fifo(suite.path(), "q.sql");
    refused(
        &["check", suite.path_str(), "--db", "host=/nonexistent"],
        "pgvet.toml:3:8: query file",
    );
    refused(
        &["check", suite.path_str(), "--db", "host=/nonexistent"],
        "q.sql: is a named pipe (FIFO), not a regular file",
    );
    let dir = tempfile::tempdir().unwrap();
    let suite_fifo = fifo(dir.path(), "pgvet.toml");
    refused(
        &[
            "check",
            suite_fifo.to_str().unwrap(),
            "--db",
            "host=/nonexistent",
        ],
        "pgvet.toml: is a named pipe (FIFO), not a regular file",
    );
    refused(
        &["check", "/dev/zero", "--db", "host=/nonexistent"],
        "/dev/zero: is a character device",
    );
}

#[test]
fn devices_pipes_and_directories_are_refused_as_saved_runs() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = fifo(dir.path(), "run.json");
    let pipe = pipe.to_str().unwrap();
    let after = repo("fixtures/reports/after.json");
    let after = after.to_str().unwrap();
    let folder = dir.path().to_str().unwrap();
    refused(&["report", "/dev/zero"], "/dev/zero: is a character device");
    refused(&["report", pipe], "run.json: is a named pipe (FIFO)");
    refused(&["report", folder], "is a directory");
    refused(&["compare", "/dev/zero", after], NOT_REGULAR);
    refused(&["compare", after, pipe], NOT_REGULAR);
    let doc = dir.path().join("CHECKLIST.md");
    std::fs::write(&doc, "| Metric | Baseline | Target | Actual |\n").unwrap();
    let doc = doc.to_str().unwrap();
    refused(&["fill", doc, "--results", "/dev/zero"], NOT_REGULAR);
    refused(
        &["fill", doc, "--results", after, "--baseline", pipe],
        NOT_REGULAR,
    );
    refused(
        &["fill", pipe, "--results", after],
        "run.json: is a named pipe (FIFO), not a regular file; pgvet reads checklists only",
    );
    refused(&["fill", "/dev/zero", "--results", after], NOT_REGULAR);
    let suite = SuiteDir::new("[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\n", &[]);
    refused(
        &[
            "check",
            suite.path_str(),
            "--db",
            "host=/nonexistent",
            "--baseline",
            "/dev/zero",
        ],
        "cannot read the saved run /dev/zero: is a character device",
    );
}

#[test]
fn a_setup_file_that_is_a_pipe_fails_before_any_server_starts() {
    let suite = SuiteDir::new("[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\n", &[]);
    let pipe = fifo(suite.path(), "schema.sql");
    refused(
        &[
            "check",
            "--ephemeral",
            "--setup",
            pipe.to_str().unwrap(),
            suite.path_str(),
        ],
        "setup file",
    );
    refused(
        &[
            "check",
            "--ephemeral",
            "--setup",
            "/dev/zero",
            suite.path_str(),
        ],
        "setup file /dev/zero: is a character device",
    );
    refused(
        &[
            "check",
            "--ephemeral",
            "--setup",
            "/nonexistent.sql",
            suite.path_str(),
        ],
        "setup file /nonexistent.sql: No such file",
    );
}

#[test]
fn a_hand_edited_saved_run_is_refused_in_every_format_not_a_panic() {
    // `"median_ms": 1e308` made `pgvet report --format junit` panic with exit 101.
    let text = std::fs::read_to_string(repo("fixtures/reports/after.json")).unwrap();
    let edited = regex::Regex::new(r#""median_ms": [0-9.]+"#)
        .unwrap()
        .replace(&text, "\"median_ms\": 1e308");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.json");
    std::fs::write(&path, edited.as_ref()).unwrap();
    for format in ["text", "json", "markdown", "junit", "github"] {
        refused(
            &["report", path.to_str().unwrap(), "--format", format],
            "timing.median_ms is 1e308 ms; a time is at least 0",
        );
    }
    let newer = text.replace("\"format_version\": 1", "\"format_version\": 2");
    std::fs::write(&path, newer).unwrap();
    refused(
        &["report", path.to_str().unwrap()],
        "report format_version 2 is newer than this pgvet reads (1); upgrade pgvet",
    );
}

#[tokio::test]
async fn a_byte_order_mark_at_the_start_of_query_and_setup_files_is_ignored() {
    let db = TestDb::new().await;
    // Written by an editor that saves "UTF-8 with BOM": the server took it for part of SELECT.
    let suite = SuiteDir::new(
        "\u{feff}[[query]]\nname = \"q\"\nfile = \"q.sql\"\nexpect = \"any\"\n",
        &[("q.sql", "\u{feff}SELECT 1;\n")],
    );
    let out = db.cli(&[suite.path_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::write(
        suite.path().join("schema.sql"),
        "\u{feff}CREATE TABLE bom_t (id int);\nINSERT INTO bom_t VALUES (1);\n",
    )
    .unwrap();
    let file =
        pgvet::db::setup::SetupFile::read(&suite.path().join("schema.sql"), &db.name).unwrap();
    let target = pgvet::db::setup::Target {
        conninfo: db.conninfo.clone(),
        database: db.name.clone(),
    };
    pgvet::db::setup::apply(&target, &file).await.unwrap();
    assert_eq!(db.scalar_i64("SELECT count(*) FROM bom_t").await, 1);
}

#[test]
fn a_malformed_connection_string_never_quotes_its_password() {
    let suite = SuiteDir::new("[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\n", &[]);
    for db in [
        "host=/nonexistent password=hX7q Zr9k",
        "postgresql://u:hX7q/Zr9k@127.0.0.1/db",
        "postgresql://127.0.0.1/db?password=hX7q&Zr9k",
    ] {
        for (args, env) in [
            (vec!["check", suite.path_str(), "--db", db], vec![]),
            (vec!["check", suite.path_str()], vec![("DATABASE_URL", db)]),
        ] {
            let out = pgvet(&args, &env);
            let all = format!("{}{}", stdout(&out), stderr(&out));
            assert_eq!(out.status.code(), Some(2), "{db}: {all}");
            assert!(
                !all.contains("hX7q") && !all.contains("Zr9k"),
                "{db}: {all}"
            );
        }
    }
}
