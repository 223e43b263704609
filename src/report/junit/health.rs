//! The JUnit testsuite "health": a testcase per finding (one of severity error is a
//! `<failure>` typed with its rule, a warning passes with its message in system-out), one per
//! rule that found nothing (its notes in system-out), and an `<error>` when the rules could not
//! be judged.

use std::slice;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};

use super::{case, non_success};
use crate::health::Severity;
use crate::report::health::{View, subject};

/// A testcase per finding (one of severity error fails, a warning passes with its message in
/// system-out), and one per rule that found nothing (with its notes); an `<error>` when the
/// rules could not be judged.
pub(super) fn cases(view: &View) -> Vec<TestCase> {
    if let Some(error) = &view.run.error {
        let status = non_success(NonSuccessKind::Error, slice::from_ref(error), None);
        return vec![case("health rules", "health", status)];
    }
    let mut cases = Vec::new();
    for f in view.findings {
        let name = format!("{} {}", f.rule, subject(f));
        let mut testcase = match f.severity {
            Severity::Error => {
                let reasons = [f.message.clone(), format!("fix: {}", f.fix)];
                let status =
                    non_success(NonSuccessKind::Failure, &reasons, Some(f.rule.to_string()));
                case(&name, "health", status)
            }
            Severity::Warning => case(&name, "health", TestCaseStatus::success()),
        };
        testcase.set_system_out(format!(
            "{}: {}\nfix: {}",
            f.severity.word(),
            f.message,
            f.fix
        ));
        cases.push(testcase);
    }
    let notes = view.notes();
    for rule in &view.run.rules {
        if view.findings.iter().any(|f| f.rule == *rule) {
            continue;
        }
        let mut testcase = case(rule.id(), "health", TestCaseStatus::success());
        let own: Vec<&str> = view
            .run
            .notes
            .iter()
            .zip(&notes)
            .filter(|(n, _)| n.rule == *rule)
            .map(|(_, shown)| shown.as_str())
            .collect();
        if !own.is_empty() {
            testcase.set_system_out(own.join("\n"));
        }
        cases.push(testcase);
    }
    cases
}

#[cfg(test)]
mod tests {
    use crate::report::samples;
    use quick_junit::TestCaseStatus;

    #[test]
    fn health_findings_of_severity_error_fail_and_warnings_pass() {
        let junit = super::super::tests::parsed(&super::super::render(&samples::health()));
        let suite = junit
            .test_suites
            .iter()
            .find(|s| s.name.as_str() == "health")
            .unwrap();
        assert_eq!(
            suite.test_cases.len(),
            3 + 9,
            "a case per finding and per quiet rule"
        );
        let failed: Vec<&str> = suite
            .test_cases
            .iter()
            .filter(|c| !matches!(c.status, TestCaseStatus::Success { .. }))
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(failed, ["duplicate-index public.ix_dup (on public.orders)"]);
        let unused = suite
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == "unused-index")
            .unwrap();
        assert!(
            unused.system_out.as_ref().unwrap().contains("not judged"),
            "{unused:?}"
        );
        let xml = super::super::render(&samples::health());
        assert!(
            xml.contains("fix: DROP INDEX CONCURRENTLY public.ix_dup;"),
            "{xml}"
        );
    }
}
