//! Index checks: exists in its schema, on the named table, key columns in order, unique when
//! asked, valid and ready (a failed `CREATE INDEX CONCURRENTLY` leaves an invalid index that
//! still shows in `pg_indexes`), or absent when the suite says it must not exist.

use crate::db::catalog::FoundIndex;
use crate::report::model::{IndexProblem, IndexResult, Status};
use crate::suite::ExpectedIndex;

/// Judges one expected index against what the catalog holds under its name (None: no index of
/// that name in that schema).
pub fn judge(expected: &ExpectedIndex, found: Option<&FoundIndex>) -> IndexResult {
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
    };
    let problems = match found {
        None if expected.absent => vec![],
        None => vec![(
            IndexProblem::Missing,
            format!("no index {}.{} exists", expected.schema, expected.name),
        )],
        Some(_) if expected.absent => vec![(
            IndexProblem::Present,
            format!(
                "index {} still exists but must be absent (drop it, or remove `absent = true`)",
                expected.name
            ),
        )],
        Some(found) => shape_problems(expected, found),
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
    }
}

fn shape_problems(expected: &ExpectedIndex, found: &FoundIndex) -> Vec<(IndexProblem, String)> {
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
        problems.push((
            IndexProblem::ColumnsDiffer,
            format!(
                "expected columns ({}), actual ({})",
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
        );
        assert_eq!((r.status, r.problem, r.message), (Status::Pass, None, None));
    }

    #[test]
    fn missing_and_present() {
        let r = judge(&expected(None), None);
        assert_eq!(
            (r.status, r.problem),
            (Status::Fail, Some(IndexProblem::Missing))
        );
        let mut absent = expected(None);
        absent.absent = true;
        assert_eq!(judge(&absent, None).status, Status::Pass);
        assert_eq!(
            judge(&absent, Some(&found(&["a"]))).problem,
            Some(IndexProblem::Present)
        );
    }

    #[test]
    fn columns_in_another_order_differ_and_show_both() {
        let r = judge(
            &expected(Some(&["config_id", "epoch", "step"])),
            Some(&found(&["epoch", "config_id", "step"])),
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
        let r = judge(&e, Some(&f));
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
}
