//! One query's check: the one-statement guard, EXPLAIN ANALYZE and the plan check (the key
//! columns of the indexes it reads, looked up once per plan; re-planned without seq scans when
//! a small relation is read whole), the index advice when it reads a large one whole
//! ([`super::advice`]), then the timed runs. A query with `params` goes through all
//! of them as a prepared statement with its values bound (see [`super::params`]). A failure
//! fails this query only; a signal between two timed runs keeps the runs already done.

use std::collections::HashMap;

use crate::check::leading::{self, IndexKeyMap};
use crate::check::{diagnosis, scans, target};
use crate::db::guard::Db;
use crate::db::session::{self, QueryError, Sent};
use crate::db::{catalog, prepared};
use crate::plan::{self, Explain};
use crate::report::model::{QueryResult, Status, Timing};
use crate::signal;
use crate::suite::{Query, Settings};

use super::advice;
use super::params::{self, Sending};
use super::stop::{as_interrupted, interrupted_by};

/// A query's result with nothing measured yet.
pub fn empty_result(query: &Query) -> QueryResult {
    QueryResult {
        name: query.name.clone(),
        status: Status::Pass,
        error: None,
        expect: query.expect,
        writes: query.writes,
        params: params::unbound(query),
        plan_kind: None,
        plan: None,
        scans: Vec::new(),
        problems: Vec::new(),
        notes: Vec::new(),
        timing: None,
        explain_execution_ms: None,
        baseline_ms: query.baseline_ms,
        target_ms: query.target_ms,
        target_improvement_pct: query.target_improvement,
        baseline: None,
        plan_figures: None,
        diagnosis: None,
        advice: Vec::new(),
        checklist: query.checklist.clone(),
    }
}

pub async fn check_query(db: &Db<'_>, query: &Query, settings: &Settings) -> QueryResult {
    let mut result = empty_result(query);
    if query.target_improvement.is_some() {
        result
            .notes
            .push(crate::check::baseline::NOT_JUDGED_NOTE.to_string());
    }
    match check_query_into(db, query, settings, &mut result).await {
        Err(error) => {
            result.status = Status::Error;
            result.error = Some(as_interrupted(error));
        }
        Ok(()) if !result.problems.is_empty() => result.status = Status::Fail,
        Ok(()) => {}
    }
    result
}

async fn check_query_into(
    db: &Db<'_>,
    query: &Query,
    settings: &Settings,
    result: &mut QueryResult,
) -> Result<(), String> {
    let prepared = session::ensure_single_statement(db, &query.sql)
        .await
        .map_err(|e| e.message)?;
    params::record_types(result, &prepared);
    let sending = Sending::decide(query, &prepared, db.server_major())?;
    result.plan_kind = sending.plan_kind();
    let sent = sending.sent();
    tracing::debug!(query = %query.name, sql = %query.sql, "EXPLAIN ANALYZE");
    let text = session::explain_analyze(db, &query.sql, query.writes, sent)
        .await
        .map_err(|e| with_hint(query, e))?;
    let explain = Explain::parse(&text).map_err(|e| format!("cannot read the plan: {e}"))?;
    result.plan = Some(explain.summary());
    result.explain_execution_ms = explain.execution_ms;
    if !matches!(sending, Sending::Generic) {
        let mut figures = explain.figures.clone();
        let names = figures.catalog_names(&settings.schema);
        let catalog = catalog::catalog_entries(db, &names).await;
        figures.set_catalog(&catalog.map_err(|e| e.message)?, &settings.schema);
        result.plan_figures = Some(figures);
    }

    let judgement = judge_plan(db, query, &explain, settings, sent).await?;
    result.scans = judgement.scans;
    result.problems = judgement.problems;
    result.notes = judgement.notes;
    let advised = advice::advise(db, query, &explain, &result.scans, sent, settings).await?;
    result.advice = advised.advice;
    result.notes.extend(advised.notes);
    if let Sending::Generic = sending {
        // Nothing can be timed without values; the note says so and names `params`.
        result
            .notes
            .push(params::generic_note(prepared.params.len()));
        return Ok(());
    }

    let (timing, stopped) = time_query(db, query, settings, &sending).await;
    result.timing = timing;
    stopped?;
    if let Some(timing) = &result.timing {
        tracing::info!(query = %query.name, plan = %result.plan.as_deref().unwrap_or(""), median_ms = timing.median_ms, "query checked");
        result
            .problems
            .extend(target::target_problem(query, timing));
        result
            .notes
            .extend(timing.plan_cache.as_ref().and_then(params::plan_cache_note));
    }
    result.diagnosis = diagnosis::diagnose(result);
    Ok(())
}

/// The plan check: the key columns of the indexes each plan reads (one lookup per plan, only
/// for indexes not seen yet), the parents of the relations read whole (for `allow_seq_scan`),
/// their sizes, and the plans made without seq scans when a small relation is read whole.
async fn judge_plan(
    db: &Db<'_>,
    query: &Query,
    explain: &Explain,
    settings: &Settings,
    sent: Sent<'_>,
) -> Result<scans::PlanJudgement, String> {
    let mut keys = IndexKeyMap::new();
    add_index_keys(db, &mut keys, &explain.scans, settings).await?;
    let ancestors = relation_ancestors(db, query, explain, &keys, settings).await?;
    let sizes = relation_sizes(db, query, explain, &keys, &ancestors, settings).await?;
    let min_rows = settings.min_rows;
    let mut replanned = Vec::new();
    if scans::needs_replan(
        query,
        &explain.scans,
        scans::Facts::new(&sizes, &keys, min_rows).with_ancestors(&ancestors),
    ) {
        tracing::info!(query = %query.name, "small relation read whole: planning again with enable_seqscan = off");
        replanned.push(plan_without_seq_scans(db, query, false, sent).await?);
        add_index_keys(db, &mut keys, replanned.iter().flatten(), settings).await?;
        if scans::unproven(
            query,
            &explain.scans,
            scans::Facts::new(&sizes, &keys, min_rows).with_ancestors(&ancestors),
            &replanned,
        ) {
            tracing::info!(query = %query.name, "no narrowing index yet: planning again with bitmap scans only");
            replanned.push(plan_without_seq_scans(db, query, true, sent).await?);
            add_index_keys(db, &mut keys, replanned.iter().flatten(), settings).await?;
        }
    }
    Ok(scans::judge(
        query,
        &explain.scans,
        scans::Facts::new(&sizes, &keys, min_rows).with_ancestors(&ancestors),
        &replanned,
    ))
}

async fn plan_without_seq_scans(
    db: &Db<'_>,
    query: &Query,
    bitmap_only: bool,
    sent: Sent<'_>,
) -> Result<Vec<plan::Scan>, String> {
    let text = session::explain_without_seq_scans(db, &query.sql, bitmap_only, sent)
        .await
        .map_err(|e| e.message)?;
    Ok(Explain::parse(&text)
        .map_err(|e| format!("cannot read the plan: {e}"))?
        .scans)
}

/// Looks up, in one statement, the key columns of the indexes `scans` read that `keys` does
/// not hold yet (`catalog::index_keys`), for the leading-column rule.
async fn add_index_keys<'a>(
    db: &Db<'_>,
    keys: &mut IndexKeyMap,
    scans: impl IntoIterator<Item = &'a plan::Scan>,
    settings: &Settings,
) -> Result<(), String> {
    let wanted: Vec<_> = leading::indexes_read(scans)
        .into_iter()
        .filter(|name| !keys.contains_key(name))
        .collect();
    let qualified = in_schemas(&wanted, settings);
    let found = catalog::index_keys(db, &qualified)
        .await
        .map_err(|e| e.message)?;
    // Named as the plan names them (a plan without VERBOSE prints no schema)...
    for (name, qualified) in wanted.into_iter().zip(&qualified) {
        if let Some(found) = found.get(qualified) {
            keys.insert(name, found.clone());
        }
    }
    // ...and every index on their tables, as VERBOSE plans name them.
    for ((schema, name), found) in found {
        keys.entry((Some(schema), name)).or_insert(found);
    }
    Ok(())
}

/// (schema, name) pairs as the plan names them, with the suite's schema where EXPLAIN
/// printed none.
fn in_schemas(names: &[(Option<String>, String)], settings: &Settings) -> Vec<(String, String)> {
    names
        .iter()
        .map(|(schema, name)| {
            (
                schema.clone().unwrap_or_else(|| settings.schema.clone()),
                name.clone(),
            )
        })
        .collect()
}

/// The parents of the relations read whole (`catalog::ancestors`), when the query has
/// `allow_seq_scan` entries (then of every relation the plan reads), or reads more than one
/// relation whole (partitions of one table count together against `min_rows`); else none, and
/// no statement.
async fn relation_ancestors(
    db: &Db<'_>,
    query: &Query,
    explain: &Explain,
    index_keys: &IndexKeyMap,
    settings: &Settings,
) -> Result<scans::Ancestors, String> {
    let relations = if query.allow_seq_scan.is_empty() {
        let judged = scans::judged_relations(query, &explain.scans, index_keys, None);
        if judged.len() < 2 {
            return Ok(scans::Ancestors::new());
        }
        judged
    } else {
        // Every relation the plan reads: an entry that names none of them, nor their parents,
        // gets a note.
        let mut all: Vec<scans::Relation> = explain
            .scans
            .iter()
            .filter_map(scans::relation_of)
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let keys = in_schemas(&relations, settings);
    let parents = catalog::ancestors(db, &keys).await.map_err(|e| e.message)?;
    Ok(relations
        .into_iter()
        .zip(keys)
        .filter_map(|(relation, key)| parents.get(&key).map(|p| (relation, p.clone())))
        .collect())
}

/// Row counts of the relations whose whole reads the check judges (`catalog::relation_rows`).
async fn relation_sizes(
    db: &Db<'_>,
    query: &Query,
    explain: &Explain,
    index_keys: &IndexKeyMap,
    ancestors: &scans::Ancestors,
    settings: &Settings,
) -> Result<HashMap<scans::Relation, f64>, String> {
    let relations = scans::judged_relations(query, &explain.scans, index_keys, Some(ancestors));
    let keys = in_schemas(&relations, settings);
    let rows = catalog::relation_rows(db, &keys, settings.min_rows)
        .await
        .map_err(|e| e.message)?;
    Ok(relations
        .into_iter()
        .zip(keys)
        .filter_map(|(relation, key)| rows.get(&key).map(|r| (relation, *r)))
        .collect())
}

/// The server's message, with what to change when the suite can fix it.
fn with_hint(query: &Query, error: QueryError) -> String {
    if !query.writes && error.message.contains("SQLSTATE 25006") {
        return format!(
            "{}; the query writes: add `writes = true` to its [[query]] to run it (it is still rolled back)",
            error.message
        );
    }
    error.message
}

/// The most reference statements timed for one query: with more timed runs than this, it is
/// timed after every n-th run, so that a suite of many fast runs takes no longer for it.
const MAX_REFERENCE_RUNS: usize = 25;

/// `warmup` untimed runs, then `runs` timed ones, each in its own rolled-back transaction. The
/// reference statement (`session::reference_run`) is timed after each warmup run and after each
/// timed run, or after every n-th of more than [`MAX_REFERENCE_RUNS`]; its times after timed
/// runs are kept beside the query's. Stops early at an error or a signal (checked between two
/// runs, so even many fast runs stop at once); the runs done so far are kept either way. A query
/// with `params` is prepared once and each run executes that statement with the values bound;
/// its plan cache's counts are read after the last run.
async fn time_query(
    db: &Db<'_>,
    query: &Query,
    settings: &Settings,
    sending: &Sending,
) -> (Option<Timing>, Result<(), String>) {
    let statement = match sending {
        Sending::Bound(bindings) => match prepared::prepare(db, &query.sql, bindings).await {
            Ok(statement) => Some((statement, bindings)),
            Err(e) => return (None, Err(e.message)),
        },
        _ => None,
    };
    let runs = settings.runs as usize;
    let warmup = settings.warmup as usize;
    let stride = runs.div_ceil(MAX_REFERENCE_RUNS).max(1);
    let mut samples = Vec::with_capacity(runs);
    let mut reference = Vec::new();
    let mut rows = 0;
    let mut stopped = Ok(());
    for n in 0..(warmup + runs) {
        if let Some(code) = signal::interrupted() {
            stopped = Err(interrupted_by(code).to_string());
            break;
        }
        let timed = n >= warmup;
        let execution = match &statement {
            Some((statement, bindings)) => {
                prepared::timed_run(db, statement, bindings, query.writes).await
            }
            None => session::timed_run(db, &query.sql, query.writes).await,
        };
        let run = match execution {
            Ok((elapsed, count)) => {
                if timed {
                    samples.push(ms(elapsed));
                    rows = count;
                }
                let with_reference = !timed || (n - warmup).is_multiple_of(stride);
                match with_reference {
                    true => session::reference_run(db).await.map(Some),
                    false => Ok(None),
                }
            }
            Err(e) => Err(e),
        };
        match run {
            Ok(Some(reference_time)) if timed => reference.push(ms(reference_time)),
            Ok(_) => {}
            Err(e) => {
                stopped = Err(match signal::interrupted() {
                    Some(code) => interrupted_by(code).to_string(),
                    None => e.message,
                });
                break;
            }
        }
    }
    if let Err(reason) = &mut stopped
        && reason.starts_with("interrupted")
    {
        reason.push_str(&format!(
            " after {} (the figures are of those runs)",
            crate::report::of_total(samples.len(), runs, "timed run", "timed runs")
        ));
    }
    // Read while the statement is still open: dropping it closes it on the server.
    let plan_cache = match &statement {
        Some(_) => Some(plan_cache(db, query).await),
        None => None,
    };
    let timing = (!samples.is_empty()).then(|| {
        let timing = Timing::from_samples(samples, settings.warmup, rows).with_reference(reference);
        match plan_cache {
            Some(cache) => timing.prepared(cache),
            None => timing,
        }
    });
    (timing, stopped)
}

/// The plan cache's counts for the prepared statement of the timed runs, when they can be read
/// (not after a signal, nor before PostgreSQL 14); the timing stands without them.
async fn plan_cache(db: &Db<'_>, query: &Query) -> Option<crate::report::model::PlanCache> {
    prepared::plan_cache(db, &query.sql)
        .await
        .unwrap_or_else(|e| {
            tracing::debug!(query = %query.name, error = %e, "pg_prepared_statements not read");
            None
        })
}

fn ms(elapsed: std::time::Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3
}
