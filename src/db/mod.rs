//! Everything that talks to PostgreSQL: libpq-compatible connection settings, TLS, catalog
//! queries, EXPLAIN and timed runs. Nothing outside this module sends SQL.

pub mod conninfo;
pub mod connect;
pub mod pgpass;
pub mod tls;
