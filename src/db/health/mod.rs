//! The catalog facts the schema health rules judge (`crate::health`): every index, table,
//! constraint and sequence of the schemas in scope, in one statement per kind of object
//! whatever their number, and the server's clock with the moment its statistics counters
//! started counting. Each is one of pgvet's own statements ([`Db::own_query`]): READ ONLY,
//! `search_path` pinned to `pg_catalog`, every function qualified; the schemas travel as an
//! array parameter. They read the catalogs and the statistics views only, never a table, so
//! a migration holding locks on the tables does not make them wait.
//!
//! The scope is the user schemas: all but `information_schema` and the `pg_*` schemas
//! (`pg_catalog`, `pg_toast`, temporary ones). Tables an extension owns (`CREATE EXTENSION`
//! made them), with their indexes and constraints, are left out: they are the extension's.

mod constraints;
mod indexes;
mod sequences;
mod tables;

use tokio_postgres::Row;

use super::guard::Db;
use super::session::QueryError;

pub use constraints::{ForeignKeyFacts, NotValidFacts};
pub use indexes::{IndexFacts, IndexKey};
pub use sequences::{OwnedColumn, SequenceFacts};
pub use tables::TableFacts;

/// A relation (or constraint) as the rules name it: `schema.name` to read, and the SQL text
/// (`pg_catalog.quote_ident` of each part) for the statement that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub schema: String,
    pub name: String,
    /// `public."Order"`: quoted where SQL needs it (mixed case, a keyword, a dot).
    pub sql: String,
}

impl Name {
    /// "public.t", as the report names objects.
    pub fn shown(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The name in columns `at`, `at + 1`, `at + 2` (schema, name, SQL text).
    pub(crate) fn read(row: &Row, at: usize) -> Result<Name, tokio_postgres::Error> {
        Ok(Name {
            schema: row.try_get(at)?,
            name: row.try_get(at + 1)?,
            sql: row.try_get(at + 2)?,
        })
    }
}

/// What the planner statistics say of a relation's rows (`pg_stats`), for the bloat estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct Width {
    /// Bytes of data in an average row: the columns' `avg_width` × (1 − `null_frac`), summed.
    pub data: f64,
    /// Some column holds NULLs (a row then carries a null bitmap).
    pub nulls: bool,
    /// The columns, and how many of them have statistics (fewer: the estimate is not made).
    pub columns: i32,
    pub with_statistics: i32,
}

impl Width {
    /// The four columns from `at` on, in the field order.
    pub(crate) fn read(row: &Row, at: usize) -> Result<Width, tokio_postgres::Error> {
        Ok(Width {
            data: row.try_get(at)?,
            nulls: row.try_get(at + 1)?,
            columns: row.try_get(at + 2)?,
            with_statistics: row.try_get(at + 3)?,
        })
    }
}

/// The server's clock, and since when its statistics counters count.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// `now()`, in seconds since the epoch.
    pub now: f64,
    /// The latest of the database's `stats_reset`, the shared counters' reset (PostgreSQL
    /// resets them after a crash too) and the server's start, in seconds since the epoch.
    pub counters_since: f64,
    /// The same, as "2026-03-01 09:30 UTC".
    pub counters_since_text: String,
    /// Every user schema of the database, sorted.
    pub schemas: Vec<String>,
    /// The server's page size (`block_size`, 8192 unless built otherwise).
    pub block_size: f64,
}

/// Which kinds of object the rules that run need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    pub indexes: bool,
    pub tables: bool,
    pub constraints: bool,
    pub sequences: bool,
}

/// Everything the rules judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub context: Context,
    pub indexes: Vec<IndexFacts>,
    pub tables: Vec<TableFacts>,
    pub foreign_keys: Vec<ForeignKeyFacts>,
    pub not_valid: Vec<NotValidFacts>,
    pub sequences: Vec<SequenceFacts>,
}

/// The user schemas, written once for every statement: `n` is the object's namespace.
pub(crate) const IN_SCOPE: &str = "n.nspname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])";

/// `rel` was not made by an extension.
pub(crate) fn not_an_extensions(rel: &str) -> String {
    format!(
        "NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = {rel}.oid AND d.deptype = 'e')"
    )
}

/// `quote_ident(schema) || '.' || quote_ident(name)` of a namespace and a name column.
pub(crate) fn sql_name(schema: &str, name: &str) -> String {
    format!(
        "pg_catalog.concat(pg_catalog.quote_ident({schema}::pg_catalog.text), '.', pg_catalog.quote_ident({name}::pg_catalog.text))"
    )
}

/// A relation's fillfactor from its options (`fillfactor=70`), or NULL.
pub(crate) fn fillfactor(rel: &str) -> String {
    format!(
        "(SELECT pg_catalog.split_part(o, '=', 2)::pg_catalog.int4 FROM pg_catalog.unnest({rel}.reloptions) AS o
          WHERE pg_catalog.starts_with(o, 'fillfactor=') LIMIT 1)"
    )
}

const CONTEXT: &str = "
SELECT pg_catalog.date_part('epoch', pg_catalog.now())::pg_catalog.float8,
       pg_catalog.date_part('epoch', s.since)::pg_catalog.float8,
       pg_catalog.concat(pg_catalog.to_char(pg_catalog.timezone('UTC', s.since), 'YYYY-MM-DD HH24:MI'), ' UTC'),
       ARRAY(SELECT n.nspname::pg_catalog.text FROM pg_catalog.pg_namespace n
             WHERE n.nspname <> 'information_schema' AND NOT pg_catalog.starts_with(n.nspname::pg_catalog.text, 'pg_')
             ORDER BY 1),
       pg_catalog.current_setting('block_size')::pg_catalog.float8
FROM (SELECT GREATEST(
        (SELECT d.stats_reset FROM pg_catalog.pg_stat_database d
         WHERE d.datname = pg_catalog.current_database()),
        (SELECT b.stats_reset FROM pg_catalog.pg_stat_bgwriter b),
        pg_catalog.pg_postmaster_start_time()) AS since) AS s";

/// The clock, the counters' start and the user schemas.
pub async fn context(db: &Db<'_>) -> Result<Context, QueryError> {
    let rows = db.own_query(CONTEXT, &[]).await?;
    let row = rows.first().ok_or_else(|| QueryError {
        message: "reading the server's clock returned nothing".into(),
        connection_lost: false,
    })?;
    Ok(Context {
        now: row.try_get(0)?,
        counters_since: row.try_get(1)?,
        counters_since_text: row.try_get(2)?,
        schemas: row.try_get(3)?,
        block_size: row.try_get(4)?,
    })
}

/// The facts of `schemas` (which must be user schemas), reading only what `needs` says.
pub async fn gather(
    db: &Db<'_>,
    context: Context,
    schemas: &[String],
    needs: Needs,
) -> Result<Facts, QueryError> {
    let mut facts = Facts {
        context,
        indexes: Vec::new(),
        tables: Vec::new(),
        foreign_keys: Vec::new(),
        not_valid: Vec::new(),
        sequences: Vec::new(),
    };
    if needs.indexes {
        facts.indexes = indexes::read(db, schemas).await?;
    }
    if needs.tables {
        facts.tables = tables::read(db, schemas).await?;
    }
    if needs.constraints {
        (facts.foreign_keys, facts.not_valid) = constraints::read(db, schemas).await?;
    }
    if needs.sequences {
        facts.sequences = sequences::read(db, schemas).await?;
    }
    Ok(facts)
}
