//! Every table (plain or partitioned) of the schemas in scope, in one statement: its primary
//! key (or an index that could become one), its size, and the statistics of its columns for
//! the bloat estimate.

use super::{IN_SCOPE, Name, Width, fillfactor, not_an_extensions, sql_name};
use crate::db::guard::Db;
use crate::db::session::QueryError;

#[derive(Debug, Clone, PartialEq)]
pub struct TableFacts {
    pub oid: u32,
    pub name: Name,
    /// A partitioned table (its rows are in its partitions).
    pub partitioned: bool,
    /// A partition of a partitioned table: judged through its parent.
    pub partition: bool,
    pub has_primary_key: bool,
    /// A valid unique B-tree index on NOT NULL columns, with no expression, predicate, INCLUDE
    /// column or sort option and backing no constraint: `ADD PRIMARY KEY USING INDEX` takes it
    /// as it is (its SQL name).
    pub key_candidate: Option<String>,
    /// The main fork's pages and bytes as of the last VACUUM or ANALYZE (from the catalog: no
    /// lock on the table), and `reltuples` (-1: never counted).
    pub pages: i64,
    pub size: i64,
    pub tuples: f64,
    pub fillfactor: Option<i32>,
    pub width: Width,
}

fn tables_sql() -> String {
    format!(
        "
SELECT c.oid, n.nspname::pg_catalog.text, c.relname::pg_catalog.text, {table_sql},
       c.relkind = 'p', c.relispartition,
       EXISTS (SELECT FROM pg_catalog.pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p'),
       (SELECT pg_catalog.quote_ident(x.relname::pg_catalog.text)
        FROM pg_catalog.pg_index u
        JOIN pg_catalog.pg_class x ON x.oid = u.indexrelid
        JOIN pg_catalog.pg_am am ON am.oid = x.relam
        WHERE u.indrelid = c.oid AND u.indisunique AND u.indisvalid AND u.indisready
          AND u.indpred IS NULL AND u.indexprs IS NULL AND am.amname = 'btree'
          AND u.indnatts = u.indnkeyatts
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(u.indoption::pg_catalog.int2[]) AS o WHERE o <> 0)
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint k WHERE k.conindid = u.indexrelid
                          AND k.conrelid = c.oid)
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(u.indkey::pg_catalog.int2[]) AS key(attnum)
                          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = key.attnum
                          WHERE NOT a.attnotnull)
        ORDER BY u.indnkeyatts, x.relname LIMIT 1),
       c.relpages::pg_catalog.int8, c.relpages::pg_catalog.int8 * pg_catalog.current_setting('block_size')::pg_catalog.int8, c.reltuples::pg_catalog.float8,
       {fillfactor},
       COALESCE(w.width, 0)::pg_catalog.float8, COALESCE(w.nulls, false), w.columns::pg_catalog.int4,
       w.with_statistics::pg_catalog.int4
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT pg_catalog.sum((1 - st.null_frac) * st.avg_width) AS width,
           pg_catalog.bool_or(st.null_frac > 0) AS nulls,
           pg_catalog.count(*) AS columns,
           pg_catalog.count(st.avg_width) AS with_statistics
    FROM pg_catalog.pg_attribute a
    LEFT JOIN pg_catalog.pg_stats st
           ON st.schemaname = n.nspname AND st.tablename = c.relname AND st.attname = a.attname
          AND NOT st.inherited
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
) AS w ON true
WHERE c.relkind IN ('r', 'p') AND {IN_SCOPE} AND {not_extensions}
ORDER BY n.nspname, c.relname",
        table_sql = sql_name("n.nspname", "c.relname"),
        fillfactor = fillfactor("c"),
        not_extensions = not_an_extensions("c"),
    )
}

/// Every table of `schemas`, by schema and name.
pub(super) async fn read(db: &Db<'_>, schemas: &[String]) -> Result<Vec<TableFacts>, QueryError> {
    let mut tables = Vec::new();
    for row in db.own_query(&tables_sql(), &[&schemas]).await? {
        tables.push(TableFacts {
            oid: row.try_get(0)?,
            name: Name::read(&row, 1)?,
            partitioned: row.try_get(4)?,
            partition: row.try_get(5)?,
            has_primary_key: row.try_get(6)?,
            key_candidate: row.try_get(7)?,
            pages: row.try_get(8)?,
            size: row.try_get(9)?,
            tuples: row.try_get(10)?,
            fillfactor: row.try_get(11)?,
            width: Width::read(&row, 12)?,
        });
    }
    Ok(tables)
}
