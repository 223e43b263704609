//! `pgvet check --ephemeral`, `pgvet health --ephemeral` and `pgvet demo` (both scenarios) end to end: a throwaway server from the binaries
//! on this machine, setup files applied in order, and nothing left behind — after success, an
//! error, or Ctrl-C. Each test points TMPDIR at a directory of its own and checks it is empty.
//! A test binary of its own, so the demo's timings do not compete with the other tests.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn pgvet(args: &[&str], tmp: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pgvet"));
    command
        .args(args)
        .env("TMPDIR", tmp)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL");
    command
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A TMPDIR for one test that the server user can reach (as root the server runs as postgres).
fn private_tmp() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("pgvet-eph-test")
        .tempdir_in("/tmp")
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn assert_nothing_left(tmp: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: Vec<_> = std::fs::read_dir(tmp)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "left behind in TMPDIR: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let ps = Command::new("ps")
        .args(["-eo", "stat,args"])
        .output()
        .unwrap();
    let tmp = tmp.to_str().unwrap();
    let running: Vec<String> = String::from_utf8_lossy(&ps.stdout)
        .lines()
        .filter(|l| l.contains(tmp) && !l.starts_with('Z'))
        .map(str::to_string)
        .collect();
    assert!(running.is_empty(), "server processes left: {running:?}");
}

/// A copy of a shipped suite (`queries/…`) whose query time targets no query can miss (10
/// minutes), so that an exit status does not depend on this machine's speed.
fn suite_with_targets_met(suite: &str) -> tempfile::TempDir {
    let target = regex::Regex::new(r"(?m)^target_ms = [0-9.]+$").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut replaced = 0;
    for entry in std::fs::read_dir(repo(suite)).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        replaced += target.find_iter(&text).count();
        let text = target.replace_all(&text, "target_ms = 600000");
        std::fs::write(dir.path().join(path.file_name().unwrap()), &*text).unwrap();
    }
    assert!(replaced > 0, "{suite} has no target_ms to replace");
    dir
}

#[test]
fn the_ci_gate_passes_the_migrated_schema_and_fails_without_the_migration() {
    let tmp = private_tmp();
    let schema = repo("fixtures/codetune/schema.sql");
    let migration = repo("fixtures/codetune/migration.sql");
    let suite_dir = suite_with_targets_met("queries/codetune");
    let suite = suite_dir.path().to_str().unwrap().to_string();
    let args = [
        "check",
        "--ephemeral",
        "--setup",
        &schema,
        "--setup",
        &migration,
        &suite,
    ];
    let out = pgvet(&args, tmp.path()).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(": index usable (") && stdout.contains("chosen on a small table ("),
        "{stdout}"
    );
    assert_nothing_left(tmp.path());

    let out = pgvet(
        &["check", "--ephemeral", "--setup", &schema, &suite],
        tmp.path(),
    )
    .output()
    .unwrap();
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("missing: no index public.ix_metric_config_epoch_step exists"),
        "{stdout}"
    );
    assert!(stdout.contains("no usable index"), "{stdout}");
    assert_nothing_left(tmp.path());
}

/// `pgvet health` on a throwaway server with setup files: the CodeTune migration's one
/// redundant index is a warning (exit 0), unused-index is not judged on counters seconds old,
/// and a duplicate index the files make is an error (exit 1).
#[test]
fn health_judges_a_throwaway_server_made_from_setup_files() {
    let tmp = private_tmp();
    let (schema, migration) = (
        repo("fixtures/codetune/schema.sql"),
        repo("fixtures/codetune/migration.sql"),
    );
    let args = [
        "health",
        "--ephemeral",
        "--setup",
        &schema,
        "--setup",
        &migration,
    ];
    let out = pgvet(&args, tmp.path()).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Health (12 health rules): 1 warning"),
        "{stdout}"
    );
    assert!(stdout.contains("│ redundant-index "), "{stdout}");
    assert!(stdout.contains("note: unused-index not judged"), "{stdout}");
    assert_nothing_left(tmp.path());

    let files = tempfile::tempdir().unwrap();
    let twice = files.path().join("twice.sql");
    std::fs::write(
        &twice,
        "CREATE INDEX ix_epoch_again ON training_metric (epoch);\n",
    )
    .unwrap();
    let twice = twice.to_str().unwrap();
    let args = [
        "health",
        "--ephemeral",
        "--setup",
        &schema,
        "--setup",
        &migration,
        "--setup",
        twice,
    ];
    let out = pgvet(&args, tmp.path()).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.ends_with("FAIL: 1 health error\n"), "{stdout}");
    assert!(
        stdout.contains("fix: DROP INDEX CONCURRENTLY public.ix_epoch_again;"),
        "{stdout}"
    );
    assert_nothing_left(tmp.path());
}

/// The FastAPI gate passes the migration with its data and on the migrated schema alone (a CI
/// gate's empty tables: the small-table proof), and fails without it.
#[test]
fn the_fastapi_gate_passes_the_migration_with_its_data_and_fails_without_it() {
    let tmp = private_tmp();
    let fixture = |name: &str| repo(&format!("fixtures/fastapi/{name}"));
    let (schema, data) = (fixture("schema.sql"), fixture("data.sql"));
    let (migration, data_after) = (fixture("migration.sql"), fixture("data_after.sql"));
    let suite_dir = suite_with_targets_met("queries/fastapi");
    let suite = suite_dir.path().to_str().unwrap().to_string();
    let mut args = vec!["check", "--ephemeral", "--setup", &schema, "--setup", &data];
    args.extend(["--setup", &migration, "--setup", &data_after, &suite]);
    let out = pgvet(&args, tmp.path()).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "PASS: 14 indexes, 5 tables, 15 foreign keys, 10 grants and 7 queries checked, 8 metrics"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Index Scan Backward using ix_prediction_history_model_predicted on prediction_history"
        ) && stdout.contains("predictive_models: index usable (predictive_models_pkey)"),
        "{stdout}"
    );
    assert_nothing_left(tmp.path());

    // The schema and the migration alone: empty tables, every index proven usable.
    let args = [
        "check",
        "--ephemeral",
        "--setup",
        &schema,
        "--setup",
        &migration,
        &suite,
    ];
    let out = pgvet(&args, tmp.path()).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "PASS: 14 indexes, 5 tables, 15 foreign keys, 10 grants and 7 queries checked, 8 metrics"
        ) && stdout
            .contains("prediction_history: index usable (ix_prediction_history_model_predicted)"),
        "{stdout}"
    );
    assert_nothing_left(tmp.path());

    let args = [
        "check",
        "--ephemeral",
        "--setup",
        &schema,
        "--setup",
        &data,
        &suite,
    ];
    let out = pgvet(&args, tmp.path()).output().unwrap();
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL: 14 of 14 indexes failed, 5 of 5 tables failed, 15 of 15 foreign keys failed, 10 of 10 grants failed, 7 of 7 queries errored"),
        "{stdout}"
    );
    for (index, table) in [
        ("uq_external_data_sources_org_name", "external_data_sources"),
        ("uq_predictive_models_org_name_version", "predictive_models"),
        (
            "ix_anomaly_detection_models_org_active",
            "anomaly_detection_models",
        ),
        (
            "ix_anomaly_detection_results_org_open",
            "anomaly_detection_results",
        ),
        (
            "ix_prediction_history_model_predicted",
            "prediction_history",
        ),
    ] {
        let missing = format!(
            "missing: no index public.{index} exists, and no table public.{table} exists either"
        );
        assert!(stdout.contains(&missing), "{missing}\n{stdout}");
    }
    // Each query fails on the first table it names (a join of results and their detectors on
    // the results).
    for table in [
        "external_data_sources",
        "predictive_models",
        "anomaly_detection_results",
        "prediction_history",
    ] {
        let error = format!("ERROR: relation \"{table}\" does not exist (SQLSTATE 42P01)");
        assert!(stdout.contains(&error), "{error}\n{stdout}");
    }
    assert_nothing_left(tmp.path());
}

/// Whether the server binaries the throwaway servers come from have HypoPG (`pg_config`'s;
/// `None` when pgvet is pointed at others with PGVET_PG_BIN).
fn machine_has_hypopg() -> Option<bool> {
    if std::env::var_os("PGVET_PG_BIN").is_some_and(|v| !v.is_empty()) {
        return None;
    }
    let out = Command::new("pg_config").arg("--sharedir").output().ok()?;
    let sharedir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Some(
        Path::new(&sharedir)
            .join("extension/hypopg.control")
            .is_file(),
    )
}

#[test]
fn a_throwaway_server_proves_the_advice_with_hypopg_of_its_own() {
    let tmp = private_tmp();
    let setup = tmp.path().join("shop.sql");
    std::fs::write(
        &setup,
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL);
         INSERT INTO orders SELECT i, i % 500 FROM generate_series(1, 20000) AS i;",
    )
    .unwrap();
    let suite = tempfile::tempdir().unwrap();
    std::fs::write(
        suite.path().join("pgvet.toml"),
        "[settings]\nruns = 1\nwarmup = 0\n\n[[query]]\nname = \"by customer\"\nsql = \"SELECT * FROM orders WHERE customer_id = 42\"\n",
    )
    .unwrap();
    let args = [
        "check",
        "--ephemeral",
        "--setup",
        setup.to_str().unwrap(),
        suite.path().to_str().unwrap(),
        "--format",
        "json",
    ];
    let out = pgvet(&args, tmp.path()).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let advice = &report["queries"][0]["advice"][0];
    assert_eq!(
        advice["statement"], "CREATE INDEX CONCURRENTLY ON public.orders (customer_id)",
        "{advice}"
    );
    match machine_has_hypopg() {
        Some(true) => {
            assert_eq!(advice["proven"], true, "{advice}");
            let cost = |field: &str| advice[field].as_f64().unwrap();
            assert!(cost("cost_after") < cost("cost_before"), "{advice}");
        }
        Some(false) => {
            assert_eq!(advice["proven"], false, "{advice}");
            println!(
                "skipped the proof: the server binaries have no HypoPG (Debian: apt-get install postgresql-NN-hypopg)"
            );
        }
        None => {
            println!("skipped the proof: PGVET_PG_BIN names binaries pg_config does not describe")
        }
    }
    std::fs::remove_file(&setup).unwrap();
    assert_nothing_left(tmp.path());
}

#[test]
fn a_failing_setup_file_exits_2_naming_the_file_line_and_message() {
    let tmp = private_tmp();
    let bad = tmp.path().join("bad.sql");
    std::fs::write(
        &bad,
        "CREATE TABLE ok (id int);\n\nCREATE TABLE broken (id nosuchtype);\n",
    )
    .unwrap();
    let bad = bad.to_str().unwrap().to_string();
    let out = pgvet(
        &[
            "check",
            "--ephemeral",
            "--setup",
            &bad,
            &repo("queries/codetune"),
        ],
        tmp.path(),
    )
    .output()
    .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{bad}:3:")), "{stderr}");
    assert!(
        stderr.contains("type \"nosuchtype\" does not exist"),
        "{stderr}"
    );
    std::fs::remove_file(&bad).unwrap();
    assert_nothing_left(tmp.path());
}

#[test]
fn sigterm_stops_the_run_and_removes_the_server() {
    let tmp = private_tmp();
    let suite = tmp.path().join("suite");
    std::fs::create_dir(&suite).unwrap();
    std::fs::write(
        suite.join("pgvet.toml"),
        "[settings]\nstatement_timeout = \"60s\"\n[[query]]\nname = \"long\"\nsql = \"SELECT pg_sleep(30)\"\nexpect = \"any\"\n",
    )
    .unwrap();
    let mut child = pgvet(
        &["check", "--ephemeral", suite.to_str().unwrap()],
        tmp.path(),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Wait until the server is up (its directory exists) and the query has had time to start.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(tmp.path()).unwrap().count() < 2 {
        assert!(
            Instant::now() < deadline,
            "the throwaway server never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    let sent = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    // Cancelled, not waited out: the 30 s sleep had at least 27 s to go. That takes about 1 s
    // on an idle machine and 5 s or more with both cores busy (stopping the server), so the
    // bound is well between the two, never this machine's speed.
    assert!(
        sent.elapsed() < Duration::from_secs(20),
        "took {:?}",
        sent.elapsed()
    );
    std::fs::remove_dir_all(&suite).unwrap();
    assert_nothing_left(tmp.path());
}

#[test]
fn a_bad_binaries_directory_exits_2_saying_what_to_do() {
    let tmp = private_tmp();
    let out = pgvet(
        &["check", "--ephemeral", &repo("queries/codetune")],
        tmp.path(),
    )
    .env("PGVET_PG_BIN", tmp.path())
    .output()
    .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("PGVET_PG_BIN"), "{stderr}");
    assert_nothing_left(tmp.path());
}

#[test]
fn the_demo_shows_the_migration_before_and_after_and_leaves_nothing() {
    let tmp = private_tmp();
    let out = pgvet(&["demo"], tmp.path()).output().unwrap();
    let (stdout, stderr) = text(&out);
    let (before, rest) = stdout
        .split_once("AFTER the migration")
        .expect("both runs are shown");
    let (after, rest) = rest
        .split_once("Before / after")
        .expect("the comparison is shown");
    let (comparison, found) = rest
        .split_once("What pgvet found")
        .expect("the summary closes the output");
    assert!(
        before.contains("FAIL: 8 of 8 indexes failed, 4 of 4 queries failed"),
        "{before}"
    );
    assert!(
        before.contains("Seq Scan on training_metric reads 1,000,"),
        "{before}"
    );
    for plan in [
        "Index Scan using ix_training_metric_config_id on training_metric",
        "Bitmap Heap Scan on training_metric using ix_training_metric_epoch",
        "Index Scan Backward using ix_training_metric_timestamp on training_metric",
        "Index Scan using ix_training_metric_config_id on training_metric tm",
    ] {
        assert!(after.contains(plan), "{plan}\n{after}");
    }
    assert!(!after.contains("Seq Scan on training_metric"), "{after}");
    assert!(
        comparison.contains("→ Index Scan using ix_training_metric_config_id"),
        "{comparison}"
    );
    assert!(
        comparison.contains("Metrics (Baseline measured in the run before the migration)"),
        "{comparison}"
    );
    assert!(
        comparison.contains("(declared 100 ms)") && comparison.contains("(declared 150 ms)"),
        "{comparison}"
    );
    // The scenario's verdicts do not depend on this machine's speed, so neither does the exit
    // status: a missed time target is a finding in the summary, with its cause.
    assert_eq!(out.status.code(), Some(0), "{found}\n{stderr}");
    assert!(
        found.contains("· Before the migration: 8 of 8 indexes missing; every query seq-scans training_metric.")
            && found.contains("· After it: 8 of 8 indexes present and valid; every query reads training_metric through an index.")
            && found.contains("The scenario came out as expected (exit 0)"),
        "{found}"
    );
    for name in [
        "fetch experiment by config_id",
        "filter by epoch",
        "sort by timestamp",
        "join configs and metrics",
    ] {
        assert!(found.contains(name), "{name} is in the summary: {found}");
    }
    // The advice before the migration names the indexes the migration then creates; it is
    // proven where the server binaries have HypoPG.
    let advised = found
        .lines()
        .find(|l| l.starts_with("· Before the migration pgvet advised "))
        .unwrap_or_else(|| panic!("the advice is in the summary: {found}"));
    for line in [
        "    training_metric (config_id) for fetch experiment by config_id, join configs and metrics: the migration creates it as ix_training_metric_config_id.",
        "    training_metric (epoch) for filter by epoch: the migration creates it as ix_training_metric_epoch.",
        "    training_metric (\"timestamp\") for sort by timestamp: the migration creates it as ix_training_metric_timestamp.",
    ] {
        assert!(found.contains(line), "{line}\n{found}");
    }
    match machine_has_hypopg() {
        Some(true) => {
            assert!(advised.contains("(each proven with HypoPG)"), "{advised}");
            assert!(
                before.contains("advice: CREATE INDEX CONCURRENTLY ON public.training_metric (config_id) (proven with HypoPG"),
                "{before}"
            );
        }
        Some(false) => {
            assert!(
                advised.contains("(not proven: HypoPG is not installed"),
                "{advised}"
            );
            println!("the demo's advice is not proven: the server binaries have no HypoPG");
        }
        None => println!("the demo's advice is not checked: PGVET_PG_BIN names other binaries"),
    }
    // Whether the epoch filter meets its target depends on the machine; why, when it does not,
    // depends on the data alone.
    if let Some(epoch) = found.lines().find(|l| l.starts_with("· filter by epoch ")) {
        assert!(
            epoch.contains(
                "Why: ix_training_metric_epoch returns 49,590 rows, 4.96% of the 1,000,000 in \
                 training_metric, from 1,432 of its 8,404 pages"
            ),
            "{epoch}"
        );
    }
    assert_nothing_left(tmp.path());
}

#[test]
fn the_fastapi_demo_shows_the_tables_missing_before_and_indexed_after() {
    let tmp = private_tmp();
    let out = pgvet(&["demo", "fastapi"], tmp.path()).output().unwrap();
    let (stdout, stderr) = text(&out);
    let (before, rest) = stdout
        .split_once("AFTER the migration")
        .expect("both runs are shown");
    let (after, found) = rest
        .split_once("What pgvet found")
        .expect("the summary closes the output");
    assert!(
        before.starts_with(
            "BEFORE the migration (expected to fail: the five tables do not exist yet)"
        ) && before.contains("queries/fastapi/pgvet.toml (built in)"),
        "{before}"
    );
    assert!(
        before.contains("FAIL: 14 of 14 indexes failed, 5 of 5 tables failed, 15 of 15 foreign keys failed, 10 of 10 grants failed, 7 of 7 queries errored, 2 metrics"),
        "{before}"
    );
    assert!(
        before.contains("no table public.prediction_history exists either")
            && before.contains(
                "ERROR: relation \"anomaly_detection_results\" does not exist (SQLSTATE 42P01)"
            ),
        "{before}"
    );
    for plan in [
        "Index Scan Backward using ix_prediction_history_model_predicted on prediction_history",
        "Bitmap Heap Scan on prediction_history using ix_prediction_history_model_predicted",
        "Bitmap Heap Scan on prediction_history ph using ix_prediction_history_org_predicted",
        "Index Scan Backward using ix_anomaly_detection_results_org_open on anomaly_detection_results r",
        "Bitmap Heap Scan on anomaly_detection_results using ix_anomaly_detection_results_model_detected",
        "Index Scan using ix_predictive_models_org_type on predictive_models",
        "Index Scan using ix_external_data_sources_next_sync_at on external_data_sources",
    ] {
        assert!(after.contains(plan), "{plan}\n{after}");
    }
    // Nothing ran before the migration, so there is nothing to compare with.
    assert!(!after.contains("Before / after"), "{after}");
    assert!(!after.contains("ERROR"), "{after}");
    // From the generated data, whatever the machine: the p95 of the recorded latencies.
    let latency = after
        .lines()
        .find(|l| l.contains("ML prediction latency (p95 of prediction_history)"))
        .expect("the latency metric is in the table");
    assert!(
        latency.contains("226 ms") && latency.contains("met"),
        "{latency}"
    );
    assert_eq!(out.status.code(), Some(0), "{found}\n{stderr}");
    assert!(
        found.contains("· Before the migration: 14 of 14 indexes missing; the five ML analytics tables do not exist yet")
            && found.contains("· After it: 14 of 14 indexes present and valid; every query reads the new tables through an index")
            && found.contains("The scenario came out as expected (exit 0)"),
        "{found}"
    );
    assert_nothing_left(tmp.path());
}

#[test]
fn keep_leaves_a_working_server_that_runs_unprivileged_and_says_how_to_stop_it() {
    let tmp = private_tmp();
    let suite = repo("queries/codetune");
    let out = pgvet(
        &["check", "--ephemeral", "--keep", "--tcp", &suite],
        tmp.path(),
    )
    .output()
    .unwrap();
    let (_, stderr) = text(&out);
    let conninfo = stderr
        .split("psql \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the connection string is printed");
    assert!(conninfo.contains("host=127.0.0.1 port="), "{stderr}");
    let stop = stderr
        .split("stop it with: ")
        .nth(1)
        .expect("how to stop it is printed")
        .trim()
        .to_string();
    let pid: i32 = stop
        .split_whitespace()
        .nth(2)
        .unwrap()
        .trim_end_matches(';')
        .parse()
        .unwrap();

    // The server answers, and as root it runs as an unprivileged user.
    let psql = Command::new("psql")
        .args([conninfo, "-Atc", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&psql.stdout).trim(), "1");
    let owner = std::fs::metadata(format!("/proc/{pid}"))
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap();
    if unsafe { libc::geteuid() } == 0 {
        assert_ne!(owner, 0, "the server must not run as root");
    }
    let status = Command::new("sh").args(["-c", &stop]).status().unwrap();
    assert!(status.success());
    assert_nothing_left(tmp.path());
}
