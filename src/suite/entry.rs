//! What the schema-contract entries ([[table]], [[foreign_key]], [[privilege]]) read alike: a
//! non-empty name, a relation written `table` or `schema.table` beside an optional `schema`
//! key, a list of names, and the duplicate check that points at the second entry.

use std::hash::Hash;

use toml::Spanned;

use super::SuiteError;
use super::unique::{At, Unique};

/// A string key that must not be blank; `what` names it in the error ("table name").
pub(super) fn non_empty(value: Spanned<String>, what: &str, at: &At) -> Result<String, SuiteError> {
    if value.get_ref().trim().is_empty() {
        return Err(at(value.span().start, format!("{what} is empty")));
    }
    Ok(value.into_inner())
}

/// A relation from `written` (`table` or `schema.table`) and an optional `schema` key; without
/// either schema, `default_schema`. `what` names the entry in errors: `table prediction_history`;
/// `key` is the key `written` came from (`table`, `name`, `sequence`).
pub(super) fn relation(
    (key_name, written): (&str, Spanned<String>),
    schema: Option<Spanned<String>>,
    default_schema: &str,
    what: &str,
    at: &At,
) -> Result<(String, String), SuiteError> {
    let offset = written.span().start;
    let written = non_empty(written, &format!("the table of {what}"), at)?;
    let name = super::relation::qualified_name(&written)
        .map_err(|e| at(offset, format!("the table of {what}: {e}")))?;
    let schema = match (name.schema, schema) {
        (Some(from_table), Some(key)) if from_table != *key.get_ref() => {
            return Err(at(
                key.span().start,
                format!(
                    "{what} has {key_name} = \"{written}\" and schema = \"{}\"; they name different schemas: keep one",
                    key.get_ref()
                ),
            ));
        }
        (Some(from_table), _) => from_table,
        (None, Some(key)) => non_empty(key, &format!("the schema of {what}"), at)?,
        (None, None) => default_schema.to_string(),
    };
    Ok((schema, name.name))
}

/// A list of column names: at least one, none blank, none twice.
pub(super) fn column_list(
    list: Spanned<Vec<Spanned<String>>>,
    key: &str,
    what: &str,
    at: &At,
) -> Result<Vec<String>, SuiteError> {
    name_list(list, key, what, ("column", "list the columns in order"), at)
}

/// A list of names of a `noun` ("column", "constraint"): at least one (else the error says
/// `when_empty`), none blank, none twice.
pub(super) fn name_list(
    list: Spanned<Vec<Spanned<String>>>,
    key: &str,
    what: &str,
    (noun, when_empty): (&str, &str),
    at: &At,
) -> Result<Vec<String>, SuiteError> {
    let offset = list.span().start;
    let list = list.into_inner();
    if list.is_empty() {
        return Err(at(
            offset,
            format!("{key} of {what} is empty; {when_empty}"),
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(list.len());
    for name in list {
        let start = name.span().start;
        let name = non_empty(name, &format!("a {noun} in {key} of {what}"), at)?;
        if names.contains(&name) {
            return Err(at(
                start,
                format!("{key} of {what} lists {name} twice; list each {noun} once"),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// Refuses the second entry with the same key, at its own offset, naming the first one's line.
/// `described` says what is listed twice: "table public.t".
pub(super) fn once<K: Eq + Hash>(
    seen: &mut Unique<'_, K>,
    key: K,
    offset: usize,
    described: impl FnOnce() -> String,
    at: &At,
) -> Result<(), SuiteError> {
    match seen.duplicate(key, offset) {
        None => Ok(()),
        Some(first) => Err(at(
            offset,
            format!(
                "{} is listed twice (first on line {first}); list each once",
                described()
            ),
        )),
    }
}

/// `schema.name` as messages show it.
pub(super) fn shown(schema: &str, name: &str) -> String {
    format!("{schema}.{name}")
}
