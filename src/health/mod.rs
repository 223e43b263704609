//! Schema health: rules that judge a whole schema, not what a suite expects of it. Each rule is
//! a file of its own (`invalid_index.rs`, `fk_without_index.rs`, …): a pure function from the
//! catalog facts `db::health` gathers to findings, each saying what is wrong and the statement
//! that fixes it. This module is the registry: the rule ids (kebab-case, the same in the CLI,
//! the suite's `[health]` table, the JSON report and the README), their default severities,
//! and [`judge`], which runs the rules a configuration asks for and applies its exclusions.

mod bloat;
pub mod btree_on_array_column;
pub mod duplicate_index;
#[cfg(test)]
mod fixtures;
pub mod fk_type_mismatch;
pub mod fk_without_index;
pub mod index_bloat;
pub mod invalid_index;
pub mod not_valid_constraint;
pub mod redundant_index;
pub mod sequence_near_overflow;
pub mod table_bloat;
pub mod table_without_primary_key;
pub mod unused_index;
mod words;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::db::health::Facts;
use crate::report::model::{Finding, HealthNote};
use crate::suite::RelationPattern;

/// A health rule, by the id the CLI, the suite, the JSON report and the README use.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    InvalidIndex,
    DuplicateIndex,
    RedundantIndex,
    FkWithoutIndex,
    FkTypeMismatch,
    NotValidConstraint,
    TableWithoutPrimaryKey,
    SequenceNearOverflow,
    UnusedIndex,
    BtreeOnArrayColumn,
    IndexBloat,
    TableBloat,
}

/// Whether a finding fails the run (`error`) or is only reported (`warning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl RuleId {
    /// Every rule, in the order the report lists them.
    pub const ALL: [RuleId; 12] = [
        RuleId::InvalidIndex,
        RuleId::DuplicateIndex,
        RuleId::RedundantIndex,
        RuleId::FkWithoutIndex,
        RuleId::FkTypeMismatch,
        RuleId::NotValidConstraint,
        RuleId::TableWithoutPrimaryKey,
        RuleId::SequenceNearOverflow,
        RuleId::UnusedIndex,
        RuleId::BtreeOnArrayColumn,
        RuleId::IndexBloat,
        RuleId::TableBloat,
    ];

    /// The kebab-case id: "fk-without-index".
    pub fn id(self) -> &'static str {
        match self {
            RuleId::InvalidIndex => "invalid-index",
            RuleId::DuplicateIndex => "duplicate-index",
            RuleId::RedundantIndex => "redundant-index",
            RuleId::FkWithoutIndex => "fk-without-index",
            RuleId::FkTypeMismatch => "fk-type-mismatch",
            RuleId::NotValidConstraint => "not-valid-constraint",
            RuleId::TableWithoutPrimaryKey => "table-without-primary-key",
            RuleId::SequenceNearOverflow => "sequence-near-overflow",
            RuleId::UnusedIndex => "unused-index",
            RuleId::BtreeOnArrayColumn => "btree-on-array-column",
            RuleId::IndexBloat => "index-bloat",
            RuleId::TableBloat => "table-bloat",
        }
    }

    /// The rule of that id, if there is one.
    pub fn from_id(id: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|r| r.id() == id)
    }

    /// What fails a CI gate by default: only what is wrong whatever the schema's intent (an
    /// index the planner ignores, an index twice, a sequence about to run out). The rest is a
    /// judgement the schema's owner makes, so it is reported as a warning; the suite may raise
    /// it (`[health] severity = { … = "error" }`).
    pub fn default_severity(self) -> Severity {
        match self {
            RuleId::InvalidIndex | RuleId::DuplicateIndex | RuleId::SequenceNearOverflow => {
                Severity::Error
            }
            _ => Severity::Warning,
        }
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What to run and how to judge it: the suite's `[health]` table, with `pgvet health`'s flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The schemas to judge; empty for every user schema.
    pub schemas: Vec<String>,
    /// Rules not to run.
    pub skip: Vec<RuleId>,
    /// Objects left out by every rule: a finding whose object or table matches is dropped.
    pub ignore: Vec<RelationPattern>,
    /// Objects left out by one rule.
    pub ignore_for: BTreeMap<RuleId, Vec<RelationPattern>>,
    /// Severities other than the rule's default.
    pub severity: BTreeMap<RuleId, Severity>,
    /// Indexes the suite expects (`[[index]]`): new by design, so never judged unused.
    pub expected_indexes: Vec<(String, String)>,
}

impl Config {
    /// The rules that run, in report order.
    pub fn rules(&self) -> Vec<RuleId> {
        RuleId::ALL
            .into_iter()
            .filter(|r| !self.skip.contains(r))
            .collect()
    }

    pub fn severity_of(&self, rule: RuleId) -> Severity {
        self.severity
            .get(&rule)
            .copied()
            .unwrap_or(rule.default_severity())
    }

    /// Whether the suite leaves this finding out (its object or its table matches a pattern).
    fn ignores(&self, finding: &Finding) -> bool {
        let patterns = self
            .ignore
            .iter()
            .chain(self.ignore_for.get(&finding.rule).into_iter().flatten());
        let names: Vec<&str> = std::iter::once(finding.object.as_str())
            .chain(finding.table.as_deref())
            .collect();
        patterns.into_iter().any(|p| {
            names.iter().any(|name| {
                let (schema, relation) = split(name);
                p.matches(Some(schema), relation)
            })
        })
    }
}

/// "public.t" → ("public", "t"): the schema is the part before the first dot, as pgvet writes
/// objects (schema names with a dot are rare enough to be split wrongly).
fn split(qualified: &str) -> (&str, &str) {
    qualified.split_once('.').unwrap_or(("", qualified))
}

/// What the rules found, and what they could not judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub notes: Vec<HealthNote>,
}

/// A finding of `rule` with its default severity (the configuration applies its own later).
pub(crate) fn finding(
    rule: RuleId,
    object: String,
    table: Option<String>,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        rule,
        severity: rule.default_severity(),
        object,
        table,
        message,
        fix,
    }
}

/// Runs every rule of `config` on the facts, `now` being the server's clock (seconds since the
/// epoch). Findings come in rule order, then by object; the suite's exclusions and severities
/// are applied.
pub fn judge(facts: &Facts, config: &Config, now: f64) -> Outcome {
    let mut outcome = Outcome::default();
    for rule in config.rules() {
        let (mut findings, notes) = match rule {
            RuleId::InvalidIndex => (invalid_index::judge(&facts.indexes), vec![]),
            RuleId::DuplicateIndex => (
                duplicate_index::judge(&facts.indexes, &config.expected_indexes),
                vec![],
            ),
            RuleId::RedundantIndex => (
                redundant_index::judge(&facts.indexes, &config.expected_indexes),
                vec![],
            ),
            RuleId::FkWithoutIndex => (
                fk_without_index::judge(&facts.foreign_keys, &facts.indexes),
                vec![],
            ),
            RuleId::FkTypeMismatch => (fk_type_mismatch::judge(&facts.foreign_keys), vec![]),
            RuleId::NotValidConstraint => (not_valid_constraint::judge(&facts.not_valid), vec![]),
            RuleId::TableWithoutPrimaryKey => {
                (table_without_primary_key::judge(&facts.tables), vec![])
            }
            RuleId::SequenceNearOverflow => sequence_near_overflow::judge(&facts.sequences),
            RuleId::UnusedIndex => unused_index::judge(facts, &config.expected_indexes, now),
            RuleId::BtreeOnArrayColumn => (btree_on_array_column::judge(&facts.indexes), vec![]),
            RuleId::IndexBloat => index_bloat::judge(facts),
            RuleId::TableBloat => table_bloat::judge(facts),
        };
        findings.retain(|f| !config.ignores(f));
        for f in &mut findings {
            f.severity = config.severity_of(rule);
        }
        findings.sort_by(|a, b| (&a.table, &a.object).cmp(&(&b.table, &b.object)));
        outcome.findings.extend(findings);
        outcome.notes.extend(
            notes
                .into_iter()
                .map(|message| HealthNote { rule, message }),
        );
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kebab_case_alike_everywhere() {
        for rule in RuleId::ALL {
            let json = serde_json::to_value(rule).unwrap();
            assert_eq!(json, rule.id());
            let clap = clap::ValueEnum::to_possible_value(&rule).unwrap();
            assert_eq!(clap.get_name(), rule.id());
            assert_eq!(RuleId::from_id(rule.id()), Some(rule));
        }
        assert_eq!(RuleId::from_id("fk_without_index"), None);
    }

    #[test]
    fn only_clear_mistakes_fail_the_run_by_default() {
        let errors: Vec<&str> = RuleId::ALL
            .into_iter()
            .filter(|r| r.default_severity() == Severity::Error)
            .map(RuleId::id)
            .collect();
        assert_eq!(
            errors,
            ["invalid-index", "duplicate-index", "sequence-near-overflow"]
        );
    }

    #[test]
    fn patterns_leave_out_objects_and_tables_for_all_rules_or_one() {
        let pattern = |p: &str| RelationPattern::parse(p).unwrap();
        let f = |rule, object: &str, table: Option<&str>| {
            finding(
                rule,
                object.into(),
                table.map(str::to_string),
                String::new(),
                String::new(),
            )
        };
        let mut config = Config {
            ignore: vec![pattern("audit_*")],
            ..Config::default()
        };
        config
            .ignore_for
            .insert(RuleId::FkWithoutIndex, vec![pattern("app.users_*")]);
        let index = f(RuleId::UnusedIndex, "public.ix", Some("public.audit_log"));
        assert!(config.ignores(&index));
        let table = f(RuleId::TableBloat, "public.audit_log", None);
        assert!(config.ignores(&table));
        let key = f(
            RuleId::FkWithoutIndex,
            "app.users_org_fkey",
            Some("app.users"),
        );
        assert!(config.ignores(&key));
        let other_rule = f(
            RuleId::FkTypeMismatch,
            "app.users_org_fkey",
            Some("app.users"),
        );
        assert!(!config.ignores(&other_rule));
        let other_schema = f(
            RuleId::FkWithoutIndex,
            "public.users_x",
            Some("public.users"),
        );
        assert!(!config.ignores(&other_schema));
        config.skip = vec![RuleId::UnusedIndex];
        assert!(!config.rules().contains(&RuleId::UnusedIndex));
        config.severity.insert(RuleId::UnusedIndex, Severity::Error);
        assert_eq!(config.severity_of(RuleId::UnusedIndex), Severity::Error);
        assert_eq!(config.severity_of(RuleId::TableBloat), Severity::Warning);
    }
}
