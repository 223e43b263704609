//! The schema health rules of a run: the server's clock and schemas, then one catalog
//! statement per kind of object the rules need (`db::health`), then the rules' pure verdicts
//! (`crate::health`). When the run has stopped, a statement fails, or a schema asked for does
//! not exist, the rules find nothing and the run of them carries the error, which fails the
//! run as an index check that could not be made does.

use super::Runner;
use super::stop::{stop_reason, until_interrupted};
use crate::db::health::{self as facts, Needs};
use crate::health::{self, Config, RuleId};
use crate::report::model::{Finding, HealthRun};

/// What each rule reads.
fn needs(rules: &[RuleId]) -> Needs {
    let mut needs = Needs::default();
    for rule in rules {
        match rule {
            RuleId::InvalidIndex
            | RuleId::DuplicateIndex
            | RuleId::RedundantIndex
            | RuleId::BtreeOnArrayColumn
            | RuleId::IndexBloat => needs.indexes = true,
            RuleId::FkWithoutIndex | RuleId::UnusedIndex => {
                needs.indexes = true;
                needs.constraints = true;
            }
            RuleId::FkTypeMismatch | RuleId::NotValidConstraint => needs.constraints = true,
            RuleId::TableWithoutPrimaryKey | RuleId::TableBloat => needs.tables = true,
            RuleId::SequenceNearOverflow => needs.sequences = true,
        }
    }
    needs
}

/// Why the rules found nothing.
pub(super) enum Failure {
    /// A schema asked for is not a user schema of the database: the message says which, and
    /// which there are.
    UnknownSchema(String),
    /// The run had stopped, or a statement failed.
    Failed(String),
}

impl Failure {
    fn message(&self) -> &str {
        match self {
            Failure::UnknownSchema(m) | Failure::Failed(m) => m,
        }
    }
}

impl Runner<'_> {
    /// Every rule `config` runs, on the schemas it names (or every user schema). When they
    /// could not be judged, the run of them says why, and so does the failure.
    pub(super) async fn health(
        &mut self,
        config: &Config,
    ) -> (Vec<Finding>, HealthRun, Option<Failure>) {
        let mut run = HealthRun {
            schemas: config.schemas.clone(),
            rules: config.rules(),
            skipped: config.skip.clone(),
            notes: Vec::new(),
            counters_since: None,
            error: None,
        };
        if run.rules.is_empty() {
            return (Vec::new(), run, None);
        }
        match self.judge(config, &mut run).await {
            Ok(findings) => (findings, run, None),
            Err(failure) => {
                run.error = Some(failure.message().to_string());
                (Vec::new(), run, Some(failure))
            }
        }
    }

    async fn judge(
        &mut self,
        config: &Config,
        run: &mut HealthRun,
    ) -> Result<Vec<Finding>, Failure> {
        if let Some(stop) = self.stop() {
            return Err(Failure::Failed(format!("not run: {}", stop.message)));
        }
        let db = self.db;
        let work = async {
            let context = facts::context(db).await?;
            if let Some(unknown) = config.schemas.iter().find(|s| !context.schemas.contains(s)) {
                return Ok(Err(Failure::UnknownSchema(format!(
                    "schema {unknown}: the database has no user schema of that name (it has: {}); names compare exactly, without case folding",
                    context.schemas.join(", ")
                ))));
            }
            let schemas = match config.schemas.is_empty() {
                true => context.schemas.clone(),
                false => config.schemas.clone(),
            };
            facts::gather(db, context, &schemas, needs(&config.rules()))
                .await
                .map(|facts| Ok((schemas, facts)))
        };
        let (gathered, signal) = until_interrupted(db, work).await;
        let error = gathered.as_ref().err().map(|e| e.message.clone());
        self.stopped = stop_reason(db, signal, error.as_deref());
        let (schemas, facts) = match gathered {
            Ok(judged) => judged?,
            Err(e) => {
                return Err(Failure::Failed(match &self.stopped {
                    Some(stop) => format!("{}: {}", stop.message, e.message),
                    None => format!(
                        "the catalog statements of the health rules failed: {}",
                        e.message
                    ),
                }));
            }
        };
        tracing::info!(
            indexes = facts.indexes.len(),
            tables = facts.tables.len(),
            "schema health read from the catalog"
        );
        run.schemas = schemas;
        run.counters_since = Some(facts.context.counters_since_text.clone());
        let outcome = health::judge(&facts, config, facts.context.now);
        run.notes = outcome.notes;
        Ok(outcome.findings)
    }
}

#[cfg(test)]
mod tests {
    use crate::health::RuleId;

    #[test]
    fn each_rule_reads_only_what_it_judges() {
        let needs = super::needs(&[RuleId::SequenceNearOverflow]);
        assert!(needs.sequences && !needs.indexes && !needs.tables && !needs.constraints);
        let needs = super::needs(&[RuleId::FkWithoutIndex]);
        assert!(needs.indexes && needs.constraints && !needs.tables);
        let all = super::needs(&RuleId::ALL);
        assert!(all.indexes && all.tables && all.constraints && all.sequences);
    }
}
