//! `index-bloat`: a B-tree index whose pages are mostly free space, by the estimate of
//! [`super::bloat`] from the planner statistics: at least 50% of its pages and 8 MiB. A
//! B-tree never gives emptied pages back to the file system; `REINDEX CONCURRENTLY` builds it
//! again, packed, without blocking writes. Other access methods are not estimated. An index
//! whose columns have no statistics (never analyzed, or pgvet's role may not read them) is
//! not estimated; when such an index is large enough to matter, a note says so.

use super::bloat::{self, MIN_BYTES};
use super::words::size;
use super::{RuleId, finding};
use crate::db::health::Facts;
use crate::report::model::Finding;

pub fn judge(facts: &Facts) -> (Vec<Finding>, Vec<String>) {
    let block = facts.context.block_size;
    let (mut findings, mut unestimated) = (Vec::new(), Vec::new());
    for index in facts
        .indexes
        .iter()
        .filter(|i| i.method == "btree" && i.valid)
    {
        let tuples = if index.tuples >= 0.0 {
            index.tuples
        } else {
            index.table_tuples
        };
        let estimate = bloat::btree(index.pages, tuples, &index.width, index.fillfactor, block);
        let Some(estimate) = estimate else {
            if index.size as f64 >= MIN_BYTES {
                unestimated.push(index.name.sql.clone());
            }
            continue;
        };
        if !estimate.reported() {
            continue;
        }
        findings.push(finding(
            RuleId::IndexBloat,
            index.name.shown(),
            Some(index.table.shown()),
            format!(
                "index {} on {}: estimated {:.0}% bloat, about {} of its {} free (an estimate from the planner statistics); lookups and writes read those pages too",
                index.name.shown(),
                index.table.shown(),
                estimate.pct,
                size(estimate.bloat_bytes as i64),
                size(estimate.size_bytes as i64)
            ),
            format!("REINDEX INDEX CONCURRENTLY {};", index.name.sql),
        ));
    }
    let notes = match unestimated.len() {
        0 => Vec::new(),
        _ => vec![format!(
            "index-bloat not estimated for {}: no planner statistics for all their columns (ANALYZE their tables, or let pgvet's role read them)",
            unestimated.join(", ")
        )],
    };
    (findings, notes)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{facts, index};

    #[test]
    fn a_mostly_empty_btree_is_rebuilt_and_a_small_or_unknown_one_is_not() {
        let mut f = facts(0.0, 0.0);
        let mut bloated = index("ix_bloated", "t", &["a"]);
        (bloated.pages, bloated.tuples, bloated.size) = (2750, 100_000.0, 2750 * 8192);
        bloated.width = super::super::fixtures::width(4.0);
        let mut gin = bloated.clone();
        (gin.name.name, gin.method) = ("ix_gin".into(), "gin".into());
        let mut unknown = bloated.clone();
        unknown.name = super::super::fixtures::name("ix_unknown");
        unknown.width.with_statistics = 0;
        let mut small = bloated.clone();
        small.name = super::super::fixtures::name("ix_small");
        (small.pages, small.tuples) = (100, 10.0);
        f.indexes = vec![bloated, gin, unknown, small];
        let (found, notes) = super::judge(&f);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].object, "public.ix_bloated");
        assert_eq!(
            found[0].message,
            "index public.ix_bloated on public.t: estimated 90% bloat, about 19.3 MiB of its 21.5 MiB free (an estimate from the planner statistics); lookups and writes read those pages too"
        );
        assert_eq!(
            found[0].fix,
            "REINDEX INDEX CONCURRENTLY public.ix_bloated;"
        );
        assert_eq!(
            notes,
            [
                "index-bloat not estimated for public.ix_unknown: no planner statistics for all their columns (ANALYZE their tables, or let pgvet's role read them)"
            ]
        );
    }
}
