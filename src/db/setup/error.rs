//! Why a setup file could not be applied: every message names the file, the line and what to
//! do. All of them end the run with exit status 2.

use std::fmt;
use std::path::{Path, PathBuf};

use super::script::Problem;
use crate::input::InputError;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Not a source: the message already is the input error's.
    #[error("setup file {0}")]
    Read(InputError),
    /// A pg_dump archive (custom, directory or tar format) rather than SQL text.
    #[error(
        "setup file {}: a pg_dump {format} archive, not SQL; pgvet applies plain SQL: dump with `pg_dump --format=plain`, or turn the archive into SQL with `pg_restore --file=dump.sql {}`",
        path.display(), path.display()
    )]
    Archive { path: PathBuf, format: &'static str },
    /// The server refused a statement or a COPY row.
    #[error("setup file {}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Failed {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// Something only psql can do (a meta-command, a psql variable) or that pgvet does not do
    /// (`\connect` to another database). `psql` is where psql was found, for the advice.
    #[error("setup file {}:{line}: {}", path.display(), Explained { problem, psql: psql.as_deref() })]
    Refused {
        path: PathBuf,
        line: usize,
        problem: Problem,
        psql: Option<PathBuf>,
    },
    /// psql (`--setup-with psql`) could not run the file; `message` is its own, which names the
    /// file and line (`psql:FILE:LINE: ERROR: …`).
    #[error("setup file {} (applied with psql): {message}", path.display())]
    Psql { path: PathBuf, message: String },
    #[error(
        "--setup-with psql: no psql found (looked in: {searched}); install the PostgreSQL client (Debian/Ubuntu: `apt-get install postgresql-client`), or drop --setup-with psql to have pgvet apply the files itself"
    )]
    NoPsql { searched: String },
}

impl From<InputError> for SetupError {
    fn from(e: InputError) -> Self {
        SetupError::Read(e)
    }
}

impl SetupError {
    /// Adds where psql is (or that none was found) to the advice of a refusal.
    pub fn with_psql(self, found: Option<PathBuf>) -> Self {
        match self {
            SetupError::Refused {
                path,
                line,
                problem,
                psql: _,
            } => SetupError::Refused {
                path,
                line,
                problem,
                psql: found,
            },
            other => other,
        }
    }
}

/// A refusal's problem, said with what to do about it.
struct Explained<'a> {
    problem: &'a Problem,
    psql: Option<&'a Path>,
}

impl fmt::Display for Explained<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_psql = match self.psql {
            Some(psql) => format!(
                "apply the file with psql instead (add --setup-with psql; psql is {})",
                psql.display()
            ),
            None => "apply the file with psql instead (add --setup-with psql, once psql is installed: `apt-get install postgresql-client`)".to_string(),
        };
        match self.problem {
            Problem::MetaCommand { command } => write!(
                f,
                "`{command}` is a psql meta-command, which pgvet does not run (it runs SQL, COPY … FROM stdin, \\restrict, \\unrestrict and \\connect to the same database): {with_psql}, or remove it"
            ),
            Problem::Variable { reference } => write!(
                f,
                "psql would replace `{reference}` with the value of its variable: {with_psql}, or write the value itself"
            ),
            Problem::OtherDatabase { database } => write!(
                f,
                "`\\connect` to the database \"{database}\", but pgvet checks the throwaway server's database \"{}\" only: remove the \\connect (and a CREATE DATABASE before it: pg_dump writes both for --create, so dump without --create)",
                crate::ephemeral::DATABASE
            ),
            Problem::ConnectArguments => write!(
                f,
                "`\\connect` with a user, host, port or connection parameters other than dbname: pgvet applies setup files to its throwaway server as its superuser; write `\\connect {}` or remove it",
                crate::ephemeral::DATABASE
            ),
            Problem::Restricted { command, since } => write!(
                f,
                "`{command}` after `\\restrict` (line {since}): backslash commands are restricted; only \\unrestrict is allowed (psql refuses it too)"
            ),
            Problem::NotRestricted => {
                write!(
                    f,
                    "`\\unrestrict`: not currently in restricted mode (no \\restrict before it)"
                )
            }
            Problem::WrongKey { since } => write!(
                f,
                "`\\unrestrict` with another key than the `\\restrict` at line {since} (psql refuses it too): the key must be the same"
            ),
            Problem::NoKey { command } => {
                write!(
                    f,
                    "`{command}` needs its key (pg_dump writes `{command} KEY`)"
                )
            }
            Problem::AfterCopy => write!(
                f,
                "text after `COPY … FROM stdin;` on its line: the COPY data starts on the next line, and psql would run this text after it; move it after the `\\.` line"
            ),
        }
    }
}

/// The server's error as pgvet reports it (severity, message, SQLSTATE, detail, hint), with
/// its context (the COPY row, the PL/pgSQL line) and, for a role the throwaway server lacks,
/// what to do.
pub(super) fn server_message(e: &tokio_postgres::Error) -> String {
    let mut message = crate::db::session::server_message(e);
    let Some(db) = e.as_db_error() else {
        return message;
    };
    if let Some(context) = db.where_() {
        message.push_str(&format!("; context: {}", context.replace('\n', "; ")));
    }
    let missing_role = db.code() == &tokio_postgres::error::SqlState::UNDEFINED_OBJECT
        && db.message().starts_with("role \"");
    if missing_role {
        message.push_str(
            "; the throwaway server has no role but postgres: create the roles in an earlier --setup file (CREATE ROLE name;), or dump with --no-owner --no-privileges",
        );
    }
    let existing_role = db.code() == &tokio_postgres::error::SqlState::DUPLICATE_OBJECT
        && db.message().starts_with("role \"");
    if existing_role {
        message.push_str(
            "; the throwaway server already has it (it has the role postgres, its superuser): remove that CREATE ROLE line (pg_dumpall --globals-only writes one for postgres), or guard it with a DO block that checks pg_roles",
        );
    }
    message
}
