//! The diagnosis on plans captured from PostgreSQL 15 (`fixtures/plans/diagnosis/`, see its
//! README.md), with the catalog figures captured alongside (`relations.csv`). Timings and
//! targets are set by each test: the verdicts they trigger are constructed, never measured.

use std::collections::HashMap;

use super::*;
use crate::plan::{CatalogEntry, Explain};
use crate::report::model::{QueryBaseline, Status};
use crate::suite::Expect;

fn fixture(path: &str) -> String {
    let path = format!("{}/fixtures/plans/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `relations.csv`: schema, name, reltuples, pages, access method.
fn catalog() -> HashMap<(String, String), CatalogEntry> {
    fixture("diagnosis/relations.csv")
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let entry = CatalogEntry {
                rows: f[2].parse().unwrap(),
                pages: f[3].parse().unwrap(),
                access_method: Some(f[4].to_string()),
            };
            ((f[0].to_string(), f[1].to_string()), entry)
        })
        .collect()
}

/// The query of plan `file` with a median of `median_ms` over `rows` rows and a target of
/// `target_ms`, as the run would report it.
fn query(file: &str, median_ms: f64, rows: u64, target_ms: Option<f64>) -> QueryResult {
    let explain = Explain::parse(&fixture(file)).unwrap();
    let mut figures = explain.figures.clone();
    figures.set_catalog(&catalog(), "public");
    QueryResult {
        name: "q".into(),
        params: None,
        plan_kind: None,
        status: Status::Fail,
        error: None,
        expect: Expect::Index,
        writes: false,
        plan: Some(explain.summary()),
        scans: vec![],
        problems: vec![],
        notes: vec![],
        timing: Some(Timing::from_samples(vec![median_ms; 5], 1, rows)),
        explain_execution_ms: explain.execution_ms,
        baseline_ms: None,
        target_ms,
        target_improvement_pct: None,
        baseline: None,
        plan_figures: Some(figures),
        diagnosis: None,
        advice: Vec::new(),
        checklist: None,
    }
}

/// Diagnosed as missing an impossible target (1 ns): the figures alone decide the causes.
fn diagnosed(file: &str, median_ms: f64, rows: u64) -> Diagnosis {
    diagnose(&query(file, median_ms, rows, Some(0.000001))).expect("a diagnosis")
}

#[test]
fn the_demos_epoch_query_spends_its_time_sending_rows() {
    // The demo's figures on this machine: the server ran it in 31 ms, the median was 72.6 ms.
    let d = diagnosed("diagnosis/codetune_epoch.json", 72.6, 49_590);
    assert_eq!(d.causes, [Cause::ResultTransfer]);
    assert_eq!(
        d.message,
        "ix_training_metric_epoch returns 49,590 rows, 4.96% of the 1,000,000 in training_metric, \
         from 1,432 of its 8,404 pages; the server executed it in 31.2 ms (EXPLAIN ANALYZE) of \
         the 72.6 ms median, the rest is mostly sending 49,590 rows to the client: fetch fewer \
         rows or columns (a LIMIT, a narrower select list), or set a target that allows for a \
         result this size"
    );
    assert_eq!(d.symptom, "missed its 0.000 ms target (72.6 ms)");
}

#[test]
fn rows_scattered_over_every_page_read_the_whole_table() {
    let d = diagnosed("diagnosis/most_pages.json", 15.0, 10_000);
    assert_eq!(d.causes, [Cause::MostPages]);
    assert!(
        d.message.starts_with(
            "ix_readings_sensor returns 10,000 rows, 5.00% of the 200,000 in readings, from \
             3,846 of its 3,847 pages; it read 100% of the pages, about what a seq scan reads: an \
             index pays off only when it skips most of the table"
        ),
        "{}",
        d.message
    );
}

#[test]
fn a_lossy_bitmap_asks_for_work_mem() {
    let d = diagnosed("diagnosis/lossy_bitmap.json", 40.0, 10_000);
    assert_eq!(d.causes, [Cause::LossyBitmap, Cause::MostPages]);
    assert!(
        d.message.contains(
            "the bitmap went lossy on 3,093 of its heap pages, so each of their rows was \
             rechecked, 152,800 rows removed"
        ),
        "{}",
        d.message
    );
    assert!(
        d.message
            .ends_with(": raise work_mem so the bitmap stays exact")
    );
}

#[test]
fn a_brin_recheck_is_the_index_type_not_work_mem() {
    let d = diagnosed("diagnosis/brin_recheck.json", 1.0, 51);
    assert_eq!(d.causes, [Cause::IndexRecheck]);
    assert!(
        d.message.contains(
            "BRIN returns whole ranges of pages, and their recheck threw away 1,613 of the \
             1,664 rows fetched: a smaller pages_per_range"
        ),
        "{}",
        d.message
    );
    assert!(!d.message.contains("work_mem"), "{}", d.message);
}

#[test]
fn a_filter_the_index_does_not_cover_is_named() {
    let d = diagnosed("diagnosis/filter_removes_rows.json", 3.0, 100);
    assert_eq!(d.causes, [Cause::FilterRemovesRows]);
    assert!(
        d.message.contains(
            "its Filter (readings.status = 'error'::text) threw away 9,900 of the 10,000 rows \
             the index found: add the filter's columns to the index"
        ),
        "{}",
        d.message
    );
}

#[test]
fn sorts_and_hashes_that_spill_come_first() {
    let sort = diagnosed("diagnosis/sort_spill.json", 30.0, 20_000);
    assert_eq!(sort.causes, [Cause::SortSpill]);
    assert!(
        sort.message
            .contains("; a Sort spilled 2.64 MB to disk (external merge): raise work_mem"),
        "{}",
        sort.message
    );
    let hash = diagnosed("diagnosis/hash_spill.json", 140.0, 20_000);
    assert_eq!(hash.causes, [Cause::HashSpill]);
    assert!(
        hash.message.contains("a Hash went to disk in 512 batches"),
        "{}",
        hash.message
    );
}

#[test]
fn stale_statistics_show_as_a_misestimate() {
    let d = diagnosed("diagnosis/misestimate.json", 25.0, 100_001);
    // It also read the whole table, but the estimate is what to fix first.
    assert_eq!(d.causes, [Cause::Misestimate, Cause::MostPages]);
    assert!(
        d.message.starts_with(
            "ix_events_kind returns 100,001 rows of events, whose statistics count 1,000 rows, \
             reading 622 buffers (its table has 546 pages); the planner expected 1 row and got \
             100,001; it read 100% of the pages"
        ),
        "{}",
        d.message
    );
    assert!(
        d.message.contains(": run ANALYZE events (or raise"),
        "{}",
        d.message
    );
}

#[test]
fn a_plain_index_scan_that_misses_shows_nothing_in_the_plan() {
    let d = diagnosed("index_scan.json", 5.0, 301);
    assert_eq!(d.causes, [Cause::NoneInPlan]);
    assert!(
        d.message
            .contains("the plan shows no spill, lossy bitmap, wasted rows or misestimate"),
        "{}",
        d.message
    );
}

#[test]
fn only_a_shortfall_of_a_query_that_uses_an_index_is_diagnosed() {
    let met = query(
        "diagnosis/codetune_epoch.json",
        72.6,
        49_590,
        Some(600_000.0),
    );
    assert_eq!(diagnose(&met), None);
    let no_target = query("diagnosis/codetune_epoch.json", 72.6, 49_590, None);
    assert_eq!(diagnose(&no_target), None);
    let seq_scan = query("seq_scan.json", 50.0, 100_000, Some(0.000001));
    assert_eq!(diagnose(&seq_scan), None);
}

fn compared(change_pct: f64, plan_then: &str, regression: Option<Regression>) -> QueryResult {
    let mut q = query("diagnosis/codetune_epoch.json", 72.6, 49_590, None);
    q.baseline = Some(QueryBaseline {
        plan: Some(plan_then.into()),
        median_ms: Some(72.6 / (1.0 + change_pct / 100.0)),
        change_pct: Some(change_pct),
        noise_ms: Some(1.0),
        min_change_ms: Some(0.2),
        regression,
        not_judged: None,
        reference_ratio: None,
        adjusted_median_ms: None,
        work_ratio: None,
        confirmed_by: None,
    });
    q
}

#[test]
fn a_baseline_decides_no_faster_slower_and_short_of_the_improvement() {
    let seq = "Seq Scan on training_metric";
    let symptom = |q: &QueryResult| diagnose(q).map(|d| d.symptom);
    assert_eq!(
        symptom(&compared(-3.0, seq, None)).as_deref(),
        Some("is no faster than before (-3%)")
    );
    assert_eq!(symptom(&compared(-47.0, seq, None)), None);
    // The same plan then and now: an unchanged query is not "no faster".
    let same = compared(
        2.0,
        "Bitmap Heap Scan on training_metric using ix_training_metric_epoch",
        None,
    );
    assert_eq!(symptom(&same), None);
    assert_eq!(
        symptom(&compared(40.0, seq, Some(Regression::Slower))).as_deref(),
        Some("is slower than its baseline (+40%)")
    );
    let mut short = compared(-30.0, seq, None);
    short.target_improvement_pct = Some(50.0);
    assert_eq!(
        symptom(&short).as_deref(),
        Some("is 30% faster, short of its 50% target")
    );
}
