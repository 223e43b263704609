//! `pgvet demo [codetune|fastapi]`: a seed checklist's migration end to end on a throwaway
//! server — its schema and a realistic volume of data, the suite before the migration (indexes
//! missing; seq scans, or tables not there yet), the migration and the data its tables receive,
//! the suite again, the before/after metrics table filled from both runs, and a summary of
//! what pgvet found. One flow for every scenario; what differs is data (`scenarios`). It exits
//! 0 when the scenario came out as it should (`outcome`); time targets are findings there,
//! since the demo is a demonstration and `pgvet check` is the gate.

mod advice;
mod outcome;
mod scenarios;

use std::path::Path;

use crate::check;
use crate::cli::DemoArgs;
use crate::command::check::{
    connect_to_server, finish_server, offer_hypopg, run_on, server_target, start_server,
    status_code,
};
use crate::db::setup;
use crate::ephemeral::Options;
use crate::exit;
use crate::progress;
use crate::report::{self, Format};
use crate::run::{Progress, RunContext};
use crate::suite;

use scenarios::Step;

pub async fn demo(args: &DemoArgs) -> anyhow::Result<u8> {
    let scenario = scenarios::of(args.scenario);
    let progress = progress::Stderr::new();
    let suite_dir = tempfile::Builder::new()
        .prefix("pgvet-demo-suite")
        .tempdir()?;
    for (name, text) in scenario.suite_files {
        std::fs::write(suite_dir.path().join(name), text)?;
    }
    let mut suite = suite::load(Some(suite_dir.path()))?;
    suite.path = format!("{}/pgvet.toml (built in)", scenario.suite_dir).into();

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
        let target = server_target(&server);
        // Each file in a session of its own, as `check --ephemeral --setup` applies them.
        let apply = |steps: &'static [Step]| {
            let (target, progress) = (&target, &progress);
            async move {
                for step in steps {
                    progress.step(&format!("{} ({})", step.doing, step.file));
                    let file = setup::SetupFile::from_text(
                        Path::new(step.file),
                        step.sql.to_string(),
                        &target.database,
                    )?;
                    setup::apply(target, &file).await?;
                }
                anyhow::Ok(())
            }
        };
        apply(scenario.before).await?;
        offer_hypopg(&target).await;
        progress.step("before the migration: checking the suite");
        let before = run_on(&connected, &suite, RunContext::of(&connected), &progress).await;
        apply(std::slice::from_ref(&scenario.migration)).await?;
        apply(scenario.after).await?;
        progress.step("after the migration: checking the suite");
        let after = run_on(&connected, &suite, RunContext::of(&connected), &progress).await;
        anyhow::Ok((before, after))
    }
    .await;
    finish_server(server, args.keep);
    let (before, mut after) = result?;

    // The run before the migration is the baseline when it measured something: not when its
    // queries could not run at all (the tables a migration creates are not there yet).
    if before.queries.iter().any(|q| q.timing.is_some()) {
        check::baseline::apply(&mut after, &before, "the run before the migration");
    }
    let expect = &scenario.expect;
    let deviations = outcome::deviations(expect, &before, &after);
    let text = format!(
        "BEFORE the migration ({})\n\n{}\n\nAFTER the migration\n\n{}\n\n{}",
        expect.before_heading,
        report::render(&before, Format::Text),
        report::render(&after, Format::Text),
        outcome::summary(expect, &before, &after, &deviations),
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
