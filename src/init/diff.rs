//! What a migration did, from the catalog before and after it: the indexes it created, changed
//! and dropped, the tables it created, the columns it added (or gave another type), the check
//! constraints and foreign keys it created. Objects are matched by schema and name; one whose
//! name is there on both sides but whose OID changed was dropped and created again, and counts
//! as created (the migration made it). Pure: snapshots in, [`Expectations`] out, sorted.
//!
//! What has no expectation in a suite is left out: dropped tables, columns and constraints
//! (a dropped table's indexes are `absent` all the same), defaults, NOT NULL.

use std::collections::{BTreeMap, HashMap};

use super::{Expectations, ForeignKeyExpectation, IndexChange, IndexExpectation, TableExpectation};
use crate::db::snapshot::{Constraint, ConstraintKind, Index, Snapshot};

/// The expectations of what changed from `before` to `after`. With an empty `before`, every
/// object of `after` (`pgvet init --db`).
pub fn diff(before: &Snapshot, after: &Snapshot) -> Expectations {
    Expectations {
        indexes: indexes(before, after),
        tables: tables(before, after),
        foreign_keys: foreign_keys(before, after),
    }
}

fn indexes(before: &Snapshot, after: &Snapshot) -> Vec<IndexExpectation> {
    let key = |i: &Index| (i.schema.clone(), i.name.clone());
    let then: HashMap<_, &Index> = before.indexes.iter().map(|i| (key(i), i)).collect();
    let now: HashMap<_, &Index> = after.indexes.iter().map(|i| (key(i), i)).collect();
    let mut made: Vec<IndexExpectation> = after
        .indexes
        .iter()
        .filter_map(|index| {
            let change = match then.get(&key(index)) {
                None => IndexChange::Created,
                Some(old) if old.oid != index.oid || old.definition != index.definition => {
                    IndexChange::Changed {
                        before: old.definition.clone(),
                        alike: old.table == index.table
                            && old.columns == index.columns
                            && old.include == index.include
                            && old.predicate == index.predicate
                            && old.method == index.method
                            && old.unique == index.unique,
                    }
                }
                Some(_) => return None,
            };
            Some(IndexExpectation {
                index: index.clone(),
                change,
            })
        })
        .collect();
    // An index of a dropped table goes with it: the table's `absent = true` says so.
    let tables = |s: &'_ Snapshot| -> std::collections::HashSet<(String, String)> {
        s.tables
            .iter()
            .map(|t| (t.schema.clone(), t.name.clone()))
            .collect()
    };
    let (tables_then, tables_now) = (tables(before), tables(after));
    let table_dropped = |i: &Index| {
        let table = (i.schema.clone(), i.table.clone());
        tables_then.contains(&table) && !tables_now.contains(&table)
    };
    let mut dropped: Vec<IndexExpectation> = before
        .indexes
        .iter()
        .filter(|i| !now.contains_key(&key(i)))
        .filter(|i| !table_dropped(i))
        .map(|index| IndexExpectation {
            index: index.clone(),
            change: IndexChange::Dropped,
        })
        .collect();
    let order = |e: &IndexExpectation| {
        let i = &e.index;
        (i.schema.clone(), i.table.clone(), i.name.clone())
    };
    made.sort_by_key(order);
    dropped.sort_by_key(order);
    made.extend(dropped);
    made
}

fn tables(before: &Snapshot, after: &Snapshot) -> Vec<TableExpectation> {
    let then: HashMap<(&str, &str), _> = before
        .tables
        .iter()
        .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
        .collect();
    // Sorted by schema and name.
    let mut expected: BTreeMap<(String, String), TableExpectation> = BTreeMap::new();
    for table in &after.tables {
        let (created, columns) = match then.get(&(table.schema.as_str(), table.name.as_str())) {
            Some(old) if old.oid == table.oid => {
                let types: HashMap<&str, &str> = old
                    .columns
                    .iter()
                    .map(|(n, t)| (n.as_str(), t.as_str()))
                    .collect();
                let changed = table
                    .columns
                    .iter()
                    .filter(|(n, t)| types.get(n.as_str()) != Some(&t.as_str()))
                    .cloned()
                    .collect();
                (false, changed)
            }
            _ => (true, table.columns.clone()),
        };
        if created || !columns.is_empty() {
            expected.insert(
                (table.schema.clone(), table.name.clone()),
                TableExpectation {
                    schema: table.schema.clone(),
                    name: table.name.clone(),
                    created,
                    columns,
                    checks: Vec::new(),
                    not_valid: false,
                    dropped: false,
                },
            );
        }
    }
    let names_now: std::collections::HashSet<(&str, &str)> = after
        .tables
        .iter()
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    for table in &before.tables {
        if !names_now.contains(&(table.schema.as_str(), table.name.as_str())) {
            expected.insert(
                (table.schema.clone(), table.name.clone()),
                TableExpectation {
                    schema: table.schema.clone(),
                    name: table.name.clone(),
                    created: false,
                    columns: Vec::new(),
                    checks: Vec::new(),
                    not_valid: false,
                    dropped: true,
                },
            );
        }
    }
    for check in new_constraints(before, after).filter(|c| c.kind == ConstraintKind::Check) {
        expected
            .entry((check.schema.clone(), check.table.clone()))
            .or_insert_with(|| TableExpectation {
                schema: check.schema.clone(),
                name: check.table.clone(),
                created: false,
                columns: Vec::new(),
                checks: Vec::new(),
                not_valid: false,
                dropped: false,
            })
            .checks
            .push(check.name.clone());
    }
    let mut tables: Vec<TableExpectation> = expected.into_values().collect();
    for table in &mut tables {
        table.checks.sort();
        // Any CHECK of the table left NOT VALID (pgvet check judges them all, not only new ones).
        table.not_valid = after.constraints.iter().any(|c| {
            c.kind == ConstraintKind::Check
                && !c.validated
                && c.schema == table.schema
                && c.table == table.name
        });
    }
    tables
}

/// Whether an index on the key's table leads with its columns, in any order, as
/// `check::foreign_key` counts it: not partial, btree or hash. Printed index columns are
/// compared unquoted.
fn indexed(after: &Snapshot, key: &Constraint, columns: &[String]) -> bool {
    let unquoted = |printed: &str| match printed.strip_prefix('"').and_then(|p| p.strip_suffix('"'))
    {
        Some(inner) => inner.replace("\"\"", "\""),
        None => printed.to_string(),
    };
    after.indexes.iter().any(|i| {
        let keys = i.columns.len() - i.include.len();
        i.schema == key.schema
            && i.table == key.table
            && i.predicate.is_none()
            && matches!(i.method.as_str(), "btree" | "hash")
            && keys >= columns.len()
            && columns
                .iter()
                .all(|c| i.columns[..columns.len()].iter().any(|k| unquoted(k) == *c))
    })
}

fn foreign_keys(before: &Snapshot, after: &Snapshot) -> Vec<ForeignKeyExpectation> {
    let mut keys: Vec<ForeignKeyExpectation> = new_constraints(before, after)
        .filter_map(|c| match &c.kind {
            ConstraintKind::ForeignKey {
                columns,
                ref_schema,
                ref_table,
                ref_columns,
            } => Some(ForeignKeyExpectation {
                schema: c.schema.clone(),
                table: c.table.clone(),
                name: c.name.clone(),
                columns: columns.clone(),
                ref_schema: ref_schema.clone(),
                ref_table: ref_table.clone(),
                ref_columns: ref_columns.clone(),
                indexed: indexed(after, c, columns),
                validated: c.validated,
            }),
            ConstraintKind::Check => None,
        })
        .collect();
    keys.sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
    keys
}

/// The constraints of `after` that `before` did not have (by table and name, and OID).
fn new_constraints<'a>(
    before: &'a Snapshot,
    after: &'a Snapshot,
) -> impl Iterator<Item = &'a crate::db::snapshot::Constraint> {
    let then: HashMap<(&str, &str, &str), u32> = before
        .constraints
        .iter()
        .map(|c| {
            (
                (c.schema.as_str(), c.table.as_str(), c.name.as_str()),
                c.oid,
            )
        })
        .collect();
    after.constraints.iter().filter(move |c| {
        then.get(&(c.schema.as_str(), c.table.as_str(), c.name.as_str())) != Some(&c.oid)
    })
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
