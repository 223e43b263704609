//! Progress on stderr while pgvet works — only when stderr is a terminal, so logs and CI output
//! stay clean.

use std::io::{IsTerminal, Write};

use crate::run::Progress;

/// Prints each step on stderr when it is a terminal; silent otherwise.
pub struct Stderr {
    enabled: bool,
}

impl Stderr {
    pub fn new() -> Self {
        Stderr {
            enabled: std::io::stderr().is_terminal(),
        }
    }
}

impl Default for Stderr {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Stderr {
    fn step(&self, message: &str) {
        if self.enabled {
            let message = crate::report::terminal::printable_line(message);
            let _ = writeln!(std::io::stderr().lock(), "· {message}");
        }
    }
}
