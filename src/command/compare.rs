//! Saved runs without a database: `pgvet compare BEFORE.json AFTER.json` (the before/after
//! report; exit 1 when a query regressed) and `pgvet report RUN.json` (a run in any format).

use crate::check::baseline;
use crate::cli::{CompareArgs, ReportArgs};
use crate::exit;
use crate::output::{self, Destination};
use crate::report::saved;

pub fn compare(args: &CompareArgs) -> anyhow::Result<u8> {
    let destination = Destination::open(args.output.output.as_deref(), "--output")?;
    let before = saved::load(&args.before)?;
    let mut after = saved::load(&args.after)?;
    baseline::apply(&mut after, &before, &args.before.display().to_string());
    let written = output::deliver(&after, &args.output, &destination, None);
    let status = if after.summary.regressions > 0 {
        exit::FAIL
    } else {
        exit::PASS
    };
    Ok(output::status_after_writing(status, written))
}

pub fn report(args: &ReportArgs) -> anyhow::Result<u8> {
    let destination = Destination::open(args.output.output.as_deref(), "--output")?;
    let report = saved::load(&args.file)?;
    let written = output::deliver(&report, &args.output, &destination, None);
    let status = if report.summary.status() == crate::report::model::Status::Pass {
        exit::PASS
    } else {
        exit::FAIL
    };
    Ok(output::status_after_writing(status, written))
}
