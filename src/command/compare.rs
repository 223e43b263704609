//! Saved runs without a database: `pgvet compare BEFORE.json AFTER.json` (the before/after
//! report; exit 1 when a query regressed) and `pgvet report RUN.json` (a run in any format).

use crate::check::baseline;
use crate::cli::{CompareArgs, ReportArgs};
use crate::exit;
use crate::output::Destination;
use crate::report::saved;

pub fn compare(args: &CompareArgs) -> anyhow::Result<u8> {
    let destination = Destination::open(args.output.output.as_deref())?;
    let before = saved::load(&args.before)?;
    let mut after = saved::load(&args.after)?;
    baseline::apply(&mut after, &before, &args.before.display().to_string());
    destination.write_report(&after, &args.output)?;
    Ok(if after.summary.regressions > 0 {
        exit::FAIL
    } else {
        exit::PASS
    })
}

pub fn report(args: &ReportArgs) -> anyhow::Result<u8> {
    let destination = Destination::open(args.output.output.as_deref())?;
    let report = saved::load(&args.file)?;
    destination.write_report(&report, &args.output)?;
    Ok(
        if report.summary.status() == crate::report::model::Status::Pass {
            exit::PASS
        } else {
            exit::FAIL
        },
    )
}
