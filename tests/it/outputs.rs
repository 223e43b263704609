//! Where results go, through the binary: a checklist filled in place through a symbolic link,
//! a `--save` or `--output` file that cannot be written, and what reaches a terminal.

use crate::harness::{SuiteDir, TestDb, pgvet, pgvet_command, read_repo, repo, stderr, stdout};

#[test]
fn fill_in_place_writes_through_a_symlink_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("docs").join("CHECKLIST.md");
    std::fs::create_dir(target.parent().unwrap()).unwrap();
    let original = read_repo("fixtures/checklists/codetune_deployment.md");
    std::fs::write(&target, &original).unwrap();
    let link = dir.path().join("CHECKLIST.md");
    std::os::unix::fs::symlink("docs/CHECKLIST.md", &link).unwrap();
    let results = repo("fixtures/reports/after.json");
    let out = pgvet(
        &[
            "fill",
            link.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
            "--in-place",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::Path::new("docs/CHECKLIST.md")
    );
    let filled = std::fs::read_to_string(&target).unwrap();
    assert_ne!(filled, original, "the link's target was not filled");
    assert!(
        filled.contains("| Avg query time (experiments) | 100ms | 20ms | ")
            && !filled.contains("| Avg query time (experiments) | 100ms | 20ms | ___ |"),
        "{filled}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 2, "no temporary file is left beside the link");
}

#[tokio::test]
async fn a_save_file_that_cannot_be_written_still_shows_the_report_and_names_the_file() {
    let db = TestDb::new().await;
    let passing = SuiteDir::new(
        "[[query]]\nname = \"one\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n",
        &[],
    );
    let out = db.cli(&[passing.path_str(), "--save", "/dev/full"]);
    let (text, err) = (stdout(&out), stderr(&out));
    assert!(text.contains("PASS: 1 query checked"), "{text}");
    assert!(
        err.contains("the run was not saved (--save): writing /dev/full: No space left on device"),
        "{err}"
    );
    // The run passed, but the file the pipeline relies on is missing: exit 2.
    assert_eq!(out.status.code(), Some(2), "{err}");

    let failing = SuiteDir::new("[[index]]\nname = \"ix_nowhere\"\ntable = \"t\"\n", &[]);
    let out = db.cli(&[failing.path_str(), "--save", "/dev/full"]);
    assert!(stdout(&out).contains("FAIL: 1 of 1 index failed"));
    assert!(stderr(&out).contains("/dev/full"));
    assert_eq!(out.status.code(), Some(1), "a failed run keeps its status");

    let out = db.cli(&[passing.path_str(), "--format", "json", "-o", "/dev/full"]);
    let err = stderr(&out);
    assert!(
        err.contains("the report was not written (--output): writing /dev/full")
            && err.contains("it follows on stdout"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "pass");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_saved_run_rendered_to_a_full_disk_is_shown_on_stdout() {
    let after = repo("fixtures/reports/after.json");
    let out = pgvet(
        &[
            "report",
            after.to_str().unwrap(),
            "--format",
            "markdown",
            "-o",
            "/dev/full",
        ],
        &[],
    );
    assert!(stdout(&out).contains("**pgvet: PASS**"), "{}", stdout(&out));
    assert!(stderr(&out).contains("writing /dev/full"));
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn control_characters_from_the_suite_and_the_server_are_escaped_in_text_output() {
    let db = TestDb::new().await;
    // The query's name and the server's message (it quotes the relation) carry ESC, CR and CSI.
    let suite = SuiteDir::new(
        "[[query]]\nname = \"red \\u001b[31mname\\r\"\nsql = \"SELECT * FROM \\\"t\\u001b[2J\\u009bx\\\"\"\n",
        &[],
    );
    let out = db.cli(&[suite.path_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(text.contains("red \\u{1b}[31mname\\r"), "{text}");
    assert!(
        text.contains("relation \"t\\u{1b}[2J\\u{9b}x\" does not exist"),
        "{text}"
    );
    // The JSON keeps the text as it is (escaped the JSON way).
    let out = db.cli(&[suite.path_str(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["queries"][0]["name"], "red \u{1b}[31mname\r");
}

#[test]
fn an_output_pipe_that_nobody_reads_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("report.pipe");
    let c_path = std::ffi::CString::new(pipe.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let after = repo("fixtures/reports/after.json");
    let mut child = pgvet_command(
        &[
            "report",
            after.to_str().unwrap(),
            "-o",
            pipe.to_str().unwrap(),
        ],
        &[],
    )
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("pgvet waited for a reader of its --output pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--output ")
            && stderr(&out).contains("is a named pipe that nobody reads"),
        "{}",
        stderr(&out)
    );
}
