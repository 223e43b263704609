//! `btree-on-array-column`: a B-tree index with an array column among its keys. A B-tree
//! compares whole arrays: it serves `col = '{1,2}'` and sorting, not the searches arrays are
//! stored for (`@>`, `&&`, `= ANY`), which need a GIN index; and an array near a page's
//! size cannot be indexed at all (a B-tree entry is at most about a third of a page). A
//! unique index is left alone: whole-array uniqueness is something only a B-tree enforces.

use super::{RuleId, finding};
use crate::db::health::IndexFacts;
use crate::report::model::Finding;

pub fn judge(indexes: &[IndexFacts]) -> Vec<Finding> {
    indexes
        .iter()
        .filter(|i| i.method == "btree" && !i.unique && !i.partition_child)
        .filter_map(|index| {
            let arrays: Vec<&str> = index
                .keys
                .iter()
                .filter(|k| k.array)
                .map(|k| k.text.as_str())
                .collect();
            let first = arrays.first()?;
            Some(finding(
                RuleId::BtreeOnArrayColumn,
                index.name.shown(),
                Some(index.table.shown()),
                format!(
                    "index {} on {} is a B-tree on array column {}: it compares whole arrays, so searches for elements (@>, &&, = ANY) cannot use it; a GIN index serves them",
                    index.name.shown(),
                    index.table.shown(),
                    arrays.join(", ")
                ),
                format!(
                    "CREATE INDEX CONCURRENTLY ON {} USING gin ({first}); DROP INDEX CONCURRENTLY {};",
                    index.table.sql, index.name.sql
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::index;

    #[test]
    fn a_btree_on_an_array_is_replaced_by_gin_and_a_unique_one_kept() {
        let mut tags = index("ix_tags", "posts", &["t"]);
        tags.keys[0].array = true;
        let mut unique = tags.clone();
        unique.name = super::super::fixtures::name("posts_t_key");
        unique.unique = true;
        let mut gin = tags.clone();
        gin.name = super::super::fixtures::name("ix_gin");
        gin.method = "gin".into();
        let found = super::judge(&[tags, unique, gin, index("ix_plain", "posts", &["a"])]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "index public.ix_tags on public.posts is a B-tree on array column t: it compares whole arrays, so searches for elements (@>, &&, = ANY) cannot use it; a GIN index serves them"
        );
        assert_eq!(
            found[0].fix,
            "CREATE INDEX CONCURRENTLY ON public.posts USING gin (t); DROP INDEX CONCURRENTLY public.ix_tags;"
        );
    }
}
