//! `[[table]]`: a table the migration created (its columns and their types, its CHECK
//! constraints, fresh planner statistics) or, with `absent = true`, dropped. Read from TOML and
//! validated here.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::entry::{self, once, shown};
use super::unique::{At, Unique};
use super::{Settings, SuiteError};

/// A table the suite expects.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedTable {
    pub schema: String,
    pub name: String,
    /// Column name → type as written (`"int8"`, `"timestamptz"`); other columns may exist.
    pub columns: Option<BTreeMap<String, String>>,
    /// CHECK constraints that must exist on the table, by name (others may exist too).
    pub checks: Vec<String>,
    /// Its planner statistics must be fresh (see `check::table`).
    pub analyzed: bool,
    /// The table must not exist (verifying that a migration dropped it).
    pub absent: bool,
    /// Its CHECK constraints must be validated, none left NOT VALID (default true).
    pub validated: bool,
    pub checklist: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    name: Spanned<String>,
    schema: Option<Spanned<String>>,
    columns: Option<Spanned<BTreeMap<String, Spanned<toml::Value>>>>,
    checks: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    analyzed: bool,
    #[serde(default)]
    absent: bool,
    #[serde(default = "default_true")]
    validated: bool,
    checklist: Option<String>,
}

fn default_true() -> bool {
    true
}

/// Every `[[table]]`, each table listed once.
pub(super) fn tables(
    raw: Vec<Spanned<RawTable>>,
    settings: &Settings,
    text: &str,
    at: &At,
) -> Result<Vec<ExpectedTable>, SuiteError> {
    let mut seen = Unique::new(text);
    let mut tables = Vec::with_capacity(raw.len());
    for entry in raw {
        let offset = entry.get_ref().name.span().start;
        let table = table(entry.into_inner(), settings, at)?;
        let key = (table.schema.clone(), table.name.clone());
        once(
            &mut seen,
            key,
            offset,
            || format!("table {}", shown(&table.schema, &table.name)),
            at,
        )?;
        tables.push(table);
    }
    Ok(tables)
}

fn table(raw: RawTable, settings: &Settings, at: &At) -> Result<ExpectedTable, SuiteError> {
    let offset = raw.name.span().start;
    let written = raw.name.get_ref().clone();
    let (schema, name) = entry::relation(
        ("name", raw.name),
        raw.schema,
        &settings.schema,
        &format!("[[table]] \"{written}\""),
        at,
    )?;
    let what = format!("table {}", shown(&schema, &name));
    if raw.absent && (raw.columns.is_some() || raw.checks.is_some() || raw.analyzed) {
        return Err(at(
            offset,
            format!(
                "{what} is `absent = true` and also describes columns, checks or analyzed; an absent table has nothing to check — drop those keys"
            ),
        ));
    }
    let columns = raw.columns.map(|c| columns(c, &what, at)).transpose()?;
    let checks = match raw.checks {
        Some(list) => {
            let noun = (
                "constraint",
                "list the CHECK constraints by name, or leave the key out",
            );
            entry::name_list(list, "checks", &what, noun, at)?
        }
        None => Vec::new(),
    };
    Ok(ExpectedTable {
        schema,
        name,
        columns,
        checks,
        analyzed: raw.analyzed,
        absent: raw.absent,
        validated: raw.validated,
        checklist: raw.checklist,
    })
}

/// `columns = { id = "bigint", … }`: at least one, each type a non-empty string.
fn columns(
    raw: Spanned<BTreeMap<String, Spanned<toml::Value>>>,
    what: &str,
    at: &At,
) -> Result<BTreeMap<String, String>, SuiteError> {
    let offset = raw.span().start;
    let raw = raw.into_inner();
    if raw.is_empty() {
        return Err(at(
            offset,
            format!(
                "columns of {what} is empty; write the columns and their types (columns = {{ id = \"bigint\" }}), or leave the key out"
            ),
        ));
    }
    let mut columns = BTreeMap::new();
    for (column, ty) in raw {
        let start = ty.span().start;
        match ty.into_inner() {
            toml::Value::String(ty) if !ty.trim().is_empty() => {
                columns.insert(column, ty);
            }
            other => {
                let shown = match other {
                    toml::Value::String(_) => "an empty string".to_string(),
                    other => format!("{} `{other}`", other.type_str()),
                };
                return Err(at(
                    start,
                    format!(
                        "the type of column {column} of {what} is {shown}; write its type as a string, as PostgreSQL prints it (\"bigint\", \"timestamp with time zone\", \"character varying(80)\")"
                    ),
                ));
            }
        }
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{err, parse};

    #[test]
    fn a_table_is_read_with_its_columns_and_defaults() {
        let suite = parse(
            "[settings]\nschema = \"app\"\n[[table]]\nname = \"prediction_history\"\ncolumns = { id = \"bigint\", predicted_at = \"timestamptz\" }\nchecks = [\"score_positive\"]\nanalyzed = true\nchecklist = \"3.1 history table\"\n[[table]]\nname = \"audit.log\"\nabsent = true\n",
        )
        .unwrap();
        let t = &suite.tables[0];
        assert_eq!(
            (t.schema.as_str(), t.name.as_str()),
            ("app", "prediction_history")
        );
        let columns = t.columns.as_ref().unwrap();
        assert_eq!(columns["id"], "bigint");
        assert_eq!(columns["predicted_at"], "timestamptz");
        assert!(t.analyzed && !t.absent);
        assert_eq!(t.checks, ["score_positive"]);
        assert_eq!(t.checklist.as_deref(), Some("3.1 history table"));
        let dropped = &suite.tables[1];
        assert_eq!(
            (dropped.schema.as_str(), dropped.name.as_str()),
            ("audit", "log")
        );
        assert!(dropped.absent && dropped.columns.is_none());
    }

    #[test]
    fn bad_tables_are_refused_with_their_position() {
        let e = err("[[table]]\nname = \"t\"\ncolumns = { id = 5 }\n");
        assert!(
            e.starts_with("suite/pgvet.toml:3:18: the type of column id of table public.t is integer `5`; write its type as a string"),
            "{e}"
        );
        let e = err("[[table]]\nname = \"t\"\ncolumns = { id = \"\" }\n");
        assert!(
            e.contains(":3:18: the type of column id of table public.t is an empty string"),
            "{e}"
        );
        let e = err("[[table]]\nname = \"t\"\ncolumns = {}\n");
        assert!(
            e.starts_with("suite/pgvet.toml:3:11: columns of table public.t is empty"),
            "{e}"
        );
        let e = err("[[table]]\nname = \"t\"\ncolums = { id = \"int\" }\n");
        assert!(
            e.starts_with("suite/pgvet.toml:3:1: unknown field `colums`"),
            "{e}"
        );
        let e = err("[[table]]\nname = \"t\"\nchecks = []\n");
        assert!(
            e.starts_with("suite/pgvet.toml:3:10: checks of table public.t is empty"),
            "{e}"
        );
        let e = err("[[table]]\nname = \"t\"\nabsent = true\nanalyzed = true\n");
        assert!(e.contains(":2:8: table public.t is `absent = true`"), "{e}");
        let e = err("[[table]]\nname = \"a.t\"\nschema = \"b\"\n");
        assert!(
            e.contains(":3:10: [[table]] \"a.t\" has name = \"a.t\" and schema = \"b\""),
            "{e}"
        );
    }

    #[test]
    fn a_table_listed_twice_is_refused_at_the_second() {
        let e = err("[[table]]\nname = \"t\"\n\n[[table]]\nname = \"public.t\"\n");
        assert_eq!(
            e,
            "suite/pgvet.toml:5:8: table public.t is listed twice (first on line 2); list each once"
        );
    }
}
