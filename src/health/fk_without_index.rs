//! `fk-without-index`: a foreign key whose columns lead no valid index of its table. PostgreSQL
//! indexes the referenced side (a primary key or unique constraint) but not the referencing
//! one, so each DELETE of a referenced row, or UPDATE of its key, reads the whole referencing
//! table to find the rows that point at it (and holds their locks meanwhile). An index covers
//! the key when its first key columns are the key's columns, in any order among them, and it
//! is valid, not partial, and a B-tree (or a hash index, for a one-column key): a key on
//! (a, b) is covered by an index on (b, a, c), not by one on (a, c, b).

use super::{RuleId, finding};
use crate::db::health::{ForeignKeyFacts, IndexFacts};
use crate::report::model::Finding;

/// Whether lookups of the key's values can use `index`.
pub(super) fn covers(key: &ForeignKeyFacts, index: &IndexFacts) -> bool {
    let n = key.attnums.len();
    let usable = index.valid
        && index.ready
        && index.predicate.is_none()
        && (index.method == "btree" || (index.method == "hash" && n == 1));
    let leading: Vec<i16> = index.keys.iter().take(n).map(|k| k.attnum).collect();
    usable
        && index.table_oid == key.table_oid
        && leading.len() == n
        && leading.iter().all(|a| *a != 0 && key.attnums.contains(a))
        && key.attnums.iter().all(|a| leading.contains(a))
}

pub fn judge(keys: &[ForeignKeyFacts], indexes: &[IndexFacts]) -> Vec<Finding> {
    keys.iter()
        .filter(|k| !indexes.iter().any(|i| covers(k, i)))
        .map(|key| {
            let columns = key.columns.join(", ");
            let concurrently = if key.partitioned { "" } else { " CONCURRENTLY" };
            finding(
                RuleId::FkWithoutIndex,
                key.name.shown(),
                Some(key.table.shown()),
                format!(
                    "foreign key {} on {} ({columns}) → {} has no index that leads with its columns: each DELETE on {}, or UPDATE of its key, reads the whole of {} to find the rows that reference it",
                    key.name.name,
                    key.table.shown(),
                    key.references.shown(),
                    key.references.shown(),
                    key.table.shown()
                ),
                format!(
                    "CREATE INDEX{concurrently} ON {} ({});",
                    key.table.sql,
                    key.columns_sql.join(", ")
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{foreign_key, index};

    #[test]
    fn a_key_without_an_index_gets_one() {
        let key = foreign_key("orders", &["c"], "customers");
        let found = super::judge(&[key], &[index("orders_pkey", "orders", &["a"])]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].object, "public.orders_c_fkey");
        assert_eq!(found[0].table.as_deref(), Some("public.orders"));
        assert_eq!(
            found[0].message,
            "foreign key orders_c_fkey on public.orders (c) → public.customers has no index that leads with its columns: each DELETE on public.customers, or UPDATE of its key, reads the whole of public.orders to find the rows that reference it"
        );
        assert_eq!(
            found[0].fix,
            "CREATE INDEX CONCURRENTLY ON public.orders (c);"
        );
    }

    #[test]
    fn leading_columns_of_a_composite_index_cover_a_key_in_any_order() {
        let key = foreign_key("lines", &["a", "b"], "orders");
        for covering in [&["a", "b"][..], &["b", "a", "c"], &["a", "b", "c"]] {
            let found = super::judge(
                std::slice::from_ref(&key),
                &[index("ix", "lines", covering)],
            );
            assert!(found.is_empty(), "{covering:?}: {found:?}");
        }
        for not in [
            &["a", "c", "b"][..],
            &["a"],
            &["c", "a", "b"],
            &["lower(a)", "b"],
        ] {
            let found = super::judge(std::slice::from_ref(&key), &[index("ix", "lines", not)]);
            assert_eq!(found.len(), 1, "{not:?}");
        }
    }

    #[test]
    fn only_a_valid_full_btree_or_hash_index_covers() {
        let key = foreign_key("orders", &["c"], "customers");
        let with = |change: &dyn Fn(&mut crate::db::health::IndexFacts)| {
            let mut i = index("ix_c", "orders", &["c"]);
            change(&mut i);
            super::judge(std::slice::from_ref(&key), &[i]).len()
        };
        assert_eq!(with(&|_| {}), 0);
        assert_eq!(with(&|i| i.method = "hash".into()), 0);
        assert_eq!(with(&|i| i.valid = false), 1);
        assert_eq!(with(&|i| i.predicate = Some("(c IS NOT NULL)".into())), 1);
        assert_eq!(with(&|i| i.method = "gin".into()), 1);
        assert_eq!(with(&|i| i.table_oid = 1), 1);
        let mut partitioned = key.clone();
        partitioned.partitioned = true;
        let found = super::judge(&[partitioned], &[]);
        assert_eq!(found[0].fix, "CREATE INDEX ON public.orders (c);");
    }
}
