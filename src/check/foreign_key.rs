//! Foreign key checks. A foreign key is found by its table and columns, in order; when the
//! suite gives `references`, `ref_columns` or `name`, the key found must match them. It must be
//! validated (a key added NOT VALID never checked the rows already there), and, unless
//! `indexed = false`, some valid, non-partial B-tree or hash index must lead with its columns
//! (in any order among the leading ones: (a, b) is covered by an index on (b, a, c)). Without
//! one, every DELETE or key UPDATE on the referenced table reads the referencing table whole.

use crate::check::contract::{and_list, sql_name, sql_relation, verdict};
use crate::db::contract::{FoundForeignKey, KeyIndex, TableKeys};
use crate::report::model::{ForeignKeyProblem, ForeignKeyResult, Status};
use crate::suite::ExpectedForeignKey;

/// Judges one expected foreign key against what its table holds (None: no such table).
pub fn judge(expected: &ExpectedForeignKey, keys: Option<&TableKeys>) -> ForeignKeyResult {
    let mut result = empty(expected, Status::Pass, None);
    let on = expected.described();
    let Some(keys) = keys else {
        let table = format!("{}.{}", expected.schema, expected.table);
        let message = format!("no table {table} exists, so no foreign key on {on} either");
        finish(&mut result, vec![(ForeignKeyProblem::Missing, message)]);
        return result;
    };
    let mut problems = Vec::new();
    match best_match(expected, &keys.foreign_keys) {
        None => problems.push((ForeignKeyProblem::Missing, missing(expected, keys))),
        Some(found) => {
            result.actual_name = Some(found.name.clone());
            result.actual_references = Some(format!("{}.{}", found.ref_schema, found.ref_table));
            result.actual_ref_columns = Some(found.ref_columns.clone());
            result.validated = Some(found.validated);
            problems.extend(shape_problems(expected, found));
        }
    }
    if expected.indexed {
        result.covering_index = covering(&expected.columns, &keys.indexes).map(|i| i.name.clone());
        if result.covering_index.is_none() {
            let referenced = result.actual_references.as_deref();
            let message = not_indexed(expected, keys, referenced);
            problems.push((ForeignKeyProblem::NotIndexed, message));
        }
    }
    finish(&mut result, problems);
    result
}

/// A foreign key check that could not be made: the catalog query failed or never ran.
pub fn error(expected: &ExpectedForeignKey, message: String) -> ForeignKeyResult {
    empty(expected, Status::Error, Some(message))
}

fn empty(
    expected: &ExpectedForeignKey,
    status: Status,
    message: Option<String>,
) -> ForeignKeyResult {
    ForeignKeyResult {
        schema: expected.schema.clone(),
        table: expected.table.clone(),
        columns: expected.columns.clone(),
        references: expected
            .references
            .as_ref()
            .map(|(s, t)| format!("{s}.{t}")),
        ref_columns: expected.ref_columns.clone(),
        name: expected.name.clone(),
        indexed: expected.indexed,
        status,
        problem: None,
        problems: Vec::new(),
        message,
        actual_name: None,
        actual_references: None,
        actual_ref_columns: None,
        validated: None,
        covering_index: None,
        checklist: expected.checklist.clone(),
    }
}

fn finish(result: &mut ForeignKeyResult, problems: Vec<(ForeignKeyProblem, String)>) {
    let v = verdict(problems);
    (
        result.status,
        result.problem,
        result.problems,
        result.message,
    ) = (v.status, v.problem, v.problems, v.message);
}

/// Whether the key references what the suite says (each part only when given).
fn references_match(expected: &ExpectedForeignKey, found: &FoundForeignKey) -> bool {
    let table = expected
        .references
        .as_ref()
        .is_none_or(|(s, t)| *s == found.ref_schema && *t == found.ref_table);
    let columns = expected
        .ref_columns
        .as_ref()
        .is_none_or(|c| *c == found.ref_columns);
    table && columns
}

fn name_matches(expected: &ExpectedForeignKey, found: &FoundForeignKey) -> bool {
    expected.name.as_ref().is_none_or(|n| *n == found.name)
}

/// The key on the expected columns that matches the suite best: all of it, then its
/// reference, then its name, then any.
fn best_match<'k>(
    expected: &ExpectedForeignKey,
    keys: &'k [FoundForeignKey],
) -> Option<&'k FoundForeignKey> {
    let on_columns: Vec<&FoundForeignKey> = keys
        .iter()
        .filter(|k| k.columns == expected.columns)
        .collect();
    let find = |is: &dyn Fn(&FoundForeignKey) -> bool| on_columns.iter().copied().find(|k| is(k));
    find(&|k| references_match(expected, k) && name_matches(expected, k))
        .or_else(|| find(&|k| references_match(expected, k)))
        .or_else(|| find(&|k| name_matches(expected, k)))
        .or_else(|| on_columns.first().copied())
}

fn shape_problems(
    expected: &ExpectedForeignKey,
    found: &FoundForeignKey,
) -> Vec<(ForeignKeyProblem, String)> {
    let on = expected.described();
    let mut problems = Vec::new();
    if !references_match(expected, found) {
        let wanted = match (&expected.references, &expected.ref_columns) {
            (Some((s, t)), Some(c)) => format!("{s}.{t} ({})", c.join(", ")),
            (Some((s, t)), None) => format!("{s}.{t}"),
            (None, Some(c)) => format!("columns ({})", c.join(", ")),
            (None, None) => String::new(),
        };
        problems.push((
            ForeignKeyProblem::WrongReference,
            format!(
                "the foreign key {} on {on} references {}.{} ({}), expected {wanted}",
                found.name,
                found.ref_schema,
                found.ref_table,
                found.ref_columns.join(", ")
            ),
        ));
    }
    if let Some(name) = expected.name.as_ref().filter(|n| **n != found.name) {
        problems.push((
            ForeignKeyProblem::WrongName,
            format!(
                "the foreign key on {on} is named {}, expected {name} (ALTER TABLE {} RENAME CONSTRAINT {} TO {})",
                found.name,
                sql_relation(&expected.schema, &expected.table),
                sql_name(&found.name),
                sql_name(name)
            ),
        ));
    }
    if !found.validated && expected.validated {
        problems.push((
            ForeignKeyProblem::NotValidated,
            format!(
                "the foreign key {} on {on} is NOT VALID: the rows from before it was added were never checked (ALTER TABLE {} VALIDATE CONSTRAINT {})",
                found.name,
                sql_relation(&expected.schema, &expected.table),
                sql_name(&found.name)
            ),
        ));
    }
    problems
}

/// "no foreign key on public.t (a)", with what the table has instead.
fn missing(expected: &ExpectedForeignKey, keys: &TableKeys) -> String {
    let on = expected.described();
    let table = format!("{}.{}", expected.schema, expected.table);
    let mut message = format!("no foreign key on {on} exists");
    let named = expected
        .name
        .as_ref()
        .and_then(|n| keys.foreign_keys.iter().find(|k| k.name == *n));
    if let Some(k) = named {
        message.push_str(&format!(
            "; {} on {table} is on ({}) instead",
            k.name,
            k.columns.join(", ")
        ));
        return message;
    }
    let listed: Vec<String> = keys
        .foreign_keys
        .iter()
        .take(5)
        .map(|k| format!("{} on ({})", k.name, k.columns.join(", ")))
        .collect();
    match listed.is_empty() {
        true => message.push_str(&format!("; {table} has no foreign key")),
        false => message.push_str(&format!(
            "; the foreign keys of {table}: {}",
            listed.join(", ")
        )),
    }
    message
}

/// Whether the index's first `columns.len()` key columns are `columns`, in any order.
fn leads_with(index: &KeyIndex, columns: &[String]) -> bool {
    index.columns.len() >= columns.len()
        && columns.iter().all(|c| {
            index.columns[..columns.len()]
                .iter()
                .any(|k| k.as_deref() == Some(c))
        })
}

/// A usable index that leads with the columns.
fn covering<'i>(columns: &[String], indexes: &'i [KeyIndex]) -> Option<&'i KeyIndex> {
    indexes
        .iter()
        .find(|i| i.unusable.is_none() && leads_with(i, columns))
}

/// Why an index matters, naming the referenced table: the suite's, else the key's (`found`).
fn not_indexed(expected: &ExpectedForeignKey, keys: &TableKeys, found: Option<&str>) -> String {
    let table = sql_relation(&expected.schema, &expected.table);
    let columns: Vec<String> = expected.columns.iter().map(|c| sql_name(c)).collect();
    let referenced = match (&expected.references, found) {
        (Some((s, t)), _) => format!("{s}.{t}"),
        (None, Some(found)) => found.to_string(),
        (None, None) => "the referenced table".to_string(),
    };
    let mut message = format!(
        "no valid index on {}.{} leads with ({}): each DELETE, or key UPDATE, on {referenced} reads the whole table to find the rows that reference it (CREATE INDEX ON {table} ({}), or indexed = false)",
        expected.schema,
        expected.table,
        expected.columns.join(", "),
        columns.join(", ")
    );
    let unusable: Vec<String> = keys
        .indexes
        .iter()
        .filter(|i| leads_with(i, &expected.columns))
        .filter_map(|i| i.unusable.as_ref().map(|why| format!("{} ({why})", i.name)))
        .collect();
    if !unusable.is_empty() {
        message.push_str(&format!(
            "; {} would, but cannot serve the key's lookups",
            and_list(&unusable)
        ));
    }
    message
}

#[cfg(test)]
#[path = "foreign_key_tests.rs"]
mod tests;
