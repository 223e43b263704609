//! `table-without-primary-key`: a table (or partitioned table; its partitions are judged
//! through it) with no primary key. Nothing then tells its rows apart for sure: duplicates
//! creep in, logical replication cannot apply its UPDATEs and DELETEs (unless REPLICA
//! IDENTITY FULL), and ORMs and migration tools expect one. When a unique index on NOT NULL
//! columns could become the key as it is, the fix says so.

use super::{RuleId, finding};
use crate::db::health::TableFacts;
use crate::report::model::Finding;

pub fn judge(tables: &[TableFacts]) -> Vec<Finding> {
    tables
        .iter()
        .filter(|t| !t.has_primary_key && !t.partition)
        .map(|t| {
            let (message, fix) = match &t.key_candidate {
                Some(index) => (
                    format!(
                        "table {} has no primary key; its unique index {index} on NOT NULL columns can become one",
                        t.name.shown()
                    ),
                    format!("ALTER TABLE {} ADD PRIMARY KEY USING INDEX {index};", t.name.sql),
                ),
                None => (
                    format!(
                        "table {} has no primary key: nothing tells its rows apart for sure, and logical replication cannot apply its UPDATEs and DELETEs",
                        t.name.shown()
                    ),
                    format!(
                        "ALTER TABLE {} ADD PRIMARY KEY (<the columns that identify a row>);",
                        t.name.sql
                    ),
                ),
            };
            finding(
                RuleId::TableWithoutPrimaryKey,
                t.name.shown(),
                None,
                message,
                fix,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::table;

    #[test]
    fn a_table_without_a_key_gets_one_and_a_unique_index_becomes_it() {
        let keyed = table("orders");
        let mut log = table("log");
        log.has_primary_key = false;
        let mut tagged = table("tags");
        tagged.has_primary_key = false;
        tagged.key_candidate = Some("tags_name_key".into());
        let mut partition = table("log_2026");
        (partition.has_primary_key, partition.partition) = (false, true);
        let found = super::judge(&[keyed, log, tagged, partition]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            (found[0].object.as_str(), found[0].table.as_deref()),
            ("public.log", None)
        );
        assert_eq!(
            found[0].fix,
            "ALTER TABLE public.log ADD PRIMARY KEY (<the columns that identify a row>);"
        );
        assert!(
            found[1]
                .message
                .contains("its unique index tags_name_key on NOT NULL columns can become one")
        );
        assert_eq!(
            found[1].fix,
            "ALTER TABLE public.tags ADD PRIMARY KEY USING INDEX tags_name_key;"
        );
    }
}
