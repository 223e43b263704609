//! A snapshot of a database's user schemas, for `pgvet init`: every index (its shape as
//! `pgvet check` compares it), every table with its columns, every check constraint and foreign
//! key. One catalog statement per kind of object, whatever their number, plus the printing of
//! the index columns; like every statement of pgvet's own (see [`super::catalog`]) they run READ
//! ONLY with `search_path` pinned to `pg_catalog`, and only the printing of index columns and
//! predicates keeps the session's path, so that they read as `pgvet check` will read them.
//!
//! User schemas are all but `pg_catalog`, `information_schema`, `pg_toast` and the other `pg_*`
//! schemas (temporary ones included). Tables an extension owns (`CREATE EXTENSION` made them:
//! PostGIS's `spatial_ref_sys`), their indexes and constraints are left out: they are the
//! extension's, not the schema's or a migration's.

use std::collections::HashMap;

use tokio_postgres::types::Oid;

use super::catalog::{self, Predicate};
use super::guard::Db;
use super::session::QueryError;

/// What a database holds in its user schemas (or in the schemas asked for).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Every user schema of the database, sorted (whatever schemas were asked for).
    pub schemas: Vec<String>,
    pub indexes: Vec<Index>,
    pub tables: Vec<Table>,
    pub constraints: Vec<Constraint>,
}

/// An index, as `[[index]]` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    /// The table it is on (in the same schema).
    pub table: String,
    pub unique: bool,
    /// `pg_am.amname`: btree, hash, gin, gist, brin, spgist, …
    pub method: String,
    /// Key columns, then INCLUDE columns, as `pg_get_indexdef(index, n, true)` prints them.
    pub columns: Vec<String>,
    pub include: Vec<String>,
    pub predicate: Option<Predicate>,
    /// `CREATE INDEX …` as `pg_get_indexdef(index)` prints it.
    pub definition: String,
}

/// A table (plain or partitioned) and its columns in order: (name, type as `format_type`
/// prints it with `pg_catalog` alone on the path, so a type of a user schema is qualified).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub columns: Vec<(String, String)>,
}

/// A check constraint or foreign key of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub oid: u32,
    pub schema: String,
    pub table: String,
    pub name: String,
    pub kind: ConstraintKind,
    /// Validated (`pg_constraint.convalidated`): not left NOT VALID.
    pub validated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintKind {
    Check,
    ForeignKey {
        columns: Vec<String>,
        ref_schema: String,
        ref_table: String,
        ref_columns: Vec<String>,
    },
}

/// The schemas a snapshot covers: `$1` empty for every user schema, else those named.
const IN_SCHEMAS: &str = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND (pg_catalog.cardinality($1::pg_catalog.text[]) = 0 OR n.nspname = ANY ($1::pg_catalog.text[]))";

/// The relation `rel` was not made by an extension.
fn not_an_extensions(rel: &str) -> String {
    format!(
        "NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = {rel}.oid AND d.deptype = 'e')"
    )
}

const SCHEMAS: &str = "
SELECT n.nspname::pg_catalog.text FROM pg_catalog.pg_namespace n
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
ORDER BY 1";

fn indexes_sql() -> String {
    format!(
        "
SELECT n.nspname::pg_catalog.text, c.relname::pg_catalog.text, t.relname::pg_catalog.text, c.oid,
       i.indisunique, a.amname::pg_catalog.text, i.indnkeyatts::pg_catalog.int4,
       i.indnatts::pg_catalog.int4
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am a ON a.oid = c.relam
WHERE {IN_SCHEMAS} AND {}",
        not_an_extensions("t")
    )
}

fn tables_sql() -> String {
    let columns = |what: &str| {
        format!(
            "ARRAY(SELECT {what} FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)"
        )
    };
    format!(
        "
SELECT n.nspname::pg_catalog.text, c.relname::pg_catalog.text, c.oid, {}, {}
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND {IN_SCHEMAS} AND {}",
        columns("a.attname::pg_catalog.text"),
        columns("pg_catalog.format_type(a.atttypid, a.atttypmod)"),
        not_an_extensions("c")
    )
}

/// Check constraints and foreign keys; not the copies PostgreSQL makes of a partitioned table's
/// foreign key on each partition (`conparentid`), which come and go with the partitions.
fn constraints_sql() -> String {
    let names = |keys: &str, table: &str| {
        format!(
            "ARRAY(SELECT a.attname::pg_catalog.text
             FROM pg_catalog.unnest({keys}) WITH ORDINALITY AS u(attnum, position)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = {table} AND a.attnum = u.attnum
             ORDER BY u.position)"
        )
    };
    format!(
        "
SELECT n.nspname::pg_catalog.text, t.relname::pg_catalog.text, k.conname::pg_catalog.text, k.oid,
       k.contype = 'f', {}, rn.nspname::pg_catalog.text, r.relname::pg_catalog.text, {},
       k.convalidated
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class t ON t.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_class r ON r.oid = k.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
WHERE k.contype IN ('c', 'f') AND k.conparentid = 0 AND {IN_SCHEMAS} AND {}",
        names("k.conkey", "k.conrelid"),
        names("k.confkey", "k.confrelid"),
        not_an_extensions("t")
    )
}

/// Reads the snapshot: every user schema's objects, or those of `schemas` when not empty.
pub async fn read(db: &Db<'_>, schemas: &[String]) -> Result<Snapshot, QueryError> {
    let all = db
        .own_query(SCHEMAS, &[])
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut snapshot = Snapshot {
        schemas: all,
        indexes: indexes(db, schemas).await?,
        ..Snapshot::default()
    };
    for row in db.own_query(&tables_sql(), &[&schemas]).await? {
        let names: Vec<String> = row.try_get(3)?;
        let types: Vec<String> = row.try_get(4)?;
        snapshot.tables.push(Table {
            schema: row.try_get(0)?,
            name: row.try_get(1)?,
            oid: row.try_get(2)?,
            columns: names.into_iter().zip(types).collect(),
        });
    }
    for row in db.own_query(&constraints_sql(), &[&schemas]).await? {
        let kind = match row.try_get(4)? {
            false => ConstraintKind::Check,
            true => ConstraintKind::ForeignKey {
                columns: row.try_get(5)?,
                ref_schema: row.try_get(6)?,
                ref_table: row.try_get(7)?,
                ref_columns: row.try_get(8)?,
            },
        };
        snapshot.constraints.push(Constraint {
            schema: row.try_get(0)?,
            table: row.try_get(1)?,
            name: row.try_get(2)?,
            oid: row.try_get(3)?,
            kind,
            validated: row.try_get(9)?,
        });
    }
    Ok(snapshot)
}

/// Every index with its columns, INCLUDE columns and predicate as the session prints them.
async fn indexes(db: &Db<'_>, schemas: &[String]) -> Result<Vec<Index>, QueryError> {
    let mut indexes = Vec::new();
    // (key columns, all columns) of each index.
    let mut counts: HashMap<Oid, (i32, usize)> = HashMap::new();
    let mut to_print = Vec::new();
    for row in db.own_query(&indexes_sql(), &[&schemas]).await? {
        let oid: Oid = row.try_get(3)?;
        let (keys, all): (i32, i32) = (row.try_get(6)?, row.try_get(7)?);
        counts.insert(oid, (keys, indexes.len()));
        to_print.push((oid, all));
        indexes.push(Index {
            oid,
            schema: row.try_get(0)?,
            name: row.try_get(1)?,
            table: row.try_get(2)?,
            unique: row.try_get(4)?,
            method: row.try_get(5)?,
            columns: Vec::new(),
            include: Vec::new(),
            predicate: None,
            definition: String::new(),
        });
    }
    to_print.sort_unstable();
    for printed in catalog::print_indexes(db, &to_print).await? {
        let Some(&(keys, at)) = counts.get(&printed.oid) else {
            continue;
        };
        let index = &mut indexes[at];
        match printed.column_number <= keys {
            true => index.columns.push(printed.column),
            false => index.include.push(printed.column),
        }
        index.definition = printed.definition;
        index.predicate = printed.predicate;
    }
    Ok(indexes)
}
