//! The index advice of one query that read a large relation whole (a seq scan or a full index
//! scan the plan check failed): the candidates its plan suggests (`check::advice`), each
//! created hypothetically with HypoPG in pgvet's session and the query planned again (plain
//! EXPLAIN, sent as its check sent it: SQL text, bound `params` or the generic plan). A
//! candidate is proven when that plan reads the relation through it, narrowing the rows (the
//! leading-column rule), at a lower total cost; the proven ones are the advice, cheapest
//! first, at most [`MAX_ADVICE`]. The hypothetical index is removed after each plan. Without
//! HypoPG in the database the first candidate is the advice, unproven, with a note on how to
//! prove it. Nothing is created in the database (see `db::advice`).

use std::collections::HashMap;

use crate::check::advice::{self, Candidate};
use crate::check::leading;
use crate::db::advice::{self as hypo, HypoPg};
use crate::db::catalog::IndexKeys;
use crate::db::guard::Db;
use crate::db::session::{self, QueryError, Sent};
use crate::plan::{Explain, Scan};
use crate::report::model::{Advice, ScanResult, ScanVerdict};
use crate::suite::{Query, Settings};

/// At most this many proven indexes are advised for one query.
pub const MAX_ADVICE: usize = 3;

/// The advice for a query, and what to say where none was proven.
#[derive(Debug, Default)]
pub struct Advised {
    pub advice: Vec<Advice>,
    pub notes: Vec<String>,
}

/// Why trying one candidate stopped.
enum Stop {
    /// The connection is gone, a signal came, or a hypothetical index could not be removed:
    /// the query's check ends with this error.
    Fatal(String),
    /// This candidate could not be tried (HypoPG or the planner refused it): the others are.
    Skipped(String),
}

fn stop(error: QueryError) -> Stop {
    match error.connection_lost || crate::signal::interrupted().is_some() {
        true => Stop::Fatal(error.message),
        false => Stop::Skipped(error.message),
    }
}

/// The advice for the relations `judged` says the plan read whole on a large relation. Errs
/// only for what ends the query's check (see [`Stop::Fatal`]); anything else is a note.
pub async fn advise(
    db: &Db<'_>,
    query: &Query,
    explain: &Explain,
    judged: &[ScanResult],
    sent: Sent<'_>,
    settings: &Settings,
) -> Result<Advised, String> {
    let mut failing: Vec<(&Scan, &crate::plan::Placement)> = Vec::new();
    for ((scan, placement), result) in explain.scans.iter().zip(&explain.placements).zip(judged) {
        let whole = matches!(
            result.verdict,
            ScanVerdict::SeqScanOnLargeTable | ScanVerdict::FullIndexScan
        );
        let seen = failing.iter().any(|(s, _)| {
            (&s.schema, &s.relation, &s.alias) == (&scan.schema, &scan.relation, &scan.alias)
        });
        if whole && !seen && scan.relation.is_some() {
            failing.push((scan, placement));
        }
    }
    if failing.is_empty() {
        return Ok(Advised::default());
    }
    let table_of = |scan: &Scan| {
        let schema = scan.schema.clone();
        (
            schema.unwrap_or_else(|| settings.schema.clone()),
            scan.relation.clone().unwrap_or_default(),
        )
    };
    let tables: Vec<(String, String)> = failing.iter().map(|(s, _)| table_of(s)).collect();
    let (existing, hypopg) = match lookups(db, &tables).await {
        Ok(found) => found,
        Err(Stop::Fatal(e)) => return Err(e),
        Err(Stop::Skipped(e)) => {
            return Ok(Advised {
                notes: vec![format!("advice: the catalog could not be read: {e}")],
                ..Advised::default()
            });
        }
    };
    let none = Vec::new();
    let wanted: Vec<(&Scan, Vec<Candidate>)> = failing
        .into_iter()
        .map(|(scan, placement)| {
            let existing = existing.get(&table_of(scan)).unwrap_or(&none);
            let found = advice::candidates(scan, placement, &settings.schema, existing);
            (scan, found)
        })
        .filter(|(_, found)| !found.is_empty())
        .collect();
    if wanted.is_empty() {
        return Ok(Advised::default());
    }
    match hypopg {
        HypoPg::Ready { schema } => prove(db, &schema, query, &wanted, sent).await,
        other => Ok(unproven(
            &wanted,
            explain.total_cost,
            &other,
            db.server_major(),
        )),
    }
}

/// The indexes the tables have, and what HypoPG the database offers.
type Lookups = (HashMap<(String, String), Vec<Vec<String>>>, HypoPg);

async fn lookups(db: &Db<'_>, tables: &[(String, String)]) -> Result<Lookups, Stop> {
    let existing = hypo::table_indexes(db, tables).await.map_err(stop)?;
    let hypopg = hypo::probe(db).await.map_err(stop)?;
    Ok((existing, hypopg))
}

fn to_advice(candidate: &Candidate) -> Advice {
    Advice {
        schema: candidate.schema.clone(),
        relation: candidate.table.clone(),
        columns: candidate.columns.clone(),
        statement: candidate.statement(),
        proven: false,
        cost_before: None,
        cost_after: None,
        note: None,
    }
}

/// The first candidate of each relation, with why it is not proven.
fn unproven(
    wanted: &[(&Scan, Vec<Candidate>)],
    cost: Option<f64>,
    hypopg: &HypoPg,
    major: u32,
) -> Advised {
    let note = unproven_note(hypopg, major);
    let advice = wanted
        .iter()
        .filter_map(|(_, found)| found.first())
        .map(|candidate| Advice {
            cost_before: cost,
            note: Some(note.clone()),
            ..to_advice(candidate)
        })
        .collect();
    Advised {
        advice,
        notes: Vec::new(),
    }
}

/// Why advice is not proven, and how to prove it.
pub fn unproven_note(hypopg: &HypoPg, major: u32) -> String {
    let package = match major {
        0 => "postgresql-NN-hypopg".to_string(),
        n => format!("postgresql-{n}-hypopg"),
    };
    let proof = "so pgvet could not plan the query with it hypothetically to prove that the planner would use it";
    match hypopg {
        // (Advice with HypoPG ready is proven or not given: never with this note.)
        HypoPg::NotInstalled | HypoPg::Ready { .. } => format!(
            "HypoPG is not installed on the server, {proof}: install it (Debian and Ubuntu: apt-get install {package}), run CREATE EXTENSION hypopg in this database as its owner, and run pgvet again"
        ),
        HypoPg::NotCreated => format!(
            "the server has HypoPG but this database does not, {proof}: run CREATE EXTENSION hypopg in it as its owner (pgvet never creates it in a database it checks), and run pgvet again"
        ),
        HypoPg::Unusable { schema } => format!(
            "the hypopg extension in schema {schema} has no hypopg_create_index(text) and hypopg_reset() of its own, {proof}: ALTER EXTENSION hypopg UPDATE, and run pgvet again"
        ),
    }
}

/// Each candidate tried with HypoPG: the proven ones, cheapest first.
async fn prove(
    db: &Db<'_>,
    schema: &str,
    query: &Query,
    wanted: &[(&Scan, Vec<Candidate>)],
    sent: Sent<'_>,
) -> Result<Advised, String> {
    let mut advised = Advised::default();
    let before = match planned_cost(db, query, sent).await {
        Ok(Some(cost)) => cost,
        Ok(None) => return Ok(advised),
        Err(Stop::Fatal(e)) => return Err(e),
        Err(Stop::Skipped(e)) => {
            advised
                .notes
                .push(format!("advice: the query could not be planned: {e}"));
            return Ok(advised);
        }
    };
    for (scan, candidates) in wanted {
        let mut refused = Vec::new();
        let mut proven = 0;
        for candidate in candidates {
            match try_candidate(db, schema, query, sent, scan, candidate).await {
                Ok(Some(after)) if after < before => {
                    proven += 1;
                    advised.advice.push(Advice {
                        proven: true,
                        cost_before: Some(before),
                        cost_after: Some(after),
                        ..to_advice(candidate)
                    });
                }
                Ok(_) => {}
                Err(Stop::Fatal(e)) => return Err(e),
                Err(Stop::Skipped(e)) => {
                    refused.push(format!("({}): {e}", candidate.columns.join(", ")))
                }
            }
        }
        if proven == 0 {
            advised
                .notes
                .push(none_proven(scan, candidates, &refused, before));
        }
    }
    advised.advice.sort_by(|a, b| {
        a.cost_after
            .partial_cmp(&b.cost_after)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    advised.advice.truncate(MAX_ADVICE);
    Ok(advised)
}

/// "advice: HypoPG tried 2 indexes on orders, (a, b) and (a): the planner reads orders through
/// none of them at a lower cost than 1007.00", with the ones HypoPG or the planner refused.
fn none_proven(scan: &Scan, candidates: &[Candidate], refused: &[String], before: f64) -> String {
    let tried: Vec<String> = candidates
        .iter()
        .map(|c| format!("({})", c.columns.join(", ")))
        .collect();
    let relation = scan.relation.as_deref().unwrap_or("the relation");
    let through = match candidates.len() {
        1 => "does not read {relation} through it",
        _ => "reads {relation} through none of them",
    }
    .replace("{relation}", relation);
    let mut note = format!(
        "advice: HypoPG tried {} on {relation}, {}: the planner {through} at a lower cost than {before:.2}",
        crate::report::counted(candidates.len(), "index", "indexes"),
        crate::check::and_list(&tried),
    );
    if !refused.is_empty() {
        note.push_str(&format!(" (refused: {})", refused.join("; ")));
    }
    note
}

/// The total cost of the query's plan as the session stands.
async fn planned_cost(db: &Db<'_>, query: &Query, sent: Sent<'_>) -> Result<Option<f64>, Stop> {
    let text = session::explain_plan(db, &query.sql, sent)
        .await
        .map_err(stop)?;
    let plan = Explain::parse(&text).map_err(|e| Stop::Skipped(e.to_string()))?;
    Ok(plan.total_cost)
}

/// The plan's total cost with the candidate created hypothetically, when that plan reads the
/// scan's relation through it and narrows the rows; `None` when it does not.
async fn try_candidate(
    db: &Db<'_>,
    schema: &str,
    query: &Query,
    sent: Sent<'_>,
    scan: &Scan,
    candidate: &Candidate,
) -> Result<Option<f64>, Stop> {
    let name = hypo::create(db, schema, &candidate.hypothetical())
        .await
        .map_err(stop)?;
    let planned = session::explain_plan(db, &query.sql, sent).await;
    if let Err(e) = hypo::reset(db, schema).await {
        return Err(Stop::Fatal(format!(
            "the hypothetical index {name} could not be removed from pgvet's session: {}",
            e.message
        )));
    }
    let text = planned.map_err(stop)?;
    let plan = Explain::parse(&text).map_err(|e| Stop::Skipped(e.to_string()))?;
    let keys = IndexKeys {
        table: candidate.table.clone(),
        method: "btree".into(),
        columns: candidate.keys(),
        opclasses: vec![0; candidate.columns.len()],
        collations: vec![0; candidate.columns.len()],
        partial: false,
        usable: true,
        leads_plainly: true,
    };
    let reads_through = plan.scans.iter().any(|s| {
        let keys = HashMap::from([((s.schema.clone(), name.clone()), keys.clone())]);
        (&s.schema, &s.relation, &s.alias) == (&scan.schema, &scan.relation, &scan.alias)
            && s.indexes.contains(&name)
            && leading::narrows(s, &keys)
    });
    Ok(plan.total_cost.filter(|_| reads_through))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Explain;

    fn orders_scan() -> Scan {
        let text = r#"[{"Plan": {"Node Type": "Seq Scan", "Relation Name": "orders",
            "Schema": "public", "Alias": "orders"}}]"#;
        Explain::parse(text).unwrap().scans.remove(0)
    }

    fn candidate(columns: &[&str]) -> Candidate {
        Candidate {
            schema: "public".into(),
            table: "orders".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn a_note_names_what_was_tried_when_nothing_is_proven() {
        let one = none_proven(&orders_scan(), &[candidate(&["a"])], &[], 993.0);
        assert_eq!(
            one,
            "advice: HypoPG tried 1 index on orders, (a): the planner does not read orders through it at a lower cost than 993.00"
        );
        let two = none_proven(
            &orders_scan(),
            &[candidate(&["a", "b"]), candidate(&["a"])],
            &["(a): ERROR: x".into()],
            10.5,
        );
        assert_eq!(
            two,
            "advice: HypoPG tried 2 indexes on orders, (a, b) and (a): the planner reads orders through none of them at a lower cost than 10.50 (refused: (a): ERROR: x)"
        );
    }

    #[test]
    fn the_unproven_note_says_how_to_prove_it() {
        let note = unproven_note(&HypoPg::NotInstalled, 15);
        assert!(
            note.starts_with("HypoPG is not installed on the server, so pgvet could not"),
            "{note}"
        );
        assert!(
            note.contains("apt-get install postgresql-15-hypopg"),
            "{note}"
        );
        assert!(unproven_note(&HypoPg::NotInstalled, 0).contains("postgresql-NN-hypopg"));
        let note = unproven_note(&HypoPg::NotCreated, 16);
        assert!(
            note.starts_with("the server has HypoPG but this database does not"),
            "{note}"
        );
        let note = unproven_note(
            &HypoPg::Unusable {
                schema: "ext".into(),
            },
            16,
        );
        assert!(
            note.contains("schema ext") && note.contains("ALTER EXTENSION hypopg UPDATE"),
            "{note}"
        );
    }
}
