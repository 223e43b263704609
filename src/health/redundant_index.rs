//! `redundant-index`: a B-tree index whose key columns lead another B-tree index on the same
//! table (the same columns or expressions first, in order, with the same operator classes,
//! collations and sort options), with the same predicate, whose INCLUDE columns that other
//! index holds too. Every lookup it serves, the other serves as well. A unique index is never
//! redundant (it enforces what the longer one cannot), nor one that backs a constraint; a
//! non-unique index with the same keys as a unique one is. An index `duplicate-index` already
//! says to drop is not repeated here.

use super::duplicate_index::{comparable, drop_statement, dropped, key};
use super::{RuleId, finding};
use crate::db::health::IndexFacts;
use crate::report::model::Finding;

/// Whether every lookup `index` serves, `other` serves too. Expression keys compare as the
/// whole list of an index's expressions, so an `other` with more expressions than the keys
/// `index` shares with it is never taken to cover it.
fn covered_by(index: &IndexFacts, other: &IndexFacts) -> bool {
    let n = index.keys.len();
    let leads = other.keys.len() >= n
        && index
            .keys
            .iter()
            .zip(&other.keys)
            .all(|(a, b)| key(a) == key(b));
    let expressions_match = match index.keys.iter().any(|k| k.attnum == 0) {
        false => true,
        true => {
            index.expressions == other.expressions
                && other.keys[n.min(other.keys.len())..]
                    .iter()
                    .all(|k| k.attnum != 0)
        }
    };
    let holds = |column: &i16| {
        other.include_attnums.contains(column) || other.keys.iter().any(|k| k.attnum == *column)
    };
    other.table_oid == index.table_oid
        && other.method == "btree"
        && other.predicate == index.predicate
        && leads
        && expressions_match
        && index.include_attnums.iter().all(holds)
        && (other.keys.len() > n
            || other.unique
            || other.include_attnums.len() > index.include_attnums.len())
}

pub fn judge(indexes: &[IndexFacts], expected: &[(String, String)]) -> Vec<Finding> {
    let duplicates = dropped(indexes, expected);
    let candidates = indexes.iter().filter(|i| {
        comparable(i)
            && i.method == "btree"
            && !i.unique
            && i.constraint.is_none()
            && !duplicates.contains(&i.name.shown())
    });
    let mut findings = Vec::new();
    for index in candidates {
        let closest = indexes
            .iter()
            .filter(|o| comparable(o) && o.name != index.name && covered_by(index, o))
            .min_by_key(|o| (o.keys.len(), o.include.len(), o.name.name.clone()));
        let Some(other) = closest else { continue };
        let columns = |i: &IndexFacts| {
            let keys: Vec<&str> = i.keys.iter().map(|k| k.text.as_str()).collect();
            format!("({})", keys.join(", "))
        };
        let what = if other.keys.len() > index.keys.len() {
            "lead"
        } else if other.unique {
            "are those of the unique index"
        } else {
            "are those of"
        };
        findings.push(finding(
            RuleId::RedundantIndex,
            index.name.shown(),
            Some(index.table.shown()),
            format!(
                "index {} on {} {} is redundant: its keys {what} {} {}, which serves every lookup it does; every write maintains both",
                index.name.shown(),
                index.table.shown(),
                columns(index),
                other.name.shown(),
                columns(other)
            ),
            drop_statement(index),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::index;

    #[test]
    fn a_leading_prefix_of_a_longer_index_is_redundant() {
        let short = index("ix_a", "t", &["a"]);
        let long = index("ix_a_b", "t", &["a", "b"]);
        let other = index("ix_b", "t", &["b"]);
        let found = super::judge(&[short, long, other], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].object, "public.ix_a");
        assert_eq!(
            found[0].message,
            "index public.ix_a on public.t (a) is redundant: its keys lead public.ix_a_b (a, b), which serves every lookup it does; every write maintains both"
        );
        assert_eq!(found[0].fix, "DROP INDEX CONCURRENTLY public.ix_a;");
    }

    #[test]
    fn a_unique_index_is_never_redundant_but_a_plain_one_beside_a_unique_one_is() {
        let mut unique = index("t_a_key", "t", &["a"]);
        unique.unique = true;
        let long = index("ix_a_b", "t", &["a", "b"]);
        assert!(super::judge(&[unique.clone(), long], &[]).is_empty());
        let plain = index("ix_a", "t", &["a"]);
        let found = super::judge(&[unique, plain], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("its keys are those of the unique index public.t_a_key")
        );
    }

    #[test]
    fn a_predicate_a_method_an_include_or_a_sort_order_keeps_an_index_needed() {
        let long = index("ix_a_b", "t", &["a", "b"]);
        let with = |change: &dyn Fn(&mut crate::db::health::IndexFacts)| {
            let mut short = index("ix_a", "t", &["a"]);
            change(&mut short);
            super::judge(&[short, long.clone()], &[])
        };
        assert!(with(&|i| i.predicate = Some("(a > 0)".into())).is_empty());
        assert!(with(&|i| i.method = "hash".into()).is_empty());
        assert!(with(&|i| i.include_attnums = vec![3]).is_empty());
        assert!(with(&|i| i.keys[0].option = 3).is_empty());
        assert!(with(&|i| i.constraint = Some(("x".into(), "x".into()))).is_empty());
        // An INCLUDE column the longer index holds as a key keeps nothing apart.
        assert_eq!(with(&|i| i.include_attnums = vec![2]).len(), 1);
        // The same keys with more INCLUDE columns serve it too.
        let mut covering = index("ix_a_incl", "t", &["a"]);
        covering.include_attnums = vec![3];
        let found = super::judge(&[index("ix_a", "t", &["a"]), covering], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("its keys are those of public.ix_a_incl")
        );
    }

    #[test]
    fn expressions_cover_only_when_the_longer_index_has_no_others() {
        let expression = |name: &str, keys: &[&str], list: &str| {
            let mut i = index(name, "t", keys);
            i.expressions = Some(list.into());
            i
        };
        let lower = expression("ix_lower", &["lower(a)"], "(lower)");
        let with_b = expression("ix_lower_b", &["lower(a)", "b"], "(lower)");
        let found = super::judge(&[lower.clone(), with_b], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        let with_upper = expression("ix_lower_upper", &["lower(a)", "upper(b)"], "(lower upper)");
        assert!(super::judge(&[lower.clone(), with_upper], &[]).is_empty());
        let other = expression("ix_trim_b", &["trim(a)", "b"], "(trim)");
        assert!(super::judge(&[lower, other], &[]).is_empty());
    }

    #[test]
    fn a_duplicate_is_left_to_duplicate_index() {
        let found = super::judge(
            &[index("ix_a", "t", &["a"]), index("ix_a2", "t", &["a"])],
            &[],
        );
        assert!(found.is_empty(), "{found:?}");
        let found = super::judge(
            &[
                index("ix_a", "t", &["a"]),
                index("ix_a2", "t", &["a"]),
                index("ix_a_b", "t", &["a", "b"]),
            ],
            &[],
        );
        let objects: Vec<&str> = found.iter().map(|f| f.object.as_str()).collect();
        assert_eq!(objects, ["public.ix_a"], "{found:?}");
    }
}
