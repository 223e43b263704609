//! The bloat estimate both bloat rules use: from the planner statistics alone (a relation's
//! `reltuples`, and each column's `avg_width` and `null_frac` in `pg_stats`), how many pages
//! the rows would fill if packed as PostgreSQL packs them, against the pages the relation
//! has (`relpages`). The rest is free space: dead rows vacuumed away, pages emptied by
//! deletes. It is an estimate: the per-column alignment padding is left out (which can only
//! make rows look smaller), and a B-tree's inner pages and deduplication are left out too.
//! So only a large share, and a large size, is reported.
//!
//! Heap page: a 24-byte header, then per row a 4-byte line pointer and a tuple of a 23-byte
//! header (plus a null bitmap of a bit per column when a column holds NULLs), padded to
//! MAXALIGN (8), and the data, padded likewise; filled up to the fillfactor (100% unless
//! set). B-tree page: a 24-byte header and 16 bytes of B-tree data, then per entry a 4-byte
//! line pointer and an 8-byte index tuple header (12 with nulls), padded, and the key data,
//! padded; leaf pages filled to the fillfactor (90% unless set), plus the meta page.

use crate::db::health::Width;

/// Reported from this share of the relation's pages…
pub const MIN_PCT: f64 = 50.0;
/// …and this much space.
pub const MIN_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

const MAXALIGN: f64 = 8.0;
const PAGE_HEADER: f64 = 24.0;
const LINE_POINTER: f64 = 4.0;

/// What the statistics say a relation would take, against what it takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The share of its pages that the rows do not need, in percent.
    pub pct: f64,
    pub bloat_bytes: f64,
    pub size_bytes: f64,
}

impl Estimate {
    pub fn reported(&self) -> bool {
        self.pct >= MIN_PCT && self.bloat_bytes >= MIN_BYTES
    }
}

fn align(bytes: f64) -> f64 {
    (bytes / MAXALIGN).ceil() * MAXALIGN
}

/// The estimate, when the statistics allow one: rows counted, every column with statistics.
fn estimate(
    pages: i64,
    tuples: f64,
    width: &Width,
    usable_per_page: f64,
    tuple_bytes: f64,
    extra_pages: f64,
    block: f64,
) -> Option<Estimate> {
    if pages <= 0 || tuples < 0.0 || width.with_statistics < width.columns || width.columns == 0 {
        return None;
    }
    let per_page = (usable_per_page / (tuple_bytes + LINE_POINTER))
        .floor()
        .max(1.0);
    let needed = (tuples / per_page).ceil() + extra_pages;
    let pages = pages as f64;
    let free = (pages - needed).max(0.0);
    Some(Estimate {
        pct: 100.0 * free / pages,
        bloat_bytes: free * block,
        size_bytes: pages * block,
    })
}

/// A table's main fork.
pub fn heap(
    pages: i64,
    tuples: f64,
    width: &Width,
    fillfactor: Option<i32>,
    block: f64,
) -> Option<Estimate> {
    let bitmap = if width.nulls {
        (f64::from(width.columns) / 8.0).ceil()
    } else {
        0.0
    };
    let tuple = align(23.0 + bitmap) + align(width.data);
    let fill = f64::from(fillfactor.unwrap_or(100)) / 100.0;
    estimate(
        pages,
        tuples,
        width,
        (block - PAGE_HEADER) * fill,
        tuple,
        0.0,
        block,
    )
}

/// A B-tree index.
pub fn btree(
    pages: i64,
    tuples: f64,
    width: &Width,
    fillfactor: Option<i32>,
    block: f64,
) -> Option<Estimate> {
    let header = if width.nulls { 12.0 } else { 8.0 };
    let tuple = align(header) + align(width.data);
    let fill = f64::from(fillfactor.unwrap_or(90)) / 100.0;
    let usable = (block - PAGE_HEADER - 16.0) * fill;
    estimate(pages, tuples, width, usable, tuple, 1.0, block)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::width;

    #[test]
    fn a_packed_table_has_no_bloat_and_an_emptied_one_has_most() {
        // 100,000 rows of 40 bytes: a 24-byte header and 40 bytes of data, 68 bytes with the
        // line pointer: 120 rows a page, 834 pages.
        let w = width(40.0);
        let packed = super::heap(834, 100_000.0, &w, None, 8192.0).unwrap();
        assert_eq!(packed.pct, 0.0);
        let emptied = super::heap(8340, 100_000.0, &w, None, 8192.0).unwrap();
        assert!((emptied.pct - 90.0).abs() < 0.01, "{emptied:?}");
        assert_eq!(emptied.bloat_bytes, 7506.0 * 8192.0);
        assert!(emptied.reported());
        // A fillfactor leaves room on purpose: that is not bloat.
        let filled = super::heap(1191, 100_000.0, &w, Some(70), 8192.0).unwrap();
        assert!(filled.pct < 1.0, "{filled:?}");
    }

    #[test]
    fn no_estimate_without_statistics_for_every_column_or_a_row_count() {
        let mut w = width(40.0);
        w.columns = 3;
        w.with_statistics = 2;
        assert_eq!(super::heap(1000, 10.0, &w, None, 8192.0), None);
        assert_eq!(super::heap(1000, -1.0, &width(4.0), None, 8192.0), None);
        assert_eq!(super::heap(0, 10.0, &width(4.0), None, 8192.0), None);
    }

    #[test]
    fn a_btree_of_integers_holds_about_400_entries_a_leaf() {
        // 8 + 8 bytes a tuple and 4 for its pointer, (8192 - 40) × 90%: 366 a page.
        let index = super::btree(275, 100_000.0, &width(4.0), None, 8192.0).unwrap();
        assert_eq!(index.pct, 0.0, "{index:?}");
        let bloated = super::btree(2750, 100_000.0, &width(4.0), None, 8192.0).unwrap();
        assert!(bloated.pct > 89.0 && bloated.reported(), "{bloated:?}");
        // A small relation is never reported, whatever its share.
        let small = super::btree(100, 10.0, &width(4.0), None, 8192.0).unwrap();
        assert!(small.pct > 90.0 && !small.reported());
    }
}
