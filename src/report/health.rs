//! The schema health results as every output format shows them: the findings with their rule,
//! severity, object, message and fix; the notes of rules that could not judge; and the counts
//! the verdict lines use. The formats lay these out; none of them reads the model itself.

use super::model::{Finding, HealthRun, Report};
use super::{counted, of_total};
use crate::health::Severity;

/// The health part of a report, when health rules ran.
pub struct View<'a> {
    pub run: &'a HealthRun,
    pub findings: &'a [Finding],
}

impl View<'_> {
    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// "12 health rules" (what was checked, for a passing verdict).
    pub fn rules(&self) -> String {
        counted(self.run.rules.len(), "health rule", "health rules")
    }

    /// "2 errors, 3 warnings", "1 warning", or "no findings".
    pub fn tally(&self) -> String {
        let (errors, warnings) = (self.count(Severity::Error), self.count(Severity::Warning));
        let mut parts = Vec::new();
        if errors > 0 {
            parts.push(counted(errors, "error", "errors"));
        }
        if warnings > 0 {
            parts.push(counted(warnings, "warning", "warnings"));
        }
        match parts.is_empty() {
            true => "no findings".into(),
            false => parts.join(", "),
        }
    }

    /// What fails the run, in the verdict line's words: "2 health errors", "12 of 12 health
    /// rules could not be judged".
    pub fn failures(&self) -> Vec<String> {
        let mut parts = Vec::new();
        let errors = self.count(Severity::Error);
        if errors > 0 {
            parts.push(counted(errors, "health error", "health errors"));
        }
        let errored = self.run.errored();
        if errored > 0 {
            let total = self.run.rules.len();
            parts.push(format!(
                "{} could not be judged",
                of_total(errored, total, "health rule", "health rules")
            ));
        }
        parts
    }

    /// The notes, each with its rule: "unused-index: not judged: …" (a note that starts with
    /// its rule's id is shown as it is).
    pub fn notes(&self) -> Vec<String> {
        self.run
            .notes
            .iter()
            .map(|n| match n.message.starts_with(n.rule.id()) {
                true => n.message.clone(),
                false => format!("{}: {}", n.rule, n.message),
            })
            .collect()
    }
}

/// The health part of the report, when health rules ran.
pub fn view(report: &Report) -> Option<View<'_>> {
    report.health.as_ref().map(|run| View {
        run,
        findings: &report.findings,
    })
}

/// What a finding is about, in words: "public.ix_a (on public.t)", "public.t".
pub fn subject(f: &Finding) -> String {
    match &f.table {
        Some(table) if !f.object.starts_with(&format!("{table}.")) && *table != f.object => {
            format!("{} (on {table})", f.object)
        }
        _ => f.object.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::RuleId;
    use crate::report::samples;

    #[test]
    fn counts_and_subjects_read_as_the_verdicts_say_them() {
        let report = samples::health();
        let view = view(&report).unwrap();
        assert_eq!(view.rules(), "12 health rules");
        assert_eq!(view.tally(), "1 error, 2 warnings");
        assert_eq!(view.failures(), ["1 health error"]);
        assert_eq!(
            subject(&report.findings[0]),
            "public.ix_dup (on public.orders)"
        );
        assert_eq!(subject(&report.findings[2]), "public.audit");
        assert_eq!(
            view.notes(),
            [
                "unused-index not judged: the statistics counters count since 2026-03-01 09:30 UTC (2 days); pgvet judges an index unused only after 30 days of counting"
            ]
        );
        let mut broken = report.clone();
        let run = broken.health.as_mut().unwrap();
        run.error = Some("the catalog statements of the health rules failed".into());
        broken.findings.clear();
        let view = super::view(&broken).unwrap();
        assert_eq!(
            view.failures(),
            ["12 of 12 health rules could not be judged"]
        );
        assert_eq!(view.tally(), "no findings");
        assert!(super::view(&samples::after()).is_none());
        assert_eq!(report.findings[1].rule, RuleId::FkWithoutIndex);
    }
}
