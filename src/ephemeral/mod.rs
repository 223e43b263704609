//! Throwaway PostgreSQL servers started from the server binaries on this machine, the way
//! pg_tmp or testing.postgresql do. Used by `pgvet demo`, `check --ephemeral` and the test
//! suite; a server is always removed afterwards — on [`TempServer::stop`], on drop, and
//! (through a reaper process) when pgvet dies without running destructors.
//!
//! ```no_run
//! use pgvet::ephemeral::{Options, TempServer};
//! let server = TempServer::start(Options::default())?;
//! println!("connect with: {}", server.conninfo());
//! server.stop()?;
//! # Ok::<(), pgvet::ephemeral::EphemeralError>(())
//! ```

mod binaries;
mod connstr;
mod error;
mod launch;
mod process;
mod reaper;
mod server;
mod setup;
mod shared;
mod user;

pub use binaries::{PgBinaries, Probe, find_binaries, find_binaries_with, find_psql};
pub use error::EphemeralError;
pub use server::{Options, TempServer};
pub use shared::shared_for_tests;

/// The database of every throwaway server, the one pgvet connects to and checks.
pub const DATABASE: &str = "postgres";
