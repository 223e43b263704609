//! Whether each role holds each expected privilege, as PostgreSQL grants it
//! (`has_table_privilege`, `has_schema_privilege`: ownership, membership in a role that holds
//! it, PUBLIC), in one statement for every entry and privilege.

use crate::db::guard::Db;
use crate::db::session::QueryError;

/// One privilege to ask about: (role, "table", "sequence" or "schema", schema, table or
/// sequence or "", privilege).
pub type WantedPrivilege = (String, &'static str, String, String, String);

/// The answers for one expected entry (in the order asked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FoundPrivileges {
    /// The role exists (PUBLIC always does).
    pub role_exists: bool,
    /// The table (a table, view, materialized view or foreign table) or schema exists.
    pub object_exists: bool,
    /// Each privilege with whether the role holds it; None when this server does not have
    /// the privilege (MAINTAIN before PostgreSQL 17).
    pub held: Vec<(String, Option<bool>)>,
}

const FIND_PRIVILEGES: &str = "
SELECT w.entry, r.role_oid IS NOT NULL,
       CASE w.kind WHEN 'schema' THEN n.oid IS NOT NULL ELSE c.oid IS NOT NULL END,
       w.privilege,
       CASE WHEN w.privilege = 'MAINTAIN' AND $7 < 17 THEN NULL
            WHEN r.role_oid IS NULL THEN NULL
            WHEN w.kind = 'table' AND c.oid IS NOT NULL
                THEN pg_catalog.has_table_privilege(r.role_oid, c.oid, w.privilege)
            WHEN w.kind = 'sequence' AND c.oid IS NOT NULL
                THEN pg_catalog.has_sequence_privilege(r.role_oid, c.oid, w.privilege)
            WHEN w.kind = 'schema' AND n.oid IS NOT NULL
                THEN pg_catalog.has_schema_privilege(r.role_oid, n.oid, w.privilege)
       END
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.int4[]), pg_catalog.unnest($2::pg_catalog.text[]),
                pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.text[]),
                pg_catalog.unnest($5::pg_catalog.text[]), pg_catalog.unnest($6::pg_catalog.text[]))
     WITH ORDINALITY AS w(entry, role_name, kind, schema_name, table_name, privilege, n)
LEFT JOIN LATERAL (
    SELECT ro.oid AS role_oid FROM pg_catalog.pg_roles ro WHERE ro.rolname = w.role_name
    UNION ALL
    SELECT 0::pg_catalog.oid WHERE pg_catalog.lower(w.role_name) = 'public'
    LIMIT 1
) AS r ON true
LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.table_name
                               AND ((w.kind = 'table' AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))
                                    OR (w.kind = 'sequence' AND c.relkind = 'S'))
ORDER BY w.entry, w.n";

/// Asks about every privilege of every entry at once: `wanted[i]` lists entry i's. The
/// answers come back per entry, in the same order.
pub async fn find_privileges(
    db: &Db<'_>,
    wanted: &[Vec<WantedPrivilege>],
) -> Result<Vec<FoundPrivileges>, QueryError> {
    let mut found = vec![FoundPrivileges::default(); wanted.len()];
    let rows: Vec<(i32, &WantedPrivilege)> = wanted
        .iter()
        .enumerate()
        .flat_map(|(i, entry)| entry.iter().map(move |p| (i as i32, p)))
        .collect();
    if rows.is_empty() {
        return Ok(found);
    }
    let entries: Vec<i32> = rows.iter().map(|r| r.0).collect();
    let column =
        |f: fn(&WantedPrivilege) -> &str| -> Vec<&str> { rows.iter().map(|r| f(r.1)).collect() };
    let (roles, kinds) = (column(|p| &p.0), column(|p| p.1));
    let (schemas, tables, privileges) = (column(|p| &p.2), column(|p| &p.3), column(|p| &p.4));
    let major = db.server_major() as i32;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
        &entries,
        &roles,
        &kinds,
        &schemas,
        &tables,
        &privileges,
        &major,
    ];
    for row in db.own_query(FIND_PRIVILEGES, &params).await? {
        let entry: i32 = row.try_get(0)?;
        let Some(answer) = found.get_mut(entry as usize) else {
            continue;
        };
        answer.role_exists = row.try_get(1)?;
        answer.object_exists = row.try_get(2)?;
        answer.held.push((row.try_get(3)?, row.try_get(4)?));
    }
    Ok(found)
}
