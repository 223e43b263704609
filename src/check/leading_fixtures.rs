//! The leading-column rule on real plans: EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)
//! captured from PostgreSQL 13 to 18 into `fixtures/plans/leading/pgNN/` (see
//! `fixtures/plans/README.md`). Every version's plan gets the same verdict.

use std::collections::HashMap;

use super::leading::{IndexKeyMap, full_index_read, narrows, test_keys};
use crate::plan::{Explain, Scan};

const VERSIONS: [u32; 6] = [13, 14, 15, 16, 17, 18];

/// The indexes of `fixtures/plans/leading/schema.sql`, as `catalog::index_keys` returns them.
fn schema_keys() -> IndexKeyMap {
    let btree = |columns: &[&str], partial: bool| test_keys("shipment", "btree", columns, partial);
    HashMap::from([
        ("shipment_pkey", btree(&["id"], false)),
        (
            "warehouse_pkey",
            test_keys("warehouse", "btree", &["id"], false),
        ),
        (
            "ix_shipment_wcs",
            btree(&["warehouse_id", "carrier", "shipped_at"], false),
        ),
        ("ix_shipment_email", btree(&["lower((email)::text)"], false)),
        ("ix_shipment_open", btree(&["shipped_at"], true)),
    ])
    .into_iter()
    .map(|(name, keys)| ((Some("public".to_string()), name.to_string()), keys))
    .collect()
}

fn scans(version: u32, name: &str) -> Vec<Scan> {
    let path = format!(
        "{}/fixtures/plans/leading/pg{version}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Explain::parse(&text)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .scans
}

/// The scan of `shipment` in the fixture, on every version.
fn shipment_scans(name: &str) -> Vec<(u32, Scan)> {
    VERSIONS
        .iter()
        .map(|&v| {
            let scan = scans(v, name)
                .into_iter()
                .find(|s| s.relation.as_deref() == Some("shipment"))
                .unwrap_or_else(|| panic!("pg{v}/{name}: no scan of shipment"));
            (v, scan)
        })
        .collect()
}

#[test]
fn conditions_on_the_leading_column_narrow() {
    let keys = schema_keys();
    for name in [
        "leading_column.json",
        "leading_any.json",
        "expression_index.json",
        "nested_loop_param.json",
        "order_by_limit.json",
        "partial_index.json",
    ] {
        for (version, scan) in shipment_scans(name) {
            assert!(
                narrows(&scan, &keys),
                "pg{version}/{name}: {scan:?} {:?}",
                full_index_read(&scan, &keys)
            );
        }
    }
}

#[test]
fn conditions_on_later_columns_read_the_whole_index() {
    let keys = schema_keys();
    let cases = [
        ("later_column.json", "ix_shipment_wcs", "carrier = 'ups'"),
        ("later_range.json", "ix_shipment_wcs", "shipped_at > "),
        // BitmapOr: the warehouse_id branch narrows, the carrier branch reads the whole index.
        ("bitmap_or_later.json", "ix_shipment_wcs", "carrier = 'ups'"),
        // count(*) with seq scans off: a walk of the primary key, under no LIMIT.
        ("full_walk.json", "shipment_pkey", "no index condition"),
    ];
    for (name, index, reason) in cases {
        for (version, scan) in shipment_scans(name) {
            let full = full_index_read(&scan, &keys)
                .unwrap_or_else(|| panic!("pg{version}/{name}: {scan:?}"));
            assert_eq!(full.index, index, "pg{version}/{name}");
            assert!(full.reason.contains(reason), "pg{version}/{name}: {full:?}");
        }
    }
}

#[test]
fn postgresql_18_names_the_skip_scan() {
    let keys = schema_keys();
    for (version, scan) in shipment_scans("later_range.json") {
        let reason = full_index_read(&scan, &keys).unwrap().reason;
        assert_eq!(
            reason.contains("a skip scan"),
            version >= 18,
            "pg{version}: {reason}"
        );
    }
    // A leading-column condition that also skips within the index (Index Searches 2 on 18)
    // still narrows.
    let pg18 = scans(18, "leading_column.json");
    assert_eq!(pg18[0].index_reads[0].searches, Some(2.0));
    assert!(narrows(&pg18[0], &keys));
}

#[test]
fn the_walk_records_what_the_rule_needs() {
    for version in VERSIONS {
        let limited = &scans(version, "order_by_limit.json")[0];
        assert!(limited.under_limit && limited.index_reads[0].cond.is_none());
        let join = scans(version, "nested_loop_param.json");
        assert_eq!(
            join.iter().map(|s| s.under_limit).collect::<Vec<_>>(),
            [false, false]
        );
        assert_eq!(
            join[1].index_reads[0].cond.as_deref(),
            Some("(s.warehouse_id = w.id)")
        );
        let or = &scans(version, "bitmap_or_later.json")[0];
        let conds: Vec<_> = or
            .index_reads
            .iter()
            .map(|r| r.cond.as_deref().unwrap())
            .collect();
        assert_eq!(
            conds,
            [
                "(shipment.warehouse_id = 1)",
                "(shipment.carrier = 'ups'::text)"
            ]
        );
        assert_eq!(or.indexes, ["ix_shipment_wcs"], "named once");
    }
}
