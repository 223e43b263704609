//! `pgvet init`: a suite from a migration, or from a live database. From a migration it starts
//! a throwaway server, applies the `--setup` files and reads the catalog, applies the
//! `--migration` files (both exactly as `check --setup` applies setup files) and reads it
//! again; the difference ([`crate::init::diff`]) is written as a suite
//! ([`crate::init::write`]). With `--db` the database's objects as they are become the suite;
//! nothing is written to that database (pgvet's own READ ONLY statements only).
//!
//! The output file is never replaced without `--force`: it is checked before any work starts
//! and created only if it still does not exist when the suite is written.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::InitArgs;
use crate::command::check::{SetupFiles, finish_server, setup_client, start_server};
use crate::db::connect::{self, Connected};
use crate::db::conninfo::{ConnSettings, Env};
use crate::db::guard::Db;
use crate::db::setup::Target;
use crate::db::{session, snapshot};
use crate::ephemeral::Options;
use crate::exit::{self, UsageError};
use crate::init::write::{self, Origin, Source};
use crate::init::{Expectations, diff};
use crate::progress;
use crate::run::Progress;
use crate::suite::Settings;

pub async fn init(args: &InitArgs) -> anyhow::Result<u8> {
    args.validate()?;
    let output = SuiteOutput::open(args.output.as_deref(), args.force)?;
    let progress = progress::Stderr::new();
    let work = async {
        match &args.db {
            Some(db) => from_database(db, &args.schema, &progress).await,
            None => from_migration(args, &progress).await,
        }
    };
    let (expectations, source) = match work.await {
        Ok(Some(done)) => done,
        Ok(None) => return Ok(crate::signal::interrupted().unwrap_or(130)),
        Err(e) => match crate::signal::interrupted() {
            Some(code) => {
                let signal = crate::signal::interrupted_by(code);
                eprintln!("pgvet: {signal}; no suite was written");
                return Ok(code);
            }
            None => return Err(e),
        },
    };
    if expectations.is_empty() {
        eprintln!(
            "pgvet: warning: no index, table, column or constraint to expect; the suite checks nothing until you add a [[query]]"
        );
    }
    output.write(&write::render(&expectations, &source))?;
    if let SuiteOutput::File { path, .. } = &output {
        eprintln!(
            "pgvet: wrote {}: {}; review it, add the benchmark queries, then run pgvet check",
            crate::report::terminal::printable_line(&path.display().to_string()),
            tally(&expectations)
        );
    }
    Ok(exit::PASS)
}

/// "8 indexes, 2 tables, 1 foreign key"
fn tally(e: &Expectations) -> String {
    [
        crate::report::counted(e.indexes.len(), "index", "indexes"),
        crate::report::counted(e.tables.len(), "table", "tables"),
        crate::report::counted(e.foreign_keys.len(), "foreign key", "foreign keys"),
    ]
    .join(", ")
}

/// The migration's expectations, from a throwaway server (None: interrupted while connecting).
async fn from_migration(
    args: &InitArgs,
    progress: &dyn Progress,
) -> anyhow::Result<Option<(Expectations, Source)>> {
    let (binaries, psql) = setup_client(args.setup_with)?;
    // Read before the server starts: a bad file fails at once.
    let setup = SetupFiles::read(&args.setup, psql.clone())?;
    let migration = SetupFiles::read(&args.migration, psql)?;
    let server = start_server(
        progress,
        Options {
            binaries,
            ..Options::default()
        },
    )?;
    let target = Target {
        conninfo: server.conninfo(),
        database: server.database().to_string(),
    };
    let result = migration_expectations(&target, &setup, &migration, &args.schema, progress).await;
    finish_server(server, false);
    let names = |files: &[PathBuf]| files.iter().map(|f| f.display().to_string()).collect();
    let source = Source {
        origin: Origin::Migration {
            setup: names(&args.setup),
            migrations: names(&args.migration),
        },
        schemas: args.schema.clone(),
    };
    Ok(Some((result?, source)))
}

/// Applies `setup`, reads the catalog, applies `migration`, reads it again, and returns what
/// changed in `schemas` (all user schemas when empty) on the database `target` names.
pub async fn migration_expectations(
    target: &Target,
    setup: &SetupFiles,
    migration: &SetupFiles,
    schemas: &[String],
    progress: &dyn Progress,
) -> anyhow::Result<Expectations> {
    setup.apply_to(target, progress).await?;
    progress.step("reading the catalog before the migration");
    let before = read_snapshot(&connect_to(target).await?, schemas).await?;
    migration.apply_to(target, progress).await?;
    progress.step("reading the catalog after the migration");
    let after = read_snapshot(&connect_to(target).await?, schemas).await?;
    known_schemas(schemas, &after, "after the migration")?;
    Ok(diff::diff(&before, &after))
}

/// A live database's objects as expectations (None: interrupted while connecting).
async fn from_database(
    db: &str,
    schemas: &[String],
    progress: &dyn Progress,
) -> anyhow::Result<Option<(Expectations, Source)>> {
    let settings = ConnSettings::resolve(Some(db), &Env::from_process())?;
    progress.step(&format!("connecting to {}", settings.redacted()));
    let connecting = connect::connect_retrying(&settings, &connect::STARTUP_RETRIES);
    let connected = tokio::select! {
        connected = connecting => connected?,
        code = crate::signal::wait() => {
            let signal = crate::signal::interrupted_by(code);
            eprintln!("pgvet: {signal} while connecting; no suite was written");
            return Ok(None);
        }
    };
    let expectations = database_expectations(&connected, schemas, progress).await?;
    let source = Source {
        origin: Origin::Database {
            target: settings.redacted(),
        },
        schemas: schemas.to_vec(),
    };
    Ok(Some((expectations, source)))
}

/// Every index, table and constraint in `schemas` (all user schemas when empty) of the
/// database `connected` is on, read with pgvet's own READ ONLY statements.
pub async fn database_expectations(
    connected: &Connected,
    schemas: &[String],
    progress: &dyn Progress,
) -> anyhow::Result<Expectations> {
    progress.step("reading the catalog");
    let now = read_snapshot(connected, schemas).await?;
    known_schemas(schemas, &now, "")?;
    Ok(diff::diff(&snapshot::Snapshot::default(), &now))
}

async fn connect_to(target: &Target) -> anyhow::Result<Connected> {
    let settings = ConnSettings::resolve(Some(&target.conninfo), &Env::empty())?;
    Ok(connect::connect(&settings).await?)
}

/// The snapshot, with the default statement and lock timeouts bounding it, cancelled on Ctrl-C.
async fn read_snapshot(
    connected: &Connected,
    schemas: &[String],
) -> anyhow::Result<snapshot::Snapshot> {
    let defaults = Settings::default();
    let _cancel = crate::signal::cancel_on_interrupt(connected.canceller());
    let db = Db::new(connected, defaults.statement_timeout);
    let read = async {
        session::configure(&db, defaults.statement_timeout, defaults.lock_timeout).await?;
        snapshot::read(&db, schemas).await
    };
    read.await
        .map_err(|e| anyhow::anyhow!("reading the catalog: {e}"))
}

/// Every `--schema` must be a user schema of the database.
fn known_schemas(
    asked: &[String],
    snapshot: &snapshot::Snapshot,
    when: &str,
) -> Result<(), UsageError> {
    let Some(unknown) = asked.iter().find(|s| !snapshot.schemas.contains(s)) else {
        return Ok(());
    };
    let when = if when.is_empty() {
        String::new()
    } else {
        format!(" {when}")
    };
    Err(UsageError(format!(
        "--schema {}: the database has no user schema of that name{when} (it has: {}); names compare exactly, without case folding",
        crate::report::terminal::printable_line(unknown),
        crate::report::terminal::printable_line(&snapshot.schemas.join(", "))
    )))
}

/// Where the suite goes: stdout, or a file that is not replaced without `--force`.
enum SuiteOutput {
    Stdout,
    File { path: PathBuf, force: bool },
}

impl SuiteOutput {
    /// Refuses, before any work, a file that exists (without `force`) or is not a regular
    /// file, and a directory that cannot be written to.
    fn open(path: Option<&Path>, force: bool) -> Result<SuiteOutput, UsageError> {
        let Some(path) = path else {
            return Ok(SuiteOutput::Stdout);
        };
        let shown = crate::report::terminal::printable_line(&path.display().to_string());
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_file() {
                return Err(UsageError(format!(
                    "-o {shown}: not a regular file; pgvet init writes the suite to a regular file"
                )));
            }
            if !force {
                return Err(UsageError(format!(
                    "-o {shown}: the file exists, and pgvet init does not replace it; pass --force to overwrite it, or choose another -o FILE"
                )));
            }
        }
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        tempfile::NamedTempFile::new_in(parent)
            .map_err(|e| UsageError(format!("-o {shown}: {e}; choose a writable path")))?;
        Ok(SuiteOutput::File {
            path: path.to_path_buf(),
            force,
        })
    }

    fn write(&self, text: &str) -> anyhow::Result<()> {
        let (path, force) = match self {
            SuiteOutput::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())?;
                return Ok(out.flush()?);
            }
            SuiteOutput::File { path, force } => (path, *force),
        };
        let shown = crate::report::terminal::printable_line(&path.display().to_string());
        let mut options = std::fs::OpenOptions::new();
        match force {
            true => options.write(true).create(true).truncate(true),
            // Created only if it still does not exist: nothing made meanwhile is replaced.
            false => options.write(true).create_new(true),
        };
        let mut file = options.open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow::Error::new(UsageError(format!(
                "-o {shown}: the file was created while pgvet worked, and pgvet init does not replace it; pass --force to overwrite it"
            ))),
            _ => anyhow::anyhow!("writing {shown}: {e}"),
        })?;
        file.write_all(text.as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| anyhow::anyhow!("writing {shown}: {e}"))
    }
}
