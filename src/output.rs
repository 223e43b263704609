//! Where the report goes: stdout, or `--output FILE`, and the JSON of `--save FILE`. The files
//! are checked before any work starts (a bad path fails at once) and written only when the
//! report is complete. A file that still cannot be written then (a full disk) is named on
//! stderr, the report is shown on stdout all the same, and the run's exit status says so (see
//! [`status_after_writing`]).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::OutputArgs;
use crate::exit::{self, UsageError};
use crate::report::{Format, Report, render};

#[derive(Debug)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    /// Checks the destination can be written, without touching an existing file or leaving a
    /// new one behind if the run fails.
    /// `flag` names the option in messages (`--output`, `--save`).
    pub fn open(path: Option<&Path>, flag: &str) -> Result<Destination, UsageError> {
        let Some(path) = path else {
            return Ok(Destination::Stdout);
        };
        let unwritable = |e: std::io::Error| {
            let reason = match e.raw_os_error() {
                Some(libc::ENXIO) => "it is a named pipe that nobody reads".to_string(),
                // The OS's words, without the name of the probe file made in the directory.
                Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
                // tempfile's error names its probe file: say the kind of error only.
                None => std::io::Error::from(e.kind()).to_string(),
            };
            UsageError(format!(
                "{flag} {}: {reason}; choose a writable path",
                path.display()
            ))
        };
        if path.exists() {
            // Non-blocking: a named pipe nobody reads fails at once (ENXIO) instead of waiting.
            std::fs::OpenOptions::new()
                .append(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
                .open(path)
                .map_err(unwritable)?;
        } else {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if !parent.is_dir() {
                let what = if parent.exists() {
                    "is not a directory"
                } else {
                    "does not exist"
                };
                return Err(UsageError(format!(
                    "{flag} {}: {} {what}; create the directory, or choose another path",
                    path.display(),
                    parent.display()
                )));
            }
            tempfile::NamedTempFile::new_in(parent).map_err(unwritable)?;
        }
        Ok(Destination::File(path.to_path_buf()))
    }

    /// Writes the report in the chosen format; under GitHub Actions with the default format,
    /// annotations follow on stdout (where the runner reads workflow commands).
    pub fn write_report(
        &self,
        report: &crate::report::Report,
        output: &crate::cli::OutputArgs,
    ) -> anyhow::Result<()> {
        self.write(&crate::report::render(report, output.format()))?;
        if output.annotate_for_github() {
            Destination::Stdout.write(&crate::report::github::render(report))?;
        }
        Ok(())
    }

    pub fn write(&self, text: &str) -> anyhow::Result<()> {
        match self {
            Destination::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())
                    .and_then(|_| out.flush())
                    .context("writing the report to stdout")
            }
            Destination::File(path) => {
                std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
            }
        }
    }
}

/// Writes the `--save` JSON, then the report to its destination. Whatever cannot be written is
/// named on stderr; a report meant for a file that fails goes to stdout instead, so it is never
/// lost. Returns whether everything was written.
pub fn deliver(
    report: &Report,
    output: &OutputArgs,
    destination: &Destination,
    save: Option<&Destination>,
) -> bool {
    let mut written = true;
    if let Some(Err(e)) = save.map(|save| save.write(&render(report, Format::Json))) {
        eprintln!("pgvet: the run was not saved (--save): {e:#}");
        written = false;
    }
    let delivered = destination.write_report(report, output);
    if let (Ok(()), Destination::File(path)) = (&delivered, destination) {
        // The terminal gets the verdict, since the report itself went to the file.
        eprintln!("{}", summary_to_stderr(report, path));
    }
    if let Err(e) = delivered {
        written = false;
        match destination {
            Destination::File(_) => {
                eprintln!(
                    "pgvet: the report was not written (--output): {e:#}; it follows on stdout"
                );
                if let Err(e) = Destination::Stdout.write_report(report, output) {
                    eprintln!("pgvet: {e:#}");
                }
            }
            Destination::Stdout => eprintln!("pgvet: {e:#}"),
        }
    }
    written
}

/// "pgvet: FAIL: 1 of 8 indexes failed (report in out.json)": the one line `-o FILE` leaves
/// on stderr.
pub fn summary_to_stderr(report: &Report, path: &Path) -> String {
    crate::report::terminal::printable_line(&format!(
        "pgvet: {} (report in {})",
        crate::report::terminal::summary_line(report),
        path.display()
    ))
}

/// The exit status once the results are written: the run's own, unless the run passed and a
/// file it was asked to write (`--save`, `--output`) could not be: then 2, because what a CI
/// pipeline goes on to use is missing. A failed run keeps its status (1, 3, 130, 143).
pub fn status_after_writing(run_status: u8, written: bool) -> u8 {
    if written || run_status != exit::PASS {
        run_status
    } else {
        exit::USAGE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_written_to_a_file_leaves_its_verdict_for_the_terminal() {
        let report = crate::report::samples::after();
        assert_eq!(
            summary_to_stderr(&report, Path::new("out/run\u{1b}.json")),
            "pgvet: PASS: 8 indexes and 4 queries checked, 2 metrics (report in out/run\\u{1b}.json)"
        );
    }

    #[test]
    fn an_unwritable_destination_is_named_without_a_probe_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nodir/r.json");
        let Err(UsageError(message)) = Destination::open(Some(&missing), "--save") else {
            panic!("a missing directory is refused");
        };
        assert_eq!(
            message,
            format!(
                "--save {}: {} does not exist; create the directory, or choose another path",
                missing.display(),
                dir.path().join("nodir").display()
            )
        );
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let Err(UsageError(message)) = Destination::open(Some(&file.join("r.json")), "-o") else {
            panic!("a file is not a directory");
        };
        assert!(
            message.ends_with(
                "/file is not a directory; create the directory, or choose another path"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_write_failure_turns_only_a_pass_into_2() {
        assert_eq!(status_after_writing(exit::PASS, true), exit::PASS);
        assert_eq!(status_after_writing(exit::PASS, false), exit::USAGE);
        for failed in [exit::FAIL, exit::CONNECT, 130, 143] {
            assert_eq!(status_after_writing(failed, false), failed);
        }
    }
}
