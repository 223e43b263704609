//! `invalid-index`: an index the planner ignores (`indisvalid` or `indisready` false), anywhere
//! in the schemas, not only those a suite expects: what a failed or interrupted `CREATE INDEX
//! CONCURRENTLY` (or `REINDEX CONCURRENTLY`) leaves. Every write still maintains it. An index
//! PostgreSQL reports as still being built is left alone; so is a partition's index attached
//! to a partitioned one (the parent's finding covers it).

use super::words::counted;
use super::{RuleId, finding};
use crate::db::health::IndexFacts;
use crate::report::model::Finding;

pub fn judge(indexes: &[IndexFacts]) -> Vec<Finding> {
    indexes
        .iter()
        .filter(|i| !(i.valid && i.ready || i.being_built || i.partition_child))
        .map(invalid)
        .collect()
}

fn invalid(index: &IndexFacts) -> Finding {
    let shown = index.name.shown();
    let (message, fix) = match index.unattached_partitions {
        Some(n) if n > 0 => (
            format!(
                "index {shown} on partitioned table {} is invalid: {} {} no index attached to it (as after CREATE INDEX … ON ONLY), so the planner does not use it",
                index.table.shown(),
                counted(n, "of its partitions", "of its partitions"),
                if n == 1 { "has" } else { "have" }
            ),
            format!(
                "CREATE INDEX CONCURRENTLY on each such partition, then ALTER INDEX {} ATTACH PARTITION <that index>;",
                index.name.sql
            ),
        ),
        _ => (
            format!(
                "index {shown} on {} is invalid (indisvalid = {}, indisready = {}): a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY failed or was interrupted; the planner does not use it, {}{}",
                index.table.shown(),
                index.valid,
                index.ready,
                if index.ready {
                    "yet every write maintains it"
                } else {
                    "and writes do not keep it up to date"
                },
                if index.unique {
                    ", and a unique one fails again until the duplicate rows are gone"
                } else {
                    ""
                }
            ),
            format!("REINDEX INDEX CONCURRENTLY {};", index.name.sql),
        ),
    };
    finding(
        RuleId::InvalidIndex,
        shown,
        Some(index.table.shown()),
        message,
        fix,
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::index;

    #[test]
    fn an_invalid_index_is_found_and_rebuilt() {
        let mut broken = index("ix_broken", "t", &["a"]);
        broken.valid = false;
        let mut building = index("ix_building", "t", &["b"]);
        (building.valid, building.being_built) = (false, true);
        let fine = index("ix_fine", "t", &["c"]);
        let found = super::judge(&[broken, building, fine]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].object, "public.ix_broken");
        assert_eq!(found[0].table.as_deref(), Some("public.t"));
        assert!(found[0].message.contains("indisvalid = false"), "{found:?}");
        assert_eq!(found[0].fix, "REINDEX INDEX CONCURRENTLY public.ix_broken;");
    }

    #[test]
    fn a_partitioned_index_missing_partitions_says_to_attach_them() {
        let mut parent = index("ix_parent", "events", &["at"]);
        (
            parent.valid,
            parent.partitioned,
            parent.unattached_partitions,
        ) = (false, true, Some(2));
        let mut child = index("ix_child", "events_2026", &["at"]);
        (child.valid, child.partition_child) = (false, true);
        let found = super::judge(&[parent, child]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("2 of its partitions have no index attached")
        );
        assert!(
            found[0]
                .fix
                .contains("ALTER INDEX public.ix_parent ATTACH PARTITION")
        );
    }
}
