//! Integration tests against a real PostgreSQL: `DATABASE_URL` when set, else one throwaway
//! server per test binary started from the binaries on this machine. Each test gets its own
//! database, dropped afterwards.

mod advice;
mod baseline;
mod cli;
mod codetune;
mod contract;
mod diagnosis;
mod fastapi;
mod harness;
mod health;
mod health_catalog;
mod health_scope;
mod hostile;
mod indexes;
mod init;
mod inputs;
mod leading;
mod names;
mod outputs;
mod params;
mod pgpass;
mod plans;
mod safety;
mod setup;
