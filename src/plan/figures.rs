//! The figures of an executed plan that say why an index did not make a query fast: for each
//! scan that reads through an index, the rows it returned, estimated, filtered out or rechecked
//! and the pages it read; and every sort or hash that did not fit in `work_mem`. They come from
//! `EXPLAIN (ANALYZE, BUFFERS)`; `check::diagnosis` turns them into a sentence. Pure.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Scan;
use super::tree::PlanNode;

/// The fields of one plan node that the figures come from; absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct NodeFigures {
    rows_removed_by_recheck: Option<f64>,
    exact_heap_blocks: Option<f64>,
    lossy_heap_blocks: Option<f64>,
    shared_hit_blocks: Option<f64>,
    shared_read_blocks: Option<f64>,
    local_hit_blocks: Option<f64>,
    local_read_blocks: Option<f64>,
    temp_read_blocks: Option<f64>,
    temp_written_blocks: Option<f64>,
    sort_space_used_kb: Option<f64>,
    hash_batches: Option<f64>,
    hashagg_batches: Option<f64>,
    disk_usage_kb: Option<f64>,
    sort_method: Option<String>,
    sort_space_type: Option<String>,
}

impl NodeFigures {
    pub(super) fn number_field(&mut self, name: &str) -> Option<&mut Option<f64>> {
        Some(match name {
            "Rows Removed by Index Recheck" => &mut self.rows_removed_by_recheck,
            "Exact Heap Blocks" => &mut self.exact_heap_blocks,
            "Lossy Heap Blocks" => &mut self.lossy_heap_blocks,
            "Shared Hit Blocks" => &mut self.shared_hit_blocks,
            "Shared Read Blocks" => &mut self.shared_read_blocks,
            "Local Hit Blocks" => &mut self.local_hit_blocks,
            "Local Read Blocks" => &mut self.local_read_blocks,
            "Temp Read Blocks" => &mut self.temp_read_blocks,
            "Temp Written Blocks" => &mut self.temp_written_blocks,
            "Sort Space Used" => &mut self.sort_space_used_kb,
            "Hash Batches" => &mut self.hash_batches,
            "HashAgg Batches" => &mut self.hashagg_batches,
            "Disk Usage" => &mut self.disk_usage_kb,
            _ => return None,
        })
    }

    pub(super) fn text_field(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "Sort Method" => &mut self.sort_method,
            "Sort Space Type" => &mut self.sort_space_type,
            _ => return None,
        })
    }
}

/// What the executed plan shows about its index scans and its memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanFigures {
    /// Every executed scan that reads through an index, in plan order.
    pub scans: Vec<IndexScanFigures>,
    /// Every sort, hash or hash aggregate that spilled to disk.
    pub spills: Vec<Spill>,
    /// How much the whole plan did; `None` in runs saved before pgvet recorded it.
    #[serde(default)]
    pub work: Option<Work>,
}

/// How much work an executed plan did, in figures that do not depend on the machine's speed:
/// the same plan over the same data gives the same figures. `check::slower` tells a query that
/// does more from a machine that is slower by them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// Buffers the statement hit, read or wrote, shared, local and temporary (its top nodes'
    /// counts, which include every node below them); `None` without BUFFERS.
    #[serde(serialize_with = "crate::report::count::count_opt")]
    pub buffers: Option<f64>,
    /// Rows all its scans returned, over all loops.
    #[serde(serialize_with = "crate::report::count::count")]
    pub rows_scanned: f64,
}

impl Work {
    /// How many times the work of `then` this is: the larger of the two figures' ratios, of
    /// those both sides have and `then` has more than none of.
    pub fn ratio(then: &Work, now: &Work) -> Option<f64> {
        let ratio = |a: f64, b: f64| (a > 0.0).then(|| b / a);
        let buffers = then.buffers.zip(now.buffers).and_then(|(a, b)| ratio(a, b));
        let rows = ratio(then.rows_scanned, now.rows_scanned);
        match (buffers, rows) {
            (Some(b), Some(r)) => Some(b.max(r)),
            (b, r) => b.or(r),
        }
    }
}

/// One index scan (Index, Index Only or Bitmap Heap Scan) as EXPLAIN ANALYZE measured it.
/// Row counts are totals over all loops; `rows_estimated` is the planner's per-loop figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexScanFigures {
    pub relation: Option<String>,
    pub schema: Option<String>,
    /// The index, or for a bitmap scan over several, their names joined by ", ".
    pub index: String,
    pub node_type: String,
    #[serde(serialize_with = "crate::report::count::count")]
    pub loops: f64,
    /// Rows the scan returned.
    #[serde(serialize_with = "crate::report::count::count")]
    pub rows: f64,
    /// "Plan Rows": the rows the planner expected per loop.
    #[serde(serialize_with = "crate::report::count::count_opt")]
    pub rows_estimated: Option<f64>,
    /// Rows read and then thrown away by the node's "Filter" (shown in `filter`).
    #[serde(serialize_with = "crate::report::count::count_opt")]
    pub rows_removed_by_filter: Option<f64>,
    pub filter: Option<String>,
    /// Rows fetched and then thrown away by a bitmap scan's recheck of its index condition.
    #[serde(serialize_with = "crate::report::count::count_opt")]
    pub rows_removed_by_recheck: Option<f64>,
    /// A bitmap scan's heap pages: exact ones, and lossy ones whose every row was rechecked.
    #[serde(serialize_with = "crate::report::count::count_opt")]
    pub heap_pages_exact: Option<f64>,
    #[serde(serialize_with = "crate::report::count::count_opt")]
    pub heap_pages_lossy: Option<f64>,
    /// Shared buffers hit or read by the scan (index and heap pages, repeats counted).
    #[serde(serialize_with = "crate::report::count::count_opt")]
    pub buffers: Option<f64>,
    /// The relation's rows (`pg_class.reltuples`) and pages (its size / block size), and the
    /// index's access method ("btree", "brin", …), from the catalog; filled in by the run,
    /// `None` when unknown.
    #[serde(default, serialize_with = "crate::report::count::count_opt")]
    pub relation_rows: Option<f64>,
    #[serde(default, serialize_with = "crate::report::count::count_opt")]
    pub relation_pages: Option<f64>,
    #[serde(default)]
    pub index_method: Option<String>,
}

/// What the catalog says about a relation or index: `pg_class.reltuples` (negative when never
/// analyzed), its pages, and its access method.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    pub rows: f64,
    pub pages: f64,
    pub access_method: Option<String>,
}

/// A plan node that needed more memory than `work_mem` and went to disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spill {
    /// "Sort", "Hash" or "Aggregate" (a hash aggregate).
    pub node_type: String,
    /// "external merge", "external sort" (sorts only).
    pub method: Option<String>,
    /// Disk used, in kB, when the node reports it.
    #[serde(serialize_with = "crate::report::count::count_opt")]
    pub disk_kb: Option<f64>,
    /// Batches a hash or hash aggregate was split into (more than 1).
    #[serde(serialize_with = "crate::report::count::count_opt")]
    pub batches: Option<f64>,
}

impl IndexScanFigures {
    /// Heap pages a bitmap scan visited; `None` for other scans.
    pub fn heap_pages(&self) -> Option<f64> {
        match (self.heap_pages_exact, self.heap_pages_lossy) {
            (None, None) => None,
            (exact, lossy) => Some(exact.unwrap_or(0.0) + lossy.unwrap_or(0.0)),
        }
    }
}

impl PlanFigures {
    /// The relations the index scans read and their indexes (which live in the relation's
    /// schema), as (schema, name), `default_schema` when the plan does not say (it does with
    /// VERBOSE); without repeats.
    pub fn catalog_names(&self, default_schema: &str) -> Vec<(String, String)> {
        let mut names: Vec<_> = self
            .scans
            .iter()
            .flat_map(|s| {
                let schema = schema(s, default_schema);
                let indexes = s.index.split(", ").map(str::to_string);
                s.relation
                    .iter()
                    .cloned()
                    .chain(indexes)
                    .map(move |name| (schema.clone(), name))
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Fills in each scan's relation size and index method from `catalog`, keyed as
    /// [`PlanFigures::catalog_names`] lists them. A relation never analyzed has no row count.
    pub fn set_catalog(
        &mut self,
        catalog: &HashMap<(String, String), CatalogEntry>,
        default_schema: &str,
    ) {
        for scan in &mut self.scans {
            let schema = schema(scan, default_schema);
            let entry = |name: &str| catalog.get(&(schema.clone(), name.to_string()));
            if let Some(relation) = scan.relation.as_deref().and_then(entry) {
                scan.relation_rows = (relation.rows >= 0.0).then_some(relation.rows);
                scan.relation_pages = Some(relation.pages);
            }
            let first_index = scan.index.split(", ").next().unwrap_or_default();
            scan.index_method = entry(first_index).and_then(|i| i.access_method.clone());
        }
    }
}

fn schema(scan: &IndexScanFigures, default_schema: &str) -> String {
    scan.schema
        .clone()
        .unwrap_or_else(|| default_schema.to_string())
}

/// The figures of `scans` (found at `nodes[scan_nodes[i]]`) and of every node that spilled.
pub(super) fn collect(nodes: &[PlanNode], scans: &[Scan], scan_nodes: &[usize]) -> PlanFigures {
    let index_scans = scans
        .iter()
        .zip(scan_nodes)
        .filter_map(|(scan, &at)| index_scan(scan, &nodes[at]))
        .collect();
    let spills = nodes.iter().filter_map(spill).collect();
    let work = work(nodes, scans);
    PlanFigures {
        scans: index_scans,
        spills,
        work,
    }
}

/// The plan's work; `None` for a plan that did not run (EXPLAIN without ANALYZE).
fn work(nodes: &[PlanNode], scans: &[Scan]) -> Option<Work> {
    if scans.iter().all(|s| s.rows_actual.is_none()) {
        return None;
    }
    let top = nodes.iter().filter(|n| n.parent.is_none());
    let blocks = top
        .flat_map(|n| {
            let f = &n.figures;
            [
                f.shared_hit_blocks,
                f.shared_read_blocks,
                f.local_hit_blocks,
                f.local_read_blocks,
                f.temp_read_blocks,
                f.temp_written_blocks,
            ]
        })
        .flatten()
        .fold(None, |sum: Option<f64>, b| Some(sum.unwrap_or(0.0) + b));
    let rows_scanned = scans
        .iter()
        .map(|s| s.rows_actual.unwrap_or(0.0) * s.loops.unwrap_or(1.0))
        .sum();
    Some(Work {
        buffers: blocks,
        rows_scanned,
    })
}

fn index_scan(scan: &Scan, node: &PlanNode) -> Option<IndexScanFigures> {
    let loops = scan.loops.filter(|&l| l > 0.0)?;
    if !scan.uses_index() {
        return None;
    }
    let f = &node.figures;
    let total = |per_loop: Option<f64>| per_loop.map(|n| n * loops);
    let buffers = match (f.shared_hit_blocks, f.shared_read_blocks) {
        (None, None) => None,
        (hit, read) => Some(hit.unwrap_or(0.0) + read.unwrap_or(0.0)),
    };
    Some(IndexScanFigures {
        relation: scan.relation.clone(),
        schema: scan.schema.clone(),
        index: scan.indexes.join(", "),
        node_type: scan.node_type.clone(),
        loops,
        rows: scan.rows_actual? * loops,
        rows_estimated: scan.rows_estimated,
        rows_removed_by_filter: total(node.rows_removed_by_filter),
        filter: node.filter.clone(),
        rows_removed_by_recheck: total(f.rows_removed_by_recheck),
        heap_pages_exact: f.exact_heap_blocks,
        heap_pages_lossy: f.lossy_heap_blocks,
        buffers,
        relation_rows: None,
        relation_pages: None,
        index_method: None,
    })
}

fn spill(node: &PlanNode) -> Option<Spill> {
    let f = &node.figures;
    let node_type = node.node_type.clone()?;
    let sorted_on_disk = f.sort_space_type.as_deref() == Some("Disk");
    let batches = f.hash_batches.or(f.hashagg_batches).filter(|&b| b > 1.0);
    if !sorted_on_disk && batches.is_none() && !f.disk_usage_kb.is_some_and(|kb| kb > 0.0) {
        return None;
    }
    Some(Spill {
        node_type,
        method: f.sort_method.clone().filter(|_| sorted_on_disk),
        disk_kb: if sorted_on_disk {
            f.sort_space_used_kb
        } else {
            f.disk_usage_kb
        },
        batches,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Explain;
    use super::*;

    fn figures(name: &str) -> PlanFigures {
        let path = format!("{}/fixtures/plans/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Explain::parse(&text).unwrap().figures
    }

    #[test]
    fn a_bitmap_scan_in_a_loop_counts_rows_over_all_loops() {
        let f = figures("nested_loop.json");
        assert_eq!(f.spills, []);
        let [scan] = f.scans.as_slice() else {
            panic!("only the bitmap scan reads through an index: {f:?}")
        };
        assert_eq!(
            scan.index,
            "ix_training_metric_config_id, ix_training_metric_epoch"
        );
        assert_eq!(
            (scan.loops, scan.rows, scan.rows_estimated),
            (2.0, 40.0, Some(19.0))
        );
        assert_eq!((scan.heap_pages(), scan.buffers), (Some(40.0), Some(55.0)));
        assert_eq!(scan.rows_removed_by_recheck, Some(0.0));
    }

    #[test]
    fn scans_without_an_index_or_never_run_have_no_figures() {
        let seq_scan = figures("seq_scan.json");
        assert_eq!((seq_scan.scans, seq_scan.spills), (vec![], vec![]));
        assert_eq!(figures("no_analyze.json"), PlanFigures::default());
        let never = figures("never_executed.json");
        let indexes: Vec<&str> = never.scans.iter().map(|s| s.index.as_str()).collect();
        assert_eq!(indexes, ["training_config_pkey"]);
    }

    #[test]
    fn the_work_counts_every_buffer_of_the_statement_and_every_scanned_row() {
        // The top node's buffers include every node below it; rows are over all loops.
        let work = figures("nested_loop.json").work.unwrap();
        let text = std::fs::read_to_string(format!(
            "{}/fixtures/plans/nested_loop.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let explain = Explain::parse(&text).unwrap();
        let scanned: f64 = explain
            .scans
            .iter()
            .map(|s| s.rows_actual.unwrap() * s.loops.unwrap())
            .sum();
        assert_eq!(work.rows_scanned, scanned);
        assert!(work.rows_scanned >= 40.0, "{work:?}");
        assert_eq!(work.buffers, Some(57.0), "the top node's shared hits");
        // A plan that did not run did no work.
        assert_eq!(figures("no_analyze.json").work, None);
        // Temporary blocks count: a sort that spilled wrote them.
        let spilled = figures("diagnosis/sort_spill.json").work.unwrap();
        assert_eq!(spilled.buffers, Some(399.0 + 9.0 + 1001.0 + 1082.0));
    }

    #[test]
    fn work_ratios_take_the_larger_figure_and_skip_what_is_missing() {
        let w = |buffers, rows_scanned| Work {
            buffers,
            rows_scanned,
        };
        assert_eq!(
            Work::ratio(&w(Some(100.0), 10.0), &w(Some(200.0), 10.0)),
            Some(2.0)
        );
        assert_eq!(
            Work::ratio(&w(Some(100.0), 10.0), &w(Some(100.0), 30.0)),
            Some(3.0)
        );
        assert_eq!(
            Work::ratio(&w(None, 10.0), &w(Some(100.0), 10.0)),
            Some(1.0)
        );
        assert_eq!(Work::ratio(&w(Some(0.0), 0.0), &w(Some(5.0), 5.0)), None);
    }

    #[test]
    fn filters_rechecks_and_lossy_pages_are_read() {
        let filtered = &figures("diagnosis/filter_removes_rows.json").scans[0];
        assert_eq!(filtered.rows_removed_by_filter, Some(9900.0));
        assert_eq!(
            filtered.filter.as_deref(),
            Some("(readings.status = 'error'::text)")
        );
        let lossy = &figures("diagnosis/lossy_bitmap.json").scans[0];
        assert_eq!(
            (lossy.heap_pages_exact, lossy.heap_pages_lossy),
            (Some(753.0), Some(3093.0))
        );
        assert_eq!(lossy.rows_removed_by_recheck, Some(152_800.0));
    }

    #[test]
    fn sorts_and_hashes_on_disk_are_spills() {
        let sort = figures("diagnosis/sort_spill.json");
        assert_eq!(
            sort.spills,
            [Spill {
                node_type: "Sort".into(),
                method: Some("external merge".into()),
                disk_kb: Some(2704.0),
                batches: None,
            }]
        );
        let hash = figures("diagnosis/hash_spill.json");
        assert_eq!(hash.spills.len(), 1);
        assert_eq!(
            (hash.spills[0].node_type.as_str(), hash.spills[0].batches),
            ("Hash", Some(512.0))
        );
        // A sort that fits in memory is no spill.
        assert_eq!(figures("diagnosis/most_pages.json").spills, []);
    }

    #[test]
    fn the_catalog_fills_in_sizes_and_the_index_method() {
        let mut f = figures("diagnosis/brin_recheck.json");
        assert_eq!(
            f.catalog_names("other"),
            [
                ("public".to_string(), "brin_readings_value".to_string()),
                ("public".to_string(), "readings".to_string())
            ]
        );
        let entry = |rows, pages, method: &str| CatalogEntry {
            rows,
            pages,
            access_method: Some(method.into()),
        };
        let catalog = HashMap::from([
            (
                ("public".into(), "readings".into()),
                entry(-1.0, 3847.0, "heap"),
            ),
            (
                ("public".into(), "brin_readings_value".into()),
                entry(200_000.0, 3.0, "brin"),
            ),
        ]);
        f.set_catalog(&catalog, "other");
        let scan = &f.scans[0];
        assert_eq!(
            (
                scan.relation_rows,
                scan.relation_pages,
                scan.index_method.as_deref()
            ),
            (None, Some(3847.0), Some("brin"))
        );
    }
}
