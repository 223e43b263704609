//! The binary as a user or CI job runs it: exit codes, errors that name the file and line or
//! the host, port and user (never the password), libpq variables, JSON to a file.

use crate::harness::{SuiteDir, TestDb, pgvet, stderr, stdout};

fn trivial_suite() -> SuiteDir {
    SuiteDir::new(
        "[[query]]\nname = \"one\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n",
        &[],
    )
}

#[test]
fn a_suite_typo_exits_2_naming_file_line_and_column() {
    let suite = SuiteDir::new(
        "[settings]\nruns = 3\n\n[[index]]\nname = \"ix\"\ntabel = \"t\"\n",
        &[],
    );
    let out = pgvet(
        &["check", suite.path_str(), "--db", "host=/nonexistent"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("pgvet.toml:6:1: unknown field `tabel`"),
        "{err}"
    );
}

#[test]
fn no_suite_exits_2_and_says_what_to_pass() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgvet"))
        .arg("check")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("./pgvet.toml does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let out = pgvet(&["check", "--help"], &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0));
    for line in [
        "0  every check passed",
        "1  a check failed",
        "2  bad invocation",
        "3  cannot connect",
    ] {
        assert!(text.contains(line), "{text}");
    }
}

#[test]
fn an_unreachable_server_exits_3_naming_host_port_and_user_but_not_the_password() {
    let suite = trivial_suite();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("postgresql://alice:s3cret-pw@127.0.0.1:{port}/app?connect_timeout=3");
    let started = std::time::Instant::now();
    let out = pgvet(&["check", suite.path_str(), "--db", &url], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(started.elapsed().as_secs() < 10);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        all.contains("127.0.0.1") && all.contains(&port.to_string()) && all.contains("alice"),
        "{all}"
    );
    assert!(!all.contains("s3cret-pw"), "{all}");
}

#[tokio::test]
async fn libpq_environment_variables_are_used_without_db() {
    let db = TestDb::new().await;
    let settings = pgvet::db::conninfo::ConnSettings::resolve(
        Some(&db.conninfo),
        &pgvet::db::conninfo::Env::empty(),
    )
    .unwrap();
    let host = match &settings.hosts[0].host {
        pgvet::db::conninfo::Host::Socket(dir) => dir.to_str().unwrap().to_string(),
        pgvet::db::conninfo::Host::Tcp(name) => name.clone(),
    };
    let port = settings.hosts[0].port.to_string();
    let suite = SuiteDir::new(
        "[[query]]\nname = \"where\"\nsql = \"SELECT current_database()\"\nexpect = \"any\"\n",
        &[],
    );
    let mut env = vec![
        ("PGHOST", host.as_str()),
        ("PGPORT", port.as_str()),
        ("PGUSER", settings.user.as_str()),
        ("PGDATABASE", db.name.as_str()),
        ("PGAPPNAME", "pgvet-env-test"),
    ];
    if let Some(password) = settings.password() {
        env.push(("PGPASSWORD", password));
    }
    let out = pgvet(&["check", suite.path_str(), "--format", "json"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["database"].as_str().unwrap().contains(&db.name),
        "{report}"
    );
}

#[tokio::test]
async fn json_goes_to_the_output_file_and_a_bad_output_path_fails_first() {
    let db = TestDb::new().await;
    let suite = trivial_suite();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let out = db.cli(&[
        suite.path_str(),
        "--format",
        "json",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(report["queries"][0]["status"], "pass");
    assert_eq!(report["queries"][0]["timing"]["runs"], 5);

    let out = db.cli(&[suite.path_str(), "--output", "/nonexistent/dir/report.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--output /nonexistent/dir/report.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn throwaway_server_flags_without_ephemeral_are_refused() {
    let suite = trivial_suite();
    for (flag, named) in [
        (&["--keep"][..], "--keep only works with --ephemeral"),
        (&["--tcp"], "--tcp only works with --ephemeral"),
        (
            &["--setup", "schema.sql"],
            "--setup only works with --ephemeral",
        ),
        (
            &["--setup-with", "psql"],
            "--setup-with only works with --ephemeral",
        ),
        (
            &["--setup", "schema.sql", "--keep"],
            "--setup, --keep only work with --ephemeral",
        ),
    ] {
        let mut args = vec!["check", suite.path_str(), "--db", "host=/nonexistent"];
        args.extend_from_slice(flag);
        let out = pgvet(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{flag:?}");
        assert!(stderr(&out).contains(named), "{}", stderr(&out));
    }
}

#[tokio::test]
async fn every_format_comes_from_the_same_run_and_github_annotations_come_by_themselves() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY, v text)").await;
    let suite = SuiteDir::new(
        "[[index]]\nname = \"ix_t_v\"\ntable = \"t\"\n\n[[query]]\nname = \"by id\"\nsql = \"SELECT * FROM t WHERE id = 1\"\n",
        &[],
    );
    let markdown = stdout(&db.cli(&[suite.path_str(), "--format", "markdown"]));
    assert!(
        markdown.contains("ix_t_v") && markdown.contains("missing"),
        "{markdown}"
    );

    let junit = stdout(&db.cli(&[suite.path_str(), "--format", "junit"]));
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert!(
        junit.contains("<testcase") && junit.contains("<failure"),
        "{junit}"
    );

    let github = db.cli(&[suite.path_str(), "--format", "github"]);
    assert_eq!(
        github.status.code(),
        Some(1),
        "the format never changes the exit code"
    );
    assert!(
        stdout(&github).contains("::error title=pgvet%3A index ix_t_v missing::"),
        "{}",
        stdout(&github)
    );

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pgvet"));
    command
        .args(["check", "--db", &db.conninfo, suite.path_str()])
        .env("GITHUB_ACTIONS", "true");
    let out = command.output().unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("FAIL: 1 of 1 index failed")
            && text.contains("::error title=pgvet%3A index ix_t_v missing::"),
        "{text}"
    );
    let out = db.cli(&[suite.path_str(), "--format", "json"]);
    assert!(!stdout(&out).contains("::error"));
}

/// Forwards connections accepted on `listener` to the test server (its socket or TCP address).
async fn proxy_to(listener: tokio::net::TcpListener, target: pgvet::db::conninfo::HostSpec) {
    loop {
        let Ok((mut client, _)) = listener.accept().await else {
            return;
        };
        let target = target.clone();
        tokio::spawn(async move {
            match &target.host {
                pgvet::db::conninfo::Host::Socket(_) => {
                    let mut server = tokio::net::UnixStream::connect(target.socket_file().unwrap())
                        .await
                        .unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
                pgvet::db::conninfo::Host::Tcp(host) => {
                    let mut server = tokio::net::TcpStream::connect((host.as_str(), target.port))
                        .await
                        .unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            }
        });
    }
}

#[tokio::test]
async fn a_server_that_is_not_up_yet_is_retried_with_backoff() {
    let db = TestDb::new().await;
    let settings = pgvet::db::conninfo::ConnSettings::resolve(
        Some(&db.conninfo),
        &pgvet::db::conninfo::Env::empty(),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let suite = trivial_suite();
    let conninfo = format!(
        "host=127.0.0.1 port={port} user={} dbname={} sslmode=disable",
        settings.user, db.name
    );
    let mut env = vec![("PGCONNECT_TIMEOUT", "5")];
    if let Some(password) = settings.password() {
        env.push(("PGPASSWORD", password));
    }
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pgvet"));
    command
        .args(["check", "--db", &conninfo, suite.path_str()])
        .envs(env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().unwrap();
    // The "server" comes up 0.7 s later: the first attempt is refused, a retry gets through.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let proxy = tokio::spawn(proxy_to(listener, settings.hosts[0].clone()));
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    proxy.abort();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not accepting connections yet; retrying"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn completions_and_manual_pages_come_from_the_binary_s_own_flags() {
    let out = pgvet(&["completions", "bash"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let bash = stdout(&out);
    assert!(bash.starts_with("_pgvet() {"), "{bash}");
    assert!(
        bash.contains("--baseline") && bash.contains("--in-place"),
        "{bash}"
    );
    for shell in ["zsh", "fish"] {
        let out = pgvet(&["completions", shell], &[]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(stdout(&out).contains("ephemeral"), "{shell}");
    }
    let out = pgvet(&["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("possible values: bash"),
        "{}",
        stderr(&out)
    );

    let out = pgvet(&["man"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("\n.TH pgvet 1 "), "{}", stdout(&out));
    let out = pgvet(&["man", "fill"], &[]);
    assert!(
        stdout(&out).contains("\\-\\-in\\-place"),
        "{}",
        stdout(&out)
    );
    let out = pgvet(&["man", "chek"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("pgvet has no command `chek`; its commands are check, health, init, demo"),
        "{}",
        stderr(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = pgvet(&["man", "--dir", pages.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "pgvet-check.1",
            "pgvet-compare.1",
            "pgvet-completions.1",
            "pgvet-demo.1",
            "pgvet-fill.1",
            "pgvet-health.1",
            "pgvet-init.1",
            "pgvet-man.1",
            "pgvet-report.1",
            "pgvet.1"
        ]
    );
    let check = std::fs::read_to_string(pages.join("pgvet-check.1")).unwrap();
    assert!(
        check.contains("\\-\\-ephemeral") && check.contains("Exit codes:"),
        "{check}"
    );
}
