//! The schema health section of the Markdown report: the findings in a table with their rule,
//! severity, object, message and fix (errors first, as the report orders them by rule), the
//! notes of rules that could not judge, and the error when the catalog could not be read.

use super::{code, row, text};
use crate::report::health::{View, subject};

/// "### Health: 1 error, 2 warnings (12 health rules)", then the findings and notes.
pub(super) fn section(view: &View) -> String {
    let mut out = format!("### Health: {} ({})\n\n", view.tally(), view.rules());
    if !view.findings.is_empty() {
        out.push_str("| Rule | Severity | Object | Message | Fix |\n|---|---|---|---|---|\n");
        for f in view.findings {
            let severity = match f.severity {
                crate::health::Severity::Error => "**error**",
                crate::health::Severity::Warning => "warning",
            };
            out.push_str(&row(&[
                code(f.rule.id()),
                severity.into(),
                code(&subject(f)),
                text(&f.message),
                code(&f.fix),
            ]));
        }
        out.push('\n');
    }
    for note in view.notes() {
        out.push_str(&format!("Note: {}\n\n", text(&note)));
    }
    if let Some(error) = &view.run.error {
        out.push_str(&format!("**Error**: {}\n\n", text(error)));
    }
    out.trim_end().to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use crate::report::samples;

    #[test]
    fn findings_are_a_table_with_their_fix_before_the_queries() {
        let out = super::super::render(&samples::health());
        let health = out.find("### Health: 1 error, 2 warnings (12 health rules)\n\n| Rule | Severity | Object | Message | Fix |\n");
        let queries = out.find("### Queries");
        assert!(health.is_some() && health < queries, "{out}");
        assert!(
            out.contains("| `duplicate-index` | **error** | `public.ix_dup (on public.orders)` | index public.ix_dup on public.orders duplicates"),
            "{out}"
        );
        assert!(
            out.contains("| `DROP INDEX CONCURRENTLY public.ix_dup;` |"),
            "{out}"
        );
        assert!(out.contains("Note: unused-index not judged:"), "{out}");
        assert!(
            out.starts_with("❌ **pgvet: FAIL** · 8 indexes passed · 12 health rules: 1 error, 2 warnings · 4 queries passed"),
            "{out}"
        );
    }
}
