//! The demo's account of pgvet's index advice: what the run before the migration advised, and
//! for each advised index whether the migration then created it (an index of the run after it
//! on the same table with the same key columns), or an index that leads with those columns.

use crate::check::advice::same_column;
use crate::report::model::{Advice, IndexResult, Report, Status};

/// One advised index and the queries it was advised for.
struct Advised<'r> {
    advice: &'r Advice,
    queries: Vec<&'r str>,
}

/// The summary's lines on the advice, empty when the run before advised nothing.
pub fn lines(before: &Report, after: &Report) -> Vec<String> {
    let mut advised: Vec<Advised> = Vec::new();
    for query in &before.queries {
        for advice in &query.advice {
            let same = advised.iter_mut().find(|a| {
                (&a.advice.schema, &a.advice.relation, &a.advice.columns)
                    == (&advice.schema, &advice.relation, &advice.columns)
            });
            match same {
                Some(a) => a.queries.push(&query.name),
                None => advised.push(Advised {
                    advice,
                    queries: vec![&query.name],
                }),
            }
        }
    }
    if advised.is_empty() {
        return Vec::new();
    }
    let created = advised
        .iter()
        .filter(|a| matching(a.advice, &after.indexes).is_some_and(|(_, exact)| exact))
        .count();
    let proven = advised.iter().filter(|a| a.advice.proven).count();
    let how = match (proven, advised.len()) {
        (p, n) if p == n => "each proven with HypoPG".to_string(),
        (0, _) => format!(
            "not proven: {}",
            advised[0]
                .advice
                .note
                .as_deref()
                .unwrap_or("HypoPG is not there")
        ),
        (p, _) => format!("{p} of them proven with HypoPG"),
    };
    let mut lines = vec![format!(
        "· Before the migration pgvet advised {} ({how}); the migration creates {created} of them:",
        crate::report::counted(advised.len(), "index", "indexes")
    )];
    for a in &advised {
        let verdict = match matching(a.advice, &after.indexes) {
            Some((index, true)) => format!("the migration creates it as {index}"),
            Some((index, false)) => {
                format!("the migration creates {index}, which leads with these columns")
            }
            None => "the migration creates no index with these columns".to_string(),
        };
        lines.push(format!(
            "    {} ({}) for {}: {verdict}.",
            a.advice.relation,
            a.advice.columns.join(", "),
            a.queries.join(", ")
        ));
    }
    lines
}

/// The valid index of the run after the migration on the advice's table with its key columns
/// (exact: true), else one that leads with them (false).
fn matching<'i>(advice: &Advice, indexes: &'i [IndexResult]) -> Option<(&'i str, bool)> {
    let on_table = indexes.iter().filter(|i| {
        i.status == Status::Pass
            && !i.absent
            && i.schema == advice.schema
            && i.actual_table.as_deref().unwrap_or(&i.table) == advice.relation
    });
    let mut leading = None;
    for index in on_table {
        let Some(columns) = index
            .actual_columns
            .as_ref()
            .or(index.expected_columns.as_ref())
        else {
            continue;
        };
        let leads = advice.columns.len() <= columns.len()
            && advice
                .columns
                .iter()
                .zip(columns)
                .all(|(a, c)| same_column(a, c));
        match (leads, advice.columns.len() == columns.len()) {
            (true, true) => return Some((&index.name, true)),
            (true, false) => leading = leading.or(Some((index.name.as_str(), false))),
            _ => {}
        }
    }
    leading
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    #[test]
    fn each_advised_index_is_matched_with_the_migration_s() {
        let (before, after) = (samples::before(), samples::after());
        assert_eq!(
            lines(&before, &after),
            [
                "· Before the migration pgvet advised 3 indexes (each proven with HypoPG); the migration creates 3 of them:",
                "    training_metric (config_id) for fetch experiment by config_id, join configs and metrics: the migration creates it as ix_training_metric_config_id.",
                "    training_metric (epoch) for filter by epoch: the migration creates it as ix_training_metric_epoch.",
                "    training_metric (\"timestamp\") for sort by timestamp: the migration creates it as ix_training_metric_timestamp.",
            ]
        );
    }

    #[test]
    fn an_index_the_migration_does_not_create_is_named_so() {
        let (mut before, mut after) = (samples::before(), samples::after());
        let advice = &mut before.queries[1].advice[0];
        advice.columns = vec!["epoch".into(), "loss".into()];
        advice.proven = false;
        advice.note = Some("HypoPG is not installed on the server".into());
        before.queries[0].advice[0].columns = vec!["config_id".into()];
        after
            .indexes
            .retain(|i| i.name != "ix_training_metric_config_id");
        let lines = lines(&before, &after);
        assert_eq!(
            lines[0],
            "· Before the migration pgvet advised 3 indexes (2 of them proven with HypoPG); the migration creates 1 of them:"
        );
        assert!(lines[1].ends_with(": the migration creates ix_metric_config_epoch_step, which leads with these columns."), "{}", lines[1]);
        assert!(
            lines[2].ends_with(": the migration creates no index with these columns."),
            "{}",
            lines[2]
        );
        before.queries.iter_mut().for_each(|q| q.advice.clear());
        assert!(super::lines(&before, &after).is_empty());
    }
}
