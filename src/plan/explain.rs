//! The parsed EXPLAIN result and the walk that collects its scans.
//!
//! The walk visits the flat pre-order node list once, carrying for every node what it
//! inherits from its ancestors (the enclosing subplan, the Bitmap Heap Scan collecting index
//! names), so it needs no recursion however deep the plan is.

use serde::Serialize;

use super::figures::{self, PlanFigures};
use super::placement::{self, Placement};
use super::scan::IndexRead;
use super::tree::{PlanNode, read_plan_tree};
use super::{PlanError, Scan, summary};

/// What pgvet keeps from one EXPLAIN (FORMAT JSON) result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explain {
    /// Every scan in the plan, main query and all InitPlans, SubPlans and CTEs, in tree
    /// order (a node before its children, children in the order EXPLAIN lists them).
    pub scans: Vec<Scan>,
    /// "Planning Time" in milliseconds; `None` when not reported (e.g. SUMMARY off).
    pub planning_ms: Option<f64>,
    /// "Execution Time" in milliseconds; `None` without ANALYZE.
    pub execution_ms: Option<f64>,
    /// Number of plan nodes of every kind, Bitmap Index Scans included.
    pub node_count: usize,
    /// What the executed plan shows about its index scans and memory (empty without ANALYZE).
    pub figures: PlanFigures,
    /// The planner's "Total Cost" of the statement (summed over statements when there are
    /// several); `None` when costs were not shown.
    pub total_cost: Option<f64>,
    /// Where each scan sits (the Sort under a Limit above it, the joins above it), in the
    /// order of `scans`.
    pub placements: Vec<Placement>,
}

impl Explain {
    /// Parses the text of `EXPLAIN (..., FORMAT JSON)`: the top-level array (normally of one
    /// statement) or a single statement object. When the array holds several statements
    /// (rules can add some), their scans are concatenated and their times added.
    pub fn parse(text: &str) -> Result<Explain, PlanError> {
        let tree = read_plan_tree(text)?;
        let (scans, scan_nodes) = collect_scans(&tree.nodes)?;
        let figures = figures::collect(&tree.nodes, &scans, &scan_nodes);
        let placements = placement::collect(&tree.nodes, &scan_nodes);
        let total_cost = tree
            .nodes
            .iter()
            .filter(|n| n.parent.is_none())
            .filter_map(|n| n.total_cost)
            .reduce(|a, b| a + b);
        Ok(Explain {
            figures,
            total_cost,
            placements,
            scans,
            planning_ms: tree.planning_ms,
            execution_ms: tree.execution_ms,
            node_count: tree.nodes.len(),
        })
    }

    /// The plan's scans on one line; see [`summary`].
    pub fn summary(&self) -> String {
        summary(&self.scans)
    }
}

/// What a node takes over from its ancestors.
#[derive(Debug, Clone, Copy, Default)]
struct Inherited {
    /// Index of the nearest node (itself included) carrying a "Subplan Name".
    subplan_node: Option<usize>,
    /// Position in the scan list of the Bitmap Heap Scan that this bitmap node feeds.
    bitmap_heap_scan: Option<usize>,
    /// The node's rows reach a Limit in order, so its outer input may stop early.
    feeds_limit: bool,
}

/// Nodes that pass their outer input's rows on as they come (or in order), so a Limit above
/// them stops that input early. A Sort, an Aggregate or a Hash reads all of its input first.
const STREAMING: [&str; 12] = [
    "Result",
    "Subquery Scan",
    "Append",
    "Merge Append",
    "Gather",
    "Gather Merge",
    "Incremental Sort",
    "Unique",
    "LockRows",
    "Nested Loop",
    "Merge Join",
    "Hash Join",
];

/// Whether a node (of `node_type`, below a parent that feeds a Limit or not) has rows that
/// reach a Limit early, and whether it passes that on to its own outer input.
fn limited(node_type: &str, node: &PlanNode, parent_feeds_limit: bool) -> (bool, bool) {
    // The outer input, an Append member or a subquery streams to its parent; an inner side
    // is rescanned per outer row, and an InitPlan or SubPlan runs on its own.
    let streams_to_parent = matches!(
        node.parent_relationship.as_deref(),
        Some("Outer" | "Member" | "Subquery")
    );
    let under_limit = parent_feeds_limit && streams_to_parent;
    let feeds = node_type == "Limit" || (under_limit && STREAMING.contains(&node_type));
    (under_limit, feeds)
}

/// Collects the scans of pre-order `nodes`, whose parents always come before them, and the
/// position in `nodes` of each one.
fn collect_scans(nodes: &[PlanNode]) -> Result<(Vec<Scan>, Vec<usize>), PlanError> {
    let mut scans: Vec<Scan> = Vec::new();
    let mut scan_nodes = Vec::new();
    let mut inherited: Vec<Inherited> = Vec::with_capacity(nodes.len());
    for (index, node) in nodes.iter().enumerate() {
        let node_type = node
            .node_type
            .as_deref()
            .ok_or(PlanError::MissingNodeType { node: index + 1 })?;
        let from_parent = node
            .parent
            .map(|parent| inherited[parent])
            .unwrap_or_default();
        let subplan_node = match node.subplan_name {
            Some(_) => Some(index),
            None => from_parent.subplan_node,
        };
        // Only BitmapAnd / BitmapOr sit between a Bitmap Heap Scan and its index scans.
        let mut bitmap_heap_scan = match node_type {
            "BitmapAnd" | "BitmapOr" => from_parent.bitmap_heap_scan,
            _ => None,
        };
        let (under_limit, feeds_limit) = limited(node_type, node, from_parent.feeds_limit);
        match (node_type, from_parent.bitmap_heap_scan) {
            ("Bitmap Index Scan", Some(heap)) => add_index(&mut scans[heap], node),
            (_, _) if node_type.ends_with("Scan") => {
                if node_type == "Bitmap Heap Scan" {
                    bitmap_heap_scan = Some(scans.len());
                }
                let context = subplan_node.and_then(|at| nodes[at].subplan_name.clone());
                scans.push(Scan {
                    under_limit,
                    ..scan_of(node_type, node, context)
                });
                scan_nodes.push(index);
            }
            _ => {}
        }
        inherited.push(Inherited {
            subplan_node,
            bitmap_heap_scan,
            feeds_limit,
        });
    }
    Ok((scans, scan_nodes))
}

fn add_index(scan: &mut Scan, bitmap_index_scan: &PlanNode) {
    scan.index_cond |= bitmap_index_scan.index_cond.is_some();
    scan.index_reads.extend(index_read(bitmap_index_scan));
    if let Some(index) = &bitmap_index_scan.index_name
        && !scan.indexes.contains(index)
    {
        scan.indexes.push(index.clone());
    }
}

/// The index a node reads and its condition, when it reads one.
fn index_read(node: &PlanNode) -> Option<IndexRead> {
    Some(IndexRead {
        index: node.index_name.clone()?,
        cond: node.index_cond.clone(),
        searches: node.index_searches,
    })
}

fn scan_of(node_type: &str, node: &PlanNode, context: Option<String>) -> Scan {
    Scan {
        node_type: node_type.to_string(),
        relation: node.relation_name.clone(),
        schema: node.schema.clone(),
        alias: node.alias.clone(),
        indexes: node.index_name.iter().cloned().collect(),
        index_reads: index_read(node).into_iter().collect(),
        parallel: node.parallel_aware.unwrap_or(false),
        backward: node.scan_direction.as_deref() == Some("Backward"),
        rows_estimated: node.plan_rows,
        rows_actual: node.actual_rows,
        loops: node.actual_loops,
        rows_read: rows_read(node),
        index_cond: node.index_cond.is_some(),
        filter: node.filter.clone(),
        under_limit: false,
        context,
    }
}

/// (Actual Rows + Rows Removed by Filter) × Actual Loops; both row counts are per loop.
fn rows_read(node: &PlanNode) -> Option<f64> {
    let rows = node.actual_rows?;
    let loops = node.actual_loops?;
    Some((rows + node.rows_removed_by_filter.unwrap_or(0.0)) * loops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(explain: &Explain) -> Vec<String> {
        explain.scans.iter().map(Scan::describe).collect()
    }

    #[test]
    fn survives_a_plan_ten_thousand_nodes_deep() {
        let depth = 10_000;
        let limit = r#"{"Node Type": "Limit", "Plan Rows": 1, "Plans": ["#;
        let mut text = String::from(r#"[{"Plan": "#);
        text.push_str(&limit.repeat(depth));
        text.push_str(
            r#"{"Node Type": "Seq Scan", "Relation Name": "t", "Subplan Name": "CTE c"}"#,
        );
        text.push_str(&"]}".repeat(depth));
        text.push_str(r#", "Planning Time": 1.5}]"#);
        let explain = Explain::parse(&text).unwrap();
        assert_eq!(explain.node_count, depth + 1);
        assert_eq!(described(&explain), ["Seq Scan on t"]);
        assert_eq!(explain.scans[0].context.as_deref(), Some("CTE c"));
        assert_eq!(explain.planning_ms, Some(1.5));
    }

    #[test]
    fn survives_a_plan_ten_thousand_nodes_wide() {
        let width = 10_000;
        let children: Vec<String> = (0..width)
            .map(|i| format!(r#"{{"Node Type": "Seq Scan", "Relation Name": "p{i}"}}"#))
            .collect();
        let text = format!(
            r#"[{{"Plan": {{"Node Type": "Append", "Plans": [{}]}}}}]"#,
            children.join(",")
        );
        let explain = Explain::parse(&text).unwrap();
        assert_eq!(explain.node_count, width + 1);
        assert_eq!(explain.scans.len(), width);
        assert_eq!(explain.scans[9_999].relation.as_deref(), Some("p9999"));
    }

    #[test]
    fn reads_fields_added_in_newer_servers() {
        // Shaped like PostgreSQL 18 output: fractional per-loop rows, "Disabled",
        // "Index Searches"; the unknown fields are ignored.
        let text = r#"[{"Plan": {"Node Type": "Index Scan", "Parallel Aware": false,
            "Async Capable": false, "Scan Direction": "Forward", "Index Name": "ix_a",
            "Relation Name": "a", "Alias": "a", "Plan Rows": 3, "Actual Rows": 2.50,
            "Actual Loops": 4, "Disabled": false, "Index Searches": 4,
            "Rows Removed by Filter": 0.25}, "Planning Time": 0.1, "Execution Time": 0.2}]"#;
        let scan = &Explain::parse(text).unwrap().scans[0];
        assert_eq!(scan.rows_actual, Some(2.5));
        assert_eq!(scan.rows_read, Some(11.0));
        assert_eq!(scan.describe(), "Index Scan using ix_a on a");
    }

    #[test]
    fn folds_bitmap_index_scans_only_into_their_own_heap_scan() {
        // The heap scan's InitPlan holds a Bitmap Index Scan that is not one of its inputs
        // (hand-built: PostgreSQL itself always puts a Bitmap Heap Scan above one).
        let text = r#"[{"Plan": {"Node Type": "Bitmap Heap Scan", "Relation Name": "t", "Plans": [
            {"Node Type": "BitmapOr", "Plans": [
                {"Node Type": "Bitmap Index Scan", "Index Name": "ix_a"},
                {"Node Type": "Bitmap Index Scan", "Index Name": "ix_a"}]},
            {"Node Type": "Result", "Subplan Name": "InitPlan 1", "Plans": [
                {"Node Type": "Bitmap Index Scan", "Index Name": "ix_b"}]}]}}]"#;
        let explain = Explain::parse(text).unwrap();
        assert_eq!(
            described(&explain),
            [
                "Bitmap Heap Scan on t using ix_a",
                "Bitmap Index Scan using ix_b"
            ]
        );
        assert_eq!(explain.scans[1].context.as_deref(), Some("InitPlan 1"));
    }

    #[test]
    fn context_is_the_nearest_subplan() {
        let text = r#"[{"Plan": {"Node Type": "Result", "Plans": [
            {"Node Type": "Result", "Subplan Name": "InitPlan 2", "Plans": [
                {"Node Type": "Seq Scan", "Relation Name": "a"},
                {"Node Type": "Limit", "Subplan Name": "InitPlan 1", "Plans": [
                    {"Node Type": "Seq Scan", "Relation Name": "b"}]}]},
            {"Node Type": "Seq Scan", "Relation Name": "c"}]}}]"#;
        let contexts: Vec<_> = Explain::parse(text)
            .unwrap()
            .scans
            .into_iter()
            .map(|s| (s.relation.unwrap(), s.context))
            .collect();
        let want = [
            ("a", Some("InitPlan 2")),
            ("b", Some("InitPlan 1")),
            ("c", None),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(r, c)| (r.to_string(), c.map(str::to_string)))
            .collect();
        assert_eq!(contexts, want);
    }

    #[test]
    fn rejects_nodes_without_a_type() {
        let text = r#"[{"Plan": {"Node Type": "Limit", "Plans": [{"Plan Rows": 1}]}}]"#;
        assert_eq!(
            Explain::parse(text),
            Err(PlanError::MissingNodeType { node: 2 })
        );
    }

    #[test]
    fn malformed_text_is_an_error() {
        assert!(matches!(
            Explain::parse("QUERY PLAN"),
            Err(PlanError::Syntax { .. })
        ));
        assert_eq!(Explain::parse("[]"), Err(PlanError::NoPlan));
        let deep_garbage = "[{\"Plan\": ".to_string() + &"{\"Plans\": [".repeat(50_000);
        assert!(matches!(
            Explain::parse(&deep_garbage),
            Err(PlanError::Syntax { .. })
        ));
    }
}
