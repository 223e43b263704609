//! pgvet: verify a PostgreSQL database against what a migration promised.
//!
//! Data flows CLI → [`config`] (resolved, validated) → [`run`] → one [`report::Report`] →
//! one module per output format under [`report`]. Database access sits behind [`db`]; the
//! EXPLAIN model is pure and lives in [`plan`]; every verdict is a small function in [`check`].

pub mod db;
pub mod ephemeral;
pub mod plan;
pub mod suite;
