//! Reading the files pgvet is given: the suite and its query files, `--setup` files, saved runs
//! (`--baseline`, `report`, `compare`, `fill`), the checklist to fill, the password file and
//! TLS files. One rule for all of them: a regular file, of bounded size.
//!
//! The file type is checked with `stat` before the file is opened. Opening a named pipe (FIFO)
//! for reading waits until something writes to it, and that wait would block the thread that
//! also handles Ctrl-C, so pgvet must never open one. A character device such as `/dev/zero`
//! never ends, and a directory is not text. The open itself is non-blocking, and the opened file
//! is checked again (`fstat`), so a file swapped for a pipe between the two steps is refused
//! too. The read stops one byte past the limit, whatever the size `stat` reported.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What kind of file is read, for the size limit and the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The files of this kind, plural, as messages name them.
    pub what: &'static str,
    pub max_bytes: u64,
}

const MIB: u64 = 1024 * 1024;

/// Hand-written TOML and SQL.
pub const SUITE: Kind = Kind {
    what: "suite and query files",
    max_bytes: 8 * MIB,
};
/// SQL applied to a throwaway server, a pg_dump with its data among them (each statement and
/// each COPY's data go to the server on their own).
pub const SETUP: Kind = Kind {
    what: "setup files",
    max_bytes: 1024 * MIB,
};
/// JSON reports (`--save`, `--format json`); 100,000 timed runs take about 3 MiB.
pub const SAVED_RUN: Kind = Kind {
    what: "saved runs",
    max_bytes: 128 * MIB,
};
/// The Markdown document `pgvet fill` fills (it fills a 10 MB one in well under a second).
pub const CHECKLIST: Kind = Kind {
    what: "checklists",
    max_bytes: 16 * MIB,
};
/// The password file, certificates and keys.
pub const CREDENTIALS: Kind = Kind {
    what: "password and certificate files",
    max_bytes: 8 * MIB,
};

/// A file pgvet could not read, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}{problem}", location(path, problem))]
pub struct InputError {
    pub path: PathBuf,
    pub problem: Problem,
}

/// Why a file could not be read; shown after its path.
#[derive(Debug)]
pub enum Problem {
    Io(io::Error),
    NotRegular {
        kind: &'static str,
        what: &'static str,
    },
    TooBig {
        /// The size `stat` reported, or None when the read went past the limit.
        size: Option<u64>,
        kind: Kind,
    },
    /// 1-based line and column (in characters) of the first byte that is not UTF-8.
    NotUtf8 {
        line: usize,
        column: usize,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Io(e) => write!(f, "{e}"),
            Problem::NotRegular { kind, what } => write!(
                f,
                "is {kind}, not a regular file; pgvet reads {what} only from regular files"
            ),
            Problem::TooBig { size, kind } => {
                let size = match size {
                    Some(size) => size.to_string(),
                    None => format!("more than {}", kind.max_bytes),
                };
                write!(
                    f,
                    "file is {size} bytes; pgvet reads {} of at most {} bytes ({} MiB)",
                    kind.what,
                    kind.max_bytes,
                    kind.max_bytes / MIB
                )
            }
            Problem::NotUtf8 { .. } => write!(f, "not valid UTF-8 text; save the file as UTF-8"),
        }
    }
}

/// "path: " or, for a position, "path:line:column: ".
fn location(path: &Path, problem: &Problem) -> String {
    match problem {
        Problem::NotUtf8 { line, column } => format!("{}:{line}:{column}: ", path.display()),
        _ => format!("{}: ", path.display()),
    }
}

impl From<InputError> for io::Error {
    fn from(e: InputError) -> io::Error {
        match e.problem {
            Problem::Io(error) => error,
            problem => io::Error::new(io::ErrorKind::InvalidInput, problem.to_string()),
        }
    }
}

/// The whole file, if it is a regular file within the limit of its kind.
pub fn read_bytes(path: &Path, kind: &Kind) -> Result<Vec<u8>, InputError> {
    let fail = |problem| InputError {
        path: path.to_path_buf(),
        problem,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(Problem::Io(e)))?;
    check_regular(&meta, kind).map_err(fail)?;
    let file = open_nonblocking(path).map_err(|e| fail(Problem::Io(e)))?;
    let meta = file.metadata().map_err(|e| fail(Problem::Io(e)))?;
    check_regular(&meta, kind).map_err(fail)?;
    if meta.len() > kind.max_bytes {
        return Err(fail(Problem::TooBig {
            size: Some(meta.len()),
            kind: *kind,
        }));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(kind.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(Problem::Io(e)))?;
    if bytes.len() as u64 > kind.max_bytes {
        return Err(fail(Problem::TooBig {
            size: None,
            kind: *kind,
        }));
    }
    Ok(bytes)
}

/// The whole file as UTF-8 text; the error says where the first byte that is not UTF-8 is.
pub fn read_text(path: &Path, kind: &Kind) -> Result<String, InputError> {
    let bytes = read_bytes(path, kind)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        InputError {
            path: path.to_path_buf(),
            problem: Problem::NotUtf8 { line, column },
        }
    })
}

/// A source file (TOML, SQL) as text, without the UTF-8 byte order mark some editors write
/// first: the server would take it for part of the first word.
pub fn read_source(path: &Path, kind: &Kind) -> Result<String, InputError> {
    let mut text = read_text(path, kind)?;
    if text.starts_with(BOM) {
        text.drain(..BOM.len_utf8());
    }
    Ok(text)
}

const BOM: char = '\u{feff}';

/// The first `len` bytes (fewer if the file is shorter) of a regular file.
pub fn read_head(path: &Path, len: u64) -> io::Result<Vec<u8>> {
    let file = open_nonblocking(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut head = Vec::new();
    file.take(len).read_to_end(&mut head)?;
    Ok(head)
}

fn check_regular(meta: &Metadata, kind: &Kind) -> Result<(), Problem> {
    let file_type = meta.file_type();
    let not = |kind_of_file| Problem::NotRegular {
        kind: kind_of_file,
        what: kind.what,
    };
    match () {
        _ if file_type.is_file() => Ok(()),
        _ if file_type.is_dir() => Err(not("a directory")),
        _ if file_type.is_fifo() => Err(not("a named pipe (FIFO)")),
        _ if file_type.is_char_device() => Err(not("a character device")),
        _ if file_type.is_block_device() => Err(not("a block device")),
        _ if file_type.is_socket() => Err(not("a socket")),
        _ => Err(not("a special file")),
    }
}

/// Opens for reading without waiting for a writer (a pipe) or taking a controlling terminal.
fn open_nonblocking(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: Kind = Kind {
        what: "test files",
        max_bytes: 8,
    };

    fn problem(path: &Path, kind: &Kind) -> String {
        read_bytes(path, kind).unwrap_err().to_string()
    }

    #[test]
    fn a_regular_file_within_the_limit_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sql");
        std::fs::write(&path, "SELECT 1").unwrap();
        assert_eq!(read_text(&path, &TINY).unwrap(), "SELECT 1");
        std::fs::write(&path, "SELECT 12").unwrap();
        assert_eq!(
            problem(&path, &TINY),
            format!(
                "{}: file is 9 bytes; pgvet reads test files of at most 8 bytes (0 MiB)",
                path.display()
            )
        );
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("q.sql");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let started = std::time::Instant::now();
        let e = problem(&fifo, &SUITE);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            e.ends_with(
                "q.sql: is a named pipe (FIFO), not a regular file; pgvet reads suite and query files only from regular files"
            ),
            "{e}"
        );
        // The non-blocking open is the second guard, for a file swapped in after the check.
        let opened = open_nonblocking(&fifo).unwrap();
        assert!(check_regular(&opened.metadata().unwrap(), &SUITE).is_err());
    }

    #[test]
    fn devices_and_directories_are_refused() {
        assert_eq!(
            problem(Path::new("/dev/zero"), &SAVED_RUN),
            "/dev/zero: is a character device, not a regular file; pgvet reads saved runs only from regular files"
        );
        let dir = tempfile::tempdir().unwrap();
        assert!(problem(dir.path(), &SETUP).contains(": is a directory, not a regular file"));
        assert!(
            problem(&dir.path().join("nope"), &SETUP).contains("No such file or directory"),
            "a missing file says so"
        );
    }

    #[test]
    fn text_that_is_not_utf8_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sql");
        std::fs::write(&path, b"SELECT 1\n  'n\xc3\xa9\xff'").unwrap();
        let e = read_text(&path, &SUITE).unwrap_err().to_string();
        assert!(
            e.ends_with("a.sql:2:6: not valid UTF-8 text; save the file as UTF-8"),
            "{e}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_dropped_only_at_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sql");
        std::fs::write(&path, "\u{feff}SELECT '\u{feff}'").unwrap();
        assert_eq!(read_source(&path, &SUITE).unwrap(), "SELECT '\u{feff}'");
        assert!(read_text(&path, &SUITE).unwrap().starts_with(BOM));
    }
}
