//! The pgvet binary: parse the command line, set up logging, run the subcommand, exit with its
//! status (0 pass, 1 a check failed, 2 bad invocation or suite, 3 cannot connect).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use pgvet::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                pgvet::exit::USAGE
            } else {
                pgvet::exit::PASS
            });
        }
    };
    init_logging(cli.verbose);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // Messages can quote file names and the server: no control character gets through.
            let message = format!("{error:#}");
            eprintln!("Error: {}", pgvet::report::terminal::printable(&message));
            ExitCode::from(pgvet::exit::code_for(&error))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        pgvet::signal::listen()?;
        let work = async {
            match &cli.command {
                Command::Check(args) => pgvet::command::check::check(args).await,
                Command::Health(args) => pgvet::command::health::health(args).await,
                Command::Init(args) => pgvet::command::init::init(args).await,
                Command::Demo(args) => pgvet::command::demo::demo(args).await,
                Command::Compare(args) => pgvet::command::compare::compare(args),
                Command::Fill(args) => pgvet::command::fill::fill(args),
                Command::Report(args) => pgvet::command::compare::report(args),
                Command::Completions(args) => pgvet::command::docs::completions(args),
                Command::Man(args) => pgvet::command::docs::man(args),
            }
        };
        // On Ctrl-C or SIGTERM a run cancels its statement, reports what it finished and ends
        // by itself. Work that cannot stop that way (initdb, a long setup file) is given a few
        // seconds, then dropped: a throwaway server is stopped and removed on drop.
        tokio::pin!(work);
        tokio::select! {
            result = &mut work => result,
            code = pgvet::signal::wait() => {
                // The work goes on meanwhile: a run cancels its own statement and must not wait
                // for this cancel request (which a black-holing network swallows) to end.
                let cancel = pgvet::signal::cancel_running(Duration::from_secs(2));
                let finish = tokio::time::timeout(Duration::from_secs(3), &mut work);
                tokio::pin!(finish);
                let finished = tokio::select! {
                    finished = &mut finish => finished,
                    () = cancel => finish.await,
                };
                match finished {
                    Ok(result) => result,
                    Err(_) => {
                        eprintln!("pgvet: interrupted; the running statement was cancelled and rolled back");
                        Ok(code)
                    }
                }
            }
        }
    })
}

/// Logs go to stderr: warnings by default (without timestamps), more with -v; RUST_LOG
/// overrides.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("pgvet={level},warn")));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .with_target(false);
    // A warning reads as a message; timestamps are for following a run with -v.
    match verbose {
        0 => logs.without_time().init(),
        _ => logs.init(),
    }
}
