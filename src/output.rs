//! Where the report goes: stdout, or `--output FILE`. The file is checked before any work
//! starts (a bad path fails at once) and written only when the report is complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::exit::UsageError;

#[derive(Debug)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    /// Checks the destination can be written, without touching an existing file or leaving a
    /// new one behind if the run fails.
    pub fn open(path: Option<&Path>) -> Result<Destination, UsageError> {
        let Some(path) = path else {
            return Ok(Destination::Stdout);
        };
        let unwritable = |e: std::io::Error| {
            UsageError(format!(
                "--output {}: {e}; choose a writable path",
                path.display()
            ))
        };
        if path.exists() {
            std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(unwritable)?;
        } else {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
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
            Destination::File(path) => std::fs::write(path, text)
                .with_context(|| format!("writing the report to {}", path.display())),
        }
    }
}
