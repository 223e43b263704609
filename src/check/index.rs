//! Index checks: exists in its schema, on the named table, key columns in order, unique when
//! asked, valid and ready (a failed `CREATE INDEX CONCURRENTLY` leaves an invalid index that
//! still shows in `pg_indexes`), or absent when the suite says it must not exist. A missing
//! index names what the suite probably meant: the closest index names on its table (a typo is
//! the most common cause), and the index that has the expected columns under another name.

use crate::db::catalog::{FoundIndex, TableIndex};
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
        problems.push((
            IndexProblem::Invalid,
            format!(
                "exists but is invalid (indisvalid = {}, indisready = {}: a failed or unfinished \
                 CREATE INDEX CONCURRENTLY); the planner does not use it — drop it and create it again",
                found.valid, found.ready
            ),
        ));
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
    problems
}

/// Key columns compare in order; a plain column compares by name (PostgreSQL quotes names that
/// need it), an expression as PostgreSQL prints it, ignoring white space.
fn columns_match(expected: &[String], actual: &[String]) -> bool {
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
fn unquote(column: &str) -> String {
    match column.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) if !inner.replace("\"\"", "").contains('"') => inner.replace("\"\"", "\""),
        _ => column.to_string(),
    }
}

fn squash(expression: &str) -> String {
    expression.split_whitespace().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(columns: Option<&[&str]>) -> ExpectedIndex {
        ExpectedIndex {
            name: "ix_metric_config_epoch_step".into(),
            table: "training_metric".into(),
            schema: "public".into(),
            columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
            unique: false,
            absent: false,
            checklist: None,
        }
    }

    fn found(columns: &[&str]) -> FoundIndex {
        FoundIndex {
            table: "training_metric".into(),
            valid: true,
            ready: true,
            unique: false,
            columns: columns.iter().map(|s| s.to_string()).collect(),
            definition: "CREATE INDEX …".into(),
        }
    }

    #[test]
    fn a_matching_index_passes() {
        let r = judge(
            &expected(Some(&["config_id", "epoch", "step"])),
            Some(&found(&["config_id", "epoch", "step"])),
            Some(&[]),
        );
        assert_eq!((r.status, r.problem, r.message), (Status::Pass, None, None));
    }

    #[test]
    fn missing_and_present() {
        let r = judge(&expected(None), None, Some(&[]));
        assert_eq!(
            (r.status, r.problem),
            (Status::Fail, Some(IndexProblem::Missing))
        );
        let mut absent = expected(None);
        absent.absent = true;
        assert_eq!(judge(&absent, None, Some(&[])).status, Status::Pass);
        assert_eq!(
            judge(&absent, Some(&found(&["a"])), Some(&[])).problem,
            Some(IndexProblem::Present)
        );
    }

    #[test]
    fn columns_in_another_order_differ_and_show_both() {
        let r = judge(
            &expected(Some(&["config_id", "epoch", "step"])),
            Some(&found(&["epoch", "config_id", "step"])),
            Some(&[]),
        );
        assert_eq!(r.problem, Some(IndexProblem::ColumnsDiffer));
        let msg = r.message.unwrap();
        assert!(
            msg.contains(
                "expected columns (config_id, epoch, step), actual (epoch, config_id, step)"
            ),
            "{msg}"
        );
    }

    #[test]
    fn quoted_names_and_expression_spacing_compare_equal() {
        assert!(columns_match(
            &["Timestamp".into()],
            &["\"Timestamp\"".into()]
        ));
        assert!(columns_match(
            &["lower( (email)::text )".into()],
            &["lower((email)::text)".into()]
        ));
        assert!(!columns_match(
            &["lower(email)".into()],
            &["lower((email)::text)".into()]
        ));
        assert!(!columns_match(&["a".into()], &["a".into(), "b".into()]));
    }

    #[test]
    fn invalid_not_unique_and_wrong_table_are_all_named() {
        let mut e = expected(None);
        e.unique = true;
        let mut f = found(&["config_id"]);
        f.valid = false;
        f.table = "training_config".into();
        let r = judge(&e, Some(&f), Some(&[]));
        assert_eq!(r.problem, Some(IndexProblem::WrongTable));
        assert_eq!(
            r.problems,
            vec![
                IndexProblem::WrongTable,
                IndexProblem::Invalid,
                IndexProblem::NotUnique
            ]
        );
        assert!(
            r.message
                .unwrap()
                .contains("invalid (indisvalid = false, indisready = true")
        );
    }

    fn on_table(indexes: &[(&str, &[&str])]) -> Vec<TableIndex> {
        indexes
            .iter()
            .map(|(name, columns)| TableIndex {
                name: name.to_string(),
                columns: columns.iter().map(|c| c.to_string()).collect(),
            })
            .collect()
    }

    #[test]
    fn a_missing_index_names_the_closest_names_on_its_table() {
        let table = on_table(&[
            ("ix_metric_config_epoch_stp", &["config_id"]),
            ("ix_training_metric_epoch", &["epoch"]),
            ("training_metric_pkey", &["id"]),
        ]);
        let r = judge(&expected(None), None, Some(&table));
        assert_eq!(r.closest_names, ["ix_metric_config_epoch_stp"]);
        assert_eq!(
            r.message.as_deref(),
            Some(
                "no index public.ix_metric_config_epoch_step exists; did you mean ix_metric_config_epoch_stp? It is the closest name on public.training_metric"
            )
        );
        // Case alone: named, with why it did not match.
        let table = on_table(&[("IX_Metric_Config_Epoch_Step", &["a"])]);
        let r = judge(&expected(None), None, Some(&table));
        assert!(
            r.message.unwrap().ends_with(
                "(names compare exactly; PostgreSQL folds unquoted names to lower case)"
            )
        );
        // Nothing close: the table's indexes are listed instead, or their absence said.
        let table = on_table(&[("ix_a", &["a"]), ("ix_b", &["b"])]);
        let r = judge(&expected(None), None, Some(&table));
        assert!(r.closest_names.is_empty());
        assert!(r.message.unwrap().ends_with(
            "; none of the indexes on public.training_metric has a close name: ix_a, ix_b"
        ));
        let r = judge(&expected(None), None, Some(&[]));
        assert!(
            r.message
                .unwrap()
                .ends_with("; public.training_metric has no index")
        );
        let r = judge(&expected(None), None, None);
        assert!(r.message.unwrap().ends_with(
            ", and no table public.training_metric exists either (check `table` and `schema`)"
        ));
    }

    #[test]
    fn an_index_with_the_expected_columns_under_another_name_is_named() {
        let table = on_table(&[
            ("ix_ces", &["config_id", "epoch", "step"]),
            ("ix_other", &["config_id", "step", "epoch"]),
        ]);
        let columns = ["config_id", "epoch", "step"];
        let r = judge(&expected(Some(&columns)), None, Some(&table));
        assert_eq!(r.same_columns_index.as_deref(), Some("ix_ces"));
        assert_eq!(
            r.message.as_deref(),
            Some(
                "no index public.ix_metric_config_epoch_step exists; ix_ces on public.training_metric has the expected columns: the index exists under another name (rename it, ALTER INDEX public.ix_ces RENAME TO ix_metric_config_epoch_step, or write its name in the suite)"
            )
        );
        // Also when the index of that name has other columns.
        let r = judge(
            &expected(Some(&columns)),
            Some(&found(&["epoch", "config_id", "step"])),
            Some(&table),
        );
        assert_eq!(r.problem, Some(IndexProblem::ColumnsDiffer));
        assert!(
            r.message
                .unwrap()
                .ends_with("; ix_ces on the same table has the expected columns")
        );
        // An absent index has no columns to look for.
        let mut absent = expected(None);
        absent.absent = true;
        assert_eq!(judge(&absent, None, Some(&table)).same_columns_index, None);
    }

    #[test]
    fn closeness_is_a_typo_s_reach() {
        let names = |wanted: &str, names: &[&str]| {
            let table: Vec<TableIndex> = names
                .iter()
                .map(|n| TableIndex {
                    name: n.to_string(),
                    columns: vec![],
                })
                .collect();
            closest_names(wanted, &table)
        };
        assert_eq!(
            names("ix_ab", &["ix_ba", "ix_abc", "ix_xyz"]),
            ["ix_abc", "ix_ba"]
        );
        assert!(names("ix_training_metric_epoch", &["ix_training_metric_step"]).is_empty());
        assert_eq!(
            names(
                "ix_training_metric_timestmp",
                &["ix_training_metric_timestamp"]
            ),
            ["ix_training_metric_timestamp"]
        );
        assert_eq!(sql_name("ix_a1"), "ix_a1");
        assert_eq!(sql_name("Ix \"q\""), "\"Ix \"\"q\"\"\"");
    }
}
