//! Where a scan sits in its plan, as far as an index could change it: the order a Sort feeding
//! a Limit asks of its rows (an index in that order lets the scan stop early), and the join
//! conditions above it (an index on its join key lets a nested loop look rows up). The index
//! advice (`check::advice`) derives its candidates from these and the scan's own conditions.
//! Pure: a walk up the parent links of the flat node list.

use serde::Serialize;

use super::tree::PlanNode;

/// What the nodes above one scan ask of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Placement {
    /// The "Sort Key" of a Sort directly above the scan (through a Gather or Result) that
    /// feeds a Limit (through a Gather Merge or Result): `ORDER BY … LIMIT` on this scan's
    /// rows. Each key as EXPLAIN prints it (`t.created_at DESC`). Empty otherwise.
    pub limit_order: Vec<String>,
    /// The conditions ("Hash Cond", "Merge Cond", "Join Filter") of every join above the scan,
    /// nearest first.
    pub join_conds: Vec<String>,
}

/// Nodes that pass a scan's rows on unchanged, between it and the Sort above it.
const BELOW_SORT: [&str; 2] = ["Result", "Gather"];
/// Nodes that pass a Sort's rows on in order, between it and the Limit above it.
const ABOVE_SORT: [&str; 2] = ["Result", "Gather Merge"];
const JOINS: [&str; 3] = ["Hash Join", "Merge Join", "Nested Loop"];

/// The placement of each scan, in the order of `scan_nodes` (their positions in `nodes`).
pub(super) fn collect(nodes: &[PlanNode], scan_nodes: &[usize]) -> Vec<Placement> {
    scan_nodes
        .iter()
        .map(|&at| Placement {
            limit_order: limit_order(nodes, at),
            join_conds: ancestors(nodes, at)
                .filter(|&n| JOINS.contains(&type_of(&nodes[n])))
                .flat_map(|n| nodes[n].join_conds.iter().cloned())
                .collect(),
        })
        .collect()
}

fn type_of(node: &PlanNode) -> &str {
    node.node_type.as_deref().unwrap_or("")
}

/// The nodes above `at`, nearest first.
fn ancestors(nodes: &[PlanNode], at: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::successors(nodes[at].parent, move |&n| nodes[n].parent)
}

fn limit_order(nodes: &[PlanNode], at: usize) -> Vec<String> {
    let mut above = ancestors(nodes, at).peekable();
    while above
        .next_if(|&n| BELOW_SORT.contains(&type_of(&nodes[n])))
        .is_some()
    {}
    let Some(sort) = above.next().filter(|&n| type_of(&nodes[n]) == "Sort") else {
        return Vec::new();
    };
    while above
        .next_if(|&n| ABOVE_SORT.contains(&type_of(&nodes[n])))
        .is_some()
    {}
    match above.next() {
        Some(limit) if type_of(&nodes[limit]) == "Limit" => nodes[sort].sort_key.clone(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::Explain;

    #[test]
    fn a_sort_under_a_limit_gives_its_keys_to_the_scan_below() {
        let text = r#"[{"Plan": {"Node Type": "Limit", "Total Cost": 12.5, "Plans": [
            {"Node Type": "Gather Merge", "Parent Relationship": "Outer", "Plans": [
              {"Node Type": "Sort", "Parent Relationship": "Outer",
               "Sort Key": ["t.created_at DESC", "t.id"], "Plans": [
                {"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "t",
                 "Alias": "t"}]}]}]}}]"#;
        let explain = Explain::parse(text).unwrap();
        assert_eq!(explain.total_cost, Some(12.5));
        assert_eq!(
            explain.placements[0].limit_order,
            ["t.created_at DESC", "t.id"]
        );
    }

    #[test]
    fn a_sort_without_a_limit_or_a_join_between_gives_no_order() {
        for text in [
            r#"[{"Plan": {"Node Type": "Sort", "Sort Key": ["t.a"], "Plans": [
                {"Node Type": "Seq Scan", "Relation Name": "t"}]}}]"#,
            r#"[{"Plan": {"Node Type": "Limit", "Plans": [{"Node Type": "Sort", "Sort Key": ["t.a"],
                "Plans": [{"Node Type": "Hash Join", "Plans": [
                  {"Node Type": "Seq Scan", "Relation Name": "t"}]}]}]}}]"#,
        ] {
            let explain = Explain::parse(text).unwrap();
            assert!(explain.placements[0].limit_order.is_empty(), "{text}");
        }
    }

    #[test]
    fn join_conditions_above_a_scan_are_collected_nearest_first() {
        let text = r#"[{"Plan": {"Node Type": "Nested Loop", "Join Filter": "(b.x = a.x)", "Plans": [
            {"Node Type": "Hash Join", "Hash Cond": "(a.id = c.a_id)", "Plans": [
              {"Node Type": "Seq Scan", "Relation Name": "a", "Alias": "a"},
              {"Node Type": "Hash", "Plans": [{"Node Type": "Seq Scan", "Relation Name": "c"}]}]},
            {"Node Type": "Seq Scan", "Relation Name": "b"}]}}]"#;
        let explain = Explain::parse(text).unwrap();
        let conds: Vec<_> = explain
            .placements
            .iter()
            .map(|p| p.join_conds.clone())
            .collect();
        assert_eq!(
            conds,
            [
                vec!["(a.id = c.a_id)", "(b.x = a.x)"],
                vec!["(a.id = c.a_id)", "(b.x = a.x)"],
                vec!["(b.x = a.x)"],
            ]
        );
    }
}
