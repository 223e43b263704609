//! Every sequence of the schemas in scope, in one statement: its bounds, the last value it gave
//! (when pgvet's role may read it), and the serial or identity column it feeds.

use super::{IN_SCOPE, Name, sql_name};
use crate::db::guard::Db;
use crate::db::session::QueryError;

/// The column a sequence belongs to: a serial column (`OWNED BY`) or an identity column.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedColumn {
    pub table: Name,
    pub column: String,
    pub column_sql: String,
    /// The column's type: its oid (int2 21, int4 23, int8 20 bound the values it can hold) and
    /// as `format_type` prints it.
    pub type_oid: u32,
    pub type_name: String,
    pub identity: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SequenceFacts {
    pub name: Name,
    /// `smallint`, `integer` or `bigint`.
    pub type_name: String,
    pub min: i64,
    pub max: i64,
    pub increment: i64,
    pub start: i64,
    pub cycle: bool,
    /// pgvet's role may read the sequence (SELECT or USAGE on it).
    pub readable: bool,
    /// The last value `nextval` gave; None when it has given none since it was created or
    /// restarted (or cannot be read).
    pub last_value: Option<i64>,
    pub column: Option<OwnedColumn>,
}

fn sequences_sql() -> String {
    format!(
        "
SELECT n.nspname::pg_catalog.text, c.relname::pg_catalog.text, {sequence_sql},
       pg_catalog.format_type(s.seqtypid, NULL), s.seqmin, s.seqmax, s.seqincrement, s.seqstart,
       s.seqcycle, r.readable,
       CASE WHEN r.readable THEN pg_catalog.pg_sequence_last_value(c.oid::pg_catalog.regclass) END,
       tn.nspname::pg_catalog.text, t.relname::pg_catalog.text, {table_sql},
       a.attname::pg_catalog.text, pg_catalog.quote_ident(a.attname::pg_catalog.text), a.atttypid,
       pg_catalog.format_type(a.atttypid, a.atttypmod), d.deptype = 'i'
FROM pg_catalog.pg_sequence s
JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (SELECT pg_catalog.has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable) AS r
LEFT JOIN pg_catalog.pg_depend d
       ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
      AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjsubid > 0
      AND d.deptype IN ('a', 'i')
LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE {IN_SCOPE}
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
                  WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY n.nspname, c.relname",
        sequence_sql = sql_name("n.nspname", "c.relname"),
        table_sql = sql_name("tn.nspname", "t.relname"),
    )
}

/// Every sequence of `schemas`, by schema and name.
pub(super) async fn read(
    db: &Db<'_>,
    schemas: &[String],
) -> Result<Vec<SequenceFacts>, QueryError> {
    let mut sequences = Vec::new();
    for row in db.own_query(&sequences_sql(), &[&schemas]).await? {
        let table: Option<String> = row.try_get(12)?;
        let column = match table {
            None => None,
            Some(_) => Some(OwnedColumn {
                table: Name::read(&row, 11)?,
                column: row.try_get(14)?,
                column_sql: row.try_get(15)?,
                type_oid: row.try_get(16)?,
                type_name: row.try_get(17)?,
                identity: row.try_get(18)?,
            }),
        };
        sequences.push(SequenceFacts {
            name: Name::read(&row, 0)?,
            type_name: row.try_get(3)?,
            min: row.try_get(4)?,
            max: row.try_get(5)?,
            increment: row.try_get(6)?,
            start: row.try_get(7)?,
            cycle: row.try_get(8)?,
            readable: row.try_get(9)?,
            last_value: row.try_get(10)?,
            column,
        });
    }
    Ok(sequences)
}
