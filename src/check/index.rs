//! Index checks: exists in its schema, on the named table, key columns in order, unique when
//! asked, the WHERE predicate, access method and INCLUDE columns when given, valid and ready
//! (a failed `CREATE INDEX CONCURRENTLY` leaves an invalid index that still shows in
//! `pg_indexes`), or absent when the suite says it must not exist. A missing
//! index names what the suite probably meant: the closest index names on its table (a typo is
//! the most common cause), and the index that has the expected columns under another name.

use crate::db::catalog::{FoundIndex, Predicate, TableIndex};
use crate::report::model::{IndexProblem, IndexResult, Status};
use crate::suite::ExpectedIndex;

/// At most this many close names are listed.
/// At most this many of a table's indexes are listed when none has a close name.
const LISTED: usize = 5;

/// Judges one expected index against what the catalog holds under its name (None: no index of
/// that name in that schema). `on_table` lists the indexes on the expected table (None: no
/// such table).
pub fn judge(
    expected: &ExpectedIndex,
    found: Option<&FoundIndex>,
    on_table: Option<&[TableIndex]>,
) -> IndexResult {
    let mut result = IndexResult {
        name: expected.name.clone(),
        schema: expected.schema.clone(),
        table: expected.table.clone(),
        status: Status::Pass,
        problem: None,
        problems: Vec::new(),
        message: None,
        absent: expected.absent,
        expected_columns: expected.columns.clone(),
        actual_columns: found.map(|f| f.columns.clone()),
        actual_table: found.map(|f| f.table.clone()),
        definition: found.map(|f| f.definition.clone()),
        closest_names: Vec::new(),
        same_columns_index: None,
        checklist: expected.checklist.clone(),
    };
    if !expected.absent {
        result.same_columns_index = same_columns(expected, on_table.unwrap_or_default());
    }
    let problems = match found {
        None if expected.absent => vec![],
        None => {
            result.closest_names = closest_names(&expected.name, on_table.unwrap_or_default());
            vec![(IndexProblem::Missing, missing(expected, on_table, &result))]
        }
        Some(_) if expected.absent => vec![(
            IndexProblem::Present,
            format!(
                "index {} still exists but must be absent (drop it, or remove `absent = true`)",
                expected.name
            ),
        )],
        Some(found) => shape_problems(expected, found, result.same_columns_index.as_deref()),
    };
    if !problems.is_empty() {
        result.status = Status::Fail;
        result.problem = Some(problems[0].0);
        result.problems = problems.iter().map(|p| p.0).collect();
        result.message = Some(
            problems
                .into_iter()
                .map(|p| p.1)
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    result
}

/// An index check that could not be made: the catalog query failed (a lock timeout, a lost
/// connection, a signal) or never ran. `message` says why.
pub fn error(expected: &ExpectedIndex, message: String) -> IndexResult {
    IndexResult {
        name: expected.name.clone(),
        schema: expected.schema.clone(),
        table: expected.table.clone(),
        status: Status::Error,
        problem: None,
        problems: Vec::new(),
        message: Some(message),
        absent: expected.absent,
        expected_columns: expected.columns.clone(),
        actual_columns: None,
        actual_table: None,
        definition: None,
        closest_names: Vec::new(),
        same_columns_index: None,
        checklist: expected.checklist.clone(),
    }
}

/// For a missing index whose table does not exist in its schema: the other schemas that hold a
/// table of that name (`elsewhere`, from `db::catalog`), added to the message as what the suite
/// probably meant.
pub fn table_elsewhere(result: &mut IndexResult, elsewhere: &[String]) {
    if result.problem != Some(IndexProblem::Missing) || elsewhere.is_empty() {
        return;
    }
    let schemas: Vec<String> = elsewhere
        .iter()
        .map(|s| format!("{s}.{}", result.table))
        .collect();
    let hint = match schemas.as_slice() {
        [one] => format!("; a table {one} exists: write table = \"{one}\" or set `schema`"),
        many => format!(
            "; tables of that name exist in other schemas: {}",
            many.join(", ")
        ),
    };
    if let Some(message) = &mut result.message {
        message.push_str(&hint);
    }
}

/// "no index public.ix_a exists; …" with what the suite probably meant.
fn missing(
    expected: &ExpectedIndex,
    on_table: Option<&[TableIndex]>,
    found: &IndexResult,
) -> String {
    let table = format!("{}.{}", expected.schema, expected.table);
    let mut message = format!("no index {}.{} exists", expected.schema, expected.name);
    let Some(indexes) = on_table else {
        message.push_str(&format!(
            ", and no table {table} exists either (check `table` and `schema`)"
        ));
        return message;
    };
    if let Some(other) = &found.same_columns_index {
        message.push_str(&format!(
            "; {other} on {table} has the expected columns: the index exists under another name (rename it, ALTER INDEX {} RENAME TO {}, or write its name in the suite)",
            sql_identifier(&expected.schema, other),
            sql_name(&expected.name)
        ));
    }
    let close: Vec<&String> = found
        .closest_names
        .iter()
        .filter(|n| Some(*n) != found.same_columns_index.as_ref())
        .collect();
    match close.as_slice() {
        [] if found.same_columns_index.is_some() => {}
        [] if indexes.is_empty() => message.push_str(&format!("; {table} has no index")),
        [] => {
            let names: Vec<&str> = indexes
                .iter()
                .take(LISTED)
                .map(|i| i.name.as_str())
                .collect();
            let more = match indexes.len().saturating_sub(LISTED) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            message.push_str(&format!(
                "; none of the indexes on {table} has a close name: {}{more}",
                names.join(", ")
            ));
        }
        [one] => message.push_str(&format!(
            "; did you mean {one}? It is the closest name on {table}{}",
            case_hint(&expected.name, one)
        )),
        several => message.push_str(&format!(
            "; did you mean one of {}? They are the closest names on {table}",
            several
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    message
}

/// The names on the table closest to `name` (see [`super::closest`]).
fn closest_names(name: &str, indexes: &[TableIndex]) -> Vec<String> {
    super::closest::closest(name, indexes.iter().map(|i| i.name.as_str()))
}

/// When the names differ only in case: PostgreSQL folds unquoted names, pgvet does not.
fn case_hint(wanted: &str, close: &str) -> &'static str {
    if wanted.to_lowercase() == close.to_lowercase() {
        " (names compare exactly; PostgreSQL folds unquoted names to lower case)"
    } else {
        ""
    }
}

/// Another index on the table whose key columns are the expected ones, in order.
fn same_columns(expected: &ExpectedIndex, indexes: &[TableIndex]) -> Option<String> {
    let columns = expected.columns.as_ref()?;
    indexes
        .iter()
        .find(|i| i.name != expected.name && columns_match(columns, &i.columns))
        .map(|i| i.name.clone())
}

/// A name as SQL text: quoted when it is not a plain lower-case identifier.
fn sql_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn sql_identifier(schema: &str, name: &str) -> String {
    format!("{}.{}", sql_name(schema), sql_name(name))
}

fn shape_problems(
    expected: &ExpectedIndex,
    found: &FoundIndex,
    same_columns: Option<&str>,
) -> Vec<(IndexProblem, String)> {
    let mut problems = Vec::new();
    if found.table != expected.table {
        problems.push((
            IndexProblem::WrongTable,
            format!("is on table {} instead of {}", found.table, expected.table),
        ));
    }
    if !found.valid || !found.ready {
        let message = match found.unattached_partitions {
            Some(n) if n > 0 => format!(
                "exists but is invalid (indisvalid = {}): it is an index on a partitioned table, and {} of the table's partitions {} no index attached to it (as after CREATE INDEX … ON ONLY); create the index on each such partition and attach it with ALTER INDEX {}.{} ATTACH PARTITION …, rather than rebuilding it on every partition",
                found.valid,
                n,
                if n == 1 { "has" } else { "have" },
                expected.schema,
                expected.name
            ),
            _ => format!(
                "exists but is invalid (indisvalid = {}, indisready = {}: a failed or unfinished \
                 CREATE INDEX CONCURRENTLY); the planner does not use it — drop it and create it again",
                found.valid, found.ready
            ),
        };
        problems.push((IndexProblem::Invalid, message));
    }
    if let Some(columns) = expected
        .columns
        .as_ref()
        .filter(|c| !columns_match(c, &found.columns))
    {
        let elsewhere = same_columns
            .map(|other| format!("; {other} on the same table has the expected columns"))
            .unwrap_or_default();
        problems.push((
            IndexProblem::ColumnsDiffer,
            format!(
                "expected columns ({}), actual ({}){elsewhere}",
                columns.join(", "),
                found.columns.join(", ")
            ),
        ));
    }
    if expected.unique && !found.unique {
        problems.push((IndexProblem::NotUnique, "is not unique".to_string()));
    }
    if let Some(wanted) = expected
        .predicate
        .as_deref()
        .filter(|p| !predicate_matches(p, found.predicate.as_ref()))
    {
        let actual = match &found.predicate {
            Some(p) => format!("WHERE {}", p.pretty),
            None => "no WHERE (not a partial index)".to_string(),
        };
        problems.push((
            IndexProblem::PredicateDiffers,
            format!("expected WHERE {wanted}, actual {actual}"),
        ));
    }
    if let Some(method) = expected
        .method
        .as_deref()
        .filter(|m| !m.trim().eq_ignore_ascii_case(&found.method))
    {
        problems.push((
            IndexProblem::MethodDiffers,
            format!("expected method {method}, actual {}", found.method),
        ));
    }
    if let Some(include) = expected
        .include
        .as_ref()
        .filter(|c| !columns_match(c, &found.include))
    {
        let list = |c: &[String]| match c {
            [] => "none".to_string(),
            c => format!("({})", c.join(", ")),
        };
        problems.push((
            IndexProblem::IncludeDiffers,
            format!(
                "expected INCLUDE {}, actual {}",
                list(include),
                list(&found.include)
            ),
        ));
    }
    problems
}

/// A predicate compares as PostgreSQL prints it, in either of its printings (psql's `\d`, or
/// the fully parenthesised one of `pg_indexes` and pg_dump), ignoring white space and the
/// parentheses around the whole.
fn predicate_matches(expected: &str, actual: Option<&Predicate>) -> bool {
    let Some(actual) = actual else {
        return false;
    };
    let wanted = squash(unwrap_parentheses(expected.trim()));
    let printed =
        [&actual.pretty, &actual.parenthesised].map(|a| squash(unwrap_parentheses(a.trim())));
    printed.contains(&wanted)
        // A cast's type is printed with its schema only when that schema is not on the path
        // of the session that prints it (`'paid'::shop.order_status` or `'paid'::order_status`).
        || printed.iter().any(|a| unqualified_casts(a) == unqualified_casts(&wanted))
}

/// The text with the schema of each cast's type dropped (`::shop.mood` → `::mood`), outside
/// quoted strings.
fn unqualified_casts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            in_string = !in_string;
        }
        if !in_string && rest.starts_with("::") {
            out.push_str("::");
            rest = &rest[2..];
            let name_end = |t: &str| -> usize {
                match t.strip_prefix('"') {
                    Some(q) => q.find('"').map_or(t.len(), |e| e + 2),
                    None => t
                        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                        .unwrap_or(t.len()),
                }
            };
            let first = name_end(rest);
            if first > 0 && rest[first..].starts_with('.') {
                rest = &rest[first + 1..];
            }
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The text inside the parentheses that enclose all of it (`((a > 1))` → `a > 1`; `(a) OR (b)`
/// stays), skipping parentheses inside quoted strings and names.
fn unwrap_parentheses(mut text: &str) -> &str {
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        if !balanced(inner) {
            break;
        }
        text = inner.trim();
    }
    text
}

/// Whether every parenthesis outside quotes closes one opened before it, and all are closed.
fn balanced(text: &str) -> bool {
    let (mut depth, mut quote) = (0usize, None);
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => return false,
            (None, ')') => depth -= 1,
            (None, _) => {}
        }
    }
    depth == 0 && quote.is_none()
}

/// Key columns compare in order; a plain column compares by name (PostgreSQL quotes names that
/// need it), an expression as PostgreSQL prints it, ignoring white space.
pub(crate) fn columns_match(expected: &[String], actual: &[String]) -> bool {
    expected.len() == actual.len()
        && expected
            .iter()
            .zip(actual)
            .all(|(e, a)| column_matches(e, a))
}

fn column_matches(expected: &str, actual: &str) -> bool {
    let (expected, actual) = (expected.trim(), actual.trim());
    unquote(expected) == unquote(actual) || squash(expected) == squash(actual)
}

/// The name inside a quoted identifier (`"Ünï ""col"""` → `Ünï "col"`); other text as it is.
pub(crate) fn unquote(column: &str) -> String {
    match column.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) if !inner.replace("\"\"", "").contains('"') => inner.replace("\"\"", "\""),
        _ => column.to_string(),
    }
}

fn squash(expression: &str) -> String {
    expression.split_whitespace().collect()
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
