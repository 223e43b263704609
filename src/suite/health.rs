//! `[health]`: the schema health rules for `pgvet check` (and `pgvet health SUITE`), with the
//! schemas they judge, the rules to skip, the objects to leave out (for every rule, or for
//! one) and severities other than the rules' defaults. Rule ids are the kebab-case ones of
//! `crate::health::RuleId`; a name that is not one is refused with its position and the
//! closest id.
//!
//! ```toml
//! [health]
//! schemas = ["public"]                          # default: every user schema
//! skip = ["unused-index"]
//! ignore = ["audit_*", "archive.*"]             # tables, indexes, constraints, sequences
//! ignore_for = { fk-without-index = ["users"] }
//! severity = { table-without-primary-key = "error", duplicate-index = "warning" }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::unique::At;
use super::{RelationPattern, SuiteError};
use crate::health::{Config, RuleId, Severity};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHealth {
    schemas: Option<Vec<Spanned<String>>>,
    skip: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    ignore_for: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
    severity: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
}

/// The `[health]` table as a configuration.
pub(super) fn health(raw: RawHealth, at: &At) -> Result<Config, SuiteError> {
    let mut config = Config::default();
    for schema in raw.schemas.unwrap_or_default() {
        if schema.get_ref().trim().is_empty() {
            return Err(at(
                schema.span().start,
                "a schema in [health] schemas is empty".into(),
            ));
        }
        config.schemas.push(schema.into_inner());
    }
    for rule in raw.skip.unwrap_or_default() {
        let id = rule_id(&rule, "skip", at)?;
        if !config.skip.contains(&id) {
            config.skip.push(id);
        }
    }
    config.ignore = patterns(raw.ignore.unwrap_or_default(), "ignore", at)?;
    for (rule, list) in raw.ignore_for.unwrap_or_default() {
        let id = rule_id(&rule, "ignore_for", at)?;
        let key = format!("ignore_for.{id}");
        config.ignore_for.insert(id, patterns(list, &key, at)?);
    }
    for (rule, severity) in raw.severity.unwrap_or_default() {
        let id = rule_id(&rule, "severity", at)?;
        let level = match severity.get_ref().as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            other => {
                return Err(at(
                    severity.span().start,
                    format!(
                        "severity of {id} is \"{other}\"; write \"error\" (a finding fails the run) or \"warning\" (it is only reported)"
                    ),
                ));
            }
        };
        config.severity.insert(id, level);
    }
    Ok(config)
}

fn rule_id(written: &Spanned<String>, key: &str, at: &At) -> Result<RuleId, SuiteError> {
    if let Some(id) = RuleId::from_id(written.get_ref()) {
        return Ok(id);
    }
    let ids: Vec<&str> = RuleId::ALL.iter().map(|r| r.id()).collect();
    let close = crate::check::closest::closest(written.get_ref(), ids.iter().copied());
    let hint = match close.first() {
        Some(id) => format!("did you mean {id}? "),
        None => String::new(),
    };
    Err(at(
        written.span().start,
        format!(
            "[health] {key}: `{}` is not a health rule; {hint}the rules are {}",
            written.get_ref(),
            ids.join(", ")
        ),
    ))
}

fn patterns(
    list: Vec<Spanned<String>>,
    key: &str,
    at: &At,
) -> Result<Vec<RelationPattern>, SuiteError> {
    list.iter()
        .map(|p| {
            RelationPattern::parse(p.get_ref().trim())
                .map_err(|e| at(p.span().start, format!("[health] {key}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::health::{RuleId, Severity};

    fn parse(text: &str) -> Result<crate::suite::Suite, String> {
        crate::suite::parse_str(Path::new("suite/pgvet.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_health_table_alone_is_a_suite_and_reads_every_key() {
        let suite = parse(
            "[health]\nschemas = [\"app\"]\nskip = [\"unused-index\", \"unused-index\"]\nignore = [\"audit_*\"]\nignore_for = { fk-without-index = [\"users\"] }\nseverity = { table-without-primary-key = \"error\" }\n",
        )
        .unwrap();
        let health = suite.health.unwrap();
        assert_eq!(health.schemas, ["app"]);
        assert_eq!(health.skip, [RuleId::UnusedIndex]);
        assert!(health.ignore[0].matches(Some("public"), "audit_log"));
        assert!(health.ignore_for[&RuleId::FkWithoutIndex][0].matches(Some("app"), "users"));
        assert_eq!(
            health.severity[&RuleId::TableWithoutPrimaryKey],
            Severity::Error
        );
        assert!(parse("[health]\n").unwrap().health.unwrap().skip.is_empty());
        assert!(
            parse("[[index]]\nname = \"i\"\ntable = \"t\"\n")
                .unwrap()
                .health
                .is_none()
        );
    }

    #[test]
    fn a_wrong_rule_severity_or_key_is_refused_where_it_is() {
        let e = parse("[health]\nskip = [\"unused_index\"]\n").unwrap_err();
        assert!(
            e.starts_with("suite/pgvet.toml:2:9: [health] skip: `unused_index` is not a health rule; did you mean unused-index? the rules are invalid-index, duplicate-index"),
            "{e}"
        );
        let e = parse("[health]\nseverity = { unused-index = \"fatal\" }\n").unwrap_err();
        assert!(
            e.starts_with(
                "suite/pgvet.toml:2:29: severity of unused-index is \"fatal\"; write \"error\""
            ),
            "{e}"
        );
        let e = parse("[health]\nignore_for = { nope = [\"t\"] }\n").unwrap_err();
        assert!(
            e.contains("2:16: [health] ignore_for: `nope` is not a health rule"),
            "{e}"
        );
        let e = parse("[health]\nignore = [\"a.b.c\"]\n").unwrap_err();
        assert!(
            e.contains("2:11: [health] ignore: `a.b.c` has more than one dot"),
            "{e}"
        );
        let e = parse("[health]\nskipp = []\n").unwrap_err();
        assert!(e.contains("2:1: unknown field `skipp`"), "{e}");
    }
}
