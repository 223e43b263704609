//! pgvet: verify a PostgreSQL database against what a migration promised.
//!
//! Data flows CLI ([`cli`]) → a subcommand ([`command`]) that loads the [`suite`] and connects
//! → [`run`] → one [`report::Report`] → one module per output format under [`report`]. Database
//! access sits behind [`db`]; the EXPLAIN model is pure and lives in [`plan`]; every verdict is
//! a small function in [`check`]; throwaway servers come from [`ephemeral`].

pub mod check;
pub mod cli;
pub mod command;
pub mod db;
pub mod ephemeral;
pub mod exit;
pub mod fill;
pub mod health;
pub mod init;
pub mod input;
pub mod output;
pub mod plan;
pub mod progress;
pub mod report;
pub mod run;
pub mod signal;
pub mod stats;
pub mod suite;
