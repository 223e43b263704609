//! Catalog facts for the rules' unit tests: a valid B-tree index, a table, a foreign key, a
//! sequence, each in `public` with plain defaults that a test then changes.

use crate::db::health::{
    Context, Facts, ForeignKeyFacts, IndexFacts, IndexKey, Name, SequenceFacts, TableFacts, Width,
};

pub fn name(name: &str) -> Name {
    let sql = match name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
    {
        true => name.to_string(),
        false => format!("\"{name}\""),
    };
    Name {
        schema: "public".into(),
        name: name.into(),
        sql: format!("public.{sql}"),
    }
}

/// A plain column's oid stands in for its attribute number: the column's position in `a..z`.
fn attnum(column: &str) -> i16 {
    match column.as_bytes() {
        [c] if c.is_ascii_lowercase() => (c - b'a' + 1) as i16,
        _ => 0,
    }
}

/// A valid, non-unique B-tree index on `columns` (single letters are plain columns numbered
/// a = 1, b = 2, …; anything else is an expression).
pub fn index(index: &str, table: &str, columns: &[&str]) -> IndexFacts {
    let keys = columns
        .iter()
        .map(|c| IndexKey {
            text: c.to_string(),
            attnum: attnum(c),
            opclass: 3124,
            collation: 0,
            option: 0,
            array: false,
        })
        .collect();
    IndexFacts {
        oid: 0,
        name: name(index),
        table: name(table),
        table_oid: table.len() as u32,
        partitioned: false,
        partition_child: false,
        valid: true,
        ready: true,
        being_built: false,
        unattached_partitions: None,
        unique: false,
        immediate: true,
        nulls_not_distinct: false,
        primary: false,
        constraint: None,
        referenced_by_foreign_key: false,
        method: "btree".into(),
        expressions: columns
            .iter()
            .any(|c| attnum(c) == 0)
            .then(|| format!("({})", columns.join(" "))),
        keys,
        include_attnums: Vec::new(),
        include: Vec::new(),
        predicate: None,
        scans: Some(0),
        created_at: None,
        size: 8192,
        pages: 1,
        tuples: 0.0,
        fillfactor: None,
        table_tuples: 0.0,
        width: width(8.0),
    }
}

pub fn width(data: f64) -> Width {
    Width {
        data,
        nulls: false,
        columns: 1,
        with_statistics: 1,
    }
}

pub fn table(table: &str) -> TableFacts {
    TableFacts {
        oid: table.len() as u32,
        name: name(table),
        partitioned: false,
        partition: false,
        has_primary_key: true,
        key_candidate: None,
        pages: 1,
        size: 8192,
        tuples: 0.0,
        fillfactor: None,
        width: width(8.0),
    }
}

/// A foreign key on `table (columns)` to `references (id…)`, of matching integer columns.
pub fn foreign_key(table: &str, columns: &[&str], references: &str) -> ForeignKeyFacts {
    let n = columns.len();
    ForeignKeyFacts {
        name: Name {
            sql: format!("{table}_{}_fkey", columns.join("_")),
            ..name(&format!("{table}_{}_fkey", columns.join("_")))
        },
        table: name(table),
        table_oid: table.len() as u32,
        partitioned: false,
        references: name(references),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        columns_sql: columns.iter().map(|c| c.to_string()).collect(),
        attnums: columns.iter().map(|c| attnum(c)).collect(),
        ref_columns: vec!["id".into(); n],
        types: vec!["integer".into(); n],
        ref_types: vec!["integer".into(); n],
        types_differ: vec![false; n],
    }
}

/// An ascending integer sequence from 1, at `last_value`.
pub fn sequence(sequence: &str, last_value: Option<i64>) -> SequenceFacts {
    SequenceFacts {
        name: name(sequence),
        type_name: "integer".into(),
        min: 1,
        max: i32::MAX as i64,
        increment: 1,
        start: 1,
        cycle: false,
        readable: true,
        last_value,
        column: None,
    }
}

/// No objects; the counters have counted for `days` at `now`.
pub fn facts(now: f64, days: f64) -> Facts {
    Facts {
        context: Context {
            now,
            counters_since: now - days * 86_400.0,
            counters_since_text: "2026-01-01 00:00 UTC".into(),
            schemas: vec!["public".into()],
            block_size: 8192.0,
        },
        indexes: Vec::new(),
        tables: Vec::new(),
        foreign_keys: Vec::new(),
        not_valid: Vec::new(),
        sequences: Vec::new(),
    }
}
