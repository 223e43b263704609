//! Why an index did not help. When a query that reads through an index misses its time target,
//! is slower than its baseline, misses its `target_improvement`, or is less than
//! [`NO_FASTER_PCT`] faster than a baseline whose plan was different, the report says why in one
//! sentence, from the figures EXPLAIN ANALYZE measured ([`PlanFigures`]): the share of the
//! relation's rows the index scan returned and the pages it read, and then the causes the
//! figures show, the one to act on first leading:
//!
//! - a sort, hash or hash aggregate that spilled to disk (raise `work_mem`);
//! - a lossy bitmap, whose pages were rechecked row by row (raise `work_mem`);
//! - an index recheck or a Filter that threw away at least as many rows as it kept, and at
//!   least [`WASTED_ROWS`] (a lossy index type; a column missing from the index);
//! - [`MISESTIMATE_FACTOR`] times the rows the planner expected, or more (ANALYZE);
//! - half or more of the relation's pages read, about what a seq scan reads;
//! - a server execution time of at most half the median, with at least [`MANY_ROWS`] rows
//!   returned: the time goes into sending the rows to the client.
//!
//! When none of these shows, the sentence says so. Pure: the figures are in the report.

use crate::check::scans::whole;
use crate::plan::{IndexScanFigures, PlanFigures, Spill};
use crate::report::model::{Cause, Diagnosis, QueryResult, Regression, Report, Timing};
use crate::report::{ms, significant};

/// A query less than this many percent faster than a baseline with another plan is no faster.
pub const NO_FASTER_PCT: f64 = 10.0;
/// A scan returning this many times the rows the planner expected, or more, was misestimated.
pub const MISESTIMATE_FACTOR: f64 = 10.0;
/// A recheck or filter that throws away at least as many rows as it keeps, and this many.
pub const WASTED_ROWS: f64 = 100.0;
/// A result of at least this many rows can take longer to send than to find.
pub const MANY_ROWS: u64 = 1000;

/// A cause: what it is, the clause saying so, and what to do about it.
struct Finding {
    cause: Cause,
    clause: String,
    action: String,
}

/// Sets every query's diagnosis afresh (after a run, and after comparing with a baseline).
pub fn refresh(report: &mut Report) {
    for query in &mut report.queries {
        query.diagnosis = diagnose(query);
    }
}

/// The diagnosis of one query, when it reads through an index and fell short.
pub fn diagnose(query: &QueryResult) -> Option<Diagnosis> {
    let timing = query.timing.as_ref()?;
    let symptom = symptom(query)?;
    let figures = query.plan_figures.as_ref()?;
    let scan = main_scan(figures)?;
    let mut findings: Vec<Finding> = figures.spills.iter().map(spilled).collect();
    findings.extend(lossy_bitmap(scan));
    findings.extend(wasted_rows(scan));
    findings.extend(misestimate(scan));
    findings.extend(most_pages(scan));
    findings.extend(result_transfer(query, timing));
    if findings.is_empty() {
        findings.push(nothing_stands_out(query, timing));
    }
    let clauses: Vec<&str> = findings.iter().map(|f| f.clause.as_str()).collect();
    Some(Diagnosis {
        symptom,
        causes: findings.iter().map(|f| f.cause).collect(),
        message: format!(
            "{}; {}: {}",
            facts(scan),
            clauses.join("; "),
            findings[0].action
        ),
    })
}

/// What the query fell short of, in words ("missed its 40.0 ms target (72.6 ms)"); `None`
/// when it did not.
fn symptom(query: &QueryResult) -> Option<String> {
    let median = query.timing.as_ref()?.median_ms;
    let baseline = query.baseline.as_ref();
    let change = baseline.and_then(|b| b.change_pct);
    if let (Some(Regression::Slower), Some(change)) = (baseline.and_then(|b| b.regression), change)
    {
        return Some(format!("is slower than its baseline ({change:+.0}%)"));
    }
    if let Some(target) = query.target_ms.filter(|&t| median > t) {
        let against = change
            .map(|c| format!(", {c:+.0}% against the baseline"))
            .unwrap_or_default();
        return Some(format!(
            "missed its {} target ({}{against})",
            ms(target),
            ms(median)
        ));
    }
    if let (Some(target), Some(change)) = (query.target_improvement_pct, change)
        && -change < target
    {
        return Some(format!(
            "is {:.0}% faster, short of its {target}% target",
            -change
        ));
    }
    let plan_changed = baseline.is_some_and(|b| b.plan != query.plan);
    match change {
        Some(change) if plan_changed && change > -NO_FASTER_PCT => {
            Some(format!("is no faster than before ({change:+.0}%)"))
        }
        _ => None,
    }
}

/// The index scan that read the most (buffers, then rows).
fn main_scan(figures: &PlanFigures) -> Option<&IndexScanFigures> {
    let weight = |s: &IndexScanFigures| (s.buffers.unwrap_or(0.0), s.rows);
    figures.scans.iter().max_by(|a, b| {
        weight(a)
            .partial_cmp(&weight(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    })
}

/// "ix_a returns 49,590 rows, 4.96% of the 1,000,000 in t, from 1,432 of its 8,404 pages".
fn facts(scan: &IndexScanFigures) -> String {
    let mut out = format!("{} returns {}", scan.index, rows(scan.rows));
    if scan.loops > 1.0 {
        out.push_str(&format!(" in {} loops", whole(scan.loops)));
    }
    let relation = scan.relation.as_deref().unwrap_or("its table");
    match scan.relation_rows.filter(|&r| r > 0.0) {
        Some(total) if scan.rows <= total => out.push_str(&format!(
            ", {} of the {} in {relation}",
            percent(scan.rows / total),
            whole(total)
        )),
        Some(total) => out.push_str(&format!(
            " of {relation}, whose statistics count {} rows",
            whole(total)
        )),
        None => out.push_str(&format!(" of {relation}")),
    }
    match (scan.heap_pages(), scan.buffers, scan.relation_pages) {
        (Some(heap), _, Some(pages)) => out.push_str(&format!(
            ", from {} of its {} pages",
            whole(heap),
            whole(pages)
        )),
        (None, Some(buffers), Some(pages)) => out.push_str(&format!(
            ", reading {} buffers (its table has {} pages)",
            whole(buffers),
            whole(pages)
        )),
        _ => {}
    }
    out
}

fn spilled(spill: &Spill) -> Finding {
    let size = spill.disk_kb.map(disk_size);
    let (cause, clause, action) = match (spill.node_type.as_str(), size, spill.batches) {
        ("Sort", size, _) => (
            Cause::SortSpill,
            format!(
                "a Sort spilled {} to disk{}",
                size.unwrap_or_else(|| "its rows".into()),
                spill
                    .method
                    .as_ref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ),
            "raise work_mem above the size spilled, or let an index supply the order",
        ),
        (node, size, batches) => (
            Cause::HashSpill,
            format!(
                "a {} went to disk{}{}",
                if node == "Hash" {
                    "Hash"
                } else {
                    "hash aggregate"
                },
                batches
                    .map(|b| format!(" in {} batches", whole(b)))
                    .unwrap_or_default(),
                size.map(|s| format!(" ({s})")).unwrap_or_default()
            ),
            "raise work_mem (or hash_mem_multiplier) so the hash fits in memory",
        ),
    };
    Finding {
        cause,
        clause,
        action: action.into(),
    }
}

/// A bitmap that outgrew `work_mem`. A BRIN index's bitmap is always lossy: see `wasted_rows`.
fn lossy_bitmap(scan: &IndexScanFigures) -> Option<Finding> {
    if is_brin(scan) {
        return None;
    }
    let lossy = scan.heap_pages_lossy.filter(|&p| p > 0.0)?;
    let rechecked = scan
        .rows_removed_by_recheck
        .map(|r| format!(", {} rows removed", whole(r)))
        .unwrap_or_default();
    Some(Finding {
        cause: Cause::LossyBitmap,
        clause: format!(
            "the bitmap went lossy on {} of its heap pages, so each of their rows was rechecked{rechecked}",
            whole(lossy)
        ),
        action: "raise work_mem so the bitmap stays exact".into(),
    })
}

/// A recheck (without a lossy bitmap) or a Filter that threw away most of the rows found.
fn wasted_rows(scan: &IndexScanFigures) -> Vec<Finding> {
    let wasted = |removed: Option<f64>| removed.filter(|&r| r >= WASTED_ROWS && r >= scan.rows);
    let mut found = Vec::new();
    let lossy = scan.heap_pages_lossy.is_some_and(|p| p > 0.0) && !is_brin(scan);
    if let Some(removed) = wasted(scan.rows_removed_by_recheck).filter(|_| !lossy) {
        let (what, action) = if is_brin(scan) {
            (
                "BRIN returns whole ranges of pages, and their recheck",
                "a smaller pages_per_range narrows the ranges; a B-tree returns only the matching rows",
            )
        } else {
            (
                "the recheck of the index condition",
                "the index is lossy for this condition (an operator class that rechecks): one \
                 that returns only the matching rows, such as a B-tree, reads fewer",
            )
        };
        found.push(Finding {
            cause: Cause::IndexRecheck,
            clause: format!(
                "{what} threw away {} of the {} rows fetched",
                whole(removed),
                whole(removed + scan.rows)
            ),
            action: action.into(),
        });
    }
    if let Some(removed) = wasted(scan.rows_removed_by_filter) {
        let filter = scan
            .filter
            .as_ref()
            .map(|f| format!(" {f}"))
            .unwrap_or_default();
        found.push(Finding {
            cause: Cause::FilterRemovesRows,
            clause: format!(
                "its Filter{filter} threw away {} of the {} rows the index found",
                whole(removed),
                whole(removed + scan.rows)
            ),
            action: "add the filter's columns to the index, after the condition's, so it finds \
                     only the matching rows"
                .into(),
        });
    }
    found
}

/// Only an estimate too low counts: one too high is normal where the scan is stopped early
/// (under a LIMIT, for EXISTS, in a merge join).
fn misestimate(scan: &IndexScanFigures) -> Option<Finding> {
    let estimated = scan.rows_estimated?;
    let actual = scan.rows / scan.loops;
    if actual < MISESTIMATE_FACTOR * estimated.max(1.0) {
        return None;
    }
    let per_loop = if scan.loops > 1.0 { " per loop" } else { "" };
    let relation = scan.relation.as_deref().unwrap_or("the table");
    Some(Finding {
        cause: Cause::Misestimate,
        clause: format!(
            "the planner expected {}{per_loop} and got {}",
            rows(estimated),
            whole(actual)
        ),
        action: format!(
            "run ANALYZE {relation} (or raise the column's statistics target) so the planner \
             knows how many rows match"
        ),
    })
}

fn most_pages(scan: &IndexScanFigures) -> Option<Finding> {
    let pages = scan.relation_pages.filter(|&p| p > 0.0)?;
    let read = match scan.heap_pages() {
        Some(heap) => heap,
        None if scan.loops <= 1.0 => scan.buffers?,
        None => return None,
    };
    (read >= 0.5 * pages).then(|| Finding {
        cause: Cause::MostPages,
        clause: format!(
            "it read {} of the pages, about what a seq scan reads",
            percent((read / pages).min(1.0))
        ),
        action: "an index pays off only when it skips most of the table, so make the condition \
                 more selective, or add a covering index so an index-only scan skips the heap"
            .into(),
    })
}

fn result_transfer(query: &QueryResult, timing: &Timing) -> Option<Finding> {
    let executed = query.explain_execution_ms?;
    if timing.rows < MANY_ROWS || executed > 0.5 * timing.median_ms {
        return None;
    }
    Some(Finding {
        cause: Cause::ResultTransfer,
        clause: format!(
            "the server executed it in {} (EXPLAIN ANALYZE) of the {} median, the rest is \
             mostly sending {} rows to the client",
            ms(executed),
            ms(timing.median_ms),
            whole(timing.rows as f64)
        ),
        action: format!(
            "fetch fewer rows or columns (a LIMIT, a narrower select list){}",
            match query.target_ms {
                Some(_) => ", or set a target that allows for a result this size",
                None => "",
            }
        ),
    })
}

fn nothing_stands_out(query: &QueryResult, timing: &Timing) -> Finding {
    let clause = "the plan shows no spill, lossy bitmap, wasted rows or misestimate";
    let (clause, action) = match query.explain_execution_ms {
        Some(executed) if executed <= 0.5 * timing.median_ms => (
            format!(
                "{clause}, and the server executed it in {} of the {} median",
                ms(executed),
                ms(timing.median_ms)
            ),
            "the time goes outside the plan, so look at the load on the server and the \
             client, at locks and at the network between them",
        ),
        executed => (
            format!(
                "{clause}{}",
                executed
                    .map(|e| format!(", and the server executed it in {}", ms(e)))
                    .unwrap_or_default()
            ),
            "the index does its job and the time is the work itself, so only a more selective \
             condition (fewer rows) makes the query faster",
        ),
    };
    Finding {
        cause: Cause::NoneInPlan,
        clause,
        action: action.into(),
    }
}

/// "1 row", "49,590 rows".
fn rows(n: f64) -> String {
    match whole(n).as_str() {
        "1" => "1 row".into(),
        n => format!("{n} rows"),
    }
}

fn is_brin(scan: &IndexScanFigures) -> bool {
    scan.index_method.as_deref() == Some("brin")
}

/// A share as a percentage: "4.96%", "0.500%", "17%", "100%".
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p >= 9.995 {
        format!("{p:.0}%")
    } else {
        format!("{}%", significant(p))
    }
}

/// Disk use for people: "640 kB", "12.3 MB".
fn disk_size(kb: f64) -> String {
    if kb >= 1024.0 {
        format!("{} MB", significant(kb / 1024.0))
    } else {
        format!("{kb:.0} kB")
    }
}

#[cfg(test)]
#[path = "diagnosis_tests.rs"]
mod tests;
