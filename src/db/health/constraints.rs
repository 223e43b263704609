//! The constraints of the schemas in scope, in one statement: every foreign key (its columns
//! and their types on both sides) and every constraint left NOT VALID. Not the copies
//! PostgreSQL makes of a partitioned table's constraints on each partition (`conparentid`,
//! `coninhcount`): they are judged through the parent's.

use super::{IN_SCOPE, Name, sql_name};
use crate::db::guard::Db;
use crate::db::session::QueryError;

/// A foreign key.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeyFacts {
    /// The constraint: its schema is the table's, its SQL text the quoted name alone.
    pub name: Name,
    pub table: Name,
    pub table_oid: u32,
    /// The referencing table is partitioned (no `CREATE INDEX CONCURRENTLY` on it).
    pub partitioned: bool,
    pub references: Name,
    /// The referencing columns in key order: names, SQL texts, attribute numbers.
    pub columns: Vec<String>,
    pub columns_sql: Vec<String>,
    pub attnums: Vec<i16>,
    pub ref_columns: Vec<String>,
    /// Each column's type and its referenced column's, as `format_type` prints them.
    pub types: Vec<String>,
    pub ref_types: Vec<String>,
    /// Whether the two differ (a domain counts as its base type).
    pub types_differ: Vec<bool>,
}

/// A constraint added NOT VALID and never validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NotValidFacts {
    /// The constraint: its schema is its table's (or domain's).
    pub name: Name,
    /// `pg_constraint.contype`: 'c' check, 'f' foreign key, 'n' not-null (PostgreSQL 18).
    pub kind: char,
    /// The table it is on, or the domain.
    pub on: Name,
    pub domain: bool,
}

fn constraints_sql() -> String {
    let columns = |keys: &str, table: &str, what: &str| {
        format!(
            "ARRAY(SELECT {what}
             FROM pg_catalog.unnest({keys}) WITH ORDINALITY AS u(attnum, position)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = {table} AND a.attnum = u.attnum
             ORDER BY u.position)"
        )
    };
    // A column's type with a domain taken for its base type.
    let base = |a: &str, ty: &str| {
        format!(
            "ROW(CASE WHEN {ty}.typtype = 'd' THEN {ty}.typbasetype ELSE {ty}.oid END,
                 CASE WHEN {ty}.typtype = 'd' THEN {ty}.typtypmod ELSE {a}.atttypmod END)"
        )
    };
    format!(
        "
SELECT k.contype::pg_catalog.text, n.nspname::pg_catalog.text, k.conname::pg_catalog.text,
       pg_catalog.quote_ident(k.conname::pg_catalog.text), k.convalidated,
       t.oid, n.nspname::pg_catalog.text, COALESCE(t.relname, ty.typname)::pg_catalog.text,
       {on_sql}, t.oid IS NULL, COALESCE(t.relkind = 'p', false),
       rn.nspname::pg_catalog.text, r.relname::pg_catalog.text, {ref_sql},
       {names}, {quoted}, COALESCE(k.conkey, '{{}}'), {ref_names},
       {types}, {ref_types},
       ARRAY(SELECT {left} IS DISTINCT FROM {right}
             FROM ROWS FROM (pg_catalog.unnest(k.conkey), pg_catalog.unnest(k.confkey))
                  WITH ORDINALITY AS u(attnum, ref_attnum, position)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
             JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
             JOIN pg_catalog.pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.ref_attnum
             JOIN pg_catalog.pg_type rt ON rt.oid = ra.atttypid
             ORDER BY u.position)
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_namespace n ON n.oid = k.connamespace
LEFT JOIN pg_catalog.pg_class t ON t.oid = k.conrelid
LEFT JOIN pg_catalog.pg_type ty ON ty.oid = k.contypid
LEFT JOIN pg_catalog.pg_class r ON r.oid = k.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
WHERE {IN_SCOPE} AND k.conparentid = 0 AND k.coninhcount = 0
  AND (k.contype = 'f' OR NOT k.convalidated)
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = k.conrelid AND d.deptype = 'e')
ORDER BY n.nspname, 8, k.conname",
        on_sql = sql_name("n.nspname", "COALESCE(t.relname, ty.typname)"),
        ref_sql = sql_name("rn.nspname", "r.relname"),
        names = columns("k.conkey", "k.conrelid", "a.attname::pg_catalog.text"),
        quoted = columns(
            "k.conkey",
            "k.conrelid",
            "pg_catalog.quote_ident(a.attname::pg_catalog.text)"
        ),
        ref_names = columns("k.confkey", "k.confrelid", "a.attname::pg_catalog.text"),
        types = columns(
            "k.conkey",
            "k.conrelid",
            "pg_catalog.format_type(a.atttypid, a.atttypmod)"
        ),
        ref_types = columns(
            "k.confkey",
            "k.confrelid",
            "pg_catalog.format_type(a.atttypid, a.atttypmod)"
        ),
        left = base("a", "at"),
        right = base("ra", "rt"),
    )
}

/// Every foreign key, and every constraint left NOT VALID, of `schemas`.
pub(super) async fn read(
    db: &Db<'_>,
    schemas: &[String],
) -> Result<(Vec<ForeignKeyFacts>, Vec<NotValidFacts>), QueryError> {
    let (mut keys, mut not_valid) = (Vec::new(), Vec::new());
    for row in db.own_query(&constraints_sql(), &[&schemas]).await? {
        let kind: String = row.try_get(0)?;
        let kind = kind.chars().next().unwrap_or('?');
        let name = Name {
            schema: row.try_get(1)?,
            name: row.try_get(2)?,
            sql: row.try_get(3)?,
        };
        let validated: bool = row.try_get(4)?;
        let on = Name::read(&row, 6)?;
        if !validated {
            not_valid.push(NotValidFacts {
                name: name.clone(),
                kind,
                on: on.clone(),
                domain: row.try_get(9)?,
            });
        }
        if kind != 'f' {
            continue;
        }
        keys.push(ForeignKeyFacts {
            name,
            table: on,
            table_oid: row.try_get(5)?,
            partitioned: row.try_get(10)?,
            references: Name::read(&row, 11)?,
            columns: row.try_get(14)?,
            columns_sql: row.try_get(15)?,
            attnums: row.try_get(16)?,
            ref_columns: row.try_get(17)?,
            types: row.try_get(18)?,
            ref_types: row.try_get(19)?,
            types_differ: row.try_get(20)?,
        });
    }
    Ok((keys, not_valid))
}
