//! The one error type of the ephemeral-server module. Every message names what went wrong
//! and what the user can do about it, because these errors end up printed by the CLI.

use std::path::PathBuf;

/// Why a throwaway PostgreSQL server could not be found, started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum EphemeralError {
    /// No directory with `initdb` and `postgres` was found. pgvet maps this to exit code 2.
    #[error(
        "no PostgreSQL server binaries found (looked in: {searched}). Install the server \
         package (Debian/Ubuntu: `apt-get install postgresql`), or set PGVET_PG_BIN to the \
         directory holding `initdb` and `postgres`, or pass --db to use an existing server"
    )]
    NoBinaries { searched: String },

    /// `PGVET_PG_BIN` was set but does not point at usable binaries.
    #[error(
        "PGVET_PG_BIN={} does not contain executable `initdb` and `postgres`; point it at \
         the server's bin directory (see `pg_config --bindir`) or unset it",
        dir.display()
    )]
    BadPgBin { dir: PathBuf },

    /// `postgres --version` could not be run or understood.
    #[error("could not read the server version from `{} --version`: {detail}", postgres.display())]
    Version { postgres: PathBuf, detail: String },

    /// Running as root and the unprivileged user to run the server as does not exist.
    #[error(
        "PostgreSQL refuses to run as root and there is no OS user `{user}` to run it as; \
         create that user (e.g. `useradd --system {user}`), set PGVET_PG_USER to an existing \
         unprivileged user, run pgvet as a normal user, or pass --db to use an existing server"
    )]
    NoServerUser { user: String },

    /// `PGVET_PG_USER` names root (uid 0), which PostgreSQL refuses to run as.
    #[error(
        "PGVET_PG_USER={user} is a superuser account (uid 0); PostgreSQL refuses to run as root, so name an unprivileged user"
    )]
    ServerUserIsRoot { user: String },

    /// The server user cannot reach the temporary directory.
    #[error(
        "the server user `{user}` cannot enter {}; make it searchable (`chmod o+x`) or set \
         TMPDIR to a directory that user can reach, such as /tmp",
        dir.display()
    )]
    Unreachable { user: String, dir: PathBuf },

    /// The socket path would exceed the operating system's limit for Unix sockets.
    #[error(
        "the socket directory {} is too long for a Unix socket path ({len} bytes, limit {max}); \
         set TMPDIR to a shorter directory such as /tmp",
        dir.display()
    )]
    SocketPathTooLong {
        dir: PathBuf,
        len: usize,
        max: usize,
    },

    /// An extra data-directory file was given with an unsafe name.
    #[error("extra data-directory file `{}` must be a relative path without `..`", path.display())]
    BadExtraFile { path: PathBuf },

    /// An extra `postgresql.conf` setting has a name or value that cannot be written safely.
    #[error("extra server setting `{name}` is invalid: {problem}")]
    BadSetting { name: String, problem: &'static str },

    /// A filesystem step (temp dir, config file, ownership) failed.
    #[error("could not {action}: {error}")]
    Io {
        action: String,
        error: std::io::Error,
    },

    /// A program could not be started at all.
    #[error("could not run {}: {error}", program.display())]
    Spawn {
        program: PathBuf,
        error: std::io::Error,
    },

    /// `initdb` ran and failed.
    #[error("initdb failed ({status}); its output was:\n{output}")]
    Initdb { status: String, output: String },

    /// The server exited or never became ready.
    #[error("the temporary PostgreSQL server {reason}; last lines of its log ({}):\n{log_tail}", log.display())]
    Start {
        reason: String,
        log: PathBuf,
        log_tail: String,
    },

    /// Stopping the server or removing its directory failed.
    #[error("could not stop the temporary PostgreSQL server cleanly: {detail}")]
    Stop { detail: String },
}

impl EphemeralError {
    /// Wraps an I/O error with the action that failed, for [`EphemeralError::Io`].
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let action = action.into();
        move |error| EphemeralError::Io { action, error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_binaries_message_says_how_to_fix_it() {
        let err = EphemeralError::NoBinaries {
            searched: "PGVET_PG_BIN (unset)".into(),
        };
        let msg = err.to_string();
        assert!(msg.contains("apt-get install postgresql"), "{msg}");
        assert!(msg.contains("PGVET_PG_BIN"), "{msg}");
        assert!(msg.contains("--db"), "{msg}");
    }

    #[test]
    fn io_helper_keeps_the_action() {
        let err = EphemeralError::io("write pg_hba.conf")(std::io::Error::other("disk full"));
        assert_eq!(err.to_string(), "could not write pg_hba.conf: disk full");
    }
}
