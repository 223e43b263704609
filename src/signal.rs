//! Ctrl-C and SIGTERM: caught from the start of the run (so a throwaway server is always
//! stopped), ending with the status a shell expects after them (130 and 143).

use tokio::signal::unix::{Signal, SignalKind, signal};

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
