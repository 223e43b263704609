//! `unused-index`: an index no scan has used since the server's statistics counters started,
//! which every write still maintains. Judged only when the counters have counted for at
//! least [`MIN_DAYS`] days (a month: weekly and monthly work has had its turn), since the
//! latest of the database's statistics reset, the shared counters' reset (PostgreSQL resets
//! the counters after a crash) and the server's start. On younger counters (a throwaway
//! server, a CI database, a fresh reset) the rule says it did not judge, and finds nothing.
//!
//! Never judged unused: a unique index or one that backs a constraint (it enforces
//! something), an index that covers a foreign key (dropping it makes `fk-without-index`), an
//! index the suite expects (`[[index]]`: new by design), an index on a partitioned table or
//! of a partition, and, when `track_commit_timestamp` tells when the index was created, one
//! younger than [`MIN_DAYS`]. The counters are the server's own: a standby's scans are not in
//! them, so the message says to look there too.

use super::fk_without_index::covers;
use super::{RuleId, finding, words::size};
use crate::db::health::{Facts, IndexFacts};
use crate::report::model::Finding;

/// How many days the counters must have counted for an index without scans to be unused.
pub const MIN_DAYS: f64 = 30.0;

const DAY: f64 = 86_400.0;

fn days(seconds: f64) -> String {
    let d = (seconds / DAY).floor().max(0.0) as i64;
    let hours = (seconds / 3600.0).max(0.0).floor() as i64;
    match d {
        0 => super::words::counted(hours, "hour", "hours"),
        d => super::words::counted(d, "day", "days"),
    }
}

/// Findings, and a note when the counters are too young to judge by.
pub fn judge(
    facts: &Facts,
    expected: &[(String, String)],
    now: f64,
) -> (Vec<Finding>, Vec<String>) {
    let context = &facts.context;
    let counted = now - context.counters_since;
    if counted < MIN_DAYS * DAY {
        let note = format!(
            "unused-index not judged: the statistics counters count since {} ({}); pgvet judges an index unused only after {MIN_DAYS} days of counting",
            context.counters_since_text,
            days(counted)
        );
        return (Vec::new(), vec![note]);
    }
    let expected_index = |i: &IndexFacts| {
        expected
            .iter()
            .any(|(schema, name)| *schema == i.name.schema && *name == i.name.name)
    };
    let young = |i: &IndexFacts| i.created_at.is_some_and(|t| now - t < MIN_DAYS * DAY);
    let findings = facts
        .indexes
        .iter()
        .filter(|i| {
            i.scans == Some(0)
                && i.valid
                && i.ready
                && !i.unique
                && i.constraint.is_none()
                && !i.partitioned
                && !i.partition_child
                && !facts.foreign_keys.iter().any(|k| covers(k, i))
                && !expected_index(i)
                && !young(i)
        })
        .map(|i| {
            finding(
                RuleId::UnusedIndex,
                i.name.shown(),
                Some(i.table.shown()),
                format!(
                    "index {} on {} has not been scanned since the statistics counters started ({}, {} ago), yet every write maintains its {}; the counters are this server's: check the standbys before dropping it",
                    i.name.shown(),
                    i.table.shown(),
                    context.counters_since_text,
                    days(counted),
                    size(i.size)
                ),
                super::duplicate_index::drop_statement(i),
            )
        })
        .collect();
    (findings, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{facts, foreign_key, index};

    const NOW: f64 = 1_800_000_000.0;

    #[test]
    fn an_index_never_scanned_in_a_month_of_counting_is_unused() {
        let mut f = facts(NOW, 45.0);
        let mut used = index("ix_used", "t", &["b"]);
        used.scans = Some(12);
        let mut unique = index("t_c_key", "t", &["c"]);
        unique.unique = true;
        let mut exclusion = index("t_d_excl", "t", &["d"]);
        exclusion.constraint = Some(("t_d_excl".into(), "t_d_excl".into()));
        let mut big = index("ix_idle", "t", &["e"]);
        big.size = 12 * 1024 * 1024;
        f.indexes = vec![used, unique, exclusion, big, index("ix_fk", "t", &["f"])];
        f.foreign_keys = vec![foreign_key("t", &["f"], "u")];
        let (found, notes) = super::judge(&f, &[], NOW);
        assert!(notes.is_empty());
        let objects: Vec<&str> = found.iter().map(|x| x.object.as_str()).collect();
        assert_eq!(objects, ["public.ix_idle"]);
        assert_eq!(
            found[0].message,
            "index public.ix_idle on public.t has not been scanned since the statistics counters started (2026-01-01 00:00 UTC, 45 days ago), yet every write maintains its 12 MiB; the counters are this server's: check the standbys before dropping it"
        );
        assert_eq!(found[0].fix, "DROP INDEX CONCURRENTLY public.ix_idle;");
        // The suite's own indexes, and one created a week ago, are new by design.
        let expected = [("public".to_string(), "ix_idle".to_string())];
        assert!(super::judge(&f, &expected, NOW).0.is_empty());
        f.indexes[3].created_at = Some(NOW - 7.0 * 86_400.0);
        assert!(super::judge(&f, &[], NOW).0.is_empty());
    }

    #[test]
    fn counters_younger_than_a_month_judge_nothing_and_say_so() {
        let mut f = facts(NOW, 29.5);
        f.indexes = vec![index("ix_idle", "t", &["e"])];
        let (found, notes) = super::judge(&f, &[], NOW);
        assert!(found.is_empty());
        assert_eq!(
            notes,
            [
                "unused-index not judged: the statistics counters count since 2026-01-01 00:00 UTC (29 days); pgvet judges an index unused only after 30 days of counting"
            ]
        );
        let f = facts(NOW, 0.25);
        assert!(super::judge(&f, &[], NOW).1[0].contains("(6 hours)"));
    }
}
