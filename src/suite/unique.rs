//! Entries that must be unique in a suite (index, query name, metric label): a duplicate's
//! error points at the duplicate itself and names the line of the first one.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;

use super::SuiteError;

/// Builds the error for a byte offset in the suite file.
pub(super) type At<'a> = dyn Fn(usize, String) -> SuiteError + 'a;

/// Names already used, with where each was first written: a duplicate's error points at the
/// duplicate and says on which line the first one is.
pub(super) struct Unique<'t, K> {
    first: HashMap<K, usize>,
    text: &'t str,
}

impl<'t, K: Eq + Hash> Unique<'t, K> {
    pub(super) fn new(text: &'t str) -> Self {
        Unique {
            first: HashMap::new(),
            text,
        }
    }

    /// None for a new key; for a duplicate, the line of the first one.
    pub(super) fn duplicate(&mut self, key: K, offset: usize) -> Option<usize> {
        match self.first.entry(key) {
            Entry::Occupied(first) => Some(super::line_column(self.text, *first.get()).0),
            Entry::Vacant(slot) => {
                slot.insert(offset);
                None
            }
        }
    }
}

impl Unique<'_, String> {
    /// A metrics-table label used once only: two rows with one label would be ambiguous.
    pub(super) fn metric_label(
        &mut self,
        label: String,
        offset: usize,
        at: &At<'_>,
    ) -> Result<(), SuiteError> {
        match self.duplicate(label.clone(), offset) {
            None => Ok(()),
            Some(first) => Err(at(
                offset,
                format!(
                    "the metric label \"{label}\" is already used (on line {first}); labels name rows of the metrics table, so each must be unique"
                ),
            )),
        }
    }
}
