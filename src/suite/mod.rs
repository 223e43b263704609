//! The suite file: what a migration promised, as TOML. Parsing, defaults and validation live
//! here; every mistake is reported with the file, line and column and what to change, and an
//! unknown key is an error (a typo must never silently pass).

mod duration;
mod entry;
mod foreign_key;
mod health;
pub mod params;
mod privilege;
mod raw;
pub mod relation;
pub mod sql;
mod table;
mod unique;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::input::{self, InputError};

pub use duration::{parse_duration, parse_millis};
pub use foreign_key::ExpectedForeignKey;
pub use privilege::{ExpectedPrivilege, PrivilegeObject, SCHEMA_PRIVILEGES, TABLE_PRIVILEGES};
pub use relation::RelationPattern;
pub use table::ExpectedTable;

/// The file name looked for when the suite path is a directory (or not given at all).
pub const SUITE_FILE_NAME: &str = "pgvet.toml";
/// More timed runs than this is a typo, not a benchmark.
pub const MAX_RUNS: u32 = 100_000;

/// A validated suite, ready to run.
#[derive(Debug, Clone)]
pub struct Suite {
    pub path: PathBuf,
    pub settings: Settings,
    pub indexes: Vec<ExpectedIndex>,
    pub tables: Vec<ExpectedTable>,
    pub foreign_keys: Vec<ExpectedForeignKey>,
    pub privileges: Vec<ExpectedPrivilege>,
    /// The `[health]` table: the schema health rules run too, as it configures them.
    pub health: Option<crate::health::Config>,
    pub queries: Vec<Query>,
    pub metrics: Vec<Metric>,
}

/// A metric that is not a query's time: one scalar from its own SQL (connection usage, an index
/// hit rate, a table's size…), with a unit, a baseline, a target and which way is better.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub label: String,
    pub sql: String,
    pub unit: String,
    pub better: crate::report::model::Better,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// The checklist item this entry verifies (`checklist = "…"`), carried to its result.
    pub checklist: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub schema: String,
    pub min_rows: u64,
    pub runs: u32,
    pub warmup: u32,
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    /// "Slower" against a baseline takes at least this much growth of the median (percent)…
    pub slower_threshold_pct: f64,
    /// …and at least this many milliseconds.
    pub slower_floor_ms: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            schema: "public".into(),
            min_rows: 1000,
            runs: 5,
            warmup: 1,
            statement_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(5),
            slower_threshold_pct: crate::check::slower::DEFAULT_THRESHOLD_PCT,
            slower_floor_ms: crate::check::slower::DEFAULT_FLOOR_MS,
        }
    }
}

/// An index the migration should have created (or, with `absent`, dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedIndex {
    pub name: String,
    /// The table's name, unqualified: `table = "public.rental"` sets `schema` instead.
    pub table: String,
    pub schema: String,
    /// Key columns in order; an expression compares as PostgreSQL prints it.
    pub columns: Option<Vec<String>>,
    pub unique: bool,
    /// A partial index's WHERE predicate (`where`); compares as PostgreSQL prints it.
    pub predicate: Option<String>,
    /// The access method (`method`): btree, hash, gin, gist, brin, spgist, or an extension's.
    pub method: Option<String>,
    /// INCLUDE columns in order (`include`); `Some(empty)`: the index must have none.
    pub include: Option<Vec<String>>,
    pub absent: bool,
    /// The checklist item this entry verifies (`checklist = "…"`), carried to its result.
    pub checklist: Option<String>,
}

/// What a query's plan is expected to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// No sequential scan on a large relation, and an index usable on a small one.
    Index,
    /// Measure only.
    Any,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub name: String,
    pub sql: String,
    /// Where the SQL came from: the query file, or the suite file for inline SQL.
    pub source: PathBuf,
    pub expect: Expect,
    /// Relations that may be read whole: names, `schema.name`, globs (see [`relation`]); a
    /// partitioned or inheritance parent covers its partitions and children at any depth.
    pub allow_seq_scan: Vec<RelationPattern>,
    pub writes: bool,
    pub metric: Option<String>,
    pub baseline_ms: Option<f64>,
    pub target_ms: Option<f64>,
    /// At least this much faster (percent) than the measured baseline (`--baseline`).
    pub target_improvement: Option<f64>,
    /// The values bound to `$1…$n`, one per parameter (checked at load time); None runs the
    /// SQL as text.
    pub params: Option<Vec<params::Param>>,
    /// Where the suite gives the params (else the entry's name), `path:line`: for a value the
    /// server's types refuse at run time.
    pub params_at: String,
    /// The checklist item this entry verifies (`checklist = "…"`), carried to its result.
    pub checklist: Option<String>,
}

impl Query {
    /// The label this query carries in the metrics table.
    pub fn metric_label(&self) -> &str {
        self.metric.as_deref().unwrap_or(&self.name)
    }

    /// Whether the query gets a row in the metrics table.
    pub fn has_metric(&self) -> bool {
        self.metric.is_some()
            || self.baseline_ms.is_some()
            || self.target_ms.is_some()
            || self.target_improvement.is_some()
    }
}

/// A problem with the suite: where it is and what to change.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("{}: {message}", location(path, *line, *column))]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The suite file (or a query file's text) could not be read.
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{message}")]
    NotFound { message: String },
}

fn location(path: &Path, line: usize, column: usize) -> String {
    if line == 0 {
        path.display().to_string()
    } else {
        format!("{}:{line}:{column}", path.display())
    }
}

impl SuiteError {
    pub(crate) fn at(
        path: &Path,
        text: &str,
        offset: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = offset.map_or((0, 0), |o| line_column(text, o));
        SuiteError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let offset = (0..=offset)
        .rev()
        .find(|&o| text.is_char_boundary(o))
        .unwrap_or(0);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The suite modules' test helpers: a suite from text, and its error as the user reads it.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    pub fn parse(text: &str) -> Result<super::Suite, super::SuiteError> {
        super::parse_str(Path::new("suite/pgvet.toml"), text)
    }

    pub fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }
}

/// Where the suite file is: PATH itself, `PATH/pgvet.toml` for a directory, or `./pgvet.toml`.
pub fn locate(path: Option<&Path>) -> Result<PathBuf, SuiteError> {
    let given = path.unwrap_or(Path::new("."));
    let file = if given.is_dir() {
        given.join(SUITE_FILE_NAME)
    } else {
        given.to_path_buf()
    };
    // Anything that exists is passed on: reading it says why a pipe or a device is refused.
    if file.exists() {
        return Ok(file);
    }
    let message = match path {
        None => format!(
            "no suite file: ./{SUITE_FILE_NAME} does not exist; pass a suite file or a directory holding {SUITE_FILE_NAME} (e.g. `pgvet check queries/codetune`)"
        ),
        Some(_) if given.is_dir() => {
            format!(
                "{} holds no {SUITE_FILE_NAME}; pass the suite file itself or create one",
                given.display()
            )
        }
        Some(_) => format!("suite file {} does not exist", given.display()),
    };
    Err(SuiteError::NotFound { message })
}

/// Reads and validates the suite at `path` (a file, or a directory holding `pgvet.toml`).
pub fn load(path: Option<&Path>) -> Result<Suite, SuiteError> {
    let file = locate(path)?;
    let text = read_text(&file)?;
    raw::parse(&file, &text)
}

/// Parses and validates suite text as if read from `path` (query files are looked up next
/// to it). For tests and fuzzing; `load` is the entry point for a suite on disk.
pub fn parse_str(path: &Path, text: &str) -> Result<Suite, SuiteError> {
    raw::parse(path, text)
}

/// Reads a suite or query file: a regular file of at most 8 MiB of UTF-8 (a byte order mark
/// at the start is dropped).
pub(crate) fn read_text(path: &Path) -> Result<String, InputError> {
    input::read_source(path, &input::SUITE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_from_one() {
        let text = "a = 1\nné = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3));
    }

    #[test]
    fn locate_explains_a_missing_suite() {
        let dir = tempfile::tempdir().unwrap();
        let err = locate(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("holds no pgvet.toml"), "{err}");
        let err = locate(Some(&dir.path().join("nope.toml")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn binary_and_oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("bin.toml");
        std::fs::write(
            &binary,
            (0..=255u8).cycle().take(25_600).collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(
            load(Some(&binary))
                .unwrap_err()
                .to_string()
                .contains("not valid UTF-8")
        );
        let huge = dir.path().join("huge.toml");
        std::fs::write(&huge, "# x\n".repeat(3_000_000)).unwrap();
        let e = load(Some(&huge)).unwrap_err().to_string();
        assert!(
            e.contains("pgvet reads suite and query files of at most"),
            "{e}"
        );
    }

    #[test]
    fn an_endless_device_is_refused_before_it_is_read() {
        // /dev/zero reports a size of 0 and never ends: reading it whole ran out of memory.
        let e = load(Some(Path::new("/dev/zero"))).unwrap_err().to_string();
        assert_eq!(
            e,
            "/dev/zero: is a character device, not a regular file; pgvet reads suite and query files only from regular files"
        );
        let suite = "[[query]]\nname = \"q\"\nfile = \"/dev/zero\"\n";
        let e = parse_str(Path::new("suite/pgvet.toml"), suite)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "suite/pgvet.toml:3:8: query file /dev/zero: is a character device, not a regular file; pgvet reads suite and query files only from regular files"
        );
    }

    #[test]
    fn a_byte_order_mark_starts_the_suite_and_query_files_harmlessly() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgvet.toml");
        std::fs::write(dir.path().join("q.sql"), "\u{feff}SELECT 1;\n").unwrap();
        std::fs::write(
            &file,
            "\u{feff}[settings]\nruns = = 2\n[[query]]\nname = \"q\"\nfile = \"q.sql\"\n",
        )
        .unwrap();
        // The mark is not a column: the typo on line 2 is still at column 8.
        let e = load(Some(&file)).unwrap_err().to_string();
        assert!(e.contains("pgvet.toml:2:8:"), "{e}");
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace("= = 2", "= 2");
        std::fs::write(&file, text).unwrap();
        let suite = load(Some(&file)).unwrap();
        assert_eq!(suite.queries[0].sql, "SELECT 1");
    }

    #[test]
    fn a_file_that_is_not_utf8_names_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgvet.toml");
        std::fs::write(&file, b"[settings]\nschema = \"\xff\"\n").unwrap();
        let err = load(Some(&file)).unwrap_err().to_string();
        assert!(
            err.ends_with("pgvet.toml:2:11: not valid UTF-8 text; save the file as UTF-8"),
            "{err}"
        );
    }
}
