//! Everything that talks to PostgreSQL: libpq-compatible connection settings, TLS, catalog
//! queries, EXPLAIN and timed runs. Nothing outside this module sends SQL.

pub mod advice;
pub mod bind;
pub mod catalog;
pub mod connect;
pub mod conninfo;
pub mod contract;
pub mod guard;
pub mod health;
pub mod pgpass;
pub mod prepared;
pub mod session;
pub mod setup;
pub mod snapshot;
pub mod tls;
