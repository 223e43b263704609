//! `pgvet init`'s pure part: what a migration did, as expectations ([`diff`]: two catalog
//! snapshots in, the indexes, tables and constraints to expect out), and those expectations as
//! a suite file ([`write`]). The snapshots come from [`crate::db::snapshot`]; the command that
//! starts the throwaway server and applies the files is [`crate::command::init`].

pub mod diff;
pub mod toml_text;
pub mod write;

use crate::db::snapshot::Index;

/// What the suite will expect, sorted (by schema, table, name) so that the same input always
/// gives the same file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectations {
    /// Indexes created or changed, then the dropped ones.
    pub indexes: Vec<IndexExpectation>,
    pub tables: Vec<TableExpectation>,
    pub foreign_keys: Vec<ForeignKeyExpectation>,
}

impl Expectations {
    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty() && self.tables.is_empty() && self.foreign_keys.is_empty()
    }
}

/// An index to expect, as it is after the migration (or, dropped, as it was before).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexExpectation {
    pub index: Index,
    pub change: IndexChange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexChange {
    /// New: no index of that name before.
    Created,
    /// An index of that name was there before, with this definition, and is not the same
    /// index now (other columns, predicate…, or dropped and created again).
    /// `alike`: what `[[index]]` compares (table, key and INCLUDE columns, predicate, method,
    /// uniqueness) is the same as before, so the change (an operator class, a sort order, a
    /// collation, a rebuild) is not something the entry can tell from the old index.
    Changed { before: String, alike: bool },
    /// There before, gone after: `absent = true`.
    Dropped,
}

/// A table to expect: created (all its columns), or one that was there, with the columns added
/// (or whose type changed) and the check constraints created.
#[derive(Debug, Clone, PartialEq)]
pub struct TableExpectation {
    pub schema: String,
    pub name: String,
    pub created: bool,
    /// (column, type as `format_type` prints it), in column order.
    pub columns: Vec<(String, String)>,
    /// Check constraint names, sorted.
    pub checks: Vec<String>,
    /// Some CHECK constraint of the table is left NOT VALID after the migration: the entry
    /// says `validated = false`, so the suite passes on the schema it came from.
    pub not_valid: bool,
    /// The migration dropped the table: `absent = true` (and nothing else).
    pub dropped: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeyExpectation {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// Some index after the migration leads with the key's columns (as `[[foreign_key]]`
    /// checks it): when not, the entry says `indexed = false`, so the suite passes on the
    /// schema it came from, with a comment that says what that costs.
    pub indexed: bool,
    /// Left NOT VALID by the migration: the entry says `validated = false`.
    pub validated: bool,
}
