//! The results of the schema health rules (`crate::health`): each finding with its rule,
//! severity, object, message and fix, and what the run of the rules covered (schemas, rules,
//! notes on what a rule could not judge, an error when the catalog could not be read).

use serde::{Deserialize, Serialize};

use crate::health::{RuleId, Severity};

/// What one rule found wrong with one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: RuleId,
    /// `error` fails the run; `warning` is only reported.
    pub severity: Severity,
    /// The index, constraint, sequence or table, as `schema.name`.
    pub object: String,
    /// The table it is on (`schema.name`), when the object is not the table itself.
    pub table: Option<String>,
    /// What is wrong, in words.
    pub message: String,
    /// The statement that fixes it.
    pub fix: String,
}

/// What a rule could not judge, and why ("unused-index not judged: the statistics counters
/// count since …").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthNote {
    pub rule: RuleId,
    pub message: String,
}

/// What the health rules covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthRun {
    /// The schemas judged.
    pub schemas: Vec<String>,
    /// The rules run, and those the suite (or `--skip`) left out.
    pub rules: Vec<RuleId>,
    pub skipped: Vec<RuleId>,
    pub notes: Vec<HealthNote>,
    /// Since when the server's statistics counters count ("2026-03-01 09:30 UTC"), when read.
    pub counters_since: Option<String>,
    /// Why the rules could not be judged (a catalog statement failed, the run stopped): they
    /// then found nothing, and the run fails.
    pub error: Option<String>,
}

impl HealthRun {
    /// The rules that ran but could not be judged (all of them, when `error` is set).
    pub fn errored(&self) -> usize {
        if self.error.is_some() {
            self.rules.len()
        } else {
            0
        }
    }
}
