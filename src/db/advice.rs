//! HypoPG in pgvet's session, for the index advice: whether the database has the extension,
//! creating a candidate index hypothetically, and removing it again; and the key columns of
//! the indexes a table already has.
//!
//! Nothing is written to the database. `hypopg_create_index` keeps the index it "creates" in
//! the memory of pgvet's own backend: no catalog row, no file, invisible to every other
//! session, and seen only by plain EXPLAIN (never by EXPLAIN ANALYZE or an executed query). It
//! runs inside a READ ONLY transaction like every other statement of pgvet's (the index
//! outlives that transaction's rollback), and `hypopg_reset` removes it after each plan.
//! pgvet never runs `CREATE EXTENSION` on a database it checks: HypoPG is used only where its
//! DBA created it (a throwaway server is pgvet's own: see `setup::create_hypopg`).
//!
//! The extension may live in any schema (it is relocatable), and a database user may plant
//! functions of the same names elsewhere. So pgvet finds the extension's schema in
//! `pg_extension`, checks that `hypopg_create_index(text)` and `hypopg_reset()` in that schema
//! are the extension's own members (`pg_depend`), and calls them qualified with it, with the
//! argument typed `pg_catalog.text`: an exact match that no function elsewhere, nor an
//! overload there, can take the place of. The statements run with `search_path` pinned to
//! `pg_catalog` ([`Db::own_query`]), which is also the path HypoPG parses the CREATE INDEX
//! text with: the table is schema-qualified, expressions resolve in `pg_catalog`.

use std::collections::HashMap;

use super::guard::Db;
use super::session::QueryError;
use crate::check::sql_name;

/// The schema pgvet creates HypoPG in on a throwaway server of its own.
pub const EPHEMERAL_SCHEMA: &str = "pgvet_hypopg";

/// What the database offers for proving advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HypoPg {
    /// The extension exists, with its functions in this schema.
    Ready { schema: String },
    /// The server has HypoPG's files, but the database has no `CREATE EXTENSION hypopg`.
    NotCreated,
    /// The server has no HypoPG.
    NotInstalled,
    /// The extension exists, but `hypopg_create_index(text)` or `hypopg_reset()` is not one of
    /// its members in its schema (an older or altered installation).
    Unusable { schema: String },
}

/// The extension's schema (NULL without it), how many of the two functions pgvet calls are
/// its members there, and whether the server could create it.
const PROBE: &str = "
SELECT n.nspname::pg_catalog.text,
       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_proc p ON p.oid = d.objid
         WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
           AND d.refobjid = e.oid AND d.deptype = 'e' AND p.pronamespace = e.extnamespace
           AND ((p.proname = 'hypopg_create_index'
                 AND p.proargtypes = '25'::pg_catalog.oidvector)
             OR (p.proname = 'hypopg_reset' AND p.pronargs = 0)))::pg_catalog.int4,
       EXISTS (SELECT FROM pg_catalog.pg_available_extensions a WHERE a.name = 'hypopg')
FROM (SELECT) AS one
LEFT JOIN (pg_catalog.pg_extension e
           JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace)
  ON e.extname = 'hypopg'";

/// Whether HypoPG can prove advice here, in one catalog statement.
pub async fn probe(db: &Db<'_>) -> Result<HypoPg, QueryError> {
    let rows = db.own_query(PROBE, &[]).await?;
    let Some(row) = rows.first() else {
        return Ok(HypoPg::NotInstalled);
    };
    let schema: Option<String> = row.try_get(0)?;
    let members: Option<i32> = row.try_get(1)?;
    let available: bool = row.try_get(2)?;
    Ok(match (schema, members) {
        (Some(schema), Some(2)) => HypoPg::Ready { schema },
        (Some(schema), _) => HypoPg::Unusable { schema },
        (None, _) if available => HypoPg::NotCreated,
        (None, _) => HypoPg::NotInstalled,
    })
}

/// Creates the index `statement` (a `CREATE INDEX ON schema.table (…)`) hypothetically in
/// this session; returns the name plans give it (`<13741>btree_orders_customer_id`).
pub async fn create(db: &Db<'_>, schema: &str, statement: &str) -> Result<String, QueryError> {
    let sql = format!(
        "SELECT h.indexname::pg_catalog.text FROM {}.hypopg_create_index($1::pg_catalog.text) AS h",
        sql_name(schema)
    );
    let rows = db.own_query(&sql, &[&statement]).await?;
    match rows.as_slice() {
        [row] => Ok(row.try_get(0)?),
        rows => Err(QueryError {
            message: format!(
                "HypoPG created {} hypothetical indexes for one statement",
                rows.len()
            ),
            connection_lost: false,
        }),
    }
}

/// Removes every hypothetical index of this session.
pub async fn reset(db: &Db<'_>, schema: &str) -> Result<(), QueryError> {
    let sql = format!("SELECT {}.hypopg_reset()", sql_name(schema));
    db.own_query(&sql, &[]).await.map(|_| ())
}

/// The key columns (as `pg_get_indexdef(index, n, false)` prints them) of every valid,
/// non-partial B-tree index on each (schema, table), in one statement for all.
const TABLE_INDEXES: &str = "
SELECT w.schema_name, w.table_name,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, false)
             FROM pg_catalog.generate_series(1, i.indnkeyatts::pg_catalog.int4) AS k ORDER BY k)
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]),
                pg_catalog.unnest($2::pg_catalog.text[])) AS w(schema_name, table_name)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
JOIN pg_catalog.pg_class t ON t.relnamespace = n.oid AND t.relname = w.table_name
JOIN pg_catalog.pg_index i ON i.indrelid = t.oid
JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid
JOIN pg_catalog.pg_am a ON a.oid = x.relam
WHERE a.amname = 'btree' AND i.indpred IS NULL AND i.indisvalid AND i.indisready";

/// The key columns of the usable B-tree indexes on each (schema, table).
pub async fn table_indexes(
    db: &Db<'_>,
    tables: &[(String, String)],
) -> Result<HashMap<(String, String), Vec<Vec<String>>>, QueryError> {
    let mut found: HashMap<(String, String), Vec<Vec<String>>> = HashMap::new();
    if tables.is_empty() {
        return Ok(found);
    }
    let schemas: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
    let names: Vec<&str> = tables.iter().map(|t| t.1.as_str()).collect();
    for row in db.own_query(TABLE_INDEXES, &[&schemas, &names]).await? {
        found
            .entry((row.try_get(0)?, row.try_get(1)?))
            .or_default()
            .push(row.try_get(2)?);
    }
    Ok(found)
}
