//! Catalog queries. All expected indexes are looked up in one statement whatever their number,
//! together with every index on their tables (for the hints of a missing one): the suite's
//! names travel as array parameters (data, never SQL text) and come back joined to `pg_index`. Row-to-struct mapping happens here and nowhere else. Every statement here is one
//! of pgvet's own: READ ONLY, `search_path` pinned to `pg_catalog`, every function qualified
//! ([`Db::own_query`]); only the printing of index columns, predicates and definitions runs
//! with the session's path, so that they read as in psql, and it has no unqualified function,
//! operator or type ([`Db::own_query_as_printed`]).

use std::collections::HashMap;

use tokio_postgres::types::Oid;

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
    /// The access method (`pg_am.amname`): "btree", "gin", "gist", …
    pub method: String,
    /// For an index on a partitioned table: how many of the table's partitions have no index
    /// attached to it (an index made with `ON ONLY` stays invalid until each is attached).
    pub unattached_partitions: Option<i64>,
    /// Key columns in order, as `pg_get_indexdef(index, n, true)` prints them.
    pub columns: Vec<String>,
    /// INCLUDE columns in order, printed the same way.
    pub include: Vec<String>,
    /// A partial index's WHERE predicate, as `pg_get_expr(indpred, indrelid, true)` prints it
    /// (as psql's `\d` shows it), and as `pg_get_expr(indpred, indrelid)` does (fully
    /// parenthesised, as in `definition`, `pg_indexes` and pg_dump).
    pub predicate: Option<Predicate>,
    pub definition: String,
}

/// A partial index's WHERE predicate in PostgreSQL's two printings of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predicate {
    /// `b = 'x'::text AND a > 1`
    pub pretty: String,
    /// `((b = 'x'::text) AND (a > 1))`
    pub parenthesised: String,
}

/// An index on a table the suite names, for the hints of a missing one: its name and key
/// columns (as [`FoundIndex::columns`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TableIndex {
    pub name: String,
    pub columns: Vec<String>,
}

/// What the catalog holds for the expected indexes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexLookup {
    /// Each expected (schema, index name) that exists as an index in that schema.
    pub found: HashMap<(String, String), FoundIndex>,
    /// Every index on each expected (schema, table), by name; a table without indexes maps to
    /// an empty list, and a table that does not exist is absent.
    pub on_table: HashMap<(String, String), Vec<TableIndex>>,
    /// For each expected (schema, table) that does not exist: the other schemas where a table
    /// of that name does (looked up only when some table is missing).
    pub elsewhere: HashMap<(String, String), Vec<String>>,
}

/// The schemas holding tables (or partitioned tables, views, foreign tables) of these names.
const TABLES_ELSEWHERE: &str = "
SELECT c.relname::pg_catalog.text, n.nspname::pg_catalog.text
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
  AND c.relkind IN ('r', 'p', 'm', 'f')
ORDER BY 1, 2";

/// The expected indexes under their names (`named`), then every index on the expected tables
/// (a table without one gives a row of NULLs, a missing table no row).
const FIND_INDEXES: &str = "
SELECT true AS named, w.schema_name, w.index_name, t.relname::pg_catalog.text,
       i.indisvalid, i.indisready, i.indisunique, i.indexrelid, i.indnkeyatts::pg_catalog.int4,
       a.amname::pg_catalog.text, i.indnatts::pg_catalog.int4,
       CASE WHEN c.relkind = 'I' THEN
         (SELECT pg_catalog.count(*) FROM pg_catalog.pg_inherits p WHERE p.inhparent = t.oid)
         - (SELECT pg_catalog.count(*) FROM pg_catalog.pg_inherits p WHERE p.inhparent = c.oid)
       END
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS w(schema_name, index_name)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.index_name AND c.relkind IN ('i', 'I')
JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_am a ON a.oid = c.relam
UNION ALL
SELECT false, d.schema_name, c.relname::pg_catalog.text, d.table_name,
       i.indisvalid, i.indisready, i.indisunique, i.indexrelid, i.indnkeyatts::pg_catalog.int4,
       NULL, NULL, NULL
FROM (SELECT DISTINCT x.schema_name, x.table_name
      FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.text[])) AS x(schema_name, table_name)) AS d
JOIN pg_catalog.pg_namespace n ON n.nspname = d.schema_name
JOIN pg_catalog.pg_class t ON t.relnamespace = n.oid AND t.relname = d.table_name
LEFT JOIN pg_catalog.pg_index i ON i.indrelid = t.oid
LEFT JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid";

/// Each index's first `columns` columns (key columns, then INCLUDE columns), definition and
/// predicate as the session prints them (see [`Db::own_query_as_printed`]: qualified
/// functions and operators only, casts to pg_catalog types).
const PRINT_INDEXES: &str = "
SELECT x.index_oid, k, pg_catalog.pg_get_indexdef(x.index_oid, k, true),
       pg_catalog.pg_get_indexdef(x.index_oid),
       pg_catalog.pg_get_expr(i.indpred, i.indrelid, true),
       pg_catalog.pg_get_expr(i.indpred, i.indrelid)
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]), pg_catalog.unnest($2::pg_catalog.int4[])) AS x(index_oid, columns)
JOIN pg_catalog.pg_index i ON i.indexrelid OPERATOR(pg_catalog.=) x.index_oid,
     pg_catalog.generate_series(1, x.columns) AS k";

/// One expected index: (schema, index name, table name).
pub type WantedIndex = (String, String, String);

/// Looks up every expected index at once, and every index on the expected tables (for the
/// hints of a missing one); names absent from `found` do not exist as indexes in that schema.
pub async fn find_indexes(db: &Db<'_>, wanted: &[WantedIndex]) -> Result<IndexLookup, QueryError> {
    let schemas: Vec<&str> = wanted.iter().map(|w| w.0.as_str()).collect();
    let names: Vec<&str> = wanted.iter().map(|w| w.1.as_str()).collect();
    let tables: Vec<&str> = wanted.iter().map(|w| w.2.as_str()).collect();
    let rows = db
        .own_query(FIND_INDEXES, &[&schemas, &names, &tables])
        .await?;
    let mut lookup = IndexLookup::default();
    // The columns to print of each index: its key columns, and for a named one its INCLUDE
    // columns too (key columns, columns to print).
    let mut columns: HashMap<Oid, (i32, i32)> = HashMap::new();
    // Which entries each index's printed columns go to: found, and on its table.
    let mut named: HashMap<Oid, (String, String)> = HashMap::new();
    // (An index is on one table, and each expected table is listed once.)
    let mut listed: HashMap<Oid, ((String, String), usize)> = HashMap::new();
    for row in rows {
        let schema: String = row.try_get(1)?;
        if row.try_get(0)? {
            let key = (schema, row.try_get(2)?);
            let oid: Oid = row.try_get(7)?;
            let (keys, all): (i32, i32) = (row.try_get(8)?, row.try_get(10)?);
            let wanted = columns.entry(oid).or_insert((keys, all));
            wanted.1 = wanted.1.max(all);
            named.insert(oid, key.clone());
            lookup.found.insert(
                key,
                FoundIndex {
                    table: row.try_get(3)?,
                    valid: row.try_get(4)?,
                    ready: row.try_get(5)?,
                    unique: row.try_get(6)?,
                    method: row.try_get(9)?,
                    unattached_partitions: row.try_get(11)?,
                    columns: Vec::new(),
                    include: Vec::new(),
                    predicate: None,
                    definition: String::new(),
                },
            );
            continue;
        }
        let table = (schema, row.try_get::<_, String>(3)?);
        let indexes = lookup.on_table.entry(table.clone()).or_default();
        let (Some(name), Some(oid), Some(keys)) = (
            row.try_get::<_, Option<String>>(2)?,
            row.try_get::<_, Option<Oid>>(7)?,
            row.try_get::<_, Option<i32>>(8)?,
        ) else {
            continue;
        };
        columns.entry(oid).or_insert((keys, keys));
        listed.insert(oid, (table, indexes.len()));
        indexes.push(TableIndex {
            name,
            columns: Vec::new(),
        });
    }
    let mut oids: Vec<(Oid, i32)> = columns.iter().map(|(&oid, &(_, n))| (oid, n)).collect();
    oids.sort_unstable();
    for printed in print_indexes(db, &oids).await? {
        let keys = columns.get(&printed.oid).map_or(0, |c| c.0);
        let is_key = printed.column_number <= keys;
        if let Some(index) = named
            .get(&printed.oid)
            .and_then(|key| lookup.found.get_mut(key))
        {
            match is_key {
                true => index.columns.push(printed.column.clone()),
                false => index.include.push(printed.column.clone()),
            }
            index.definition = printed.definition.clone();
            index.predicate = printed.predicate.clone();
        }
        if let Some((table, at)) = listed.get(&printed.oid)
            && let Some(index) = lookup.on_table.get_mut(table).and_then(|l| l.get_mut(*at))
            && is_key
        {
            index.columns.push(printed.column);
        }
    }
    for indexes in lookup.on_table.values_mut() {
        indexes.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let mut missing: Vec<(String, String)> = wanted
        .iter()
        .map(|w| (w.0.clone(), w.2.clone()))
        .filter(|table| !lookup.on_table.contains_key(table))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|(_, name)| name.as_str()).collect();
        let mut schemas: HashMap<String, Vec<String>> = HashMap::new();
        for row in db.own_query(TABLES_ELSEWHERE, &[&names]).await? {
            let (table, schema): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            schemas.entry(table).or_default().push(schema);
        }
        for (schema, table) in missing {
            if let Some(found) = schemas.get(&table) {
                let others = found.iter().filter(|s| **s != schema).cloned().collect();
                lookup.elsewhere.insert((schema, table), others);
            }
        }
    }
    Ok(lookup)
}

/// An index's key columns and kind, for the leading-column rule (`check::leading`).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexKeys {
    /// The table the index is on (in the index's own schema).
    pub table: String,
    /// The access method: "btree", "gist", "gin", "brin", "hash", ...
    pub method: String,
    /// Key columns in order, as `pg_get_indexdef(index, n, false)` prints them: an expression
    /// fully parenthesised, the way EXPLAIN prints it.
    pub columns: Vec<String>,
    /// Operator class and collation of each key column (`pg_index.indclass`, `indcollation`).
    pub opclasses: Vec<u32>,
    pub collations: Vec<u32>,
    /// The index has a WHERE predicate (a partial index).
    pub partial: bool,
    /// Valid and ready: the planner may use it.
    pub usable: bool,
    /// The first key is a plain column with its type's default operator class and the column's
    /// own collation: a plain comparison of that column (in a Filter) can use the index.
    pub leads_plainly: bool,
}

/// Every index on the tables of the named ones (the named ones included): the plan names the
/// index it chose, the rule also weighs the others on that table.
const INDEX_KEYS: &str = "
SELECT n.nspname::pg_catalog.text, x.relname::pg_catalog.text, t.relname::pg_catalog.text,
       a.amname::pg_catalog.text,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(s.indexrelid, k, false)
             FROM pg_catalog.generate_series(1, s.indnkeyatts::pg_catalog.int4) AS k ORDER BY k),
       s.indclass::pg_catalog.oid[], s.indcollation::pg_catalog.oid[],
       s.indpred IS NOT NULL, s.indisvalid AND s.indisready,
       COALESCE((SELECT oc.opcdefault AND s.indcollation[0] = att.attcollation
                 FROM pg_catalog.pg_opclass oc, pg_catalog.pg_attribute att
                 WHERE oc.oid = s.indclass[0] AND att.attrelid = s.indrelid
                   AND att.attnum = s.indkey[0]), false)
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS w(schema_name, index_name)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.index_name AND c.relkind IN ('i', 'I')
JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
JOIN pg_catalog.pg_index s ON s.indrelid = i.indrelid
JOIN pg_catalog.pg_class x ON x.oid = s.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = s.indrelid
JOIN pg_catalog.pg_am a ON a.oid = x.relam";

/// The key columns of every (schema, index name) a plan reads, and of the other indexes on
/// their tables, in one statement for all. Names absent from the map are not indexes in that
/// schema (any more).
pub async fn index_keys(
    db: &Db<'_>,
    indexes: &[(String, String)],
) -> Result<HashMap<(String, String), IndexKeys>, QueryError> {
    if indexes.is_empty() {
        return Ok(HashMap::new());
    }
    let schemas: Vec<&str> = indexes.iter().map(|r| r.0.as_str()).collect();
    let names: Vec<&str> = indexes.iter().map(|r| r.1.as_str()).collect();
    let mut keys = HashMap::with_capacity(indexes.len());
    for row in db.own_query(INDEX_KEYS, &[&schemas, &names]).await? {
        keys.insert(
            (row.try_get(0)?, row.try_get(1)?),
            IndexKeys {
                table: row.try_get(2)?,
                method: row.try_get(3)?,
                columns: row.try_get(4)?,
                opclasses: row.try_get(5)?,
                collations: row.try_get(6)?,
                partial: row.try_get(7)?,
                usable: row.try_get(8)?,
                leads_plainly: row.try_get(9)?,
            },
        );
    }
    Ok(keys)
}

/// One column of an index as the session prints it, with the index's definition and predicate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrintedColumn {
    pub oid: Oid,
    /// 1-based: the key columns first, then the INCLUDE columns.
    pub column_number: i32,
    pub column: String,
    pub definition: String,
    pub predicate: Option<Predicate>,
}

/// The first `n` columns of each (index, n), in column order per index, with each index's
/// definition and predicate, in one statement for all.
pub(crate) async fn print_indexes(
    db: &Db<'_>,
    oids: &[(Oid, i32)],
) -> Result<Vec<PrintedColumn>, QueryError> {
    if oids.is_empty() {
        return Ok(Vec::new());
    }
    let (index_oids, columns): (Vec<Oid>, Vec<i32>) = oids.iter().copied().unzip();
    let mut printed = Vec::new();
    for row in db
        .own_query_as_printed(PRINT_INDEXES, &[&index_oids, &columns])
        .await?
    {
        let pretty: Option<String> = row.try_get(4)?;
        let parenthesised: Option<String> = row.try_get(5)?;
        printed.push(PrintedColumn {
            oid: row.try_get(0)?,
            column_number: row.try_get(1)?,
            column: row.try_get(2)?,
            definition: row.try_get(3)?,
            predicate: pretty
                .zip(parenthesised)
                .map(|(pretty, parenthesised)| Predicate {
                    pretty,
                    parenthesised,
                }),
        });
    }
    printed.sort_by_key(|p| (p.oid, p.column_number));
    Ok(printed)
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

/// Every parent of each relation, nearest first (`pg_inherits`, which holds both declarative
/// partitioning and table inheritance), walked up to the root.
const ANCESTORS: &str = "
WITH RECURSIVE up(schema_name, relation, parent, depth) AS (
    SELECT w.schema_name, w.relation, c.oid, 0
    FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS w(schema_name, relation)
    JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.relation
  UNION ALL
    SELECT up.schema_name, up.relation, i.inhparent, up.depth + 1
    FROM up JOIN pg_catalog.pg_inherits i ON i.inhrelid = up.parent
    WHERE up.depth < 1000
)
SELECT up.schema_name, up.relation, pn.nspname::pg_catalog.text, p.relname::pg_catalog.text
FROM up
JOIN pg_catalog.pg_class p ON p.oid = up.parent
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
WHERE up.depth > 0
ORDER BY up.schema_name, up.relation, up.depth, pn.nspname, p.relname";

/// The partitioned tables (and inheritance parents) above each relation, at any depth, nearest
/// first, in one statement for all: a partition's seq scan is allowed by its parent's
/// `allow_seq_scan` entry. Relations without parents are absent from the map.
pub async fn ancestors(
    db: &Db<'_>,
    relations: &[(String, String)],
) -> Result<HashMap<(String, String), Vec<(String, String)>>, QueryError> {
    if relations.is_empty() {
        return Ok(HashMap::new());
    }
    let schemas: Vec<&str> = relations.iter().map(|r| r.0.as_str()).collect();
    let names: Vec<&str> = relations.iter().map(|r| r.1.as_str()).collect();
    let mut parents: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
    for row in db.own_query(ANCESTORS, &[&schemas, &names]).await? {
        parents
            .entry((row.try_get(0)?, row.try_get(1)?))
            .or_default()
            .push((row.try_get(2)?, row.try_get(3)?));
    }
    Ok(parents)
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
