//! Saved runs: the JSON report read back (`--baseline`, `pgvet compare`, `pgvet report`,
//! `pgvet fill`), with errors that say which file and what is wrong with it. A saved run is
//! input like any other: a regular file of at most 128 MiB, its `format_version` one this pgvet
//! reads, every field present with its type, and no value a run cannot produce (a negative
//! time, a time of more than 31 years). Anything else is refused, never half-rendered.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Report;
use super::model::FORMAT_VERSION;
use crate::input::{self, InputError};

/// No run lasts longer (31.7 years in milliseconds); a time above it was edited by hand.
const MAX_TIME_MS: f64 = 1e12;
/// The largest noise a comparison computes from such times: 3 × √(σ₁² + σ₂²), where each
/// robust standard deviation is at most 1.4826 × [`MAX_TIME_MS`]: 6.3 × 10¹² ms.
const MAX_NOISE_MS: f64 = 1e13;

#[derive(Debug, thiserror::Error)]
pub enum SavedRunError {
    /// The reader's message names the file and what is wrong; it is not repeated as a source.
    #[error("cannot read the saved run {0}")]
    Read(InputError),
    #[error("{}:{line}:{column}: not a pgvet JSON report: {message} (write one with `pgvet check --save FILE` or `--format json`)", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: report format_version {found} is newer than this pgvet reads ({FORMAT_VERSION}); upgrade pgvet", path.display())]
    Version { path: PathBuf, found: u64 },
    #[error("{}: not a report pgvet wrote: {message}; save the run again", path.display())]
    Implausible { path: PathBuf, message: String },
}

impl From<InputError> for SavedRunError {
    fn from(error: InputError) -> Self {
        SavedRunError::Read(error)
    }
}

/// Just the version, read before the rest: a newer report may have renamed any other field.
#[derive(Deserialize)]
struct Version {
    format_version: Option<serde_json::Value>,
}

/// Reads a JSON report written by `--save` or `--format json`.
pub fn load(path: &Path) -> Result<Report, SavedRunError> {
    parse(&input::read_bytes(path, &input::SAVED_RUN)?, path)
}

/// Reads a JSON report from the text of the file `path` names (errors name that file).
pub fn parse(bytes: &[u8], path: &Path) -> Result<Report, SavedRunError> {
    if let Ok(Version {
        format_version: Some(version),
    }) = serde_json::from_slice(bytes)
    {
        match version.as_u64() {
            Some(found) if found > u64::from(FORMAT_VERSION) => {
                let path = path.into();
                return Err(SavedRunError::Version { path, found });
            }
            Some(0) => {
                let message = "format_version 0 does not exist; pgvet writes 1".to_string();
                let path = path.into();
                return Err(SavedRunError::Implausible { path, message });
            }
            _ => {}
        }
    }
    let report: Report = serde_json::from_slice(bytes).map_err(|e| SavedRunError::Invalid {
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
    implausible(&report).map_err(|message| SavedRunError::Implausible {
        path: path.into(),
        message,
    })?;
    Ok(report)
}

/// The first value no run can produce: a time below 0 or above [`MAX_TIME_MS`], a negative
/// row count or planner cost, a number that is not finite.
fn implausible(report: &Report) -> Result<(), String> {
    for (i, q) in report.queries.iter().enumerate() {
        let at = |field: &str| format!("queries[{i}] (\"{}\") {field}", q.name);
        if let Some(t) = &q.timing {
            for (field, v) in [
                ("timing.median_ms", t.median_ms),
                ("timing.p95_ms", t.p95_ms),
                ("timing.mean_ms", t.mean_ms),
                ("timing.min_ms", t.min_ms),
                ("timing.max_ms", t.max_ms),
                ("timing.stddev_ms", t.stddev_ms),
            ] {
                time(v, || at(field))?;
            }
            for (j, &v) in t.samples_ms.iter().enumerate() {
                time(v, || at(&format!("timing.samples_ms[{j}]")))?;
            }
            for (j, &v) in t.reference_ms.iter().enumerate() {
                time(v, || at(&format!("timing.reference_ms[{j}]")))?;
            }
            if t.reference_ms.len() > t.samples_ms.len() {
                return Err(format!(
                    "{} has {} times for {} timed runs: at most one a run",
                    at("timing.reference_ms"),
                    t.reference_ms.len(),
                    t.samples_ms.len()
                ));
            }
        }
        for (field, v) in [
            ("explain_execution_ms", q.explain_execution_ms),
            ("baseline_ms", q.baseline_ms),
            ("target_ms", q.target_ms),
            (
                "baseline.median_ms",
                q.baseline.as_ref().and_then(|b| b.median_ms),
            ),
        ] {
            v.map_or(Ok(()), |v| time(v, || at(field)))?;
        }
        if let Some(v) = q.baseline.as_ref().and_then(|b| b.noise_ms) {
            within(v, MAX_NOISE_MS, || at("baseline.noise_ms"))?;
        }
        let change = q.baseline.as_ref().and_then(|b| b.change_pct);
        finite(change, || at("baseline.change_pct"))?;
        finite(q.target_improvement_pct, || at("target_improvement_pct"))?;
        for (j, a) in q.advice.iter().enumerate() {
            for (field, v) in [("cost_before", a.cost_before), ("cost_after", a.cost_after)] {
                match v {
                    Some(v) if !(v.is_finite() && v >= 0.0) => {
                        return Err(format!(
                            "{} is {}; a planner cost is at least 0",
                            at(&format!("advice[{j}].{field}")),
                            shown(v)
                        ));
                    }
                    _ => {}
                }
            }
        }
        for (j, s) in q.scans.iter().enumerate() {
            for (field, v) in [
                ("rows_estimated", s.rows_estimated),
                ("rows_actual", s.rows_actual),
                ("loops", s.loops),
                ("relation_rows", s.relation_rows),
            ] {
                let field = || at(&format!("scans[{j}].{field}"));
                match v {
                    Some(v) if !(v.is_finite() && v >= 0.0) => {
                        return Err(format!(
                            "{} is {}; a row count is at least 0",
                            field(),
                            shown(v)
                        ));
                    }
                    _ => {}
                }
            }
        }
    }
    for (i, m) in report.metrics.iter().enumerate() {
        let at = |field: &str| format!("metrics[{i}] (\"{}\") {field}", m.label);
        for (field, v) in [
            ("baseline_ms", m.baseline_ms),
            ("target_ms", m.target_ms),
            ("actual_ms", m.actual_ms),
        ] {
            v.map_or(Ok(()), |v| time(v, || at(field)))?;
        }
        for (field, v) in [
            ("baseline", m.baseline),
            ("target", m.target),
            ("actual", m.actual),
            ("measured_baseline", m.measured_baseline),
        ] {
            match (m.unit.as_str(), v) {
                ("ms", Some(v)) => time(v, || at(field))?,
                _ => finite(v, || at(field))?,
            }
        }
        finite(m.change_pct, || at("change_pct"))?;
    }
    Ok(())
}

fn time(v: f64, field: impl FnOnce() -> String) -> Result<(), String> {
    within(v, MAX_TIME_MS, field).map_err(|e| format!("{e} (31 years)"))
}

fn within(v: f64, max: f64, field: impl FnOnce() -> String) -> Result<(), String> {
    if v.is_finite() && (0.0..=max).contains(&v) {
        return Ok(());
    }
    Err(format!(
        "{} is {} ms; a time is at least 0 and at most {max:e} ms",
        field(),
        shown(v)
    ))
}

fn finite(v: Option<f64>, field: impl FnOnce() -> String) -> Result<(), String> {
    match v {
        Some(v) if !v.is_finite() => Err(format!("{} is {v}; expected a finite number", field())),
        _ => Ok(()),
    }
}

/// A number as written in JSON, short: `-5`, `0.1`, `1e308`.
fn shown(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests;
