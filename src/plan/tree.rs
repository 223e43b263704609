//! Reads EXPLAIN (FORMAT JSON) text into a flat list of plan nodes, keeping only the fields
//! pgvet uses.
//!
//! Nodes are stored in pre-order (a node is created when its JSON object opens) and each one
//! points at its parent by index, so a plan of any depth or width is read and later walked
//! without recursion. Unknown fields are skipped; a known field of the wrong JSON type is an
//! error, since it means the text is not what PostgreSQL produces.

use std::borrow::Cow;

use super::PlanError;
use super::figures::NodeFigures;
use super::json::{Event, JsonReader, Scalar};

/// The fields of one plan node that pgvet looks at. Absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct PlanNode {
    /// Index of the enclosing node in [`PlanTree::nodes`]; `None` for a statement's top node.
    pub parent: Option<usize>,
    pub node_type: Option<String>,
    pub relation_name: Option<String>,
    pub schema: Option<String>,
    pub alias: Option<String>,
    pub index_name: Option<String>,
    pub subplan_name: Option<String>,
    pub scan_direction: Option<String>,
    /// "Parent Relationship": "Outer", "Inner", "Member", "Subquery", "InitPlan", "SubPlan".
    pub parent_relationship: Option<String>,
    pub parallel_aware: Option<bool>,
    pub plan_rows: Option<f64>,
    pub actual_rows: Option<f64>,
    pub actual_loops: Option<f64>,
    pub rows_removed_by_filter: Option<f64>,
    /// "Index Searches" (PostgreSQL 18+).
    pub index_searches: Option<f64>,
    /// "Index Cond": the index narrows the rows, rather than only ordering them.
    pub index_cond: Option<String>,
    /// "Filter": rows are read and then thrown away.
    pub filter: Option<String>,
    /// "Total Cost": the planner's estimate for the node and everything below it.
    pub total_cost: Option<f64>,
    /// "Sort Key" of a Sort, each key as EXPLAIN prints it (`t.created_at DESC`).
    pub sort_key: Vec<String>,
    /// A join's conditions: "Hash Cond", "Merge Cond", "Join Filter".
    pub join_conds: Vec<String>,
    /// Buffers, heap blocks, sort and hash spills: what `figures` reports.
    pub figures: NodeFigures,
}

/// Every plan node of every statement in the EXPLAIN output, plus statement-level timings.
#[derive(Debug, Default, PartialEq)]
pub(super) struct PlanTree {
    pub nodes: Vec<PlanNode>,
    /// Sum of "Planning Time" over the statements that report one.
    pub planning_ms: Option<f64>,
    /// Sum of "Execution Time" over the statements that report one.
    pub execution_ms: Option<f64>,
}

/// Where the reader currently is in the document's structure.
#[derive(Debug, Clone, Copy)]
enum Frame {
    /// The top-level array, one element per explained statement.
    Statements,
    /// One statement: an object holding "Plan", "Planning Time", "Execution Time", ...
    Statement,
    /// A plan node object, by index into the node list.
    Node(usize),
    /// The "Plans" array of the node at this index.
    Children(usize),
    /// The "Sort Key" array of the node at this index.
    SortKey(usize),
    /// Anything pgvet does not read ("Workers", "Planning", "Settings", "JIT", ...).
    Skipped,
}

/// Parses EXPLAIN JSON into a [`PlanTree`]. Errors when the text is not JSON or holds no plan.
pub(super) fn read_plan_tree(text: &str) -> Result<PlanTree, PlanError> {
    let mut reader = JsonReader::new(text);
    let mut frames: Vec<Frame> = Vec::new();
    let mut key: Option<Cow<'_, str>> = None;
    let mut tree = PlanTree::default();
    while let Some(event) = reader.next_event()? {
        match event {
            Event::Key(name) => key = Some(name),
            Event::BeginObject => {
                let frame = tree.open_object(frames.last().copied(), key.take().as_deref());
                frames.push(frame);
            }
            Event::BeginArray => {
                let frame = open_array(frames.last().copied(), key.take().as_deref());
                frames.push(frame);
            }
            Event::EndObject | Event::EndArray => {
                frames.pop();
            }
            Event::Value(scalar) => match (frames.last().copied(), key.take()) {
                (Some(Frame::SortKey(node)), _) => tree.add_sort_key(node, scalar)?,
                (Some(frame), Some(name)) => tree.set_field(frame, &name, scalar)?,
                _ => {}
            },
        }
    }
    if tree.nodes.is_empty() {
        return Err(PlanError::NoPlan);
    }
    Ok(tree)
}

fn open_array(parent: Option<Frame>, key: Option<&str>) -> Frame {
    match (parent, key) {
        (None, _) => Frame::Statements,
        (Some(Frame::Node(node)), Some("Plans")) => Frame::Children(node),
        (Some(Frame::Node(node)), Some("Sort Key")) => Frame::SortKey(node),
        _ => Frame::Skipped,
    }
}

impl PlanTree {
    fn open_object(&mut self, parent: Option<Frame>, key: Option<&str>) -> Frame {
        match (parent, key) {
            (None | Some(Frame::Statements), _) => Frame::Statement,
            (Some(Frame::Statement), Some("Plan")) => self.add_node(None),
            (Some(Frame::Children(parent)), _) => self.add_node(Some(parent)),
            _ => Frame::Skipped,
        }
    }

    fn add_node(&mut self, parent: Option<usize>) -> Frame {
        self.nodes.push(PlanNode {
            parent,
            ..PlanNode::default()
        });
        Frame::Node(self.nodes.len() - 1)
    }

    fn add_sort_key(&mut self, index: usize, value: Scalar<'_>) -> Result<(), PlanError> {
        let key = text(value).map_err(|expected| {
            wrong_type(format!("plan node {}", index + 1), "Sort Key", expected)
        })?;
        self.nodes[index].sort_key.extend(key);
        Ok(())
    }

    fn set_field(&mut self, frame: Frame, name: &str, value: Scalar<'_>) -> Result<(), PlanError> {
        match frame {
            Frame::Node(index) => set_node_field(&mut self.nodes[index], index, name, value),
            Frame::Statement => self.set_statement_field(name, value),
            _ => Ok(()),
        }
    }

    fn set_statement_field(&mut self, name: &str, value: Scalar<'_>) -> Result<(), PlanError> {
        let total = match name {
            "Planning Time" => &mut self.planning_ms,
            "Execution Time" => &mut self.execution_ms,
            _ => return Ok(()),
        };
        let ms =
            number(value).map_err(|expected| wrong_type("statement".into(), name, expected))?;
        if let Some(ms) = ms {
            *total = Some(total.unwrap_or(0.0) + ms);
        }
        Ok(())
    }
}

impl PlanNode {
    fn text_field(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "Node Type" => &mut self.node_type,
            "Relation Name" => &mut self.relation_name,
            "Schema" => &mut self.schema,
            "Alias" => &mut self.alias,
            "Index Name" => &mut self.index_name,
            "Subplan Name" => &mut self.subplan_name,
            "Scan Direction" => &mut self.scan_direction,
            "Parent Relationship" => &mut self.parent_relationship,
            "Index Cond" => &mut self.index_cond,
            "Filter" => &mut self.filter,
            _ => return None,
        })
    }

    fn number_field(&mut self, name: &str) -> Option<&mut Option<f64>> {
        Some(match name {
            "Plan Rows" => &mut self.plan_rows,
            "Actual Rows" => &mut self.actual_rows,
            "Actual Loops" => &mut self.actual_loops,
            "Rows Removed by Filter" => &mut self.rows_removed_by_filter,
            "Index Searches" => &mut self.index_searches,
            "Total Cost" => &mut self.total_cost,
            _ => return None,
        })
    }
}

/// Stores one field of the node at `index` if pgvet uses it.
fn set_node_field(
    node: &mut PlanNode,
    index: usize,
    name: &str,
    value: Scalar<'_>,
) -> Result<(), PlanError> {
    let stored = if let Some(field) = node.text_field(name) {
        text(value).map(|v| *field = v)
    } else if let Some(field) = node.number_field(name) {
        number(value).map(|v| *field = v)
    } else if matches!(name, "Hash Cond" | "Merge Cond" | "Join Filter") {
        text(value).map(|v| node.join_conds.extend(v))
    } else if name == "Parallel Aware" {
        flag(value).map(|v| node.parallel_aware = v)
    } else if let Some(field) = node.figures.number_field(name) {
        number(value).map(|v| *field = v)
    } else if let Some(field) = node.figures.text_field(name) {
        text(value).map(|v| *field = v)
    } else {
        Ok(())
    };
    stored.map_err(|expected| wrong_type(format!("plan node {}", index + 1), name, expected))
}

fn wrong_type(place: String, field: &str, expected: &'static str) -> PlanError {
    PlanError::FieldType {
        place,
        field: field.to_string(),
        expected,
    }
}

/// The value as text; `Err` names the expected JSON type. `null` counts as absent.
fn text(value: Scalar<'_>) -> Result<Option<String>, &'static str> {
    match value {
        Scalar::Str(s) => Ok(Some(s.into_owned())),
        Scalar::Null => Ok(None),
        _ => Err("a string"),
    }
}

fn number(value: Scalar<'_>) -> Result<Option<f64>, &'static str> {
    match value {
        Scalar::Number(n) => Ok(Some(n)),
        Scalar::Null => Ok(None),
        _ => Err("a number"),
    }
}

fn flag(value: Scalar<'_>) -> Result<Option<bool>, &'static str> {
    match value {
        Scalar::Bool(b) => Ok(Some(b)),
        Scalar::Null => Ok(None),
        _ => Err("true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_children_to_parents_in_pre_order() {
        let text = r#"[{"Plan": {"Node Type": "Hash Join", "Plans": [
            {"Node Type": "Seq Scan", "Relation Name": "a", "Plans": []},
            {"Node Type": "Hash", "Plans": [{"Node Type": "Seq Scan", "Relation Name": "b"}]}
        ]}, "Planning Time": 0.5, "Execution Time": 2.25}]"#;
        let tree = read_plan_tree(text).unwrap();
        let shape: Vec<_> = tree
            .nodes
            .iter()
            .map(|n| (n.node_type.as_deref().unwrap(), n.parent))
            .collect();
        assert_eq!(
            shape,
            [
                ("Hash Join", None),
                ("Seq Scan", Some(0)),
                ("Hash", Some(0)),
                ("Seq Scan", Some(2))
            ]
        );
        assert_eq!(tree.planning_ms, Some(0.5));
        assert_eq!(tree.execution_ms, Some(2.25));
    }

    #[test]
    fn skips_unknown_and_nested_fields() {
        let text = r#"[{"Plan": {"Node Type": "Seq Scan", "Output": ["a", "b"],
            "Workers": [{"Worker Number": 0, "Actual Rows": 99, "Plans": [{"Node Type": "X"}]}],
            "Disabled": false, "Actual Rows": 12.5, "Parallel Aware": true},
            "Planning": {"Shared Hit Blocks": 3}, "Triggers": [], "JIT": {"Functions": 2}}]"#;
        let tree = read_plan_tree(text).unwrap();
        assert_eq!(tree.nodes.len(), 1);
        assert_eq!(tree.nodes[0].actual_rows, Some(12.5));
        assert_eq!(tree.nodes[0].parallel_aware, Some(true));
        assert_eq!(tree.planning_ms, None);
    }

    #[test]
    fn accepts_a_bare_statement_object_and_several_statements() {
        let one = read_plan_tree(r#"{"Plan": {"Node Type": "Result"}, "Planning Time": 1}"#);
        assert_eq!(one.unwrap().planning_ms, Some(1.0));
        let two = r#"[{"Plan": {"Node Type": "Result"}, "Execution Time": 1},
                      {"Plan": {"Node Type": "Result"}, "Execution Time": 2}]"#;
        let tree = read_plan_tree(two).unwrap();
        assert_eq!(
            tree.nodes.iter().map(|n| n.parent).collect::<Vec<_>>(),
            [None, None]
        );
        assert_eq!(tree.execution_ms, Some(3.0));
    }

    #[test]
    fn null_fields_are_absent() {
        let tree = read_plan_tree(r#"[{"Plan": {"Node Type": "Seq Scan", "Alias": null}}]"#);
        assert_eq!(tree.unwrap().nodes[0].alias, None);
    }

    #[test]
    fn reports_missing_plans_and_wrong_types() {
        for text in [
            "[]",
            "[{}]",
            "42",
            r#"[{"Planning Time": 1}]"#,
            r#"{"Plans": []}"#,
        ] {
            assert_eq!(read_plan_tree(text), Err(PlanError::NoPlan), "{text}");
        }
        let err = read_plan_tree(r#"[{"Plan": {"Node Type": "Seq Scan", "Plan Rows": "many"}}]"#);
        assert_eq!(
            err.unwrap_err().to_string(),
            "plan node 1: \"Plan Rows\" should be a number in EXPLAIN JSON"
        );
        let err = read_plan_tree(r#"[{"Plan": {"Node Type": 7}}]"#).unwrap_err();
        assert!(
            matches!(
                err,
                PlanError::FieldType {
                    expected: "a string",
                    ..
                }
            ),
            "{err}"
        );
        let err = read_plan_tree(r#"[{"Plan": {}, "Execution Time": "1 ms"}]"#).unwrap_err();
        assert!(
            matches!(
                err,
                PlanError::FieldType {
                    expected: "a number",
                    ..
                }
            ),
            "{err}"
        );
    }
}
