//! The diff on hand-made snapshots: created, changed, recreated and dropped indexes; created
//! tables, added and retyped columns, new check constraints and foreign keys; and the order.

use super::*;
use crate::db::snapshot::{Constraint, Table};

fn index(oid: u32, name: &str, table: &str, columns: &[&str]) -> Index {
    Index {
        oid,
        schema: "public".into(),
        name: name.into(),
        table: table.into(),
        unique: false,
        method: "btree".into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        include: Vec::new(),
        predicate: None,
        definition: format!(
            "CREATE INDEX {name} ON public.{table} USING btree ({})",
            columns.join(", ")
        ),
    }
}

fn table(oid: u32, schema: &str, name: &str, columns: &[(&str, &str)]) -> Table {
    Table {
        oid,
        schema: schema.into(),
        name: name.into(),
        columns: columns
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect(),
    }
}

fn check(oid: u32, table: &str, name: &str) -> Constraint {
    Constraint {
        oid,
        schema: "public".into(),
        table: table.into(),
        name: name.into(),
        kind: ConstraintKind::Check,
        validated: true,
    }
}

fn foreign_key(oid: u32, table: &str, name: &str, column: &str, to: &str) -> Constraint {
    Constraint {
        oid,
        schema: "public".into(),
        table: table.into(),
        name: name.into(),
        kind: ConstraintKind::ForeignKey {
            columns: vec![column.into()],
            ref_schema: "public".into(),
            ref_table: to.into(),
            ref_columns: vec!["id".into()],
        },
        validated: true,
    }
}

fn names(e: &Expectations) -> Vec<(&str, &IndexChange)> {
    e.indexes
        .iter()
        .map(|i| (i.index.name.as_str(), &i.change))
        .collect()
}

#[test]
fn indexes_created_changed_recreated_and_dropped() {
    let before = Snapshot {
        indexes: vec![
            index(1, "t_pkey", "t", &["id"]),
            index(2, "ix_same", "t", &["a"]),
            index(3, "ix_changed", "t", &["a"]),
            index(4, "ix_recreated", "t", &["b"]),
            index(5, "ix_dropped", "t", &["b"]),
        ],
        ..Snapshot::default()
    };
    let after = Snapshot {
        indexes: vec![
            index(1, "t_pkey", "t", &["id"]),
            index(2, "ix_same", "t", &["a"]),
            index(13, "ix_changed", "t", &["a", "b"]),
            index(14, "ix_recreated", "t", &["b"]),
            index(16, "ix_new", "t", &["c"]),
            index(17, "a_new_on_another_table", "u", &["c"]),
        ],
        ..Snapshot::default()
    };
    let e = diff(&before, &after);
    assert_eq!(
        names(&e),
        [
            (
                "ix_changed",
                &IndexChange::Changed {
                    before: "CREATE INDEX ix_changed ON public.t USING btree (a)".into(),
                    alike: false,
                }
            ),
            ("ix_new", &IndexChange::Created),
            (
                "ix_recreated",
                &IndexChange::Changed {
                    before: "CREATE INDEX ix_recreated ON public.t USING btree (b)".into(),
                    alike: true,
                }
            ),
            ("a_new_on_another_table", &IndexChange::Created),
            ("ix_dropped", &IndexChange::Dropped),
        ]
    );
    // The changed one is described as it is now.
    assert_eq!(e.indexes[0].index.columns, ["a", "b"]);
    assert!(e.tables.is_empty() && e.foreign_keys.is_empty());
    // Nothing changed: nothing to expect.
    assert!(diff(&after, &after).is_empty());
}

#[test]
fn an_index_changed_in_place_counts_and_one_in_another_schema_is_another_index() {
    let mut partial = index(2, "ix_a", "t", &["a"]);
    let before = Snapshot {
        indexes: vec![partial.clone()],
        ..Snapshot::default()
    };
    partial.definition.push_str(" WHERE (a > 0)");
    let mut elsewhere = index(3, "ix_a", "t", &["a"]);
    elsewhere.schema = "app".into();
    let after = Snapshot {
        indexes: vec![partial, elsewhere],
        ..Snapshot::default()
    };
    let e = diff(&before, &after);
    let schemas: Vec<(&str, &IndexChange)> = e
        .indexes
        .iter()
        .map(|i| (i.index.schema.as_str(), &i.change))
        .collect();
    assert_eq!(schemas[0], ("app", &IndexChange::Created));
    assert!(matches!(
        schemas[1],
        ("public", IndexChange::Changed { .. })
    ));
}

#[test]
fn tables_created_columns_added_or_retyped_and_checks() {
    let before = Snapshot {
        tables: vec![
            table(1, "public", "model", &[("id", "integer"), ("name", "text")]),
            table(2, "public", "untouched", &[("id", "integer")]),
            table(3, "public", "recreated", &[("id", "integer")]),
            table(4, "public", "dropped", &[("id", "integer")]),
        ],
        constraints: vec![check(10, "model", "model_name_check")],
        ..Snapshot::default()
    };
    let after = Snapshot {
        tables: vec![
            table(
                1,
                "public",
                "model",
                &[("id", "bigint"), ("name", "text"), ("score", "real")],
            ),
            table(2, "public", "untouched", &[("id", "integer")]),
            table(13, "public", "recreated", &[("id", "integer")]),
            table(
                20,
                "app",
                "history",
                &[("id", "bigint"), ("at", "timestamp with time zone")],
            ),
        ],
        constraints: vec![
            check(10, "model", "model_name_check"),
            check(21, "model", "model_score_check"),
            check(22, "untouched", "untouched_id_check"),
            check(23, "untouched", "a_first_check"),
        ],
        ..Snapshot::default()
    };
    let e = diff(&before, &after);
    type Summary<'a> = (&'a str, &'a str, bool, Vec<&'a str>, Vec<&'a str>);
    let summary: Vec<Summary> = e
        .tables
        .iter()
        .map(|t| {
            (
                t.schema.as_str(),
                t.name.as_str(),
                t.created,
                t.columns.iter().map(|c| c.0.as_str()).collect(),
                t.checks.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("app", "history", true, vec!["id", "at"], vec![]),
            // Dropped: `absent = true` (see `dropped`).
            ("public", "dropped", false, vec![], vec![]),
            // id became a bigint, score is new; the check made before is not listed.
            (
                "public",
                "model",
                false,
                vec!["id", "score"],
                vec!["model_score_check"]
            ),
            ("public", "recreated", true, vec!["id"], vec![]),
            (
                "public",
                "untouched",
                false,
                vec![],
                vec!["a_first_check", "untouched_id_check"]
            ),
        ]
    );
    assert!(e.tables[1].dropped && !e.tables[2].dropped);
    assert_eq!(
        e.tables[2].columns,
        [
            ("id".to_string(), "bigint".to_string()),
            ("score".into(), "real".into())
        ]
    );
}

#[test]
fn foreign_keys_created_and_sorted() {
    let before = Snapshot {
        constraints: vec![foreign_key(1, "b", "b_old_fkey", "x", "a")],
        ..Snapshot::default()
    };
    let after = Snapshot {
        constraints: vec![
            foreign_key(1, "b", "b_old_fkey", "x", "a"),
            foreign_key(3, "c", "c_a_fkey", "a_id", "a"),
            foreign_key(2, "b", "b_a_fkey", "a_id", "a"),
        ],
        ..Snapshot::default()
    };
    let e = diff(&before, &after);
    let keys: Vec<(&str, &str, &[String])> = e
        .foreign_keys
        .iter()
        .map(|k| (k.table.as_str(), k.name.as_str(), k.columns.as_slice()))
        .collect();
    assert_eq!(
        keys,
        [
            ("b", "b_a_fkey", &["a_id".to_string()][..]),
            ("c", "c_a_fkey", &["a_id".to_string()][..])
        ]
    );
    assert_eq!(
        (
            e.foreign_keys[0].ref_table.as_str(),
            e.foreign_keys[0].ref_columns.as_slice()
        ),
        ("a", &["id".to_string()][..])
    );
}

#[test]
fn against_an_empty_snapshot_everything_is_expected() {
    let after = Snapshot {
        indexes: vec![index(1, "t_pkey", "t", &["id"])],
        tables: vec![table(2, "public", "t", &[("id", "integer")])],
        constraints: vec![
            check(3, "t", "t_id_check"),
            foreign_key(4, "t", "t_t_fkey", "id", "t"),
        ],
        ..Snapshot::default()
    };
    let e = diff(&Snapshot::default(), &after);
    assert_eq!(names(&e), [("t_pkey", &IndexChange::Created)]);
    assert_eq!(
        (
            e.tables.len(),
            e.tables[0].created,
            e.tables[0].checks.len()
        ),
        (1, true, 1)
    );
    assert_eq!(e.foreign_keys.len(), 1);
}
