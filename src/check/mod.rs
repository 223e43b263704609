//! The verdicts. Each check is a pure function from what the suite expects and what the database
//! showed to a result in the report model; nothing here talks to the server.

pub mod advice;
pub mod baseline;
pub mod closest;
mod contract;
pub(crate) use contract::{and_list, sql_name};
pub mod diagnosis;
pub mod foreign_key;
pub mod index;
pub mod leading;
#[cfg(test)]
mod leading_fixtures;
pub mod privilege;
pub mod scans;
#[cfg(test)]
mod scans_tests;
pub mod slower;
pub mod table;
pub mod target;
pub mod type_name;
