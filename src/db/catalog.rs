//! Catalog queries. All expected indexes are looked up in one statement whatever their number:
//! the suite's names travel as array parameters (data, never SQL text) and come back joined to
//! `pg_index`. Row-to-struct mapping happens here and nowhere else.

use std::collections::HashMap;

use tokio_postgres::Client;

/// An index found under an expected name.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundIndex {
    pub table_schema: String,
    pub table: String,
    pub valid: bool,
    pub ready: bool,
    pub unique: bool,
    /// Key columns in order, as `pg_get_indexdef(index, n, true)` prints them.
    pub columns: Vec<String>,
    pub definition: String,
}

const FIND_INDEXES: &str = "
SELECT w.schema_name, w.index_name, tn.nspname, t.relname, i.indisvalid, i.indisready, i.indisunique,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
             FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k),
       pg_catalog.pg_get_indexdef(i.indexrelid)
FROM unnest($1::text[], $2::text[]) AS w(schema_name, index_name)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.index_name AND c.relkind IN ('i', 'I')
JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace";

/// Looks up every (schema, index name) at once; names absent from the map do not exist as
/// indexes in that schema.
pub async fn find_indexes(
    client: &Client,
    wanted: &[(String, String)],
) -> Result<HashMap<(String, String), FoundIndex>, tokio_postgres::Error> {
    let schemas: Vec<&str> = wanted.iter().map(|w| w.0.as_str()).collect();
    let names: Vec<&str> = wanted.iter().map(|w| w.1.as_str()).collect();
    let rows = client.query(FIND_INDEXES, &[&schemas, &names]).await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let key = (row.try_get(0)?, row.try_get(1)?);
        found.insert(
            key,
            FoundIndex {
                table_schema: row.try_get(2)?,
                table: row.try_get(3)?,
                valid: row.try_get(4)?,
                ready: row.try_get(5)?,
                unique: row.try_get(6)?,
                columns: row.try_get(7)?,
                definition: row.try_get(8)?,
            },
        );
    }
    Ok(found)
}

const RELATION_ROWS: &str = "
SELECT w.schema_name, w.relation, c.reltuples::float8
FROM unnest($1::text[], $2::text[]) AS w(schema_name, relation)
JOIN pg_catalog.pg_class c ON c.relname = w.relation
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = w.schema_name
WHERE c.reltuples >= 0";

/// The planner's row count (`pg_class.reltuples`) of each relation, one statement for all.
/// A relation never analyzed or vacuumed has no count and is absent from the map.
pub async fn relation_rows(
    client: &Client,
    relations: &[(String, String)],
) -> Result<HashMap<(String, String), f64>, tokio_postgres::Error> {
    if relations.is_empty() {
        return Ok(HashMap::new());
    }
    let schemas: Vec<&str> = relations.iter().map(|r| r.0.as_str()).collect();
    let names: Vec<&str> = relations.iter().map(|r| r.1.as_str()).collect();
    let rows = client.query(RELATION_ROWS, &[&schemas, &names]).await?;
    rows.iter()
        .map(|row| Ok(((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?)))
        .collect()
}
