//! The subcommands: each resolves its configuration, does its work through the library and
//! returns the exit status.

pub mod check;
pub mod compare;
pub mod demo;
pub mod docs;
pub mod fill;
pub mod health;
pub mod init;
