//! The EXPLAIN model: turns the text PostgreSQL returns for
//! `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)` (or plain `EXPLAIN (FORMAT JSON)`)
//! into the list of table scans the checks reason about. Pure: no I/O, no SQL.
//!
//! [`Explain::parse`] reads the JSON with a non-recursive reader ([`json`]), keeps the
//! fields pgvet needs as a flat node list ([`tree`]), then walks that list once to collect
//! every scan in tree order ([`explain`], [`scan`]), and the figures that say why an index
//! did not help ([`figures`]). Plans of any depth or width are handled without growing the
//! call stack.

pub mod clause;
pub mod cond;
mod explain;
mod figures;
mod json;
mod placement;
mod scan;
mod tree;

#[cfg(test)]
mod fixture_tests;

pub use explain::Explain;
pub use figures::{CatalogEntry, IndexScanFigures, PlanFigures, Spill, Work};
pub use placement::Placement;
pub use scan::{IndexRead, Scan, summary};

/// Why EXPLAIN output could not be turned into a plan model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The text is not well-formed JSON.
    #[error("EXPLAIN output is not valid JSON (line {line}, column {column}): {reason}")]
    Syntax {
        line: usize,
        column: usize,
        reason: String,
    },
    /// Well-formed JSON, but no statement in it has a "Plan".
    #[error("EXPLAIN output holds no plan; expected the result of EXPLAIN (FORMAT JSON)")]
    NoPlan,
    /// A field pgvet reads has a JSON type PostgreSQL never uses for it.
    #[error("{place}: \"{field}\" should be {expected} in EXPLAIN JSON")]
    FieldType {
        place: String,
        field: String,
        expected: &'static str,
    },
    /// A plan node (numbered from 1 in tree order) without its "Node Type".
    #[error("plan node {node} has no \"Node Type\"")]
    MissingNodeType { node: usize },
}
