//! Ctrl-C and SIGTERM: caught from the start of the run (so a throwaway server is always
//! stopped and a running statement is cancelled on the server), ending with the status a shell
//! expects after them (130 and 143).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::db::connect::Canceller;

/// Signal handlers, installed when this is created.
pub struct Interrupts {
    int: Signal,
    term: Signal,
}

impl Interrupts {
    /// Installs the handlers; from now on SIGINT and SIGTERM no longer end the process by
    /// themselves. Needs a tokio runtime.
    pub fn install() -> std::io::Result<Interrupts> {
        Ok(Interrupts {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for SIGINT or SIGTERM and returns the exit status to end with.
    pub async fn recv(&mut self) -> u8 {
        tokio::select! {
            _ = self.int.recv() => 130,
            _ = self.term.recv() => 143,
        }
    }
}

/// Connections whose running statement Ctrl-C must cancel on the server: the work future is
/// dropped on a signal, but the server would go on running a statement it was sent.
static RUNNING: Mutex<Vec<(u64, Canceller)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Keeps a connection's canceller registered until dropped.
pub struct Registration(u64);

/// Registers a connection for cancellation on Ctrl-C or SIGTERM, while the guard lives.
pub fn cancel_on_interrupt(canceller: Canceller) -> Registration {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    RUNNING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((id, canceller));
    Registration(id)
}

impl Drop for Registration {
    fn drop(&mut self) {
        RUNNING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(id, _)| *id != self.0);
    }
}

/// Sends a cancel request for every registered connection, waiting at most `limit`.
pub async fn cancel_running(limit: Duration) {
    let cancellers: Vec<Canceller> = RUNNING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(_, c)| c.clone())
        .collect();
    for canceller in cancellers {
        match tokio::time::timeout(limit, canceller.cancel()).await {
            Ok(Ok(())) => tracing::info!("cancel request sent for the running statement"),
            Ok(Err(e)) => tracing::warn!("could not cancel the running statement: {e}"),
            Err(_) => tracing::warn!("the cancel request did not complete within {limit:?}"),
        }
    }
}
