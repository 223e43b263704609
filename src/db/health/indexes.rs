//! Every index of the schemas in scope, in one statement: what makes two indexes the same
//! (keys, operator classes, collations, sort options, INCLUDE columns, expressions, predicate,
//! method),
//! validity, what depends on it (a constraint, a foreign key), its scans since the statistics
//! counters started, its size, and the statistics of its columns for the bloat estimate.

use super::{IN_SCOPE, Name, Width, fillfactor, not_an_extensions, sql_name};
use crate::db::guard::Db;
use crate::db::session::QueryError;

/// One key column of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    /// The column's name as SQL writes it, or for an expression the index column's own name
    /// and `(…)` (`lower(…)`): printing the expression would lock the table.
    pub text: String,
    /// The table column, or 0 for an expression.
    pub attnum: i16,
    /// Operator class, collation and sort options (`indoption`: DESC, NULLS FIRST).
    pub opclass: u32,
    pub collation: u32,
    pub option: i16,
    /// The column is of an array type (`pg_type.typcategory = 'A'`).
    pub array: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexFacts {
    pub oid: u32,
    pub name: Name,
    pub table: Name,
    pub table_oid: u32,
    /// An index on a partitioned table (it holds no rows itself).
    pub partitioned: bool,
    /// An index of a partition attached to its parent's index: judged through the parent.
    pub partition_child: bool,
    pub valid: bool,
    pub ready: bool,
    /// `pg_stat_progress_create_index` shows it being built (visible to pgvet's role).
    pub being_built: bool,
    /// For a partitioned index: how many partitions have no index attached to it.
    pub unattached_partitions: Option<i64>,
    pub unique: bool,
    /// A unique index checked at once (false: it backs a DEFERRABLE constraint), and one that
    /// takes NULLs as equal (`NULLS NOT DISTINCT`, PostgreSQL 15+).
    pub immediate: bool,
    pub nulls_not_distinct: bool,
    pub primary: bool,
    /// The primary key, unique or exclusion constraint the index backs: (name, SQL text).
    pub constraint: Option<(String, String)>,
    /// A foreign key of another table references this table through this index.
    pub referenced_by_foreign_key: bool,
    /// `pg_am.amname`: btree, hash, gin, gist, brin, spgist, …
    pub method: String,
    pub keys: Vec<IndexKey>,
    /// The INCLUDE columns' attribute numbers, and their names as SQL writes them.
    pub include_attnums: Vec<i16>,
    pub include: Vec<String>,
    /// The expression keys (`indexprs`, in key order) and the WHERE predicate (`indpred`), as
    /// node trees without positions: equal for the same expression however it was written.
    pub expressions: Option<String>,
    pub predicate: Option<String>,
    /// Scans since the counters started (`pg_stat_all_indexes.idx_scan`).
    pub scans: Option<i64>,
    /// When the transaction that wrote its catalog row committed, in seconds since the epoch:
    /// known only with `track_commit_timestamp = on`.
    pub created_at: Option<f64>,
    /// Its size (`relpages` × the block size, as of the last VACUUM or ANALYZE: read from the
    /// catalog, it takes no lock on the index), its pages, and `reltuples` (-1: never counted).
    pub size: i64,
    pub pages: i64,
    pub tuples: f64,
    pub fillfactor: Option<i32>,
    /// Statistics of the table's rows (for an index's `reltuples` that was never counted).
    pub table_tuples: f64,
    pub width: Width,
}

/// A node tree (`indexprs`, `indpred`) as text without the positions of the statement that
/// made it: two indexes with the same expression compare equal, however they were written.
/// (`pg_get_expr` would print it, but it locks the table, and these statements must not.)
fn node_tree(column: &str) -> String {
    format!("pg_catalog.regexp_replace({column}::pg_catalog.text, ' :location -?[0-9]+', '', 'g')")
}

fn indexes_sql() -> String {
    format!(
        "
SELECT c.oid, n.nspname::pg_catalog.text, c.relname::pg_catalog.text, {index_sql},
       t.oid, n.nspname::pg_catalog.text, t.relname::pg_catalog.text, {table_sql},
       c.relkind = 'I',
       EXISTS (SELECT FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid),
       i.indisvalid, i.indisready,
       EXISTS (SELECT FROM pg_catalog.pg_stat_progress_create_index p WHERE p.index_relid = c.oid),
       CASE WHEN c.relkind = 'I' THEN
         (SELECT pg_catalog.count(*) FROM pg_catalog.pg_inherits p WHERE p.inhparent = t.oid)
         - (SELECT pg_catalog.count(*) FROM pg_catalog.pg_inherits p WHERE p.inhparent = c.oid)
       END,
       i.indisunique, i.indisprimary,
       con.conname::pg_catalog.text, pg_catalog.quote_ident(con.conname::pg_catalog.text),
       EXISTS (SELECT FROM pg_catalog.pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.oid),
       am.amname::pg_catalog.text,
       ARRAY(SELECT COALESCE(pg_catalog.quote_ident(a.attname::pg_catalog.text),
                             pg_catalog.concat(ia.attname::pg_catalog.text, '(…)'))
             FROM pg_catalog.generate_series(0, i.indnkeyatts::pg_catalog.int4 - 1) AS k
             JOIN pg_catalog.pg_attribute ia ON ia.attrelid = c.oid AND ia.attnum = k + 1
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[k]
             ORDER BY k),
       i.indkey::pg_catalog.int2[], i.indclass::pg_catalog.oid[], i.indcollation::pg_catalog.oid[],
       i.indoption::pg_catalog.int2[],
       ARRAY(SELECT COALESCE(ty.typcategory = 'A', false)
             FROM pg_catalog.generate_series(0, i.indnkeyatts::pg_catalog.int4 - 1) AS k
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[k]
             LEFT JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
             ORDER BY k),
       ARRAY(SELECT pg_catalog.quote_ident(a.attname::pg_catalog.text)
             FROM pg_catalog.generate_series(i.indnkeyatts::pg_catalog.int4, i.indnatts::pg_catalog.int4 - 1) AS k
             JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[k]
             ORDER BY k),
       {expressions}, {predicate},
       s.idx_scan,
       CASE WHEN pg_catalog.current_setting('track_commit_timestamp')::pg_catalog.bool
            THEN pg_catalog.date_part('epoch', pg_catalog.pg_xact_commit_timestamp(c.xmin))::pg_catalog.float8
       END,
       c.relpages::pg_catalog.int8 * pg_catalog.current_setting('block_size')::pg_catalog.int8, c.relpages::pg_catalog.int8, c.reltuples::pg_catalog.float8,
       {fillfactor}, t.reltuples::pg_catalog.float8,
       COALESCE(w.width, 0)::pg_catalog.float8, COALESCE(w.nulls, false), i.indnatts::pg_catalog.int4,
       w.with_statistics::pg_catalog.int4,
       i.indimmediate,
       COALESCE((pg_catalog.to_jsonb(i) ->> 'indnullsnotdistinct')::pg_catalog.bool, false)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = c.relam
LEFT JOIN pg_catalog.pg_constraint con
       ON con.conindid = c.oid AND con.conrelid = t.oid AND con.contype IN ('p', 'u', 'x')
LEFT JOIN pg_catalog.pg_stat_all_indexes s ON s.indexrelid = c.oid
LEFT JOIN LATERAL (
    SELECT pg_catalog.sum((1 - st.null_frac) * st.avg_width) AS width,
           pg_catalog.bool_or(st.null_frac > 0) AS nulls,
           pg_catalog.count(st.avg_width) AS with_statistics
    FROM pg_catalog.generate_series(1, i.indnatts::pg_catalog.int4) AS k
    JOIN pg_catalog.pg_attribute ia ON ia.attrelid = c.oid AND ia.attnum = k
    LEFT JOIN pg_catalog.pg_attribute ta
           ON i.indkey[k - 1] <> 0 AND ta.attrelid = t.oid AND ta.attnum = i.indkey[k - 1]
    LEFT JOIN pg_catalog.pg_stats st
           ON st.schemaname = n.nspname AND NOT st.inherited
          AND st.tablename = CASE WHEN ta.attnum IS NULL THEN c.relname ELSE t.relname END
          AND st.attname = COALESCE(ta.attname, ia.attname)
) AS w ON true
WHERE {IN_SCOPE} AND {not_extensions}
ORDER BY n.nspname, t.relname, c.relname",
        index_sql = sql_name("n.nspname", "c.relname"),
        table_sql = sql_name("n.nspname", "t.relname"),
        fillfactor = fillfactor("c"),
        not_extensions = not_an_extensions("t"),
        expressions = node_tree("i.indexprs"),
        predicate = node_tree("i.indpred"),
    )
}

/// Every index of `schemas`, by schema, table and name.
pub(super) async fn read(db: &Db<'_>, schemas: &[String]) -> Result<Vec<IndexFacts>, QueryError> {
    let mut indexes = Vec::new();
    for row in db.own_query(&indexes_sql(), &[&schemas]).await? {
        let texts: Vec<String> = row.try_get(20)?;
        let attnums: Vec<i16> = row.try_get(21)?;
        let opclasses: Vec<u32> = row.try_get(22)?;
        let collations: Vec<u32> = row.try_get(23)?;
        let options: Vec<i16> = row.try_get(24)?;
        let arrays: Vec<bool> = row.try_get(25)?;
        let include_attnums = attnums.get(texts.len()..).unwrap_or_default().to_vec();
        let keys = texts
            .into_iter()
            .enumerate()
            .map(|(k, text)| IndexKey {
                text,
                attnum: attnums.get(k).copied().unwrap_or(0),
                opclass: opclasses.get(k).copied().unwrap_or(0),
                collation: collations.get(k).copied().unwrap_or(0),
                option: options.get(k).copied().unwrap_or(0),
                array: arrays.get(k).copied().unwrap_or(false),
            })
            .collect();
        let name_of = |at: usize| -> Result<Option<(String, String)>, tokio_postgres::Error> {
            let name: Option<String> = row.try_get(at)?;
            let sql: Option<String> = row.try_get(at + 1)?;
            Ok(name.zip(sql))
        };
        indexes.push(IndexFacts {
            oid: row.try_get(0)?,
            name: Name::read(&row, 1)?,
            table_oid: row.try_get(4)?,
            table: Name::read(&row, 5)?,
            partitioned: row.try_get(8)?,
            partition_child: row.try_get(9)?,
            valid: row.try_get(10)?,
            ready: row.try_get(11)?,
            being_built: row.try_get(12)?,
            unattached_partitions: row.try_get(13)?,
            unique: row.try_get(14)?,
            immediate: row.try_get(40)?,
            nulls_not_distinct: row.try_get(41)?,
            primary: row.try_get(15)?,
            constraint: name_of(16)?,
            referenced_by_foreign_key: row.try_get(18)?,
            method: row.try_get(19)?,
            keys,
            include_attnums,
            include: row.try_get(26)?,
            expressions: row.try_get(27)?,
            predicate: row.try_get(28)?,
            scans: row.try_get(29)?,
            created_at: row.try_get(30)?,
            size: row.try_get(31)?,
            pages: row.try_get(32)?,
            tuples: row.try_get(33)?,
            fillfactor: row.try_get(34)?,
            table_tuples: row.try_get(35)?,
            width: Width::read(&row, 36)?,
        });
    }
    Ok(indexes)
}
