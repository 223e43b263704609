//! `table-bloat`: a table whose pages are mostly free space, by the estimate of
//! [`super::bloat`] from the planner statistics: at least 50% of its pages and 8 MiB (dead
//! rows that VACUUM made room from, pages a mass DELETE emptied). Seq scans read every page,
//! full or not. `VACUUM FULL` packs it again but locks the table while it rewrites it; an
//! online tool (pg_repack, pg_squeeze) does it without. A table whose columns have no
//! statistics is not estimated; when it is large enough to matter, a note says so.

use super::bloat::{self, MIN_BYTES};
use super::words::size;
use super::{RuleId, finding};
use crate::db::health::Facts;
use crate::report::model::Finding;

pub fn judge(facts: &Facts) -> (Vec<Finding>, Vec<String>) {
    let block = facts.context.block_size;
    let (mut findings, mut unestimated) = (Vec::new(), Vec::new());
    for table in facts.tables.iter().filter(|t| !t.partitioned) {
        let estimate = bloat::heap(
            table.pages,
            table.tuples,
            &table.width,
            table.fillfactor,
            block,
        );
        let Some(estimate) = estimate else {
            if table.size as f64 >= MIN_BYTES {
                unestimated.push(table.name.sql.clone());
            }
            continue;
        };
        if !estimate.reported() {
            continue;
        }
        findings.push(finding(
            RuleId::TableBloat,
            table.name.shown(),
            None,
            format!(
                "table {}: estimated {:.0}% bloat, about {} of its {} free (an estimate from the planner statistics); every seq scan reads those pages too. VACUUM FULL locks the table while it rewrites it (pg_repack does it online)",
                table.name.shown(),
                estimate.pct,
                size(estimate.bloat_bytes as i64),
                size(estimate.size_bytes as i64)
            ),
            format!("VACUUM FULL {};", table.name.sql),
        ));
    }
    let notes = match unestimated.len() {
        0 => Vec::new(),
        _ => vec![format!(
            "table-bloat not estimated for {}: no planner statistics for all their columns (ANALYZE them, or let pgvet's role read them)",
            unestimated.join(", ")
        )],
    };
    (findings, notes)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{facts, table, width};

    #[test]
    fn a_mostly_empty_table_is_packed_and_a_packed_one_is_left_alone() {
        let mut f = facts(0.0, 0.0);
        let mut emptied = table("events");
        (emptied.pages, emptied.tuples, emptied.width) = (8340, 100_000.0, width(40.0));
        let mut packed = emptied.clone();
        packed.name = super::super::fixtures::name("orders");
        packed.pages = 834;
        let mut never_analyzed = emptied.clone();
        never_analyzed.name = super::super::fixtures::name("fresh");
        (never_analyzed.tuples, never_analyzed.size) = (-1.0, 20 * 1024 * 1024);
        f.tables = vec![emptied, packed, never_analyzed];
        let (found, notes) = super::judge(&f);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].object, "public.events");
        assert!(
            found[0].message.starts_with("table public.events: estimated 90% bloat, about 58.6 MiB of its 65.2 MiB free (an estimate"),
            "{found:?}"
        );
        assert_eq!(found[0].fix, "VACUUM FULL public.events;");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("public.fresh"), "{notes:?}");
    }
}
