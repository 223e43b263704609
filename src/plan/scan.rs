//! One table (or CTE, function, subquery...) scan found in a plan, and how to describe it in
//! words a DBA recognises from EXPLAIN's text format.

use std::fmt;

use serde::Serialize;

/// A plan node whose type ends in "Scan". A Bitmap Index Scan is not a `Scan` of its own:
/// its index is listed on the Bitmap Heap Scan above it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scan {
    /// "Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "CTE Scan", ...
    /// A parallel scan keeps its plain type and has `parallel` set.
    pub node_type: String,
    /// "Relation Name": the table scanned; for a partitioned table, the partition.
    pub relation: Option<String>,
    /// "Schema" of the relation (EXPLAIN prints it only with VERBOSE).
    pub schema: Option<String>,
    /// "Alias": the name the query uses for the relation, CTE, function or subquery.
    pub alias: Option<String>,
    /// Indexes used, without repeats: "Index Name", or for a Bitmap Heap Scan those of the
    /// Bitmap Index Scans below it (several under BitmapAnd / BitmapOr).
    pub indexes: Vec<String>,
    /// Each read of an index with its own condition: one for an Index (Only) Scan, one per
    /// Bitmap Index Scan below a Bitmap Heap Scan (repeats kept: each is judged).
    pub index_reads: Vec<IndexRead>,
    /// "Parallel Aware": the scan is split between parallel workers.
    pub parallel: bool,
    /// "Scan Direction" is "Backward" (an index read in reverse, e.g. ORDER BY ... DESC).
    pub backward: bool,
    /// "Plan Rows": rows the planner expected per loop; `None` if costs were not shown.
    pub rows_estimated: Option<f64>,
    /// "Actual Rows": rows returned per loop; `None` without ANALYZE.
    pub rows_actual: Option<f64>,
    /// "Actual Loops": how many times the scan ran (0 = never executed); `None` without ANALYZE.
    pub loops: Option<f64>,
    /// Rows the scan read in total, (Actual Rows + Rows Removed by Filter) × Actual Loops;
    /// for a full Seq Scan, the real size of the relation. `None` without ANALYZE.
    pub rows_read: Option<f64>,
    /// The index narrows the rows ("Index Cond"; for a bitmap scan, on one of its index scans).
    pub index_cond: bool,
    /// The "Filter" that reads rows and then discards some, as EXPLAIN prints it.
    pub filter: Option<String>,
    /// The scan feeds a Limit through nodes that pass its rows on in order ("Outer" children
    /// of joins, Append members, Gather Merge, Incremental Sort...), so it may stop early.
    pub under_limit: bool,
    /// The nearest enclosing "Subplan Name" ("InitPlan 1 (returns $0)", "SubPlan 2",
    /// "CTE recent"), counting the scan's own; `None` in the main query.
    pub context: Option<String>,
}

/// One index as a scan reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexRead {
    /// "Index Name" (unqualified: an index lives in its table's schema).
    pub index: String,
    /// "Index Cond", as EXPLAIN prints it; `None` when the whole index is read.
    pub cond: Option<String>,
    /// "Index Searches" (PostgreSQL 18+): descents of the index; more than one for `= ANY`
    /// lists and skip scans. `None` on older servers and without ANALYZE.
    pub searches: Option<f64>,
}

impl Scan {
    /// A sequential scan, parallel or not.
    pub fn is_seq_scan(&self) -> bool {
        self.node_type == "Seq Scan"
    }

    /// The scan reads through at least one index (Index, Index Only or Bitmap Heap Scan).
    pub fn uses_index(&self) -> bool {
        !self.indexes.is_empty()
    }

    /// One line in EXPLAIN's words, e.g. "Index Scan Backward using ix_ts on training_metric",
    /// "Parallel Seq Scan on t", "Bitmap Heap Scan on training_metric using ix_a, ix_b".
    pub fn describe(&self) -> String {
        self.to_string()
    }

    /// What the scan reads, as EXPLAIN's text format names it: the relation followed by the
    /// alias when that differs, or the alias alone for CTE, function and subquery scans.
    fn target(&self) -> Option<String> {
        match (&self.relation, &self.alias) {
            (Some(relation), Some(alias)) if alias != relation => {
                Some(format!("{relation} {alias}"))
            }
            (Some(relation), _) => Some(relation.clone()),
            (None, alias) => alias.clone(),
        }
    }
}

impl fmt::Display for Scan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.parallel {
            f.write_str("Parallel ")?;
        }
        f.write_str(&self.node_type)?;
        if self.backward {
            f.write_str(" Backward")?;
        }
        let indexes = self.indexes.join(", ");
        let bitmap = self.node_type == "Bitmap Heap Scan";
        if !bitmap && !indexes.is_empty() {
            write!(f, " using {indexes}")?;
        }
        if let Some(target) = self.target() {
            write!(f, " on {target}")?;
        }
        if bitmap && !indexes.is_empty() {
            write!(f, " using {indexes}")?;
        }
        Ok(())
    }
}

/// The scans' descriptions on one line, separated by "; " ("no scans" for none).
pub fn summary(scans: &[Scan]) -> String {
    if scans.is_empty() {
        return "no scans".to_string();
    }
    scans
        .iter()
        .map(Scan::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(node_type: &str, relation: Option<&str>, indexes: &[&str]) -> Scan {
        Scan {
            node_type: node_type.to_string(),
            relation: relation.map(str::to_string),
            schema: Some("public".to_string()),
            alias: relation.map(str::to_string),
            indexes: indexes.iter().map(|i| i.to_string()).collect(),
            index_reads: Vec::new(),
            parallel: false,
            backward: false,
            rows_estimated: Some(10.0),
            rows_actual: None,
            loops: None,
            rows_read: None,
            index_cond: false,
            filter: None,
            under_limit: false,
            context: None,
        }
    }

    #[test]
    fn describes_scans_like_explain_text() {
        let metric = Some("training_metric");
        assert_eq!(
            scan("Seq Scan", metric, &[]).describe(),
            "Seq Scan on training_metric"
        );
        assert_eq!(
            scan("Index Scan", metric, &["ix_x"]).describe(),
            "Index Scan using ix_x on training_metric"
        );
        assert_eq!(
            scan("Index Only Scan", metric, &["ix_x"]).describe(),
            "Index Only Scan using ix_x on training_metric"
        );
        assert_eq!(
            scan("Bitmap Heap Scan", metric, &["ix_a", "ix_b"]).describe(),
            "Bitmap Heap Scan on training_metric using ix_a, ix_b"
        );
        let parallel = Scan {
            parallel: true,
            ..scan("Seq Scan", Some("t"), &[])
        };
        assert_eq!(parallel.describe(), "Parallel Seq Scan on t");
        let backward = Scan {
            backward: true,
            ..scan("Index Scan", metric, &["ix_ts"])
        };
        assert_eq!(
            backward.describe(),
            "Index Scan Backward using ix_ts on training_metric"
        );
    }

    #[test]
    fn names_the_alias_when_it_differs_or_stands_alone() {
        let aliased = Scan {
            alias: Some("m".into()),
            ..scan("Seq Scan", Some("training_metric"), &[])
        };
        assert_eq!(aliased.describe(), "Seq Scan on training_metric m");
        let cte = Scan {
            alias: Some("recent".into()),
            ..scan("CTE Scan", None, &[])
        };
        assert_eq!(cte.describe(), "CTE Scan on recent");
        assert_eq!(scan("Custom Scan", None, &[]).describe(), "Custom Scan");
    }

    #[test]
    fn classifies_seq_and_index_scans() {
        let seq = Scan {
            parallel: true,
            ..scan("Seq Scan", Some("t"), &[])
        };
        assert!(seq.is_seq_scan() && !seq.uses_index());
        let bitmap = scan("Bitmap Heap Scan", Some("t"), &["ix"]);
        assert!(!bitmap.is_seq_scan() && bitmap.uses_index());
        let cte = scan("CTE Scan", None, &[]);
        assert!(!cte.is_seq_scan() && !cte.uses_index());
    }

    #[test]
    fn summarises_on_one_line() {
        assert_eq!(summary(&[]), "no scans");
        let scans = [
            scan("Seq Scan", Some("a"), &[]),
            scan("Index Scan", Some("b"), &["ix_b"]),
        ];
        assert_eq!(summary(&scans), "Seq Scan on a; Index Scan using ix_b on b");
    }
}
