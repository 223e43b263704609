//! `fk-type-mismatch`: a foreign key column of another type than the column it references (an
//! `integer` referencing a `bigint`, a `varchar(50)` referencing a `varchar(100)`; a domain
//! counts as its base type). Every check of the key converts one side, and the narrower column
//! fails once the referenced side holds a value it cannot (ids past 2,147,483,647).

use super::{RuleId, finding};
use crate::db::health::ForeignKeyFacts;
use crate::report::model::Finding;

pub fn judge(keys: &[ForeignKeyFacts]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for key in keys {
        let differing: Vec<usize> = (0..key.columns.len())
            .filter(|&i| key.types_differ.get(i).copied().unwrap_or(false))
            .collect();
        if differing.is_empty() {
            continue;
        }
        let described: Vec<String> = differing
            .iter()
            .map(|&i| {
                format!(
                    "column {} is {} and references {}.{}, {}",
                    key.columns[i],
                    key.types[i],
                    key.references.shown(),
                    key.ref_columns[i],
                    key.ref_types[i]
                )
            })
            .collect();
        let alters: Vec<String> = differing
            .iter()
            .map(|&i| {
                format!(
                    "ALTER COLUMN {} TYPE {}",
                    key.columns_sql[i], key.ref_types[i]
                )
            })
            .collect();
        findings.push(finding(
            RuleId::FkTypeMismatch,
            key.name.shown(),
            Some(key.table.shown()),
            format!(
                "foreign key {} on {}: {}; each check of the key converts one side, and the narrower column fails once the other holds a value it cannot (changing a column's type rewrites its table)",
                key.name.name,
                key.table.shown(),
                described.join("; ")
            ),
            format!(
                "ALTER TABLE {} {};",
                key.table.sql,
                alters.join(", ")
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::foreign_key;

    #[test]
    fn a_column_of_another_type_is_given_the_referenced_type() {
        let mut key = foreign_key("orders", &["c"], "customers");
        assert!(super::judge(&[key.clone()]).is_empty());
        key.ref_types[0] = "bigint".into();
        key.types_differ[0] = true;
        let found = super::judge(&[key]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "foreign key orders_c_fkey on public.orders: column c is integer and references public.customers.id, bigint; each check of the key converts one side, and the narrower column fails once the other holds a value it cannot (changing a column's type rewrites its table)"
        );
        assert_eq!(
            found[0].fix,
            "ALTER TABLE public.orders ALTER COLUMN c TYPE bigint;"
        );
    }

    #[test]
    fn only_the_differing_columns_of_a_composite_key_are_named() {
        let mut key = foreign_key("lines", &["a", "b"], "orders");
        key.types_differ[1] = true;
        key.ref_types[1] = "character varying(100)".into();
        let found = super::judge(&[key]);
        assert!(
            found[0].message.contains("column b is integer"),
            "{found:?}"
        );
        assert!(!found[0].message.contains("column a"), "{found:?}");
        assert!(
            found[0]
                .fix
                .contains("ALTER COLUMN b TYPE character varying(100)")
        );
    }
}
