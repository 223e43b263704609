//! The schema-contract sections of the Markdown report: per kind, the failures in a table with
//! their problems and message, then the passing checks on one line, as for indexes.

use super::{code, row, tally, text};
use crate::report::contract::Section;
use crate::report::model::Status;

/// "### Tables: 1 of 2 tables failed", the failures, then "Passed: …".
pub(super) fn section(section: &Section) -> String {
    let (failed, passed): (Vec<_>, Vec<_>) = section
        .entries
        .iter()
        .partition(|e| e.status != Status::Pass);
    let mut parts = Vec::new();
    if !failed.is_empty() {
        let mut out = format!(
            "| {} | Problem | Message |\n|---|---|---|\n",
            section.kind.column()
        );
        for e in &failed {
            out.push_str(&row(&[
                code(&e.subject),
                e.problems.join(", "),
                text(e.message.as_deref().unwrap_or("")),
            ]));
        }
        parts.push(out);
    }
    if !passed.is_empty() {
        let names: Vec<String> = passed
            .iter()
            .map(|e| match e.note {
                Some(note) => format!("{} ({note})", code(&e.subject)),
                None => code(&e.subject),
            })
            .collect();
        parts.push(format!("Passed: {}\n", names.join(", ")));
    }
    let errored = failed.iter().filter(|e| e.status == Status::Error).count();
    let (one, many) = section.kind.nouns();
    let heading = tally(
        failed.len() - errored,
        errored,
        section.entries.len(),
        one,
        many,
    );
    format!(
        "### {}: {heading}\n\n{}",
        section.kind.title(),
        parts.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use crate::report::samples;

    #[test]
    fn each_kind_has_its_section_after_the_indexes() {
        let out = super::super::render(&samples::contract());
        let at = |heading: &str| {
            out.find(heading)
                .unwrap_or_else(|| panic!("{heading}: {out}"))
        };
        let order = [
            at("### Indexes"),
            at("### Tables: 1 of 2 tables failed\n\n| Table | Problem | Message |\n"),
            at("### Foreign keys: 1 of 1 foreign key failed"),
            at("### Grants: 1 of 2 grants failed"),
            at("### Queries"),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{out}");
        assert!(
            out.contains("| `public.prediction_history` | columns_differ, statistics_stale | table public.prediction_history: column created_at is missing"),
            "{out}"
        );
        assert!(
            out.contains("Passed: `public.model_backup` (absent, as expected)\n"),
            "{out}"
        );
        assert!(
            out.contains("Passed: `app: USAGE on schema public`\n"),
            "{out}"
        );
        assert!(
            out.starts_with("❌ **pgvet: FAIL** · 8 indexes passed · 1 of 2 tables failed · 1 of 1 foreign key failed · 1 of 2 grants failed · 4 queries passed"),
            "{out}"
        );
    }
}
