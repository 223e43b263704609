//! The suite file `pgvet init` writes: a commented header naming where it came from (and the
//! pgvet version, no date, so the same input gives the same bytes), the `[[index]]`,
//! `[[table]]` and `[[foreign_key]]` entries of the [`Expectations`], and a commented
//! `[[query]]` to start the benchmark queries from. Pure text; [`super::toml_text`] quotes.
//!
//! Schemas: an entry in the suite's default schema names none. When every entry is in one schema
//! other than `public`, `[settings] schema` says so once; otherwise the default is `public` and
//! an entry elsewhere carries its schema (`schema = "app"`, or `app.orders` where a relation is
//! written qualified).

use std::collections::BTreeSet;
use std::fmt::Write;

use super::toml_text::{array, comment, key, relation, relation_part, string};
use super::{Expectations, ForeignKeyExpectation, IndexChange, IndexExpectation, TableExpectation};

/// Where the expectations came from, for the header.
#[derive(Debug, Clone)]
pub enum Origin {
    /// `--setup` and `--migration` files, as given on the command line.
    Migration {
        setup: Vec<String>,
        migrations: Vec<String>,
    },
    /// `--db`: the connection target, its password redacted.
    Database { target: String },
}

/// What `pgvet init` was asked for, for the header.
#[derive(Debug, Clone)]
pub struct Source {
    pub origin: Origin,
    /// `--schema`, as given (empty: every user schema).
    pub schemas: Vec<String>,
}

const SUITE_DEFAULT_SCHEMA: &str = "public";

/// The suite file's text.
pub fn render(expectations: &Expectations, source: &Source) -> String {
    let mut out = header(source, expectations.is_empty());
    let default = default_schema(expectations);
    if default != SUITE_DEFAULT_SCHEMA {
        let _ = write!(out, "\n[settings]\nschema = {}\n", string(&default));
    }
    let (made, dropped): (Vec<_>, Vec<_>) = expectations
        .indexes
        .iter()
        .partition(|i| i.change != IndexChange::Dropped);
    let sections: [(&str, Vec<String>); 4] = [
        (
            what(
                &source.origin,
                "Indexes the migration created or changed.",
                "Indexes.",
            ),
            made.iter().map(|i| index(i, &default)).collect(),
        ),
        (
            "Indexes the migration dropped: they must not exist.",
            dropped.iter().map(|i| index(i, &default)).collect(),
        ),
        (
            what(
                &source.origin,
                "Tables the migration created (all their columns), of the tables it changed the columns it\n# added or gave another type and the check constraints it created, and the tables it dropped.",
                "Tables: their columns and check constraints.",
            ),
            expectations
                .tables
                .iter()
                .map(|t| table(t, &default))
                .collect(),
        ),
        (
            what(
                &source.origin,
                "Foreign keys the migration created.",
                "Foreign keys.",
            ),
            expectations
                .foreign_keys
                .iter()
                .map(|k| foreign_key(k, &default))
                .collect(),
        ),
    ];
    for (title, entries) in sections.iter().filter(|s| !s.1.is_empty()) {
        let _ = write!(out, "\n# {title}\n");
        for entry in entries {
            out.push('\n');
            out.push_str(entry);
        }
    }
    out.push_str(QUERY_PLACEHOLDER);
    out
}

fn what<'a>(origin: &Origin, migration: &'a str, database: &'a str) -> &'a str {
    match origin {
        Origin::Migration { .. } => migration,
        Origin::Database { .. } => database,
    }
}

fn header(source: &Source, empty: bool) -> String {
    let mut out = format!(
        "# pgvet suite written by `pgvet init` (pgvet {}) from:\n",
        env!("CARGO_PKG_VERSION")
    );
    let mut line = |flag: &str, value: &str| {
        let _ = writeln!(out, "#   {flag} {}", comment(value));
    };
    match &source.origin {
        Origin::Migration { setup, migrations } => {
            setup.iter().for_each(|f| line("--setup", f));
            migrations.iter().for_each(|f| line("--migration", f));
        }
        Origin::Database { target } => line("--db", target),
    }
    source.schemas.iter().for_each(|s| line("--schema", s));
    let text = match (&source.origin, empty) {
        (Origin::Migration { .. }, false) => {
            "#\n# What the migration created, changed and dropped, as what `pgvet check` expects of the\n# database after it. Review it: keep what the migration promised.\n"
        }
        (Origin::Migration { .. }, true) => {
            "#\n# The migration created, changed or dropped no index, table, column, check constraint or\n# foreign key: add the queries to check below.\n"
        }
        (Origin::Database { .. }, false) => {
            "#\n# The database's indexes, tables and constraints as they are, as what `pgvet check`\n# expects. Review it: keep what matters.\n"
        }
        (Origin::Database { .. }, true) => {
            "#\n# The database holds no index, table or constraint in these schemas: add the queries to\n# check below.\n"
        }
    };
    out.push_str(text);
    out
}

/// The schema entries need not name: the one schema of them all, else `public`.
fn default_schema(expectations: &Expectations) -> String {
    let schemas: BTreeSet<&str> = expectations
        .indexes
        .iter()
        .map(|i| i.index.schema.as_str())
        .chain(expectations.tables.iter().map(|t| t.schema.as_str()))
        .chain(expectations.foreign_keys.iter().map(|k| k.schema.as_str()))
        .collect();
    match schemas.into_iter().collect::<Vec<_>>().as_slice() {
        [one] => one.to_string(),
        _ => SUITE_DEFAULT_SCHEMA.to_string(),
    }
}

fn index(expected: &IndexExpectation, default: &str) -> String {
    let i = &expected.index;
    let mut out = String::new();
    if let IndexChange::Changed { before, alike } = &expected.change {
        let _ = writeln!(
            out,
            "# changed by the migration; before it: {}",
            comment(before)
        );
        if *alike {
            out.push_str("# The change is in what [[index]] does not compare (operator class, sort order, collation,\n# or a rebuild): this entry passes on the schema before the migration too.\n");
        }
    }
    let _ = writeln!(out, "[[index]]\nname = {}", string(&i.name));
    let _ = writeln!(out, "table = {}", string(&relation_part(&i.table)));
    if i.schema != default {
        let _ = writeln!(out, "schema = {}", string(&i.schema));
    }
    if expected.change == IndexChange::Dropped {
        out.push_str("absent = true\n");
        return out;
    }
    let _ = writeln!(out, "columns = {}", array(&as_names(&i.columns)));
    if i.unique {
        out.push_str("unique = true\n");
    }
    if let Some(predicate) = &i.predicate {
        let _ = writeln!(out, "where = {}", string(&predicate.pretty));
    }
    if i.method != "btree" {
        let _ = writeln!(out, "method = {}", string(&i.method));
    }
    if !i.include.is_empty() {
        let _ = writeln!(out, "include = {}", array(&as_names(&i.include)));
    }
    out
}

/// Index columns as the suite writes them: a column PostgreSQL prints quoted (`"timestamp"`,
/// `"Rental"`) by its name, which is how `pgvet check` compares it, unless the name itself
/// would read as a quoted one (`"x"` with its quotes); expressions as printed.
fn as_names(columns: &[String]) -> Vec<String> {
    use crate::check::index::unquote;
    columns
        .iter()
        .map(|printed| {
            let name = unquote(printed);
            match unquote(&name) == name {
                true => name,
                false => printed.clone(),
            }
        })
        .collect()
}

fn table(t: &TableExpectation, default: &str) -> String {
    let mut out = format!("[[table]]\nname = {}\n", string(&relation_part(&t.name)));
    if t.schema != default {
        let _ = writeln!(out, "schema = {}", string(&t.schema));
    }
    if t.dropped {
        out.push_str("absent = true\n");
        return out;
    }
    if !t.columns.is_empty() {
        let columns: Vec<String> = t
            .columns
            .iter()
            .map(|(name, ty)| format!("{} = {}", key(name), string(ty)))
            .collect();
        let _ = writeln!(out, "columns = {{ {} }}", columns.join(", "));
    }
    if !t.checks.is_empty() {
        let _ = writeln!(out, "checks = {}", array(&t.checks));
    }
    if t.not_valid {
        out.push_str(NOT_VALID_COMMENT);
    }
    out
}

/// After an entry the migration leaves NOT VALID (added so, to be validated later).
const NOT_VALID_COMMENT: &str = "# Left NOT VALID by the migration: the rows from before it were never checked. Once a\n# later migration runs ALTER TABLE … VALIDATE CONSTRAINT, remove this line.\nvalidated = false\n";

fn foreign_key(k: &ForeignKeyExpectation, default: &str) -> String {
    // The referenced table is qualified unless it is in the default schema with the key's own
    // table, so it reads the same whichever of the two an unqualified name is taken to be in.
    let references = match k.ref_schema == k.schema {
        true => relation(&k.ref_schema, &k.ref_table, default),
        false => relation(&k.ref_schema, &k.ref_table, ""),
    };
    let validated = match k.validated {
        true => "",
        false => NOT_VALID_COMMENT,
    };
    let indexed = match k.indexed {
        true => "",
        false => {
            "# No index leads with these columns: each DELETE (or key UPDATE) on the referenced\n# table reads this whole table. Index them, or keep indexed = false if that is fine.\nindexed = false\n"
        }
    };
    format!(
        "[[foreign_key]]\ntable = {}\ncolumns = {}\nreferences = {}\nref_columns = {}\nname = {}\n{indexed}{validated}",
        string(&relation(&k.schema, &k.table, default)),
        array(&k.columns),
        string(&references),
        array(&k.ref_columns),
        string(&k.name),
    )
}

const QUERY_PLACEHOLDER: &str = r#"
# Benchmark queries: what the application runs that these indexes are for. pgvet checks each
# one's plan (no Seq Scan on a large table, the index's leading column used) and times it.
# Uncomment and fill in one [[query]] block per query:
#
# [[query]]
# name = "recent rows of one model"
# sql = "SELECT * FROM prediction_history WHERE model_id = 42 ORDER BY predicted_at DESC LIMIT 50"
# # or: file = "recent_rows.sql"   (one statement, next to this file)
# expect = "index"                 # "any" measures only
# target_ms = 20                   # its median must be at most this (or "20ms", "1.5s")
"#;

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
