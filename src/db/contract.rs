//! Catalog lookups for the schema contract: one statement per kind ([[table]], [[foreign_key]],
//! [[privilege]]) whatever the number of entries, the suite's names travelling as array
//! parameters (data, never SQL text). Each is one of pgvet's own statements
//! ([`super::guard::Db::own_query`]): READ ONLY, `search_path` pinned to `pg_catalog`, every
//! function qualified. Row-to-struct mapping happens here; the verdicts are in `check`.

pub mod foreign_key;
pub mod privilege;
pub mod table;

pub use foreign_key::{FoundForeignKey, KeyIndex, TableKeys, find_foreign_keys};
pub use privilege::{FoundPrivileges, WantedPrivilege, find_privileges};
pub use table::{FoundColumn, FoundTable, find_tables};
