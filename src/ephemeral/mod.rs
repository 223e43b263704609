//! Throwaway PostgreSQL servers started from the server binaries on this machine, the way
//! pg_tmp or testing.postgresql do. This part finds the binaries and decides which user the
//! server runs as; the server itself follows.

mod binaries;
mod connstr;
mod error;
mod user;

pub use binaries::{PgBinaries, Probe, find_binaries, find_binaries_with};
pub use error::EphemeralError;
