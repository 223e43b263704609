//! Applying setup files to a throwaway server (`check --ephemeral --setup`, the demo) as
//! `psql -X -v ON_ERROR_STOP=1 -f FILE` applies them: each file in a session of its own, its
//! statements sent one at a time, `COPY … FROM stdin` data through the COPY protocol exactly as
//! written, and the first error ending the file with its name, the line (of the statement or
//! the COPY row) and the server's message. [`script`] reads a file into those steps, refusing
//! what only psql can do; [`psql`] hands the files to psql itself (`--setup-with psql`).
//! Afterwards [`analyze_unanalyzed`] gives the planner the statistics a dump does not carry,
//! and [`create_hypopg`] the index advice its proof, when the server's binaries have HypoPG.

mod analyze;
mod error;
mod hypopg;
mod meta;
pub mod psql;
pub mod script;

use std::ops::Range;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{SinkExt, TryStreamExt};
use tokio_postgres::Client;

pub use analyze::analyze_unanalyzed;
pub use error::SetupError;
pub use hypopg::create_hypopg;
use script::Step;

use crate::db::connect::{self, Connected};
use crate::db::conninfo::{ConnSettings, Env};
use crate::input;

/// The COPY data goes to the server in pieces of this size.
const COPY_CHUNK: usize = 1 << 20;

/// The server and database setup files are applied to, and where `\connect` may go.
#[derive(Debug, Clone)]
pub struct Target {
    /// A libpq conninfo string (the throwaway server's own: no password).
    pub conninfo: String,
    /// The database the conninfo names, the one pgvet checks.
    pub database: String,
}

/// A setup file, read and split into what applying it takes.
#[derive(Debug)]
pub struct SetupFile {
    pub path: PathBuf,
    text: String,
    steps: Vec<Step>,
}

impl SetupFile {
    /// Reads a setup file (see [`read_file`]) and splits it for applying to `database`.
    pub fn read(path: &Path, database: &str) -> Result<Self, SetupError> {
        let text = read_file(path)?;
        Self::from_text(path, text, database)
    }

    /// The same for SQL text that came from `path` (named in errors).
    pub fn from_text(path: &Path, text: String, database: &str) -> Result<Self, SetupError> {
        let steps = script::parse(&text, database).map_err(|refusal| SetupError::Refused {
            path: path.into(),
            line: refusal.line,
            problem: refusal.problem,
            psql: None,
        })?;
        Ok(SetupFile {
            path: path.into(),
            text,
            steps,
        })
    }
}

/// Reads a setup file: a regular file of UTF-8 SQL, up to 1 GiB (a byte order mark at the start
/// is dropped).
pub fn read_file(path: &Path) -> Result<String, SetupError> {
    input::read_source(path, &input::SETUP).map_err(|e| match archive_format(path) {
        Some(format) => SetupError::Archive {
            path: path.into(),
            format,
        },
        None => SetupError::Read(e),
    })
}

/// The format of a pg_dump archive at `path`, if it is one: asked only once the file could not
/// be read as text. A directory archive holds `toc.dat`; a custom one starts with `PGDMP`; a tar
/// one has the ustar magic at byte 257 and `toc.dat` as its first member.
fn archive_format(path: &Path) -> Option<&'static str> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        return path.join("toc.dat").is_file().then_some("directory-format");
    }
    let head = input::read_head(path, 512).ok()?;
    if head.starts_with(b"PGDMP") {
        Some("custom-format")
    } else if head.get(257..262) == Some(b"ustar") && head.starts_with(b"toc.dat") {
        Some("tar-format")
    } else {
        None
    }
}

/// Applies one setup file in a session of its own (and a new one at each `\connect`), so that
/// nothing it sets (`SET`, `set_config(…, false)`, `SET ROLE`) reaches the next file or the
/// checks. Stops at the first error.
pub async fn apply(target: &Target, file: &SetupFile) -> anyhow::Result<()> {
    let mut session = Session::open(target).await?;
    for step in &file.steps {
        match step {
            Step::NewSession { .. } => session = Session::open(target).await?,
            Step::Sql { text, line } => {
                let sql = &file.text[text.clone()];
                let client = &session.connected.client;
                client
                    .batch_execute(sql)
                    .await
                    .map_err(|e| file.failure(&e, sql, *line, None))?;
            }
            Step::CopyIn {
                text,
                line,
                data,
                data_line,
                csv,
            } => {
                let rows = CopyRows {
                    data: data.clone(),
                    data_line: *data_line,
                    csv: *csv,
                };
                copy_in(&session.connected.client, file, text.clone(), *line, rows).await?;
            }
            Step::CopyOut { text, line } => {
                let sql = &file.text[text.clone()];
                copy_out(&session.connected.client, sql)
                    .await
                    .map_err(|e| file.failure(&e, sql, *line, None))?;
            }
        }
    }
    Ok(())
}

/// One session on the target, cancelled on Ctrl-C like pgvet's own.
struct Session {
    connected: Connected,
    _cancel: crate::signal::Registration,
}

impl Session {
    async fn open(target: &Target) -> anyhow::Result<Session> {
        let settings = ConnSettings::resolve(Some(&target.conninfo), &Env::empty())?;
        let connected = connect::connect(&settings).await?;
        let cancel = crate::signal::cancel_on_interrupt(connected.canceller());
        Ok(Session {
            connected,
            _cancel: cancel,
        })
    }
}

/// Where the rows of a `COPY … FROM stdin` are in the file.
struct CopyRows {
    data: Range<usize>,
    data_line: usize,
    csv: bool,
}

async fn copy_in(
    client: &Client,
    file: &SetupFile,
    text: Range<usize>,
    line: usize,
    rows: CopyRows,
) -> Result<(), SetupError> {
    let statement = &file.text[text];
    let fail = |e: tokio_postgres::Error| file.failure(&e, statement, line, Some(&rows));
    let sink = client.copy_in::<_, Bytes>(statement).await.map_err(fail)?;
    futures_util::pin_mut!(sink);
    for chunk in file.text.as_bytes()[rows.data.clone()].chunks(COPY_CHUNK) {
        sink.send(Bytes::copy_from_slice(chunk))
            .await
            .map_err(fail)?;
    }
    sink.as_mut().finish().await.map_err(fail)?;
    Ok(())
}

/// Runs `COPY … TO stdout` and drops its rows (psql would print them).
async fn copy_out(client: &Client, statement: &str) -> Result<(), tokio_postgres::Error> {
    let stream = client.copy_out(statement).await?;
    futures_util::pin_mut!(stream);
    while stream.try_next().await?.is_some() {}
    Ok(())
}

impl SetupFile {
    /// The error of a statement that started at `line`: the line the server points at (a
    /// position in the statement, or the row a COPY failed on) and the server's message.
    fn failure(
        &self,
        e: &tokio_postgres::Error,
        statement: &str,
        line: usize,
        copy: Option<&CopyRows>,
    ) -> SetupError {
        let db = e.as_db_error();
        let mut at = line;
        if let Some(tokio_postgres::error::ErrorPosition::Original(p)) =
            db.and_then(|db| db.position())
        {
            at = line + line_of_char(statement, *p as usize) - 1;
        }
        let row = db.and_then(|db| db.where_()).and_then(copy_row);
        if let (Some(copy), Some(row)) = (copy, row) {
            let data = &self.text[copy.data.clone()];
            at = script::copy_row_line(data, copy.data_line, row, copy.csv);
        }
        SetupError::Failed {
            path: self.path.clone(),
            line: Some(at),
            message: error::server_message(e),
        }
    }
}

/// The row number in a COPY error's context (`COPY t, line 3, column id: "x"`), counted from 1.
fn copy_row(context: &str) -> Option<usize> {
    let copy = context.lines().find(|l| l.starts_with("COPY "))?;
    let (_, after) = copy.split_once(", line ")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// 1-based line of a 1-based character position.
fn line_of_char(text: &str, position: usize) -> usize {
    text.chars()
        .take(position.saturating_sub(1))
        .filter(|&c| c == '\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn character_positions_map_to_lines() {
        let sql = "SELECT 1;\nSELEC 2;\n";
        assert_eq!(super::line_of_char(sql, 1), 1);
        assert_eq!(super::line_of_char(sql, 11), 2);
        assert_eq!(super::line_of_char("é\nx", 3), 2);
    }

    #[test]
    fn the_row_of_a_copy_error_comes_from_its_context() {
        use super::copy_row;
        assert_eq!(copy_row("COPY t, line 3, column id: \"x\""), Some(3));
        assert_eq!(copy_row("COPY public.t, line 12: \"1\t2\""), Some(12));
        // A trigger's context comes first; the COPY line is the last.
        let nested = "PL/pgSQL function f() line 2 at RAISE\nCOPY t, line 7";
        assert_eq!(copy_row(nested), Some(7));
        assert_eq!(copy_row("SQL statement \"SELECT 1\""), None);
    }
}
