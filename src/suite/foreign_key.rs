//! `[[foreign_key]]`: a foreign key the migration added, on a table's columns (in order), to
//! the table (and columns, and under the name) the suite says, validated, and backed by an
//! index on its columns unless `indexed = false`. Read from TOML and validated here.

use serde::Deserialize;
use toml::Spanned;

use super::entry::{self, once, shown};
use super::unique::{At, Unique};
use super::{Settings, SuiteError};

/// A foreign key the suite expects.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedForeignKey {
    /// The referencing table.
    pub schema: String,
    pub table: String,
    /// The referencing columns, in order.
    pub columns: Vec<String>,
    /// The referenced table (schema, name): without a schema, the referencing table's.
    pub references: Option<(String, String)>,
    /// The referenced columns, in order (as many as `columns`).
    pub ref_columns: Option<Vec<String>>,
    /// The constraint's name.
    pub name: Option<String>,
    /// Some valid index must lead with the columns (default true).
    pub indexed: bool,
    /// The key must be validated, not left NOT VALID (default true; false for the first step
    /// of a migration that validates it later).
    pub validated: bool,
    pub checklist: Option<String>,
}

impl ExpectedForeignKey {
    /// "public.prediction_history (model_id)", as messages name it.
    pub fn described(&self) -> String {
        format!(
            "{} ({})",
            shown(&self.schema, &self.table),
            self.columns.join(", ")
        )
    }
}

fn default_indexed() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawForeignKey {
    table: Spanned<String>,
    schema: Option<Spanned<String>>,
    columns: Spanned<Vec<Spanned<String>>>,
    references: Option<Spanned<String>>,
    ref_columns: Option<Spanned<Vec<Spanned<String>>>>,
    name: Option<Spanned<String>>,
    #[serde(default = "default_indexed")]
    indexed: bool,
    #[serde(default = "default_indexed")]
    validated: bool,
    checklist: Option<String>,
}

/// Every `[[foreign_key]]`, each (table, columns) listed once.
pub(super) fn foreign_keys(
    raw: Vec<Spanned<RawForeignKey>>,
    settings: &Settings,
    text: &str,
    at: &At,
) -> Result<Vec<ExpectedForeignKey>, SuiteError> {
    let mut seen = Unique::new(text);
    let mut keys = Vec::with_capacity(raw.len());
    for entry in raw {
        let offset = entry.get_ref().table.span().start;
        let key = foreign_key(entry.into_inner(), settings, at)?;
        // PostgreSQL allows several keys on the same columns (to other tables, or by name):
        // entries differ when their references or names do.
        let unique = (
            (key.schema.clone(), key.table.clone(), key.columns.clone()),
            (key.references.clone(), key.name.clone()),
        );
        once(
            &mut seen,
            unique,
            offset,
            || format!("the foreign key on {}", key.described()),
            at,
        )?;
        keys.push(key);
    }
    Ok(keys)
}

fn foreign_key(
    raw: RawForeignKey,
    settings: &Settings,
    at: &At,
) -> Result<ExpectedForeignKey, SuiteError> {
    let written = raw.table.get_ref().clone();
    let what = format!("[[foreign_key]] on \"{written}\"");
    let (schema, table) = entry::relation(
        ("table", raw.table),
        raw.schema,
        &settings.schema,
        &what,
        at,
    )?;
    let what = format!("the foreign key on {}", shown(&schema, &table));
    let columns = entry::column_list(raw.columns, "columns", &what, at)?;
    let references = raw
        .references
        .map(|r| {
            let offset = r.span().start;
            let written = entry::non_empty(r, &format!("references of {what}"), at)?;
            let name = super::relation::qualified_name(&written)
                .map_err(|e| at(offset, format!("references of {what}: {e}")))?;
            Ok::<_, SuiteError>((name.schema.unwrap_or_else(|| schema.clone()), name.name))
        })
        .transpose()?;
    let ref_columns = match raw.ref_columns {
        None => None,
        Some(list) => {
            let offset = list.span().start;
            let list = entry::column_list(list, "ref_columns", &what, at)?;
            if list.len() != columns.len() {
                return Err(at(
                    offset,
                    format!(
                        "{what} has {} columns and {} ref_columns; a foreign key references one column for each of its own",
                        columns.len(),
                        list.len()
                    ),
                ));
            }
            Some(list)
        }
    };
    let name = raw
        .name
        .map(|n| entry::non_empty(n, &format!("name of {what}"), at))
        .transpose()?;
    Ok(ExpectedForeignKey {
        schema,
        table,
        columns,
        references,
        ref_columns,
        name,
        indexed: raw.indexed,
        validated: raw.validated,
        checklist: raw.checklist,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{err, parse};

    #[test]
    fn a_foreign_key_is_read_with_its_defaults() {
        let suite = parse(
            "[[foreign_key]]\ntable = \"prediction_history\"\ncolumns = [\"model_id\"]\nreferences = \"predictive_models\"\n\n[[foreign_key]]\ntable = \"app.line\"\ncolumns = [\"order_id\", \"n\"]\nreferences = \"sales.orders\"\nref_columns = [\"id\", \"n\"]\nname = \"fk_line_order\"\nindexed = false\n",
        )
        .unwrap();
        let k = &suite.foreign_keys[0];
        assert_eq!(
            (k.schema.as_str(), k.table.as_str()),
            ("public", "prediction_history")
        );
        assert_eq!(k.columns, ["model_id"]);
        assert_eq!(
            k.references,
            Some(("public".into(), "predictive_models".into()))
        );
        assert!(k.indexed && k.ref_columns.is_none() && k.name.is_none());
        let k = &suite.foreign_keys[1];
        assert_eq!(k.references, Some(("sales".into(), "orders".into())));
        assert_eq!(
            k.ref_columns.as_deref(),
            Some(&["id".to_string(), "n".to_string()][..])
        );
        assert_eq!(
            (k.name.as_deref(), k.indexed),
            (Some("fk_line_order"), false)
        );
        assert_eq!(k.described(), "app.line (order_id, n)");
        // Without a schema, the referenced table is in the referencing table's.
        let suite = parse(
            "[[foreign_key]]\ntable = \"app.line\"\ncolumns = [\"a\"]\nreferences = \"orders\"\n",
        )
        .unwrap();
        assert_eq!(
            suite.foreign_keys[0].references,
            Some(("app".into(), "orders".into()))
        );
    }

    #[test]
    fn bad_foreign_keys_are_refused_with_their_position() {
        let e = err("[[foreign_key]]\ntable = \"t\"\ncolumns = []\n");
        assert!(
            e.starts_with("suite/pgvet.toml:3:11: columns of the foreign key on public.t is empty"),
            "{e}"
        );
        let e = err(
            "[[foreign_key]]\ntable = \"t\"\ncolumns = [\"a\", \"b\"]\nref_columns = [\"id\"]\n",
        );
        assert!(
            e.contains(":4:15: the foreign key on public.t has 2 columns and 1 ref_columns"),
            "{e}"
        );
        let e = err("[[foreign_key]]\ntable = \"t\"\ncolumns = [\"a\", \"a\"]\n");
        assert!(
            e.contains(":3:17: columns of the foreign key on public.t lists a twice"),
            "{e}"
        );
        let e = err("[[foreign_key]]\ntable = \"t\"\n");
        assert!(e.contains("missing field `columns`"), "{e}");
        let e = err("[[foreign_key]]\ntable = \"t\"\ncolumns = [\"a\"]\nreference = \"u\"\n");
        assert!(
            e.starts_with("suite/pgvet.toml:4:1: unknown field `reference`"),
            "{e}"
        );
    }

    #[test]
    fn a_foreign_key_listed_twice_is_refused_at_the_second() {
        let one = "[[foreign_key]]\ntable = \"t\"\ncolumns = [\"a\"]\n";
        let e = err(&format!("{one}{one}"));
        assert_eq!(
            e,
            "suite/pgvet.toml:5:9: the foreign key on public.t (a) is listed twice (first on line 2); list each once"
        );
        // Other columns are another foreign key.
        assert!(
            parse(&format!(
                "{one}[[foreign_key]]\ntable = \"t\"\ncolumns = [\"b\"]\n"
            ))
            .is_ok()
        );
        // So is a key on the same columns to another table, or under another name.
        let to = |references: &str| {
            format!(
                "[[foreign_key]]\ntable = \"t\"\ncolumns = [\"a\"]\nreferences = \"{references}\"\n"
            )
        };
        assert!(parse(&format!("{}{}", to("u"), to("v"))).is_ok());
        let named = |name: &str| format!("{}name = \"{name}\"\n", to("u"));
        assert!(parse(&format!("{}{}", named("k1"), named("k2"))).is_ok());
        assert!(parse(&format!("{}{}", named("k1"), named("k1"))).is_err());
    }
}
