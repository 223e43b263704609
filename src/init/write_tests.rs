//! The suite text: a snapshot of a whole migration's suite, schemas, and names that must read
//! back exactly (through TOML, and the `[[index]]` entries through the suite parser).

use super::*;
use crate::db::catalog::Predicate;
use crate::db::snapshot::Index;

fn index(schema: &str, name: &str, table: &str, columns: &[&str]) -> Index {
    Index {
        oid: 1,
        schema: schema.into(),
        name: name.into(),
        table: table.into(),
        unique: false,
        method: "btree".into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        include: Vec::new(),
        predicate: None,
        definition: format!("CREATE INDEX {name} ON {schema}.{table} USING btree (…)"),
    }
}

fn made(index: Index) -> IndexExpectation {
    IndexExpectation {
        index,
        change: IndexChange::Created,
    }
}

fn migration() -> Source {
    Source {
        origin: Origin::Migration {
            setup: vec!["db/schema.sql".into()],
            migrations: vec!["db/0042.sql".into(), "db/0043.sql".into()],
        },
        schemas: vec![],
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn sample() -> Expectations {
    let mut partial = index(
        "public",
        "ix_history_recent",
        "prediction_history",
        &["model_id"],
    );
    partial.predicate = Some(Predicate {
        pretty: "score > 0.5::double precision".into(),
        parenthesised: "(score > 0.5::double precision)".into(),
    });
    partial.include = strings(&["score"]);
    let mut gin = index("public", "ix_history_tags", "prediction_history", &["tags"]);
    gin.method = "gin".into();
    let mut pkey = index(
        "public",
        "prediction_history_pkey",
        "prediction_history",
        &["id"],
    );
    pkey.unique = true;
    let changed = IndexExpectation {
        index: index(
            "public",
            "ix_model_name",
            "predictive_models",
            &["lower(name)", "id"],
        ),
        change: IndexChange::Changed {
            before: "CREATE INDEX ix_model_name ON public.predictive_models USING btree (name)"
                .into(),
            alike: false,
        },
    };
    let dropped = IndexExpectation {
        index: index("public", "ix_model_old", "predictive_models", &["name"]),
        change: IndexChange::Dropped,
    };
    Expectations {
        indexes: vec![made(partial), made(gin), made(pkey), changed, dropped],
        tables: vec![
            TableExpectation {
                schema: "public".into(),
                name: "prediction_history".into(),
                created: true,
                columns: vec![
                    ("id".into(), "bigint".into()),
                    ("model_id".into(), "integer".into()),
                    ("predicted_at".into(), "timestamp with time zone".into()),
                    ("score".into(), "double precision".into()),
                    ("tags".into(), "text[]".into()),
                ],
                checks: strings(&["prediction_history_score_check"]),
                not_valid: false,
                dropped: false,
            },
            TableExpectation {
                schema: "public".into(),
                name: "predictive_models".into(),
                created: false,
                columns: vec![("retired_at".into(), "timestamp without time zone".into())],
                checks: vec![],
                not_valid: false,
                dropped: false,
            },
        ],
        foreign_keys: vec![ForeignKeyExpectation {
            schema: "public".into(),
            table: "prediction_history".into(),
            name: "prediction_history_model_id_fkey".into(),
            columns: strings(&["model_id"]),
            ref_schema: "public".into(),
            ref_table: "predictive_models".into(),
            ref_columns: strings(&["id"]),
            indexed: true,
            validated: true,
        }],
    }
}

#[test]
fn a_migration_s_suite() {
    insta::assert_snapshot!(render(&sample(), &migration()));
}

#[test]
fn the_index_entries_load_as_a_suite_with_every_key() {
    let text = render(&sample(), &migration());
    let suite = crate::suite::parse_str(std::path::Path::new("pgvet.toml"), &text).unwrap();
    let partial = &suite.indexes[0];
    assert_eq!(
        (
            partial.predicate.as_deref(),
            partial.include.as_deref(),
            partial.method.as_deref()
        ),
        (
            Some("score > 0.5::double precision"),
            Some(&strings(&["score"])[..]),
            None
        )
    );
    assert_eq!(suite.indexes[1].method.as_deref(), Some("gin"));
    assert!(suite.indexes[2].unique);
    assert_eq!(
        suite.indexes[3].columns.as_deref(),
        Some(&strings(&["lower(name)", "id"])[..])
    );
    assert!(suite.indexes[4].absent && suite.indexes[4].columns.is_none());
    // The whole file is TOML, [[table]] and [[foreign_key]] included.
    let all: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        all["table"][0]["columns"]["predicted_at"].as_str(),
        Some("timestamp with time zone")
    );
    assert_eq!(
        all["foreign_key"][0]["references"].as_str(),
        Some("predictive_models")
    );
}

#[test]
fn the_same_expectations_give_the_same_bytes() {
    assert_eq!(
        render(&sample(), &migration()),
        render(&sample(), &migration())
    );
}

#[test]
fn one_schema_other_than_public_is_the_suite_s_default() {
    let mut e = sample();
    for i in &mut e.indexes {
        i.index.schema = "ml".into();
    }
    for t in &mut e.tables {
        t.schema = "ml".into();
    }
    e.foreign_keys[0].schema = "ml".into();
    e.foreign_keys[0].ref_schema = "ml".into();
    let text = render(&e, &migration());
    assert!(text.contains("\n[settings]\nschema = \"ml\"\n"), "{text}");
    assert!(!text.contains("schema = \"ml\"\n[[") && text.matches("\"ml\"").count() == 1);
    let all: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        all["foreign_key"][0]["references"].as_str(),
        Some("predictive_models")
    );
    let suite = crate::suite::parse_str(std::path::Path::new("pgvet.toml"), &text).unwrap();
    assert!(suite.indexes.iter().all(|i| i.schema == "ml"));
}

#[test]
fn entries_in_several_schemas_name_theirs_when_it_is_not_public() {
    let mut e = sample();
    e.indexes[1].index.schema = "audit".into();
    e.tables[1].schema = "audit".into();
    e.foreign_keys[0].ref_schema = "audit".into();
    let text = render(&e, &migration());
    assert!(!text.contains("[settings]"), "{text}");
    let all: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(all["index"][1]["schema"].as_str(), Some("audit"));
    assert!(all["index"][0].get("schema").is_none());
    assert_eq!(all["table"][1]["schema"].as_str(), Some("audit"));
    assert_eq!(
        (
            all["foreign_key"][0]["table"].as_str(),
            all["foreign_key"][0]["references"].as_str()
        ),
        (Some("prediction_history"), Some("audit.predictive_models"))
    );
    // A key in another schema than public names both tables with their schema.
    e.foreign_keys[0].schema = "ml".into();
    e.foreign_keys[0].ref_schema = "public".into();
    let all: toml::Table = toml::from_str(&render(&e, &migration())).unwrap();
    assert_eq!(
        (
            all["foreign_key"][0]["table"].as_str(),
            all["foreign_key"][0]["references"].as_str()
        ),
        (
            Some("ml.prediction_history"),
            Some("public.predictive_models")
        )
    );
}

#[test]
fn names_with_quotes_backslashes_dots_and_newlines_read_back_exactly() {
    let nasty = "ix \"q\" \\ back\nline";
    let table = "my.t\"able";
    let column = "Ünï \"col\"";
    let mut i = index(
        "we\"ird",
        nasty,
        table,
        &["\"Ünï \"\"col\"\"\"", "lower(\"A\")", "\"\"\"q\"\"\""],
    );
    i.include = strings(&["a\\b"]);
    i.predicate = Some(Predicate {
        pretty: "name <> 'it''s \\ \"x\"'::text".into(),
        parenthesised: String::new(),
    });
    i.definition = "CREATE INDEX \"ix\n[[index]]\" …".into();
    let e = Expectations {
        indexes: vec![IndexExpectation {
            index: i,
            change: IndexChange::Changed {
                before: "CREATE INDEX \"evil\n[[index]]\nname = 'x'\" ON t (a)".into(),
                alike: false,
            },
        }],
        tables: vec![TableExpectation {
            schema: "we\"ird".into(),
            name: table.into(),
            created: true,
            columns: vec![(column.into(), "public.\"my type\"".into())],
            checks: strings(&["c\"heck\\"]),
            not_valid: false,
            dropped: false,
        }],
        foreign_keys: vec![],
    };
    let source = Source {
        origin: Origin::Migration {
            setup: vec![],
            migrations: vec!["dir\n[[index]]/m.sql".into()],
        },
        schemas: vec![],
    };
    let text = render(&e, &source);
    let all: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
    // The comments (the file name, the definition before) stayed comments.
    assert_eq!(all["index"].as_array().unwrap().len(), 1, "{text}");
    assert!(all["index"][0]["name"].as_str() == Some(nasty));
    assert_eq!(all["index"][0]["include"][0].as_str(), Some("a\\b"));
    assert_eq!(
        all["table"][0]["columns"][column].as_str(),
        Some("public.\"my type\"")
    );
    assert_eq!(all["table"][0]["checks"][0].as_str(), Some("c\"heck\\"));
    let suite = crate::suite::parse_str(std::path::Path::new("pgvet.toml"), &text).unwrap();
    let read = &suite.indexes[0];
    assert_eq!(
        (
            read.name.as_str(),
            read.table.as_str(),
            read.schema.as_str()
        ),
        (nasty, table, "we\"ird")
    );
    assert_eq!(
        read.predicate.as_deref(),
        Some("name <> 'it''s \\ \"x\"'::text")
    );
    // A quoted column by its name, an expression as printed, and a name that would read as a
    // quoted one as printed.
    assert_eq!(
        read.columns.as_deref(),
        Some(&strings(&[column, "lower(\"A\")", "\"\"\"q\"\"\""])[..])
    );
}

#[test]
fn a_database_s_suite_and_an_empty_one() {
    let source = Source {
        origin: Origin::Database {
            target: "postgresql://app@db.internal/app".into(),
        },
        schemas: strings(&["public"]),
    };
    let text = render(&sample(), &source);
    assert!(text.starts_with(&format!(
        "# pgvet suite written by `pgvet init` (pgvet {}) from:\n#   --db postgresql://app@db.internal/app\n#   --schema public\n#\n# The database's",
        env!("CARGO_PKG_VERSION")
    )), "{text}");
    assert!(text.contains("\n# Indexes.\n"), "{text}");
    let empty = render(&Expectations::default(), &migration());
    assert!(
        empty.contains("created, changed or dropped no index"),
        "{empty}"
    );
    assert!(!empty.lines().any(|l| l.starts_with('[')), "{empty}");
    assert!(empty.contains("# [[query]]"), "{empty}");
}

#[test]
fn written_index_columns_compare_equal_to_what_postgresql_prints() {
    for printed in [
        "config_id",
        "\"timestamp\"",
        "\"Rental\"",
        "\"Ünï \"\"col\"\"\"",
        "\"\"\"q\"\"\"",
        "\"a\"\"\"",
        "lower((email)::text)",
        "(a + b)",
    ] {
        let printed = vec![printed.to_string()];
        let written = as_names(&printed);
        assert!(
            crate::check::index::columns_match(&written, &printed),
            "{written:?} against {printed:?}"
        );
    }
    assert_eq!(as_names(&strings(&["\"timestamp\""])), ["timestamp"]);
}

#[test]
fn a_key_without_an_index_is_written_indexed_false_with_why() {
    let mut expectations = sample();
    expectations.foreign_keys[0].indexed = false;
    let text = render(&expectations, &migration());
    assert!(
        text.contains(
            "name = \"prediction_history_model_id_fkey\"\n# No index leads with these columns: each DELETE (or key UPDATE) on the referenced\n# table reads this whole table. Index them, or keep indexed = false if that is fine.\nindexed = false\n"
        ),
        "{text}"
    );
}
