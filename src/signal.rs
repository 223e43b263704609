//! Ctrl-C and SIGTERM: caught from the start of the run (so a throwaway server is always
//! stopped and a running statement is cancelled on the server), ending with the status a shell
//! expects after them (130 and 143).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::db::connect::Canceller;

/// The signal received so far (its exit status), shared by whoever watches for it.
static RECEIVED: OnceLock<watch::Sender<Option<u8>>> = OnceLock::new();

fn received() -> &'static watch::Sender<Option<u8>> {
    RECEIVED.get_or_init(|| watch::channel(None).0)
}

/// Installs the handlers; from then on SIGINT and SIGTERM no longer end the process by
/// themselves but are recorded, for [`interrupted`] and [`wait`]. Needs a tokio runtime.
pub fn listen() -> std::io::Result<()> {
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        let code = tokio::select! {
            _ = int.recv() => 130,
            _ = term.recv() => 143,
        };
        received().send_replace(Some(code));
    });
    Ok(())
}

/// The exit status of the signal received, if one was.
pub fn interrupted() -> Option<u8> {
    *received().borrow()
}

/// What a signal's exit status stands for, as the report says it: "interrupted by Ctrl-C".
pub fn interrupted_by(code: u8) -> &'static str {
    if code == 143 {
        "interrupted by SIGTERM"
    } else {
        "interrupted by Ctrl-C"
    }
}

/// Waits for SIGINT or SIGTERM and returns the exit status to end with (130 or 143).
pub async fn wait() -> u8 {
    let mut rx = received().subscribe();
    loop {
        if let Some(code) = *rx.borrow_and_update() {
            return code;
        }
        if rx.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// Connections whose running statement Ctrl-C must cancel on the server, which would otherwise
/// go on running a statement it was sent.
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
