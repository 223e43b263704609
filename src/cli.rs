//! The command line as clap sees it: raw flags only. The subcommands in [`crate::command`]
//! resolve them (suite file, connection, output); nothing here touches files or the network.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0  every check passed
  1  a check failed or a query errored
  2  bad invocation or suite file (the message names the file, line and column), or a
     passing run whose --save or --output file could not be written
  3  cannot connect, or the connection was lost (the message names host, port and user)
  130, 143  interrupted by Ctrl-C or SIGTERM (the running statement is cancelled)";

const HEALTH_EXIT_CODES: &str = "\
Exit codes:
  0  no finding of severity error (warnings are only reported)
  1  a finding of severity error, or the catalog could not be read
  2  bad invocation, suite file or --schema, or no PostgreSQL binaries for --ephemeral
  3  cannot connect, or the connection was lost
  130, 143  interrupted by Ctrl-C or SIGTERM

Rules (default severity): invalid-index, duplicate-index, sequence-near-overflow (error);
redundant-index, fk-without-index, fk-type-mismatch, not-valid-constraint,
table-without-primary-key, unused-index, btree-on-array-column, index-bloat, table-bloat
(warning)";

const DEMO_EXIT_CODES: &str = "\
Exit codes:
  0  the scenario came out as expected (time targets missed or not)
  1  it did not: an index or plan verdict is not the scenario's, or an error it does not
     expect (FastAPI: only the missing tables' before the migration)
  2  no throwaway server can be set up (the message says what to install)
  3  the connection to the throwaway server was lost
  130, 143  interrupted by Ctrl-C or SIGTERM";

const INIT_EXIT_CODES: &str = "\
Exit codes:
  0  the suite was written
  1  reading the catalog failed (the server's message says why)
  2  bad invocation, an output file that exists (without --force), a setup or migration file
     that fails (the message names the file and line), no PostgreSQL binaries for the server
  3  cannot connect (--db)
  130, 143  interrupted by Ctrl-C or SIGTERM";

#[derive(Debug, Parser)]
#[command(name = "pgvet", version, about = "Verify a PostgreSQL database against what a migration promised: \
expected indexes exist and are valid, tables, foreign keys and grants are as described, benchmark queries use the indexes, and they are as fast as the targets say.",
    after_help = EXIT_CODES)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a database against a suite file
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Judge a whole schema: invalid, duplicate, redundant and unused indexes, foreign keys
    /// without an index or of another type, NOT VALID constraints, tables without a primary
    /// key, sequences near their end, B-trees on arrays, bloat
    ///
    /// Reads the catalog only (READ ONLY, search_path pinned to pg_catalog), in one statement
    /// per kind of object. Each finding names its rule, the object, what is wrong and the
    /// statement that fixes it; a rule of severity error fails the run, a warning is only
    /// reported. A suite's [health] table configures the rules (schemas, skip, ignore,
    /// ignore_for, severity), and `pgvet check` runs them too when the suite has one.
    #[command(after_help = HEALTH_EXIT_CODES)]
    Health(HealthArgs),
    /// Write a suite from a migration: what it created, changed and dropped, as expectations
    ///
    /// Starts a throwaway server, applies the --setup files (the schema before the migration)
    /// and the --migration files as `check --setup` applies them, reads the catalog before and
    /// after the migration, and writes the indexes, tables, columns, check constraints and
    /// foreign keys it created or changed, and the indexes it dropped (absent = true), as a
    /// pgvet.toml to review and complete with benchmark queries. With --db instead, the live
    /// database's indexes, tables and constraints as they are (read only).
    #[command(after_help = INIT_EXIT_CODES)]
    Init(InitArgs),
    /// Show pgvet's main job on a throwaway server: a migration checked before and after
    ///
    /// A demonstration, not a gate. `pgvet demo` is the CodeTune checklist's migration (indexes
    /// on existing tables); `pgvet demo fastapi` is the FastAPI v1.6 checklist's (five new
    /// tables with their indexes). It exits 0 when the scenario comes out as it should: before
    /// the migration the expected indexes are missing, and the queries seq-scan training_metric
    /// (CodeTune) or fail on the tables that do not exist yet (FastAPI); after it the indexes
    /// pass and the queries read the tables through them. Time targets are measured and judged
    /// in its tables, but they depend on the machine, so a missed one is reported in the
    /// closing summary, with its cause. To gate a deployment use `pgvet check`: there a missed
    /// target fails the run.
    #[command(after_help = DEMO_EXIT_CODES)]
    Demo(DemoArgs),
    /// Compare two saved runs (from --save or --format json) without a database
    #[command(
        after_help = "Exit codes:\n  0  no regression\n  1  a query regressed (an index lost, or slower beyond the runs' noise)\n  2  bad invocation or report file"
    )]
    Compare(CompareArgs),
    /// Render a saved run (from --save or --format json) in any format, without a database
    #[command(
        after_help = "Exit codes:\n  0  the saved run passed\n  1  it failed\n  2  bad invocation or report file"
    )]
    Report(ReportArgs),
    /// Fill a checklist's Baseline / Target / Actual (or Before / After / Improvement) tables
    /// from a saved run; every other byte of the document stays as it is
    Fill(FillArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or PowerShell
    ///
    /// Install it where the shell looks: bash
    /// `pgvet completions bash > ~/.local/share/bash-completion/completions/pgvet`, zsh
    /// `pgvet completions zsh > ~/.zfunc/_pgvet` (with ~/.zfunc on fpath), fish
    /// `pgvet completions fish > ~/.config/fish/completions/pgvet.fish`.
    Completions(CompletionsArgs),
    /// Print pgvet's manual page (roff), or with --dir write one for each command
    ///
    /// `pgvet man | man -l -` reads it at once; `pgvet man --dir ~/.local/share/man/man1`
    /// installs pgvet(1) and pgvet-check(1), pgvet-compare(1), … for `man pgvet`.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete pgvet's commands and flags in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (e.g. check) [default: pgvet itself]
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Option<String>,
    /// Write every page (pgvet.1, pgvet-check.1, …) into DIR instead of printing one
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Suite file, or a directory holding pgvet.toml [default: ./pgvet.toml]
    pub suite: Option<PathBuf>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Also write the JSON report to FILE, whatever --format says
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,

    /// Compare with a saved run (a JSON report): plans and medians then and now, regressions
    #[arg(long, value_name = "BEFORE.json")]
    pub baseline: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// The database to check: one given by --db (or the environment), or a throwaway server.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Database: a URL (postgresql://user@host/db) or key=value conninfo; default DATABASE_URL,
    /// then the libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, …) and ~/.pgpass
    #[arg(long, value_name = "CONNINFO", conflicts_with = "ephemeral")]
    pub db: Option<String>,

    /// Run against a throwaway server started from the PostgreSQL binaries on this machine
    #[arg(long)]
    pub ephemeral: bool,

    /// With --ephemeral: SQL file to apply before checking, in order, each in a session of its
    /// own (repeatable; a pg_dump in plain format works)
    #[arg(long, value_name = "FILE")]
    pub setup: Vec<PathBuf>,

    /// With --setup: what applies the setup files: pgvet itself (SQL, COPY … FROM stdin and the
    /// psql meta-commands pg_dump writes), or psql (`psql -X -v ON_ERROR_STOP=1 -f FILE`, for
    /// files that use other meta-commands such as \i, \set or \gexec)
    #[arg(long, value_enum, value_name = "CLIENT", default_value = "pgvet")]
    pub setup_with: SetupWith,

    /// With --ephemeral: leave the server running and print its connection string
    #[arg(long)]
    pub keep: bool,

    /// With --ephemeral: also listen on a free loopback TCP port (default: a private Unix socket only)
    #[arg(long)]
    pub tcp: bool,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// A suite file (or a directory holding pgvet.toml) whose [health] table configures the
    /// rules, and whose [settings] timeouts apply [default: every rule, no exclusions]
    pub suite: Option<PathBuf>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Judge only this schema (repeatable) [default: [health] schemas, else every user schema]
    #[arg(long, value_name = "SCHEMA")]
    pub schema: Vec<String>,

    /// Do not run this rule (repeatable), besides those [health] skip lists
    #[arg(long, value_enum, value_name = "RULE")]
    pub skip: Vec<crate::health::RuleId>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// SQL file that makes the schema before the migration, applied first (repeatable, in
    /// order, each in a session of its own; a pg_dump in plain format works)
    #[arg(long, value_name = "FILE", conflicts_with = "db")]
    pub setup: Vec<PathBuf>,

    /// The migration as SQL, applied after the setup files (repeatable, in order, each in a
    /// session of its own): what it creates, changes and drops becomes the suite
    #[arg(long, value_name = "FILE", conflicts_with = "db")]
    pub migration: Vec<PathBuf>,

    /// What applies the setup and migration files: pgvet itself, or psql (as for `check`)
    #[arg(long, value_enum, value_name = "CLIENT", default_value = "pgvet")]
    pub setup_with: SetupWith,

    /// Instead of a migration: a database whose indexes, tables and constraints, as they are,
    /// become the suite (read only; a URL or key=value conninfo, completed from the PG*
    /// variables and ~/.pgpass)
    #[arg(long, value_name = "CONNINFO")]
    pub db: Option<String>,

    /// Only what is in this schema (repeatable) [default: every user schema]
    #[arg(long, value_name = "SCHEMA")]
    pub schema: Vec<String>,

    /// Write the suite to FILE [default: stdout]; an existing FILE is kept unless --force
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// With -o: replace FILE when it exists
    #[arg(long)]
    pub force: bool,
}

impl InitArgs {
    /// One source, and the flags that go with it.
    pub fn validate(&self) -> Result<(), crate::exit::UsageError> {
        let usage = |m: &str| Err(crate::exit::UsageError(m.to_string()));
        if self.db.is_none() && self.migration.is_empty() {
            return usage(
                "pgvet init needs a migration (--migration FILE, with --setup FILE for the schema before it) or a database (--db CONNINFO)",
            );
        }
        if self.db.is_some() && self.setup_with == SetupWith::Psql {
            return usage(
                "--setup-with applies --setup and --migration files; with --db there are none: drop it",
            );
        }
        if self.force && self.output.is_none() {
            return usage(
                "--force replaces the -o FILE; without -o the suite goes to stdout: add -o FILE or drop --force",
            );
        }
        if let Some(empty) = self.schema.iter().find(|s| s.is_empty()) {
            return usage(&format!("--schema {empty:?} is empty; name a schema"));
        }
        Ok(())
    }
}

/// What applies `--setup` files to the throwaway server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SetupWith {
    /// pgvet itself, as psql would: SQL, COPY … FROM stdin, \restrict, \unrestrict, \connect
    Pgvet,
    /// psql, one run per file (any meta-command)
    Psql,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The earlier run's JSON report
    pub before: PathBuf,
    /// The later run's JSON report
    pub after: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The saved run's JSON report
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct FillArgs {
    /// The Markdown checklist
    pub document: PathBuf,
    /// The run to take Actual values from (a JSON report from --save or --format json)
    #[arg(long, value_name = "AFTER.json")]
    pub results: PathBuf,
    /// The run before, for measured Baseline / Before values and the Improvement
    #[arg(long, value_name = "BEFORE.json")]
    pub baseline: Option<PathBuf>,
    /// Write the filled document to FILE [default: stdout]
    #[arg(short, long, value_name = "FILE", conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// Overwrite the document itself
    #[arg(long)]
    pub in_place: bool,
}

impl OutputArgs {
    pub fn format(&self) -> Format {
        self.format.unwrap_or(Format::Text)
    }

    /// GitHub annotations go along with the default output when running under GitHub Actions.
    pub fn annotate_for_github(&self) -> bool {
        self.format.is_none() && std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
    }
}

impl CheckArgs {
    pub fn validate(&self) -> Result<(), crate::exit::UsageError> {
        self.server.validate()
    }
}

impl HealthArgs {
    pub fn validate(&self) -> Result<(), crate::exit::UsageError> {
        if let Some(empty) = self.schema.iter().find(|s| s.is_empty()) {
            return Err(crate::exit::UsageError(format!(
                "--schema {empty:?} is empty; name a schema"
            )));
        }
        self.server.validate()
    }
}

impl ServerArgs {
    /// Flags that only mean something with `--ephemeral` are refused without it (clap's
    /// `requires` counts a flag's `false` default as given).
    pub fn validate(&self) -> Result<(), crate::exit::UsageError> {
        let given: Vec<&str> = [
            (!self.setup.is_empty(), "--setup"),
            (self.setup_with == SetupWith::Psql, "--setup-with"),
            (self.keep, "--keep"),
            (self.tcp, "--tcp"),
        ]
        .into_iter()
        .filter_map(|(on, flag)| on.then_some(flag))
        .collect();
        if self.ephemeral && self.setup_with == SetupWith::Psql && self.setup.is_empty() {
            return Err(crate::exit::UsageError(
                "--setup-with psql applies the --setup files, and none is given: add --setup FILE, or drop --setup-with".into(),
            ));
        }
        if self.ephemeral || given.is_empty() {
            return Ok(());
        }
        let (verb, them) = if given.len() == 1 {
            ("works", "it")
        } else {
            ("work", "them")
        };
        Err(crate::exit::UsageError(format!(
            "{} only {verb} with --ephemeral (a throwaway server); add --ephemeral, or drop {them} to check the database given by --db",
            given.join(", ")
        )))
    }
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format [default: text; under GitHub Actions (GITHUB_ACTIONS=true) text plus
    /// annotations for the failing checks]
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write the report to FILE instead of stdout (the one-line verdict goes to stderr)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The checklist scenario to run
    #[arg(value_enum, default_value_t = DemoScenario::Codetune)]
    pub scenario: DemoScenario,

    /// Leave the throwaway server running afterwards and print its connection string
    #[arg(long)]
    pub keep: bool,

    /// Also listen on a free loopback TCP port (default: a private Unix socket only)
    #[arg(long)]
    pub tcp: bool,
}

/// The scenarios `pgvet demo` runs, each a seed checklist's migration with its suite and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoScenario {
    /// CodeTune Studio: "Add performance indices to training tables" (queries/codetune)
    Codetune,
    /// FastAPI v1.6: the five ML analytics tables and their indexes (queries/fastapi)
    Fastapi,
}
