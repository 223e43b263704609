//! Why a run stops before its end, and how a check is awaited so that it can stop: on Ctrl-C or
//! SIGTERM the running statement is cancelled on the server; a check that does not end soon
//! after (a stalled network) has its connection dropped, so the run ends within seconds with
//! what it finished.

use std::future::Future;
use std::time::Duration;

use crate::db::guard::Db;
use crate::report::model::{AbortReason, Aborted};
use crate::signal;

/// How long the cancel request may take (a stalled network may swallow it too).
const CANCEL_LIMIT: Duration = Duration::from_millis(800);
/// How long a check may take to end after its statement was cancelled, before the connection is
/// dropped under it: with the cancel request, the run stops within 2 s of the signal.
const AFTER_CANCEL: Duration = Duration::from_millis(1000);

/// Runs `work` to its end, and says which signal came while it ran, if one did.
pub async fn until_interrupted<T>(db: &Db<'_>, work: impl Future<Output = T>) -> (T, Option<u8>) {
    tokio::pin!(work);
    tokio::select! {
        output = &mut work => (output, None),
        code = signal::wait() => {
            signal::cancel_running(CANCEL_LIMIT).await;
            match tokio::time::timeout(AFTER_CANCEL, &mut work).await {
                Ok(output) => (output, Some(code)),
                Err(_) => {
                    tracing::warn!("the check did not end after its statement was cancelled; dropping the connection");
                    db.drop_connection();
                    (work.await, Some(code))
                }
            }
        }
    }
}

pub fn interrupted_by(code: u8) -> &'static str {
    if code == 143 {
        "interrupted by SIGTERM"
    } else {
        "interrupted by Ctrl-C"
    }
}

/// A signal received before the run reached this point.
pub fn interruption() -> Option<Aborted> {
    signal::interrupted().map(interrupted)
}

fn interrupted(code: u8) -> Aborted {
    Aborted {
        reason: AbortReason::Interrupted,
        message: interrupted_by(code).into(),
    }
}

/// Why the run must stop after a check: a signal, or a connection that is gone.
pub fn stop_reason(db: &Db<'_>, signal: Option<u8>, error: Option<&str>) -> Option<Aborted> {
    if let Some(code) = signal.or_else(signal::interrupted) {
        return Some(interrupted(code));
    }
    db.is_closed().then(|| Aborted {
        reason: AbortReason::ConnectionLost,
        message: format!(
            "the connection to the server was lost ({})",
            error.unwrap_or("connection closed")
        ),
    })
}
