//! The expected tables in one statement: kind, columns and types, CHECK constraints left NOT
//! VALID, and the planner statistics' freshness figures.

use std::collections::HashMap;

use crate::db::guard::Db;
use crate::db::session::QueryError;

/// A column as the catalog holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundColumn {
    pub name: String,
    /// `format_type(atttypid, atttypmod)` with pgvet's pinned search_path: a type outside
    /// `pg_catalog` carries its schema (`public.mood`).
    pub type_name: String,
    /// The type's schema as an identifier (quoted when it needs to be), to read the type also
    /// without it.
    pub type_schema: String,
}

/// A relation found under an expected table's name.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundTable {
    /// `pg_class.relkind`: 'r' table, 'p' partitioned table, 'v' view, …
    pub kind: char,
    pub columns: Vec<FoundColumn>,
    /// Every CHECK constraint on the table, by name.
    pub checks: Vec<String>,
    /// CHECK constraints left NOT VALID, by name.
    pub not_valid_checks: Vec<String>,
    /// `reltuples`: -1 when never vacuumed or analyzed (PostgreSQL 14+).
    pub reltuples: f64,
    /// The later of the last ANALYZE and autoanalyze, ISO 8601 in UTC.
    pub last_analyzed: Option<String>,
    /// `n_mod_since_analyze`.
    pub modified_since_analyze: i64,
    /// `pg_stats` has a row for one of its columns.
    pub has_column_statistics: bool,
}

const FIND_TABLES: &str = "
SELECT w.schema_name, w.table_name, c.relkind::pg_catalog.text,
       ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT pg_catalog.quote_ident(tn.nspname::pg_catalog.text)
             FROM pg_catalog.pg_attribute a
             JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
             JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT con.conname::pg_catalog.text FROM pg_catalog.pg_constraint con
             WHERE con.conrelid = c.oid AND con.contype = 'c' ORDER BY con.conname),
       ARRAY(SELECT con.conname::pg_catalog.text FROM pg_catalog.pg_constraint con
             WHERE con.conrelid = c.oid AND con.contype = 'c' AND NOT con.convalidated
             ORDER BY con.conname),
       c.reltuples::pg_catalog.float8,
       pg_catalog.to_char(pg_catalog.timezone('UTC', GREATEST(
           pg_catalog.pg_stat_get_last_analyze_time(c.oid),
           pg_catalog.pg_stat_get_last_autoanalyze_time(c.oid))), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
       pg_catalog.pg_stat_get_mod_since_analyze(c.oid),
       EXISTS (SELECT FROM pg_catalog.pg_stats s
               WHERE s.schemaname = n.nspname AND s.tablename = c.relname)
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS w(schema_name, table_name)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.table_name";

/// Looks up every expected (schema, table) at once; names absent from the map have no
/// relation of that name in that schema.
pub async fn find_tables(
    db: &Db<'_>,
    wanted: &[(String, String)],
) -> Result<HashMap<(String, String), FoundTable>, QueryError> {
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let schemas: Vec<&str> = wanted.iter().map(|w| w.0.as_str()).collect();
    let names: Vec<&str> = wanted.iter().map(|w| w.1.as_str()).collect();
    let mut found = HashMap::with_capacity(wanted.len());
    for row in db.own_query(FIND_TABLES, &[&schemas, &names]).await? {
        let kind: String = row.try_get(2)?;
        let names: Vec<String> = row.try_get(3)?;
        let types: Vec<String> = row.try_get(4)?;
        let type_schemas: Vec<String> = row.try_get(5)?;
        let columns = names
            .into_iter()
            .zip(types)
            .zip(type_schemas)
            .map(|((name, type_name), type_schema)| FoundColumn {
                name,
                type_name,
                type_schema,
            })
            .collect();
        found.insert(
            (row.try_get(0)?, row.try_get(1)?),
            FoundTable {
                kind: kind.chars().next().unwrap_or('?'),
                columns,
                checks: row.try_get(6)?,
                not_valid_checks: row.try_get(7)?,
                reltuples: row.try_get(8)?,
                last_analyzed: row.try_get(9)?,
                modified_since_analyze: row.try_get(10)?,
                has_column_statistics: row.try_get(11)?,
            },
        );
    }
    Ok(found)
}
