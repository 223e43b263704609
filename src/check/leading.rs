//! The leading-column rule: a scan reads "through an index" only when the index narrows the
//! rows it reads. A B-tree (or GiST) index narrows when its condition constrains the index's
//! leading key column (equality, range, `IN` / `= ANY`, `IS NULL`, a row comparison starting
//! with it, a join parameter `col = outer.col`), or when, with no condition at all, it supplies
//! the order of rows under a LIMIT that stops the scan early. A condition on later columns only
//! reads the whole index: a full index scan, judged like a seq scan.
//!
//! - PostgreSQL 18's skip scan ("Index Searches" above 1) is still a full index scan here: it
//!   descends the index once per distinct leading value, cheap only while there are few, which
//!   neither a near-empty CI database nor this plan can promise for production. The verdict is
//!   the same on every version; the message names the skip scan.
//! - A partial index narrows by its predicate: the planner uses it only when the query implies
//!   its WHERE clause, so it holds only the rows that clause selects.
//! - GIN, BRIN, hash and other access methods search on any key column alike: any index
//!   condition narrows.
//! - Every Bitmap Index Scan of a bitmap scan (under BitmapAnd / BitmapOr) is judged: one that
//!   reads its whole index makes the scan a full index scan.
//! - An index the catalog no longer knows is judged by its condition alone.
//! - On a near-empty table every index costs the same, and the planner may break the tie with
//!   a composite index whose later column the condition constrains, though another index
//!   leads with that column. For the small-table proof that other index counts
//!   ([`tie_alternatives`]); on a large relation the planner's choice stands.

use std::collections::HashMap;

use crate::db::catalog::IndexKeys;
use crate::plan::cond::{constrained_keys, same_key};
use crate::plan::{IndexRead, Scan};

/// An index as a plan names it: (its table's schema as EXPLAIN VERBOSE prints it, index name).
pub type IndexName = (Option<String>, String);

/// The catalog's key columns of the indexes the plans read and of the others on their tables.
pub type IndexKeyMap = HashMap<IndexName, IndexKeys>;

/// An index read whole by a scan, and why, in words for a problem message.
#[derive(Debug, Clone, PartialEq)]
pub struct FullRead {
    pub index: String,
    pub reason: String,
}

/// Every index the scans read, without repeats, keyed as [`IndexKeyMap`] is.
pub fn indexes_read<'a>(scans: impl IntoIterator<Item = &'a Scan>) -> Vec<IndexName> {
    let mut names: Vec<IndexName> = scans
        .into_iter()
        .flat_map(|s| {
            s.index_reads
                .iter()
                .map(|r| (s.schema.clone(), r.index.clone()))
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The first index the scan reads whole, if any (`None` also for scans without an index).
pub fn full_index_read(scan: &Scan, keys: &IndexKeyMap) -> Option<FullRead> {
    scan.index_reads.iter().find_map(|read| {
        let index = keys.get(&(scan.schema.clone(), read.index.clone()));
        why_whole(scan, read, index).map(|reason| FullRead {
            index: read.index.clone(),
            reason,
        })
    })
}

/// Whether the scan reads through indexes, each of which narrows the rows.
pub fn narrows(scan: &Scan, keys: &IndexKeyMap) -> bool {
    !scan.index_reads.is_empty() && full_index_read(scan, keys).is_none()
}

/// The other indexes on the table that would narrow a scan the planner made a full index
/// scan only to break a cost tie (on a near-empty table every index costs the same): for each
/// index read whole, an index that leads with a column the read's own condition constrains,
/// with the operator class and collation that column has in the index read, so the planner
/// can use that very condition on it. `None` when the scan has no full read, or one has no
/// such alternative (a walk without a condition never has one).
pub fn tie_alternatives(scan: &Scan, keys: &IndexKeyMap) -> Option<Vec<String>> {
    let mut alternatives = Vec::new();
    for read in &scan.index_reads {
        let index = keys.get(&(scan.schema.clone(), read.index.clone()));
        if why_whole(scan, read, index).is_none() {
            continue;
        }
        let alternative = alternative(&scan.schema, read, index?, keys)
            .or_else(|| filter_alternative(scan, index?, keys));
        alternatives.push(alternative?);
    }
    (!alternatives.is_empty()).then_some(alternatives)
}

fn alternative(
    schema: &Option<String>,
    read: &IndexRead,
    index: &IndexKeys,
    keys: &IndexKeyMap,
) -> Option<String> {
    let cond = read.cond.as_deref()?;
    let mut found: Vec<&str> = Vec::new();
    for key in constrained_keys(cond) {
        let Some(at) = index.columns.iter().position(|c| same_key(key, c)) else {
            continue;
        };
        let same_column = |other: &IndexKeys| {
            other
                .columns
                .first()
                .is_some_and(|c| same_key(c, &index.columns[at]))
                && other.opclasses.first() == index.opclasses.get(at)
                && other.collations.first() == index.collations.get(at)
        };
        found.extend(keys.iter().filter_map(|((s, name), other)| {
            let sibling = s == schema && other.table == index.table && name != &read.index;
            (sibling && other.usable && !other.partial && other.method == index.method)
                .then_some(name.as_str())
                .filter(|_| same_column(other))
        }));
    }
    found.into_iter().min().map(str::to_string)
}

/// An index on the table that leads with a column the scan's Filter compares with a value
/// (`(model_id = 42)`, `(at >= $2)`): on a near-empty table the planner may break the tie with
/// a composite index whose later column it can use and leave the other condition as a Filter,
/// although an index that leads with that column narrows the rows. Only a btree whose first
/// key is that plain column with its default operator class and own collation counts, so the
/// Filter's comparison is one it can use as its index condition.
fn filter_alternative(scan: &Scan, read_index: &IndexKeys, keys: &IndexKeyMap) -> Option<String> {
    let filter = scan.filter.as_deref()?;
    let compared = crate::plan::cond::compared_with_values(filter);
    keys.iter()
        .filter(|((schema, _), other)| {
            *schema == scan.schema
                && other.table == read_index.table
                && other.usable
                && !other.partial
                && other.method == "btree"
                && other.leads_plainly
                && other
                    .columns
                    .first()
                    .is_some_and(|c| compared.iter().any(|key| same_key(key, c)))
        })
        .map(|((_, name), _)| name.as_str())
        .min()
        .map(str::to_string)
}

/// Why one index read covers the whole index; `None` when it narrows.
fn why_whole(scan: &Scan, read: &IndexRead, index: Option<&IndexKeys>) -> Option<String> {
    let Some(cond) = &read.cond else {
        let supplies_order =
            scan.node_type != "Bitmap Heap Scan" && scan.under_limit && scan.filter.is_none();
        let partial = index.is_some_and(|i| i.partial);
        return (!supplies_order && !partial).then(|| "no index condition".to_string());
    };
    let index = index?;
    if index.partial || !matches!(index.method.as_str(), "btree" | "gist") {
        return None;
    }
    let leading = index.columns.first()?;
    let keys = constrained_keys(cond);
    if keys.iter().any(|key| same_key(key, leading)) {
        return None;
    }
    // An expression key cannot be matched by its text: EXPLAIN prints it after the planner
    // inlined SQL functions (`norm(email)` becomes `lower(u.email)`) and schema-qualifies as
    // the session sees it. The planner only puts an expression in an Index Cond when it is
    // one of the index's expression keys, so with only the leading key an expression, an
    // expression operand constrains it.
    let expression = |key: &str| key.contains('(');
    let later_expression = index.columns[1..].iter().any(|k| expression(k));
    if expression(leading) && !later_expression && keys.iter().any(|key| expression(key)) {
        return None;
    }
    let mut reason =
        format!("its condition {cond} does not constrain its leading column {leading}");
    if let Some(searches) = read.searches.filter(|n| *n > 1.0) {
        reason.push_str(&format!(
            " (a skip scan: {searches:.0} index searches, one per leading value)"
        ));
    }
    Some(reason)
}

/// An index of `table` as the catalog would describe it, every key column with operator class
/// and collation 0, for tests.
#[cfg(test)]
pub(crate) fn test_keys(table: &str, method: &str, columns: &[&str], partial: bool) -> IndexKeys {
    IndexKeys {
        table: table.into(),
        method: method.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        opclasses: vec![0; columns.len()],
        collations: vec![0; columns.len()],
        partial,
        usable: true,
        leads_plainly: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(method: &str, columns: &[&str], partial: bool) -> IndexKeys {
        test_keys("shipments", method, columns, partial)
    }

    fn map(entries: &[(&str, IndexKeys)]) -> IndexKeyMap {
        entries
            .iter()
            .map(|(name, k)| ((Some("public".into()), name.to_string()), k.clone()))
            .collect()
    }

    fn read(index: &str, cond: Option<&str>) -> IndexRead {
        IndexRead {
            index: index.into(),
            cond: cond.map(str::to_string),
            searches: None,
        }
    }

    fn scan(node_type: &str, reads: Vec<IndexRead>) -> Scan {
        Scan {
            node_type: node_type.into(),
            relation: Some("shipments".into()),
            schema: Some("public".into()),
            alias: Some("s".into()),
            indexes: reads.iter().map(|r| r.index.clone()).collect(),
            index_reads: reads,
            parallel: false,
            backward: false,
            rows_estimated: None,
            rows_actual: None,
            loops: None,
            rows_read: None,
            index_cond: false,
            filter: None,
            under_limit: false,
            context: None,
        }
    }

    fn composite() -> IndexKeyMap {
        map(&[
            (
                "ix_wcs",
                keys("btree", &["warehouse_id", "carrier", "shipped_at"], false),
            ),
            ("ix_email", keys("btree", &["lower((email)::text)"], false)),
            ("ix_open", keys("btree", &["shipped_at"], true)),
            ("ix_gin", keys("gin", &["tags", "carrier"], false)),
        ])
    }

    #[test]
    fn only_a_condition_on_the_leading_column_narrows() {
        let keys = composite();
        let narrowing = [
            "(s.warehouse_id = 3)",
            "((s.warehouse_id = 3) AND (s.carrier = 'ups'::text))",
            "(s.warehouse_id = ANY ('{1,2}'::integer[]))",
            "(s.warehouse_id IS NULL)",
            "(ROW(s.warehouse_id, s.carrier) > ROW(3, 'x'::text))",
            "(s.warehouse_id = o.id)",
        ];
        for cond in narrowing {
            let s = scan("Index Scan", vec![read("ix_wcs", Some(cond))]);
            assert!(narrows(&s, &keys), "{cond}");
        }
        for cond in [
            "(s.carrier = 'ups'::text)",
            "((s.carrier = 'ups'::text) AND (s.shipped_at > '2024-01-01'::timestamp))",
            "(s.shipped_at > '2024-01-01 00:00:00'::timestamp without time zone)",
            "(ROW(s.carrier, s.shipped_at) > ROW('x'::text, now()))",
        ] {
            let s = scan("Bitmap Heap Scan", vec![read("ix_wcs", Some(cond))]);
            let full = full_index_read(&s, &keys).expect(cond);
            assert_eq!(full.index, "ix_wcs");
            assert!(
                full.reason
                    .ends_with("does not constrain its leading column warehouse_id"),
                "{full:?}"
            );
        }
    }

    #[test]
    fn an_expression_index_leads_with_its_expression() {
        let keys = composite();
        let by_email = scan(
            "Index Scan",
            vec![read(
                "ix_email",
                Some("(lower((s.email)::text) = 'x'::text)"),
            )],
        );
        assert!(narrows(&by_email, &keys));
    }

    #[test]
    fn an_inlined_sql_function_still_leads_its_expression_index() {
        // `CREATE INDEX u_norm ON u (norm(email))`, `norm` an SQL function EXPLAIN inlines.
        let keys = map(&[(
            "u_norm",
            test_keys("shipments", "btree", &["public.norm(email)", "id"], false),
        )]);
        let inlined = scan(
            "Index Scan",
            vec![read("u_norm", Some("(lower(s.email) = 'e5'::text)"))],
        );
        assert!(narrows(&inlined, &keys));
        let later_only = scan("Index Scan", vec![read("u_norm", Some("(s.id = 5)"))]);
        assert!(!narrows(&later_only, &keys));
    }

    #[test]
    fn without_a_condition_only_an_order_under_a_limit_or_a_partial_index_narrows() {
        let keys = composite();
        let walk = scan("Index Only Scan", vec![read("ix_wcs", None)]);
        assert_eq!(
            full_index_read(&walk, &keys).map(|f| f.reason),
            Some("no index condition".into())
        );
        let limited = Scan {
            under_limit: true,
            ..walk.clone()
        };
        assert!(narrows(&limited, &keys));
        let filtered = Scan {
            filter: Some("(note IS NOT NULL)".into()),
            ..limited.clone()
        };
        assert!(!narrows(&filtered, &keys), "a filter is a condition");
        let bitmap = Scan {
            under_limit: true,
            ..scan("Bitmap Heap Scan", vec![read("ix_wcs", None)])
        };
        assert!(!narrows(&bitmap, &keys), "a bitmap is built whole");
        let partial = scan("Bitmap Heap Scan", vec![read("ix_open", None)]);
        assert!(narrows(&partial, &keys));
        let partial_later = scan("Index Scan", vec![read("ix_open", Some("(s.id > 3)"))]);
        assert!(narrows(&partial_later, &keys));
    }

    #[test]
    fn every_bitmap_index_scan_is_judged() {
        let keys = composite();
        let and = scan(
            "Bitmap Heap Scan",
            vec![
                read("ix_email", Some("(lower((s.email)::text) = 'x'::text)")),
                read("ix_wcs", Some("(s.carrier = 'ups'::text)")),
            ],
        );
        assert_eq!(full_index_read(&and, &keys).unwrap().index, "ix_wcs");
        let or = scan(
            "Bitmap Heap Scan",
            vec![
                read("ix_wcs", Some("(s.warehouse_id = 1)")),
                read("ix_wcs", Some("(s.warehouse_id = 2)")),
            ],
        );
        assert!(narrows(&or, &keys));
        assert_eq!(
            indexes_read([&and, &or]),
            [
                (Some("public".into()), "ix_email".into()),
                (Some("public".into()), "ix_wcs".into())
            ]
        );
    }

    #[test]
    fn other_access_methods_and_unknown_indexes_narrow_by_any_condition() {
        let keys = composite();
        let gin = scan(
            "Bitmap Heap Scan",
            vec![read("ix_gin", Some("(s.carrier = 'x'::text)"))],
        );
        assert!(narrows(&gin, &keys));
        let gone = scan(
            "Index Scan",
            vec![read("ix_gone", Some("(s.carrier = 'x'::text)"))],
        );
        assert!(narrows(&gone, &keys));
        assert!(!narrows(
            &scan("Index Scan", vec![read("ix_gone", None)]),
            &keys
        ));
        assert!(
            !narrows(&scan("Seq Scan", vec![]), &keys),
            "no index at all"
        );
    }

    #[test]
    fn a_skip_scan_is_named_but_still_a_full_index_scan() {
        let keys = composite();
        let skip = scan(
            "Bitmap Heap Scan",
            vec![IndexRead {
                searches: Some(21.0),
                ..read("ix_wcs", Some("(s.shipped_at > '2024-06-28'::timestamp)"))
            }],
        );
        let full = full_index_read(&skip, &keys).unwrap();
        assert!(
            full.reason
                .ends_with("(a skip scan: 21 index searches, one per leading value)"),
            "{full:?}"
        );
    }

    #[test]
    fn a_cost_tie_broken_by_a_composite_index_has_an_alternative() {
        let mut keys = composite();
        keys.insert(
            (Some("public".into()), "ix_carrier".into()),
            test_keys("shipments", "btree", &["carrier"], false),
        );
        let tie = scan(
            "Index Scan",
            vec![read("ix_wcs", Some("(s.carrier = 'ups'::text)"))],
        );
        assert_eq!(
            tie_alternatives(&tie, &keys),
            Some(vec!["ix_carrier".into()])
        );
        let narrowing = scan(
            "Index Scan",
            vec![read("ix_wcs", Some("(s.warehouse_id = 1)"))],
        );
        assert_eq!(
            tie_alternatives(&narrowing, &keys),
            None,
            "nothing to break"
        );
        let walk = scan("Index Scan", vec![read("ix_wcs", None)]);
        assert_eq!(tie_alternatives(&walk, &keys), None);
        let other_column = scan(
            "Index Scan",
            vec![read("ix_wcs", Some("(s.shipped_at > now())"))],
        );
        assert_eq!(tie_alternatives(&other_column, &keys), None);
        // Another operator class or collation, a partial or invalid index, another table: none.
        let name = (Some("public".to_string()), "ix_carrier".to_string());
        let unlike: [fn(&mut IndexKeys); 5] = [
            |k| k.opclasses[0] = 10_043,
            |k| k.collations[0] = 950,
            |k| k.partial = true,
            |k| k.usable = false,
            |k| k.table = "returns".into(),
        ];
        for change in unlike {
            let mut keys = keys.clone();
            change(keys.get_mut(&name).unwrap());
            assert_eq!(tie_alternatives(&tie, &keys), None, "{:?}", keys[&name]);
        }
    }

    #[test]
    fn a_cost_tie_that_leaves_a_compared_column_in_the_filter_has_an_alternative() {
        // Empty prediction_history: the planner reads (organization_id, predicted_at) by its
        // second column and filters model_id, though (model_id, predicted_at) narrows both.
        let mut keys = map(&[
            (
                "ix_org_at",
                keys("btree", &["organization_id", "predicted_at"], false),
            ),
            (
                "ix_model_at",
                keys("btree", &["model_id", "predicted_at"], false),
            ),
        ]);
        let mut tie = scan(
            "Index Scan",
            vec![read("ix_org_at", Some("(predicted_at >= $2)"))],
        );
        tie.filter = Some("(model_id = $1)".into());
        assert_eq!(
            tie_alternatives(&tie, &keys),
            Some(vec!["ix_model_at".into()])
        );
        // Not for a filter that is no plain comparison with a value.
        for filter in [
            "(model_id = organization_id)",
            "((model_id = 1) OR (model_id = 2))",
            "(model_id <> 1)",
        ] {
            tie.filter = Some(filter.into());
            assert_eq!(tie_alternatives(&tie, &keys), None, "{filter}");
        }
        // Nor through an index whose first key has another operator class or collation.
        tie.filter = Some("(model_id = $1)".into());
        keys.get_mut(&(Some("public".to_string()), "ix_model_at".to_string()))
            .unwrap()
            .leads_plainly = false;
        assert_eq!(tie_alternatives(&tie, &keys), None);
    }
}
