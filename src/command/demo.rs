//! `pgvet demo`: the CodeTune Studio checklist end to end on a throwaway server — its schema and
//! a realistic volume of data, the suite before the migration (indexes missing, seq scans), the
//! migration, the suite again, the before/after metrics table filled from both runs, and a
//! summary of what pgvet found. It exits 0 when the scenario came out as it should
//! (`scenario`); time targets are findings there, since the demo is a demonstration and
//! `pgvet check` is the gate. The fixtures and suite are compiled into the binary, so it runs
//! from any directory.

mod scenario;

use std::path::Path;

use crate::check;
use crate::cli::DemoArgs;
use crate::command::check::{connect_to_server, finish_server, run_on, start_server, status_code};
use crate::db::setup;
use crate::ephemeral::Options;
use crate::exit;
use crate::progress;
use crate::report::{self, Format};
use crate::run::Progress;
use crate::suite;

/// The suite directory, as shipped in queries/codetune.
const SUITE_FILES: &[(&str, &str)] = &[
    (
        "pgvet.toml",
        include_str!("../../queries/codetune/pgvet.toml"),
    ),
    (
        "fetch_by_config.sql",
        include_str!("../../queries/codetune/fetch_by_config.sql"),
    ),
    (
        "filter_by_epoch.sql",
        include_str!("../../queries/codetune/filter_by_epoch.sql"),
    ),
    (
        "latest_by_timestamp.sql",
        include_str!("../../queries/codetune/latest_by_timestamp.sql"),
    ),
    (
        "join_by_model_type.sql",
        include_str!("../../queries/codetune/join_by_model_type.sql"),
    ),
];
const SCHEMA: &str = include_str!("../../fixtures/codetune/schema.sql");
const DATA: &str = include_str!("../../fixtures/codetune/data.sql");
const MIGRATION: &str = include_str!("../../fixtures/codetune/migration.sql");

pub async fn demo(args: &DemoArgs) -> anyhow::Result<u8> {
    let progress = progress::Stderr::new();
    let suite_dir = tempfile::Builder::new()
        .prefix("pgvet-demo-suite")
        .tempdir()?;
    for (name, text) in SUITE_FILES {
        std::fs::write(suite_dir.path().join(name), text)?;
    }
    let mut suite = suite::load(Some(suite_dir.path()))?;
    suite.path = "queries/codetune/pgvet.toml (built in)".into();

    // Autovacuum off (the demo vacuums once itself) and room for the whole data set in shared
    // buffers: no background work or cache misses skew the timings. The migration's index
    // builds sort in memory, as on a server tuned for maintenance.
    let options = Options {
        settings: vec![
            ("autovacuum".into(), "off".into()),
            ("shared_buffers".into(), "256MB".into()),
            ("maintenance_work_mem".into(), "256MB".into()),
        ],
        tcp: args.tcp,
        ..Options::default()
    };
    let server = start_server(&progress, options)?;
    let result = async {
        let connected = connect_to_server(&server).await?;
        let target = setup::Target {
            conninfo: server.conninfo(),
            database: server.database().to_string(),
        };
        // Each file in a session of its own, as `check --ephemeral --setup` applies them.
        let apply = |name: &'static str, sql: &'static str| {
            let target = &target;
            async move {
                let file = setup::SetupFile::from_text(Path::new(name), sql.to_string(), &target.database)?;
                setup::apply(target, &file).await
            }
        };
        progress.step("creating the CodeTune schema (fixtures/codetune/schema.sql)");
        apply("fixtures/codetune/schema.sql", SCHEMA).await?;
        progress.step("generating 2,000 training configs and 1,000,000 metric rows (fixtures/codetune/data.sql)");
        apply("fixtures/codetune/data.sql", DATA).await?;
        // A production table is vacuumed (data.sql analyzed it).
        apply("VACUUM", "VACUUM").await?;
        progress.step("before the migration: checking the suite");
        let before = run_on(&connected, &suite, &progress).await;
        progress.step("applying the migration \"Add performance indices to training tables\"");
        apply("fixtures/codetune/migration.sql", MIGRATION).await?;
        progress.step("after the migration: checking the suite");
        let after = run_on(&connected, &suite, &progress).await;
        anyhow::Ok((before, after))
    }
    .await;
    finish_server(server, args.keep);
    let (before, mut after) = result?;

    check::baseline::apply(&mut after, &before, "the run before the migration");
    let deviations = scenario::deviations(&before, &after);
    let text = format!(
        "BEFORE the migration (expected to fail: no indexes yet)\n\n{}\n\nAFTER the migration\n\n{}\n\n{}",
        report::render(&before, Format::Text),
        report::render(&after, Format::Text),
        scenario::summary(&before, &after, &deviations),
    );
    print!("{text}");
    if let Some(stopped) = [&before, &after].into_iter().find(|r| r.aborted.is_some()) {
        return Ok(status_code(stopped));
    }
    Ok(if deviations.is_empty() {
        exit::PASS
    } else {
        exit::FAIL
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_suite_is_the_shipped_one_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in super::SUITE_FILES {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let suite = crate::suite::load(Some(dir.path())).unwrap();
        assert_eq!((suite.indexes.len(), suite.queries.len()), (8, 4));
        let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/queries/codetune"))
            .unwrap()
            .count();
        assert_eq!(
            shipped,
            super::SUITE_FILES.len(),
            "queries/codetune gained a file the demo does not embed"
        );
    }
}
