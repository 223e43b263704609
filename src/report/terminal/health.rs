//! The schema health section of the text report: a line with the rules and the tally, the
//! findings in a table (rule, severity, object, the message with its fix below it), then the
//! notes of rules that could not judge and the error when the catalog could not be read.

use super::{add_row, printable_line, table};
use crate::report::health::{View, subject};

/// "Health (12 health rules): 1 error, 2 warnings", the findings with their fix, the notes.
pub(super) fn section(view: &View) -> String {
    let mut out = format!("\nHealth ({}): {}\n", view.rules(), view.tally());
    if !view.findings.is_empty() {
        let mut t = table(&["Rule", "Severity", "Object", "Finding"]);
        for f in view.findings {
            add_row(
                &mut t,
                vec![
                    f.rule.to_string(),
                    f.severity.word().into(),
                    subject(f),
                    format!("{}\nfix: {}", f.message, f.fix),
                ],
            );
        }
        out.push_str(&format!("{t}\n"));
    }
    for note in view.notes() {
        out.push_str(&format!("note: {}\n", printable_line(&note)));
    }
    if let Some(error) = &view.run.error {
        out.push_str(&format!("error: {}\n", printable_line(error)));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::report::samples;

    #[test]
    fn health_findings_have_a_table_with_their_fix_and_count_in_the_summary() {
        let out = super::super::render(&samples::health());
        assert!(
            out.contains("\nHealth (12 health rules): 1 error, 2 warnings\n"),
            "{out}"
        );
        assert!(out.contains("│ duplicate-index "), "{out}");
        assert!(
            out.contains("fix: DROP INDEX CONCURRENTLY public.ix_dup;"),
            "{out}"
        );
        assert!(out.contains("public.ix_dup (on public.orders)"), "{out}");
        assert!(
            out.contains("note: unused-index not judged: the statistics counters count since"),
            "{out}"
        );
        assert!(out.ends_with("FAIL: 1 health error\n"), "{out}");
        let mut warnings = samples::health();
        warnings.findings.remove(0);
        warnings.summary = crate::report::model::Summary::of(&warnings);
        warnings.status = warnings.summary.status();
        assert_eq!(
            super::super::summary_line(&warnings),
            "PASS: 8 indexes, 12 health rules and 4 queries checked, 2 metrics, 2 health warnings"
        );
    }
}
