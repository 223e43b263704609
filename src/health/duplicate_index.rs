//! `duplicate-index`: two indexes that are the same index: on the same table, with the same
//! access method, key columns (or expressions) in the same order with the same operator
//! classes, collations and sort options, the same INCLUDE columns, the same predicate and the
//! same uniqueness (deferred or not, NULLs distinct or not). One is enough; the other costs every write and its disk. Of a group, the
//! one that backs a constraint is kept, else the one a foreign key uses, else one the suite
//! expects (`[[index]]`), else the oldest (the lowest oid: the one made first); each other
//! one is a finding.

use std::collections::{BTreeMap, HashSet};

use super::{RuleId, finding};
use crate::db::health::{IndexFacts, IndexKey};
use crate::report::model::Finding;

/// What makes two indexes the same.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Shape<'a> {
    table: u32,
    method: &'a str,
    keys: Vec<(i16, u32, u32, i16)>,
    expressions: Option<&'a str>,
    include: &'a [i16],
    predicate: Option<&'a str>,
    /// Uniqueness, and how it is enforced: at once or deferred, NULLs distinct or not.
    unique: (bool, bool, bool),
}

/// A key column as the rules compare it: the table column (0 for an expression, which
/// [`IndexFacts::expressions`] holds), operator class, collation and sort options.
pub(super) fn key(k: &IndexKey) -> (i16, u32, u32, i16) {
    (k.attnum, k.opclass, k.collation, k.option)
}

fn shape(index: &IndexFacts) -> Shape<'_> {
    Shape {
        table: index.table_oid,
        method: &index.method,
        keys: index.keys.iter().map(key).collect(),
        expressions: index.expressions.as_deref(),
        include: &index.include_attnums,
        predicate: index.predicate.as_deref(),
        unique: (index.unique, index.immediate, index.nulls_not_distinct),
    }
}

/// Indexes the rules compare: valid, and not a partition's copy of a partitioned index.
pub(super) fn comparable(index: &IndexFacts) -> bool {
    index.valid && index.ready && !index.partition_child
}

/// Each group of identical indexes: the one kept, then the others.
fn groups<'i>(
    indexes: &'i [IndexFacts],
    expected: &[(String, String)],
) -> Vec<Vec<&'i IndexFacts>> {
    let is_expected = |i: &IndexFacts| {
        expected
            .iter()
            .any(|(schema, name)| *schema == i.name.schema && *name == i.name.name)
    };
    let mut by_shape: BTreeMap<Shape, Vec<&IndexFacts>> = BTreeMap::new();
    for index in indexes.iter().filter(|i| comparable(i)) {
        by_shape.entry(shape(index)).or_default().push(index);
    }
    by_shape
        .into_values()
        .filter(|g| g.len() > 1)
        .map(|mut group| {
            group.sort_by_key(|i| {
                (
                    i.constraint.is_none(),
                    !i.referenced_by_foreign_key,
                    !is_expected(i),
                    i.oid,
                    i.name.name.clone(),
                )
            });
            group
        })
        .collect()
}

/// The indexes this rule says to drop, by `schema.name`.
pub(super) fn dropped(indexes: &[IndexFacts], expected: &[(String, String)]) -> HashSet<String> {
    groups(indexes, expected)
        .iter()
        .flat_map(|g| g[1..].iter().map(|i| i.name.shown()))
        .collect()
}

pub fn judge(indexes: &[IndexFacts], expected: &[(String, String)]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for group in groups(indexes, expected) {
        let kept = group[0];
        for index in &group[1..] {
            findings.push(finding(
                RuleId::DuplicateIndex,
                index.name.shown(),
                Some(index.table.shown()),
                message(index, kept),
                drop_statement(index),
            ));
        }
    }
    findings
}

fn message(index: &IndexFacts, kept: &IndexFacts) -> String {
    let mut message = format!(
        "index {} on {} duplicates {}: the same key columns, INCLUDE columns, predicate, method and uniqueness; one is enough, and every write maintains both",
        index.name.shown(),
        index.table.shown(),
        kept.name.shown()
    );
    if index.referenced_by_foreign_key {
        message.push_str("; a foreign key uses it, so dropping it needs that foreign key dropped and added again");
    }
    message
}

/// The statement that drops an index: its constraint, when it backs one; `CONCURRENTLY`
/// unless it is an index on a partitioned table (PostgreSQL cannot drop those concurrently).
pub(super) fn drop_statement(index: &IndexFacts) -> String {
    match (&index.constraint, index.partitioned) {
        (Some((_, constraint)), _) => format!(
            "ALTER TABLE {} DROP CONSTRAINT {constraint};",
            index.table.sql
        ),
        (None, true) => format!("DROP INDEX {};", index.name.sql),
        (None, false) => format!("DROP INDEX CONCURRENTLY {};", index.name.sql),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::index;

    #[test]
    fn an_identical_index_is_a_duplicate_and_the_constraints_one_is_kept() {
        let mut pkey = index("t_pkey", "t", &["a"]);
        (pkey.unique, pkey.primary) = (true, true);
        pkey.constraint = Some(("t_pkey".into(), "t_pkey".into()));
        let mut again = index("t_a_key", "t", &["a"]);
        again.unique = true;
        let found = super::judge(&[again, pkey], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].object, "public.t_a_key");
        assert!(
            found[0].message.contains("duplicates public.t_pkey"),
            "{found:?}"
        );
        assert_eq!(found[0].fix, "DROP INDEX CONCURRENTLY public.t_a_key;");
    }

    #[test]
    fn anything_that_tells_two_indexes_apart_makes_them_no_duplicates() {
        let base = index("ix_a", "t", &["a", "b"]);
        let other = |change: &dyn Fn(&mut crate::db::health::IndexFacts)| {
            let mut i = index("ix_b", "t", &["a", "b"]);
            change(&mut i);
            vec![base.clone(), i]
        };
        for (what, indexes) in [
            ("order", vec![base.clone(), index("ix_b", "t", &["b", "a"])]),
            ("table", other(&|i| i.table_oid = 99)),
            ("method", other(&|i| i.method = "hash".into())),
            (
                "predicate",
                other(&|i| i.predicate = Some("(a > 0)".into())),
            ),
            ("include", other(&|i| i.include_attnums = vec![3])),
            ("opclass", other(&|i| i.keys[0].opclass = 10)),
            ("collation", other(&|i| i.keys[1].collation = 950)),
            ("desc", other(&|i| i.keys[1].option = 3)),
            ("unique", other(&|i| i.unique = true)),
            ("deferrable", other(&|i| i.immediate = false)),
            (
                "nulls not distinct",
                other(&|i| i.nulls_not_distinct = true),
            ),
            ("invalid", other(&|i| i.valid = false)),
            (
                "expression",
                other(&|i| (i.keys[0].attnum, i.expressions) = (0, Some("({FUNCEXPR …})".into()))),
            ),
        ] {
            assert!(super::judge(&indexes, &[]).is_empty(), "{what}");
        }
        let found = super::judge(&other(&|_| {}), &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].object, "public.ix_b", "the first by name is kept");
        // The one made first is kept, and before it one the suite expects.
        let (mut old, mut new) = (index("ix_z", "t", &["a"]), index("ix_y", "t", &["a"]));
        (old.oid, new.oid) = (100, 200);
        let found = super::judge(&[old.clone(), new.clone()], &[]);
        assert_eq!(found[0].object, "public.ix_y", "{found:?}");
        let expected = [("public".to_string(), "ix_y".to_string())];
        let found = super::judge(&[old, new], &expected);
        assert_eq!(found[0].object, "public.ix_z", "{found:?}");
    }

    #[test]
    fn a_constraints_index_is_dropped_with_its_constraint_and_a_partitioned_one_plainly() {
        let mut unique = index("t_a_key", "t", &["a"]);
        unique.unique = true;
        unique.constraint = Some(("t_a_key".into(), "t_a_key".into()));
        assert_eq!(
            super::drop_statement(&unique),
            "ALTER TABLE public.t DROP CONSTRAINT t_a_key;"
        );
        let mut partitioned = index("ix_p", "p", &["a"]);
        partitioned.partitioned = true;
        assert_eq!(
            super::drop_statement(&partitioned),
            "DROP INDEX public.ix_p;"
        );
    }
}
