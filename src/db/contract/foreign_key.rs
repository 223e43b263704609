//! The foreign keys on the expected tables, and the key columns of every index there (to find
//! one that covers a foreign key), in one statement for all the tables.

use std::collections::HashMap;

use crate::db::guard::Db;
use crate::db::session::QueryError;

/// A foreign key constraint on a table.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundForeignKey {
    pub name: String,
    /// The referencing columns, in key order.
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// `convalidated`: false when added NOT VALID and never validated.
    pub validated: bool,
}

/// An index on a table, for the foreign keys it may cover.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyIndex {
    pub name: String,
    /// Key columns in order; None for an expression.
    pub columns: Vec<Option<String>>,
    /// None when the index can serve a foreign key's lookups (valid, ready, not partial,
    /// B-tree or hash); else why not ("invalid", "partial", "a gin index").
    pub unusable: Option<String>,
}

/// What one expected table holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableKeys {
    pub foreign_keys: Vec<FoundForeignKey>,
    pub indexes: Vec<KeyIndex>,
}

/// A row per table found, per foreign key on it, and per index on it.
const FIND_FOREIGN_KEYS: &str = "
WITH t AS (
    SELECT DISTINCT w.schema_name, w.table_name, c.oid
    FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS w(schema_name, table_name)
    JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.table_name
                              AND c.relkind IN ('r', 'p', 'f')
)
SELECT 'table', t.schema_name, t.table_name, NULL::pg_catalog.text, NULL::pg_catalog.bool,
       NULL::pg_catalog.text[], NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text[]
FROM t
UNION ALL
SELECT 'foreign_key', t.schema_name, t.table_name, con.conname::pg_catalog.text, con.convalidated,
       ARRAY(SELECT a.attname::pg_catalog.text
             FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.n),
       rn.nspname::pg_catalog.text, r.relname::pg_catalog.text,
       ARRAY(SELECT a.attname::pg_catalog.text
             FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.n)
FROM t
JOIN pg_catalog.pg_constraint con ON con.conrelid = t.oid AND con.contype = 'f'
JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
UNION ALL
SELECT 'index', t.schema_name, t.table_name, x.relname::pg_catalog.text, NULL,
       ARRAY(SELECT a.attname::pg_catalog.text
             FROM pg_catalog.generate_series(0, i.indnkeyatts - 1) AS k
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k]
             ORDER BY k),
       CASE WHEN NOT (i.indisvalid AND i.indisready) THEN 'invalid'
            WHEN i.indpred IS NOT NULL THEN 'partial'
            WHEN am.amname NOT IN ('btree', 'hash') THEN 'a ' || am.amname::pg_catalog.text || ' index'
       END,
       NULL, NULL
FROM t
JOIN pg_catalog.pg_index i ON i.indrelid = t.oid
JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = x.relam";

/// The foreign keys and indexes of every expected (schema, table) at once; a table absent from
/// the map does not exist (as a table) in that schema.
pub async fn find_foreign_keys(
    db: &Db<'_>,
    tables: &[(String, String)],
) -> Result<HashMap<(String, String), TableKeys>, QueryError> {
    if tables.is_empty() {
        return Ok(HashMap::new());
    }
    let schemas: Vec<&str> = tables.iter().map(|w| w.0.as_str()).collect();
    let names: Vec<&str> = tables.iter().map(|w| w.1.as_str()).collect();
    let mut found: HashMap<(String, String), TableKeys> = HashMap::new();
    for row in db.own_query(FIND_FOREIGN_KEYS, &[&schemas, &names]).await? {
        let kind: String = row.try_get(0)?;
        let keys = found.entry((row.try_get(1)?, row.try_get(2)?)).or_default();
        match kind.as_str() {
            "foreign_key" => keys.foreign_keys.push(FoundForeignKey {
                name: row.try_get(3)?,
                validated: row.try_get(4)?,
                columns: row.try_get(5)?,
                ref_schema: row.try_get(6)?,
                ref_table: row.try_get(7)?,
                ref_columns: row.try_get(8)?,
            }),
            "index" => keys.indexes.push(KeyIndex {
                name: row.try_get(3)?,
                columns: row.try_get(5)?,
                unusable: row.try_get(6)?,
            }),
            _ => {}
        }
    }
    for keys in found.values_mut() {
        keys.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
        keys.indexes.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(found)
}
