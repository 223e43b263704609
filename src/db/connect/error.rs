//! What a failed connection reports: one [`Attempt`] per server address and TLS variant
//! tried, each with libpq-like wording, gathered into [`ConnectError`].

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::path::Path;

use tokio_postgres::error::SqlState;

use crate::db::tls::{self, TlsSetupError};

/// Why `connect` failed. Every variant means "could not reach the database" (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// TLS files could not be used; nothing was attempted.
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    /// Every server was tried and none could be used.
    #[error("could not connect as {target}:{}", list(.attempts))]
    Failed {
        target: String,
        attempts: Vec<Attempt>,
    },
}

impl ConnectError {
    /// Whether every failure looks like a server that is not up yet: connection refused, no
    /// socket file, or the server saying it is starting up.
    pub fn may_be_starting(&self) -> bool {
        let booting = |a: &Attempt| match a.kind {
            FailureKind::Network => {
                a.reason.contains("Connection refused")
                    || a.reason.contains("No such file or directory")
            }
            FailureKind::Server => a.reason.contains("starting up"),
            _ => false,
        };
        matches!(self, ConnectError::Failed { attempts, .. } if !attempts.is_empty() && attempts.iter().all(booting))
    }

    /// Whether a server certificate was rejected (or could not be checked).
    pub fn is_certificate_error(&self) -> bool {
        match self {
            ConnectError::Tls(_) => true,
            ConnectError::Failed { attempts, .. } => {
                attempts.iter().any(|a| a.kind == FailureKind::Certificate)
            }
        }
    }
}

fn list(attempts: &[Attempt]) -> String {
    attempts.iter().map(|a| format!("\n  {a}")).collect()
}

/// One failed try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// libpq-style server phrase, e.g. `server at "db" (10.0.0.1), port 5432`.
    pub server: String,
    pub kind: FailureKind,
    pub reason: String,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection to {} failed: {}", self.server, self.reason)
    }
}

/// The broad cause of a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The host name did not resolve.
    Resolve,
    /// The socket could not be opened or broke.
    Network,
    /// No answer within `connect_timeout`.
    Timeout,
    /// TLS could not be negotiated (other than a certificate problem).
    Tls,
    /// The server certificate was rejected.
    Certificate,
    /// Authentication failed or a needed password was missing.
    Authentication,
    /// The server refused the session (e.g. unknown database, too many connections).
    Server,
    /// Connected, but the server is not what `target_session_attrs` asks for.
    SessionAttrs,
}

/// Describes a tokio-postgres error the way libpq would phrase it.
pub fn classify(
    err: &tokio_postgres::Error,
    roots: &str,
    passfile: Option<&Path>,
) -> (FailureKind, String) {
    if let Some(db) = err.as_db_error() {
        let auth = [
            SqlState::INVALID_PASSWORD,
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
        ]
        .contains(db.code());
        let mut text = format!("{}:  {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        if let (true, Some(file)) = (auth, passfile) {
            text.push_str(&format!(
                "; password retrieved from file \"{}\"",
                file.display()
            ));
        }
        let kind = if auth {
            FailureKind::Authentication
        } else {
            FailureKind::Server
        };
        return (kind, text);
    }
    if let Some(text) = tls::certificate_failure(err, roots) {
        return (FailureKind::Certificate, text);
    }
    let text = chain(err);
    if text.contains("password missing") {
        let hint = "the server asked for a password, but none was supplied; set PGPASSWORD, \
                    add a line to ~/.pgpass, or put it in the connection string";
        return (FailureKind::Authentication, hint.to_owned());
    }
    if err.to_string().contains("TLS") {
        return (FailureKind::Tls, text);
    }
    (FailureKind::Network, with_hint(err, text))
}

/// An error and all its sources, joined with ": ".
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}

/// libpq's hint for the commonest case: nothing is listening.
fn with_hint(err: &(dyn StdError + 'static), text: String) -> String {
    let mut source = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<io::Error>()
            && matches!(
                io.kind(),
                io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
            )
        {
            return format!("{text}; is the server running there and accepting connections?");
        }
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(kind: FailureKind) -> Attempt {
        Attempt {
            server: "server at \"db\", port 5432".into(),
            kind,
            reason: "nope".into(),
        }
    }

    #[test]
    fn failed_lists_every_attempt() {
        let err = ConnectError::Failed {
            target: "user \"u\" to database \"d\" on db:5432".into(),
            attempts: vec![attempt(FailureKind::Network), attempt(FailureKind::Timeout)],
        };
        let text = err.to_string();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.starts_with("could not connect as user \"u\" to database \"d\" on db:5432:"));
        assert!(text.contains("\n  connection to server at \"db\", port 5432 failed: nope"));
        assert!(!err.is_certificate_error());
    }

    #[test]
    fn certificate_attempts_are_recognised() {
        let err = ConnectError::Failed {
            target: String::new(),
            attempts: vec![
                attempt(FailureKind::Network),
                attempt(FailureKind::Certificate),
            ],
        };
        assert!(err.is_certificate_error());
    }

    #[test]
    fn chain_joins_sources_without_repeating() {
        #[derive(Debug)]
        struct Outer(io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("error connecting to server")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let err = Outer(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "Connection refused",
        ));
        assert_eq!(
            chain(&err),
            "error connecting to server: Connection refused"
        );
        assert!(with_hint(&err, chain(&err)).ends_with("accepting connections?"));
    }
}
