//! Exit statuses, as documented in `--help` and the README, and the mapping from an error to
//! the status it ends the run with.

use crate::db::connect::ConnectError;
use crate::db::conninfo::ConnInfoError;
use crate::db::setup::SetupError;
use crate::ephemeral::EphemeralError;
use crate::input::InputError;
use crate::report::saved::SavedRunError;
use crate::suite::SuiteError;

/// Every check passed.
pub const PASS: u8 = 0;
/// A check failed or a query errored.
pub const FAIL: u8 = 1;
/// Bad invocation or suite file.
pub const USAGE: u8 = 2;
/// Cannot connect, or the connection was lost.
pub const CONNECT: u8 = 3;

/// A mistake in how pgvet was called (a flag, a path), reported with exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The status an error ends the run with: the first known error in its chain decides.
pub fn code_for(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if cause.is::<SuiteError>()
            || cause.is::<UsageError>()
            || cause.is::<SetupError>()
            || cause.is::<ConnInfoError>()
            || cause.is::<SavedRunError>()
            || cause.is::<InputError>()
        {
            return USAGE;
        }
        if cause.is::<ConnectError>() {
            return CONNECT;
        }
        if cause.is::<EphemeralError>() {
            return USAGE;
        }
    }
    FAIL
}
