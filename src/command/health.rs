//! `pgvet health [SUITE]`: the schema health rules on a database (or a throwaway server with
//! setup files), configured by the suite's `[health]` table when a suite is given, and by
//! `--schema` and `--skip`; the report in any format; exit 1 when a finding of severity error
//! fires (or the catalog could not be read), 0 otherwise.

use crate::cli::HealthArgs;
use crate::command::check::{on_server, status_code};
use crate::db::connect::Connected;
use crate::output::{self, Destination};
use crate::progress;
use crate::run::{self, RunContext};
use crate::suite;

pub async fn health(args: &HealthArgs) -> anyhow::Result<u8> {
    args.validate()?;
    let suite = args
        .suite
        .as_deref()
        .map(|path| suite::load(Some(path)))
        .transpose()?;
    let mut config = suite
        .as_ref()
        .and_then(|s| s.health.clone())
        .unwrap_or_default();
    if !args.schema.is_empty() {
        config.schemas = args.schema.clone();
    }
    for rule in &args.skip {
        if !config.skip.contains(rule) {
            config.skip.push(*rule);
        }
    }
    if let Some(suite) = &suite {
        // The suite's own indexes are new by design, as in `pgvet check`.
        config.expected_indexes = suite
            .indexes
            .iter()
            .filter(|i| !i.absent)
            .map(|i| (i.schema.clone(), i.name.clone()))
            .collect();
    }
    let settings = suite
        .as_ref()
        .map(|s| s.settings.clone())
        .unwrap_or_default();
    let named = suite
        .as_ref()
        .map(|s| s.path.display().to_string())
        .unwrap_or_default();
    let destination = Destination::open(args.output.output.as_deref(), "--output")?;
    let progress = progress::Stderr::new();
    let work = async |connected: &Connected, context: RunContext| {
        let _cancel = crate::signal::cancel_on_interrupt(connected.canceller());
        run::health(connected, &config, &settings, &named, context, &progress).await
    };
    let report = match on_server(&args.server, &progress, work).await? {
        Ok(report) => report?,
        Err(code) => return Ok(code),
    };
    let written = output::deliver(&report, &args.output, &destination, None);
    Ok(output::status_after_writing(status_code(&report), written))
}
