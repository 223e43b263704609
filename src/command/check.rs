//! `pgvet check`: load the suite, connect (or start a throwaway server and apply the setup
//! files), run every check, write the report, exit 0 or 1.

use crate::check::baseline;
use std::path::PathBuf;

use crate::cli::{CheckArgs, ServerArgs, SetupWith};
use crate::db::connect::{self, Connected};
use crate::db::conninfo::{ConnSettings, Env};
use crate::db::setup::{self, SetupError, SetupFile, Target};
use crate::ephemeral::{self, Options, TempServer, find_binaries, find_psql};
use crate::exit;
use crate::output::{self, Destination};
use crate::progress;
use crate::report::model::{AbortReason, Status};
use crate::report::{Report, saved};
use crate::run::{self, Progress, RunContext};
use crate::suite::{self, Suite};

pub async fn check(args: &CheckArgs) -> anyhow::Result<u8> {
    args.validate()?;
    let suite = suite::load(args.suite.as_deref())?;
    let destination = Destination::open(args.output.output.as_deref(), "--output")?;
    let save = args
        .save
        .as_deref()
        .map(|p| Destination::open(Some(p), "--save"))
        .transpose()?;
    let before = args.baseline.as_deref().map(saved::load).transpose()?;
    let progress = progress::Stderr::new();
    let run = async |connected: &Connected, context: RunContext| {
        run_on(connected, &suite, context, &progress).await
    };
    let mut report = match on_server(&args.server, &progress, run).await? {
        Ok(report) => report,
        Err(code) => return Ok(code),
    };
    if let (Some(before), Some(path)) = (&before, &args.baseline) {
        baseline::apply(&mut report, before, &path.display().to_string());
    }
    let written = output::deliver(&report, &args.output, &destination, save.as_ref());
    Ok(output::status_after_writing(status_code(&report), written))
}

/// Connects as `server` says (the database of --db or the environment, or a throwaway server
/// with its setup files applied) and runs `work` on the connection. `Err(status)` when a
/// signal came while connecting or setting up: nothing was checked, and stderr says so.
pub async fn on_server<T>(
    server: &ServerArgs,
    progress: &dyn Progress,
    work: impl AsyncFnOnce(&Connected, RunContext) -> T,
) -> anyhow::Result<Result<T, u8>> {
    if server.ephemeral {
        return match on_ephemeral(server, progress, work).await {
            Ok(report) => Ok(Ok(report)),
            // A signal cancels a setup file's statement, which then fails: say what happened.
            Err(e) => match crate::signal::interrupted() {
                Some(code) => {
                    let signal = crate::signal::interrupted_by(code);
                    eprintln!(
                        "pgvet: {signal} while setting up the throwaway server; nothing was checked"
                    );
                    Ok(Err(code))
                }
                None => Err(e),
            },
        };
    }
    let explicit = server
        .db
        .clone()
        .or_else(|| std::env::var("DATABASE_URL").ok().filter(|s| !s.is_empty()));
    let settings = ConnSettings::resolve(explicit.as_deref(), &Env::from_process())?;
    progress.step(&format!("connecting to {}", settings.redacted()));
    let connecting = connect::connect_retrying(&settings, &connect::STARTUP_RETRIES);
    // Nothing is checked yet, so a signal here ends pgvet at once (connect_timeout and
    // the retries could otherwise hold it for many seconds).
    let connected = tokio::select! {
        connected = connecting => connected?,
        code = crate::signal::wait() => {
            let signal = crate::signal::interrupted_by(code);
            eprintln!("pgvet: {signal} while connecting; nothing was checked");
            return Ok(Err(code));
        }
    };
    warn_about_session(&connected);
    let context = RunContext::of(&connected);
    Ok(Ok(work(&connected, context).await))
}

/// The exit status a finished report ends the run with: 0 or 1, or for a run that stopped early
/// 130/143 (a signal) or 3 (the connection was lost), saying so on stderr.
pub fn status_code(report: &Report) -> u8 {
    if let Some(aborted) = &report.aborted {
        eprintln!(
            "pgvet: {}; the report above shows what was finished",
            crate::report::terminal::printable_line(&aborted.message)
        );
        return match aborted.reason {
            AbortReason::Interrupted => crate::signal::interrupted().unwrap_or(130),
            AbortReason::ConnectionLost => exit::CONNECT,
            AbortReason::Failed => exit::FAIL,
        };
    }
    if report.status == Status::Pass {
        exit::PASS
    } else {
        exit::FAIL
    }
}

/// Runs the suite on an open connection; Ctrl-C cancels the running statement.
pub async fn run_on(
    connected: &Connected,
    suite: &Suite,
    context: RunContext,
    progress: &dyn Progress,
) -> Report {
    let _cancel = crate::signal::cancel_on_interrupt(connected.canceller());
    run::run(connected, suite, context, progress).await
}

/// What the user should know about the role and session pgvet runs in (on a server of the
/// user's own, not a throwaway one): said once, on stderr.
fn warn_about_session(connected: &Connected) {
    if connected.superuser {
        eprintln!(
            "pgvet: warning: connected as superuser \"{}\"; pgvet needs far less: a role with pg_read_all_data and pg_monitor (PostgreSQL 14+), or SELECT on the suite's tables, is safer",
            connected.user
        );
    }
    if !connected.before_catalog.is_empty() {
        eprintln!(
            "pgvet: warning: the session's search_path puts {} before pg_catalog: functions and operators there take the place of built-in ones in the suite's own SQL (pgvet's own statements use pg_catalog only)",
            connected.before_catalog.join(", ")
        );
    }
}

/// Connects to a throwaway server: its own conninfo only, no PG* variables of the user's.
pub async fn connect_to_server(server: &TempServer) -> anyhow::Result<Connected> {
    let settings = ConnSettings::resolve(Some(&server.conninfo()), &Env::empty())?;
    Ok(connect::connect(&settings).await?)
}

/// Starts the throwaway server, with a progress line.
pub fn start_server(progress: &dyn Progress, options: Options) -> anyhow::Result<TempServer> {
    progress.step("starting a throwaway PostgreSQL server");
    let server = TempServer::start(options)?;
    progress.step(&format!(
        "PostgreSQL {} running in {}",
        server.version(),
        server.temp_dir().display()
    ));
    Ok(server)
}

/// Stops the server, or with `keep` leaves it running and tells how to connect.
pub fn finish_server(server: TempServer, keep: bool) {
    if !keep {
        // The run's verdict stands whatever happens here; the reaper removes what is left.
        if let Err(e) = server.stop() {
            tracing::warn!("stopping the throwaway server: {e}");
        }
        return;
    }
    let (pid, dir) = (server.pid(), server.temp_dir().display().to_string());
    let conninfo = server.keep();
    eprintln!("pgvet: the throwaway server keeps running; connect with: psql \"{conninfo}\"");
    // A bounded wait: where nothing reaps orphans, a stopped server lingers as a zombie.
    eprintln!(
        "pgvet: stop it with: kill -INT {pid}; for i in $(seq 50); do kill -0 {pid} 2>/dev/null || break; sleep 0.1; done; rm -rf {dir}"
    );
}

async fn on_ephemeral<T>(
    args: &ServerArgs,
    progress: &dyn Progress,
    work: impl AsyncFnOnce(&Connected, RunContext) -> T,
) -> anyhow::Result<T> {
    let (binaries, psql) = setup_client(args.setup_with)?;
    // Read before the server starts: a bad setup file fails at once.
    let files = SetupFiles::read(&args.setup, psql)?;
    let server = start_server(
        progress,
        Options {
            tcp: args.tcp,
            binaries,
            ..Options::default()
        },
    )?;
    let result = async {
        let analyzed = files.apply(&server, progress).await?;
        offer_hypopg(&server_target(&server)).await;
        // The checks' own session, opened after the last file: nothing a file set reaches it.
        let connected = connect_to_server(&server).await?;
        let context = RunContext {
            analyzed_by_pgvet: analyzed,
            ..RunContext::of(&connected)
        };
        anyhow::Ok(work(&connected, context).await)
    }
    .await;
    finish_server(server, args.keep);
    result
}

/// The throwaway server's database, as setup files reach it.
pub fn server_target(server: &TempServer) -> Target {
    Target {
        conninfo: server.conninfo(),
        database: server.database().to_string(),
    }
}

/// HypoPG on the throwaway server, for the index advice to prove its candidates (see
/// `setup::create_hypopg`); without it the advice is given unproven.
pub async fn offer_hypopg(target: &Target) {
    match setup::create_hypopg(target).await {
        Ok(true) => tracing::info!("HypoPG is in the throwaway server's database"),
        Ok(false) => tracing::info!("the server binaries have no HypoPG: index advice is unproven"),
        Err(e) => eprintln!("pgvet: warning: {e:#}; index advice is unproven"),
    }
}

/// With `--setup-with psql`, the binaries and the psql to apply setup files with, found before
/// anything starts; else nothing.
pub fn setup_client(
    setup_with: SetupWith,
) -> anyhow::Result<(Option<ephemeral::PgBinaries>, Option<PathBuf>)> {
    Ok(match setup_with {
        SetupWith::Psql => {
            let binaries = find_binaries()?;
            let (psql, searched) = find_psql(Some(&binaries.bin_dir), None);
            let psql = psql.ok_or(SetupError::NoPsql { searched })?;
            (Some(binaries), Some(psql))
        }
        SetupWith::Pgvet => (None, None),
    })
}

/// Setup files (`--setup`, and `init --migration`), read and ready to apply: split by pgvet, or
/// handed to psql.
pub enum SetupFiles {
    Pgvet(Vec<SetupFile>),
    Psql { psql: PathBuf, files: Vec<PathBuf> },
}

impl SetupFiles {
    /// Reads (and with pgvet, splits) every file: one that is missing, not UTF-8 or holds what
    /// pgvet refuses fails here, before a server starts. `psql`: hand them to psql instead.
    pub fn read(paths: &[PathBuf], psql: Option<PathBuf>) -> Result<SetupFiles, SetupError> {
        if let Some(psql) = psql {
            for path in paths {
                setup::read_file(path)?;
            }
            return Ok(SetupFiles::Psql {
                psql,
                files: paths.to_vec(),
            });
        }
        let files = paths
            .iter()
            .map(|path| SetupFile::read(path, ephemeral::DATABASE))
            .collect::<Result<_, _>>()
            .map_err(|e| match e {
                SetupError::Refused { .. } => {
                    let bin_dir = find_binaries().ok().map(|b| b.bin_dir);
                    e.with_psql(find_psql(bin_dir.as_deref(), None).0)
                }
                other => other,
            })?;
        Ok(SetupFiles::Pgvet(files))
    }

    fn is_empty(&self) -> bool {
        match self {
            SetupFiles::Pgvet(files) => files.is_empty(),
            SetupFiles::Psql { files, .. } => files.is_empty(),
        }
    }

    /// Applies every file in order, each in a session (or psql run) of its own, then analyzes
    /// what they left without planner statistics; returns the tables pgvet analyzed.
    async fn apply(
        &self,
        server: &TempServer,
        progress: &dyn Progress,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let target = server_target(server);
        self.apply_to(&target, progress).await?;
        if self.is_empty() {
            return Ok(Vec::new());
        }
        progress.step("analyzing the tables the setup files left without statistics");
        let analyzed = setup::analyze_unanalyzed(&target).await?;
        tracing::info!("analyzed {} tables after the setup files", analyzed.len());
        Ok(analyzed)
    }

    /// Applies every file in order, each in a session (or psql run) of its own; the first error
    /// stops them, naming the file and line.
    pub async fn apply_to(&self, target: &Target, progress: &dyn Progress) -> anyhow::Result<()> {
        match self {
            SetupFiles::Pgvet(files) => {
                for file in files {
                    progress.step(&format!("applying {}", file.path.display()));
                    setup::apply(target, file).await?;
                }
            }
            SetupFiles::Psql { psql, files } => {
                for path in files {
                    progress.step(&format!("applying {} with psql", path.display()));
                    setup::psql::apply(psql, target, path).await?;
                }
            }
        }
        Ok(())
    }
}
