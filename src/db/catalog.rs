//! Catalog queries. All expected indexes are looked up in one statement whatever their number:
//! the suite's names travel as array parameters (data, never SQL text) and come back joined to
//! `pg_index`. Row-to-struct mapping happens here and nowhere else. Every statement here is one
//! of pgvet's own: READ ONLY, `search_path` pinned to `pg_catalog`, every function qualified
//! ([`Db::own_query`]).

use std::collections::HashMap;

use super::guard::Db;
use super::session::QueryError;
use crate::plan::CatalogEntry;

/// An index found under an expected name.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundIndex {
    /// The table the index is on (always in the index's own schema).
    pub table: String,
    pub valid: bool,
    pub ready: bool,
    pub unique: bool,
    /// Key columns in order, as `pg_get_indexdef(index, n, true)` prints them.
    pub columns: Vec<String>,
    pub definition: String,
}

const FIND_INDEXES: &str = "
SELECT w.schema_name, w.index_name, t.relname, i.indisvalid, i.indisready, i.indisunique,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
             FROM pg_catalog.generate_series(1, i.indnkeyatts::pg_catalog.int4) AS k ORDER BY k),
       pg_catalog.pg_get_indexdef(i.indexrelid)
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS w(schema_name, index_name)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.index_name AND c.relkind IN ('i', 'I')
JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid";

/// Looks up every (schema, index name) at once; names absent from the map do not exist as
/// indexes in that schema.
pub async fn find_indexes(
    db: &Db<'_>,
    wanted: &[(String, String)],
) -> Result<HashMap<(String, String), FoundIndex>, QueryError> {
    let schemas: Vec<&str> = wanted.iter().map(|w| w.0.as_str()).collect();
    let names: Vec<&str> = wanted.iter().map(|w| w.1.as_str()).collect();
    let rows = db.own_query(FIND_INDEXES, &[&schemas, &names]).await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let key: (String, String) = (row.try_get(0)?, row.try_get(1)?);
        found.insert(
            key,
            FoundIndex {
                table: row.try_get(2)?,
                valid: row.try_get(3)?,
                ready: row.try_get(4)?,
                unique: row.try_get(5)?,
                columns: row.try_get(6)?,
                definition: row.try_get(7)?,
            },
        );
    }
    Ok(found)
}

const RELATION_ROWS: &str = "
SELECT w.schema_name, w.relation, c.reltuples::pg_catalog.float8
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS w(schema_name, relation)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.relation";

/// How many rows each relation holds, for the small-table rule, in one statement for all:
/// the planner's statistics (`pg_class.reltuples`). A relation never analyzed or vacuumed has
/// none (-1); it is counted instead, reading at most `limit` rows (in a rolled-back READ ONLY
/// transaction), which answers "at least `limit` rows?" exactly without scanning a big table.
pub async fn relation_rows(
    db: &Db<'_>,
    relations: &[(String, String)],
    limit: u64,
) -> Result<HashMap<(String, String), f64>, QueryError> {
    if relations.is_empty() {
        return Ok(HashMap::new());
    }
    let schemas: Vec<&str> = relations.iter().map(|r| r.0.as_str()).collect();
    let names: Vec<&str> = relations.iter().map(|r| r.1.as_str()).collect();
    let mut sizes = HashMap::new();
    for row in db.own_query(RELATION_ROWS, &[&schemas, &names]).await? {
        let (schema, name, reltuples): (String, String, f64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let rows = if reltuples >= 0.0 {
            reltuples
        } else {
            count_up_to(db, &schema, &name, limit).await?
        };
        sizes.insert((schema, name), rows);
    }
    Ok(sizes)
}

const CATALOG_ENTRIES: &str = "
SELECT w.schema_name, w.name, c.reltuples::pg_catalog.float8,
       (pg_catalog.pg_relation_size(c.oid)
        / pg_catalog.current_setting('block_size')::pg_catalog.int8)::pg_catalog.float8,
       am.amname::pg_catalog.text
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS w(schema_name, name)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam";

/// For the diagnosis of index scans that did not help, in one statement for all the relations
/// and indexes named: rows (`pg_class.reltuples`, negative when never analyzed), pages (the main
/// fork's size over the block size: what a seq scan reads) and access method.
pub async fn catalog_entries(
    db: &Db<'_>,
    names: &[(String, String)],
) -> Result<HashMap<(String, String), CatalogEntry>, QueryError> {
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let schemas: Vec<&str> = names.iter().map(|r| r.0.as_str()).collect();
    let relnames: Vec<&str> = names.iter().map(|r| r.1.as_str()).collect();
    let rows = db
        .own_query(CATALOG_ENTRIES, &[&schemas, &relnames])
        .await?;
    let mut entries = HashMap::with_capacity(rows.len());
    for row in rows {
        let entry = CatalogEntry {
            rows: row.try_get(2)?,
            pages: row.try_get(3)?,
            access_method: row.try_get(4)?,
        };
        entries.insert((row.try_get(0)?, row.try_get(1)?), entry);
    }
    Ok(entries)
}

async fn count_up_to(
    db: &Db<'_>,
    schema: &str,
    relation: &str,
    limit: u64,
) -> Result<f64, QueryError> {
    let sql = format!(
        "SELECT pg_catalog.count(*)::pg_catalog.float8 FROM (SELECT 1 FROM {}.{} LIMIT {limit}) AS sample",
        quote_identifier(schema),
        quote_identifier(relation)
    );
    let rows = db.own_query(&sql, &[]).await?;
    let row = rows.first().ok_or_else(|| QueryError {
        message: format!("counting the rows of {schema}.{relation} returned nothing"),
        connection_lost: false,
    })?;
    Ok(row.try_get(0)?)
}

/// An identifier as SQL text: double-quoted, inner quotes doubled (names come from the server's
/// own plan, and are quoted whatever they hold).
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_always_quoted() {
        assert_eq!(super::quote_identifier("t"), "\"t\"");
        assert_eq!(
            super::quote_identifier("a\"; DROP TABLE x; --"),
            "\"a\"\"; DROP TABLE x; --\""
        );
    }
}
