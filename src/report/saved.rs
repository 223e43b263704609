//! Saved runs: the JSON report read back (`--baseline`, `pgvet compare`), with errors that say
//! which file and what is wrong with it.

use std::path::{Path, PathBuf};

use super::Report;
use super::model::FORMAT_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum SavedRunError {
    #[error("cannot read the saved run {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{line}:{column}: not a pgvet JSON report: {message} (write one with `pgvet check --save FILE` or `--format json`)", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: report format_version {found} is newer than this pgvet reads ({FORMAT_VERSION}); upgrade pgvet", path.display())]
    Version { path: PathBuf, found: u32 },
}

/// Reads a JSON report written by `--save` or `--format json`.
pub fn load(path: &Path) -> Result<Report, SavedRunError> {
    let text = std::fs::read_to_string(path).map_err(|error| SavedRunError::Read {
        path: path.into(),
        error,
    })?;
    let report: Report = serde_json::from_str(&text).map_err(|e| SavedRunError::Invalid {
        path: path.into(),
        line: e.line(),
        column: e.column(),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string(),
    })?;
    if report.format_version > FORMAT_VERSION {
        return Err(SavedRunError::Version {
            path: path.into(),
            found: report.format_version,
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_a_report_names_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("before.json");
        std::fs::write(&path, "{\"format_version\": 1,\n \"status\": \"maybe\"}").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(
            err.contains("before.json:2:") && err.contains("not a pgvet JSON report"),
            "{err}"
        );
        assert!(
            load(&dir.path().join("missing.json"))
                .unwrap_err()
                .to_string()
                .starts_with("cannot read the saved run")
        );
    }
}
