//! Candidate indexes derived from real plans: EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT
//! JSON) captured from PostgreSQL 15 into `fixtures/plans/advice/` (see
//! `fixtures/plans/README.md`).

use super::*;
use crate::plan::Explain;

fn explain(name: &str) -> Explain {
    let path = format!(
        "{}/fixtures/plans/advice/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Explain::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The statements of the candidates for the scan of `relation` in the fixture, best first.
fn advised(name: &str, relation: &str, existing: &[Vec<String>]) -> Vec<String> {
    let explain = explain(name);
    let at = explain
        .scans
        .iter()
        .position(|s| s.relation.as_deref() == Some(relation))
        .unwrap_or_else(|| panic!("{name}: no scan of {relation}"));
    candidates(
        &explain.scans[at],
        &explain.placements[at],
        "public",
        existing,
    )
    .iter()
    .map(Candidate::statement)
    .collect()
}

#[test]
fn an_equality_filter_gives_a_single_column_index() {
    assert_eq!(
        advised("single.json", "orders", &[]),
        ["CREATE INDEX CONCURRENTLY ON public.orders (customer_id)"]
    );
}

#[test]
fn equality_comes_before_range_in_a_composite() {
    assert_eq!(
        advised("composite.json", "orders", &[]),
        [
            "CREATE INDEX CONCURRENTLY ON public.orders (status, created_at)",
            "CREATE INDEX CONCURRENTLY ON public.orders (status)",
            "CREATE INDEX CONCURRENTLY ON public.orders (created_at)",
        ]
    );
}

#[test]
fn an_expression_filter_gives_an_expression_index() {
    assert_eq!(
        advised("expression.json", "customers", &[]),
        ["CREATE INDEX CONCURRENTLY ON public.customers (lower((email)::text))"]
    );
}

#[test]
fn order_by_under_a_limit_gives_the_sort_key_read_backward() {
    assert_eq!(
        advised("order_limit.json", "orders", &[]),
        ["CREATE INDEX CONCURRENTLY ON public.orders (created_at)"]
    );
    assert_eq!(
        advised("filtered_order_limit.json", "orders", &[]),
        [
            "CREATE INDEX CONCURRENTLY ON public.orders (customer_id, created_at)",
            "CREATE INDEX CONCURRENTLY ON public.orders (customer_id)",
            "CREATE INDEX CONCURRENTLY ON public.orders (created_at)",
        ]
    );
}

#[test]
fn a_join_key_gives_an_index_on_the_side_read_whole() {
    assert_eq!(
        advised("hash_join.json", "orders", &[]),
        ["CREATE INDEX CONCURRENTLY ON public.orders (customer_id)"]
    );
    // The other side's join key is its primary key: an index it has already.
    let pkey = [vec!["id".to_string()]];
    assert_eq!(
        advised("hash_join.json", "customers", &pkey),
        ["CREATE INDEX CONCURRENTLY ON public.customers (email)"]
    );
}

#[test]
fn a_full_index_scan_s_condition_leads_its_candidate() {
    let composite = [vec!["status".to_string(), "created_at".to_string()]];
    assert_eq!(
        advised("full_index_scan.json", "orders", &composite),
        ["CREATE INDEX CONCURRENTLY ON public.orders (created_at)"]
    );
}

#[test]
fn an_index_the_table_has_leaves_out_what_it_leads_with() {
    let existing = [vec!["status".to_string(), "created_at".to_string()]];
    assert_eq!(
        advised("composite.json", "orders", &existing),
        ["CREATE INDEX CONCURRENTLY ON public.orders (created_at)"]
    );
}

fn scan(filter: Option<&str>) -> Scan {
    let explain = explain("single.json");
    Scan {
        filter: filter.map(str::to_string),
        ..explain.scans[0].clone()
    }
}

#[test]
fn names_are_quoted_and_other_relations_columns_are_not_keys() {
    let candidate = Candidate {
        schema: "App".into(),
        table: "order".into(),
        columns: vec!["\"timestamp\"".into()],
    };
    assert_eq!(
        candidate.statement(),
        "CREATE INDEX CONCURRENTLY ON \"App\".\"order\" (\"timestamp\")"
    );
    assert_eq!(
        candidate.hypothetical(),
        "CREATE INDEX ON \"App\".\"order\" (\"timestamp\")"
    );
    let placement = Placement::default();
    let keys = |filter: &str| -> Vec<Vec<String>> {
        candidates(&scan(Some(filter)), &placement, "public", &[])
            .into_iter()
            .map(|c| c.columns)
            .collect()
    };
    // A comparison of two of its own columns, or an OR, gives nothing to search by.
    assert!(keys("(orders.a = orders.b)").is_empty());
    assert!(keys("((orders.a = 1) OR (orders.b = 2))").is_empty());
    assert!(keys("(orders.note ~~ 'x%'::text)").is_empty());
    // A nested loop's inner side: the other relation's column is the value.
    assert_eq!(keys("(orders.customer_id = c.id)"), [vec!["customer_id"]]);
    // Written the other way round, and through casts of the column.
    assert_eq!(keys("(42 = orders.customer_id)"), [vec!["customer_id"]]);
    assert_eq!(
        keys("((orders.status)::text = 'x'::text)"),
        [vec!["status"]]
    );
    assert_eq!(keys("((orders.total * 2) > 10)"), [vec!["((total * 2))"]]);
    assert_eq!(keys("(orders.shipped_at IS NULL)"), [vec!["shipped_at"]]);
    assert!(candidates(&scan(None), &placement, "public", &[]).is_empty());
}

#[test]
fn mixed_sort_directions_keep_theirs() {
    let placement = |keys: &[&str]| Placement {
        limit_order: keys.iter().map(|k| k.to_string()).collect(),
        join_conds: Vec::new(),
    };
    let columns = |keys: &[&str]| -> Vec<Vec<String>> {
        candidates(&scan(None), &placement(keys), "public", &[])
            .into_iter()
            .map(|c| c.columns)
            .collect()
    };
    assert_eq!(
        columns(&["orders.a DESC", "orders.b DESC"]),
        [vec!["a", "b"]]
    );
    assert_eq!(
        columns(&["orders.a DESC", "orders.b"]),
        [vec!["a DESC", "b"]]
    );
    assert_eq!(columns(&["orders.a NULLS FIRST"]), [vec!["a NULLS FIRST"]]);
    // Sorted by another relation's column, or by an operator of its own: no index order.
    assert!(columns(&["c.a"]).is_empty());
    assert!(columns(&["orders.a USING <"]).is_empty());
}

#[test]
fn candidate_columns_compare_with_index_columns() {
    assert!(same_column("\"timestamp\"", "timestamp"));
    assert!(same_column("created_at DESC", "created_at"));
    assert!(same_column("lower((email)::text)", "lower((email)::text)"));
    assert!(same_column("((total * 2))", "(total * 2)"));
    assert!(!same_column("email", "lower((email)::text)"));
    assert!(!same_column("\"Email\"", "email"));
}
