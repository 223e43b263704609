//! The results of the schema-contract checks: one type per kind ([[table]], [[foreign_key]],
//! [[privilege]]), shaped like [`super::IndexResult`]: a status, the first problem and all of
//! them (snake_case in the JSON), a message in words, what the catalog showed, and the entry's
//! `checklist` item.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableProblem {
    /// No table of that name in that schema (or a relation of another kind: a view…).
    Missing,
    /// `absent = true`, and the table exists.
    Present,
    /// An expected column is missing, or has another type.
    ColumnsDiffer,
    /// A CHECK constraint the suite names (`checks`) is not on the table.
    CheckMissing,
    /// A CHECK constraint on the table was left NOT VALID.
    NotValidated,
    /// `analyzed = true`, and the planner statistics are missing or stale.
    StatisticsStale,
}

/// A column as the catalog holds it: its type as `format_type` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
}

/// A table's planner statistics, as judged for `analyzed = true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStatistics {
    /// The later of `last_analyze` and `last_autoanalyze` (null: never, since the statistics
    /// counters were last reset).
    pub last_analyzed: Option<String>,
    /// Whether the table has column statistics (`pg_stats`), whatever the counters say.
    pub has_column_statistics: bool,
    /// The rows the planner believes the table has (`reltuples`); null when never counted.
    pub rows: Option<u64>,
    /// Rows inserted, updated or deleted since the last ANALYZE (`n_mod_since_analyze`).
    pub modified_since_analyze: u64,
    /// The most rows that may have changed for the statistics to be fresh.
    pub stale_after: u64,
    pub fresh: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableResult {
    pub schema: String,
    pub name: String,
    pub status: Status,
    /// The first problem found (null when the table passed); `problems` lists them all.
    pub problem: Option<TableProblem>,
    pub problems: Vec<TableProblem>,
    /// What is wrong, in words, naming the table (null when it passed).
    pub message: Option<String>,
    pub absent: bool,
    /// The suite's columns and types, as written.
    pub expected_columns: Option<BTreeMap<String, String>>,
    /// Every column of the table in order, when found.
    pub actual_columns: Option<Vec<Column>>,
    /// Whether the suite asked for fresh statistics (`analyzed = true`).
    pub analyzed: bool,
    pub statistics: Option<TableStatistics>,
    /// The CHECK constraints the suite names (`checks`), and those on the table, when found.
    #[serde(default)]
    pub expected_checks: Vec<String>,
    #[serde(default)]
    pub actual_checks: Option<Vec<String>>,
    /// CHECK constraints on the table left NOT VALID.
    pub not_valid_constraints: Vec<String>,
    pub checklist: Option<String>,
    /// Why `analyzed = true` was not judged, when it was not: pgvet analyzed the table itself
    /// after the `--setup` files. The table's check passes or fails on the rest; `pgvet fill`
    /// does not count it as verifying its checklist item.
    #[serde(default)]
    pub statistics_not_judged: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForeignKeyProblem {
    /// No foreign key on those columns (or no such table).
    Missing,
    /// A foreign key on those columns references another table or other columns.
    WrongReference,
    /// The foreign key exists under another name than the suite's `name`.
    WrongName,
    /// Left NOT VALID: rows from before it was added were never checked.
    NotValidated,
    /// No valid index leads with its columns.
    NotIndexed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForeignKeyResult {
    /// The referencing table and columns.
    pub schema: String,
    pub table: String,
    pub columns: Vec<String>,
    /// What the suite expects: the referenced `schema.table`, its columns, the name.
    pub references: Option<String>,
    pub ref_columns: Option<Vec<String>>,
    pub name: Option<String>,
    /// Whether an index must lead with the columns (`indexed`).
    pub indexed: bool,
    pub status: Status,
    pub problem: Option<ForeignKeyProblem>,
    pub problems: Vec<ForeignKeyProblem>,
    pub message: Option<String>,
    /// The foreign key found on those columns: its name, what it references, validated.
    pub actual_name: Option<String>,
    pub actual_references: Option<String>,
    pub actual_ref_columns: Option<Vec<String>>,
    pub validated: Option<bool>,
    /// A valid index that leads with the columns, when there is one.
    pub covering_index: Option<String>,
    pub checklist: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivilegeProblem {
    /// No role of that name.
    RoleMissing,
    /// No such table or schema.
    Missing,
    /// The role lacks some of the privileges.
    PrivilegeMissing,
}

/// What privileges are checked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivilegeObjectKind {
    Table,
    Sequence,
    Schema,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrivilegeResult {
    pub role: String,
    pub object: PrivilegeObjectKind,
    /// The table's schema, or the schema itself.
    pub schema: String,
    /// The table (null for a schema's privileges).
    pub table: Option<String>,
    /// The privileges expected, upper case.
    pub privileges: Vec<String>,
    /// Those the role does not hold.
    pub missing_privileges: Vec<String>,
    pub status: Status,
    pub problem: Option<PrivilegeProblem>,
    pub problems: Vec<PrivilegeProblem>,
    pub message: Option<String>,
    pub checklist: Option<String>,
}

impl PrivilegeResult {
    /// "table public.t" or "schema app".
    pub fn object_described(&self) -> String {
        match (&self.object, &self.table) {
            (PrivilegeObjectKind::Table, Some(table)) => {
                format!("table {}.{table}", self.schema)
            }
            (PrivilegeObjectKind::Sequence, Some(sequence)) => {
                format!("sequence {}.{sequence}", self.schema)
            }
            _ => format!("schema {}", self.schema),
        }
    }
}
