//! `pgvet fill DOC.md --results AFTER.json [--baseline BEFORE.json]`: fills the blank cells of
//! a checklist's metrics tables from saved runs and says, on stderr, which rows it filled and
//! which it could not. The document is written to stdout, `-o FILE` or back in place.

use std::path::Path;

use anyhow::Context;

use crate::check::baseline;
use crate::cli::FillArgs;
use crate::exit;
use crate::fill;
use crate::input;
use crate::output::Destination;
use crate::report::saved;
use crate::report::terminal::printable_line;

pub fn fill(args: &FillArgs) -> anyhow::Result<u8> {
    let document = input::read_text(&args.document, &input::CHECKLIST)?;
    let target = match (&args.output, args.in_place) {
        (_, true) => Destination::open(Some(&args.document), "--in-place")?,
        (path, false) => Destination::open(path.as_deref(), "--output")?,
    };
    let mut results = saved::load(&args.results)?;
    if let Some(path) = &args.baseline {
        baseline::apply(
            &mut results,
            &saved::load(path)?,
            &path.display().to_string(),
        );
    }
    let queries: Vec<String> = results.queries.iter().map(|q| q.name.clone()).collect();
    let filled = fill::fill_from(&document, &results.metrics, &queries);
    let (checked, claims) = fill::tasks::of_report(&results);
    let ticks = fill::tasks::tick(&filled.document, &checked, &claims);
    report_to_stderr(&args.document, &filled, &ticks);
    match (&target, args.in_place) {
        (Destination::File(path), true) => replace(path, &ticks.document)?,
        _ => target.write(&ticks.document)?,
    }
    Ok(exit::PASS)
}

fn report_to_stderr(document: &Path, filled: &fill::Filled, ticks: &fill::tasks::Ticks) {
    let name = document.display();
    // Labels come from the document and the run: no control character reaches the terminal.
    let say = |line: String| eprintln!("{}", printable_line(&line));
    for row in &filled.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| format!("{} = {}", c.column, c.value))
            .collect();
        say(format!(
            "{name}:{}: filled \"{}\": {}",
            row.line,
            row.label,
            cells.join(", ")
        ));
    }
    for unfilled in &filled.unfilled {
        say(format!("{name}: not filled: {unfilled}"));
    }
    for label in &filled.metrics_not_found {
        say(format!(
            "{name}: no table row is labelled \"{label}\" (a metric of the run)"
        ));
    }
    for ticked in &ticks.ticked {
        let by = match ticked.by.as_slice() {
            [first, second, _, _, ..] => {
                format!("{first}, {second} and {} more", ticked.by.len() - 2)
            }
            all => all.join(", "),
        };
        say(format!(
            "{name}:{}: ticked \"{}\": verified by {by}",
            ticked.line, ticked.item
        ));
    }
    for left in &ticks.left {
        say(format!(
            "{name}:{}: not ticked \"{}\": {}",
            left.line,
            left.item,
            left.reasons.join("; ")
        ));
    }
    for claim in &ticks.claims_not_found {
        say(format!(
            "{name}: no task item reads \"{}\" (claimed by {}); write the item's text exactly as the `checklist` key",
            claim.item, claim.entry
        ));
    }
    if filled.rows.is_empty() && ticks.ticked.is_empty() {
        say(format!(
            "{name}: nothing filled or ticked; the document is unchanged"
        ));
    }
}

/// Writes next to the file, then renames over it: a failure never leaves half a document. A
/// symbolic link is followed, so the file it points to is replaced and the link stays a link.
fn replace(link: &Path, text: &str) -> anyhow::Result<()> {
    let path = &std::fs::canonicalize(link)
        .with_context(|| format!("finding the file {} names", link.display()))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing next to {}", path.display()))?;
    std::io::Write::write_all(&mut temp, text.as_bytes())?;
    if let Ok(meta) = std::fs::metadata(path) {
        temp.as_file().set_permissions(meta.permissions())?;
    }
    temp.persist(path)
        .with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}
