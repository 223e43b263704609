//! The FastAPI v1.6 fixtures against a real server: the contract entries of queries/fastapi/
//! pgvet.toml (tables and their column types, foreign keys, the application role's grants) are
//! what fixtures/fastapi/migration.sql creates, read back from the catalog by this test's own
//! SQL (a second opinion beside pgvet's check of them); and
//! its downgrade (rollback.sql) leaves the schema exactly as it was before v1.6. The suite
//! itself runs through the binary in tests/ephemeral.rs, with the demo.

use std::collections::BTreeSet;

use crate::harness::{TestDb, pgvet, read_repo, repo, stderr};

const TABLES: [&str; 5] = [
    "predictive_models",
    "anomaly_detection_models",
    "anomaly_detection_results",
    "external_data_sources",
    "prediction_history",
];

/// The suite's entries of one kind.
fn entries(kind: &str) -> Vec<toml::Table> {
    let contract: toml::Table = read_repo("queries/fastapi/pgvet.toml")
        .parse()
        .expect("pgvet.toml is TOML");
    contract[kind]
        .as_array()
        .unwrap_or_else(|| panic!("[[{kind}]] entries"))
        .iter()
        .map(|e| e.as_table().unwrap().clone())
        .collect()
}

fn text<'a>(entry: &'a toml::Table, key: &str) -> &'a str {
    entry[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {entry}"))
}

fn strings(entry: &toml::Table, key: &str) -> Vec<String> {
    let array = entry[key].as_array().unwrap();
    array
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

async fn migrated() -> TestDb {
    let db = TestDb::new().await;
    db.exec(&read_repo("fixtures/fastapi/schema.sql")).await;
    db.exec(&read_repo("fixtures/fastapi/migration.sql")).await;
    db
}

/// Rows of `sql` (all text columns) as tab-joined lines.
async fn lines(db: &TestDb, sql: &str) -> BTreeSet<String> {
    let rows = db.conn.client.query(sql, &[]).await.unwrap();
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.get::<_, String>(i))
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect()
}

/// Each checklist item an entry names is an item of the checklist, word for word.
fn assert_on_the_checklist(entry: &toml::Table, item: &str) {
    assert_eq!(text(entry, "checklist"), item, "{entry}");
    let checklist = read_repo("fixtures/checklists/fastapi_deployment.md");
    assert!(checklist.contains(&format!("- [ ] {item}\n")), "{item}");
}

#[tokio::test]
async fn the_suite_s_tables_are_the_migrations_columns_and_types() {
    let db = migrated().await;
    let tables = entries("table");
    let names: BTreeSet<&str> = tables.iter().map(|t| text(t, "name")).collect();
    assert_eq!(names, TABLES.into_iter().collect());
    let data_after = read_repo("fixtures/fastapi/data_after.sql");
    for table in &tables {
        let name = text(table, "name");
        let expected: BTreeSet<String> = table["columns"]
            .as_table()
            .unwrap()
            .iter()
            .map(|(column, ty)| format!("{column}\t{}", ty.as_str().unwrap()))
            .collect();
        let actual = lines(
            &db,
            &format!(
                "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) \
                 FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'public.{name}'::regclass \
                 AND a.attnum > 0 AND NOT a.attisdropped"
            ),
        )
        .await;
        assert_eq!(expected, actual, "{name}");
        // The statistics the checklist asks to update are those the data's load ends with.
        assert_eq!(table["analyzed"].as_bool(), Some(true), "{name}");
        assert!(
            data_after.contains(&format!("\nANALYZE {name};\n")),
            "{name}"
        );
        assert_on_the_checklist(table, "Update database statistics");
    }
}

#[tokio::test]
async fn the_suite_s_foreign_keys_and_privileges_are_the_migrations() {
    let db = migrated().await;
    let keys = entries("foreign_key");
    let expected: BTreeSet<String> = keys
        .iter()
        .map(|k| {
            let columns = strings(k, "columns").join(",");
            format!("{}\t{columns}\t{}", text(k, "table"), text(k, "references"))
        })
        .collect();
    assert_eq!(expected.len(), keys.len(), "a foreign key listed twice");
    let actual = lines(
        &db,
        "SELECT c.conrelid::regclass::text, \
                (SELECT string_agg(a.attname, ',' ORDER BY k.n) \
                 FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum), \
                c.confrelid::regclass::text \
         FROM pg_catalog.pg_constraint c \
         WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY (ARRAY['predictive_models', \
               'anomaly_detection_models', 'anomaly_detection_results', 'external_data_sources', \
               'prediction_history'])",
    )
    .await;
    assert_eq!(expected, actual);
    for key in &keys {
        assert_on_the_checklist(key, "Foreign key constraints validated");
    }

    let grants = entries("privilege");
    let expected: BTreeSet<String> = grants
        .iter()
        .flat_map(|g| {
            assert_eq!(text(g, "role"), "fastapi_app");
            let object = match g.get("table") {
                Some(_) => text(g, "table").to_string(),
                None => text(g, "sequence").to_string(),
            };
            strings(g, "privileges")
                .into_iter()
                .map(move |p| format!("{object}\t{p}"))
        })
        .collect();
    let actual = lines(
        &db,
        "SELECT c.relname::text, acl.privilege_type \
         FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) AS acl \
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'S') \
           AND acl.grantee = 'fastapi_app'::regrole \
           AND regexp_replace(c.relname, '_id_seq$', '') = ANY (ARRAY['predictive_models', \
               'anomaly_detection_models', 'anomaly_detection_results', 'external_data_sources', \
               'prediction_history'])",
    )
    .await;
    assert_eq!(expected, actual);
    assert_eq!(
        grants.len(),
        2 * TABLES.len(),
        "one [[privilege]] entry per table and one per its id sequence"
    );
    for grant in &grants {
        assert_on_the_checklist(grant, "Database user permissions configured");
    }
}

/// The public schema's relations, types and columns, and the Alembic revision.
async fn schema_state(db: &TestDb) -> BTreeSet<String> {
    let mut state = lines(
        db,
        "SELECT c.relname::text || ' ' || c.relkind::text \
         FROM pg_catalog.pg_class c WHERE c.relnamespace = 'public'::regnamespace \
         UNION ALL \
         SELECT 'type ' || t.typname::text FROM pg_catalog.pg_type t \
         WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e' \
         UNION ALL \
         SELECT 'revision ' || version_num::text FROM alembic_version",
    )
    .await;
    state.extend(
        lines(
            db,
            "SELECT table_name::text || '.' || column_name::text || ' ' || data_type::text \
             FROM information_schema.columns WHERE table_schema = 'public'",
        )
        .await,
    );
    state
}

#[tokio::test]
async fn the_downgrade_leaves_the_schema_as_it_was_before_v1_6() {
    let db = TestDb::new().await;
    db.exec(&read_repo("fixtures/fastapi/schema.sql")).await;
    let before = schema_state(&db).await;
    assert!(before.contains("revision d41f5a8c2e97"), "{before:?}");
    db.exec(&read_repo("fixtures/fastapi/migration.sql")).await;
    let migrated = schema_state(&db).await;
    assert!(migrated.contains("revision a7c3e9b15f20"), "{migrated:?}");
    for table in TABLES {
        assert!(migrated.contains(&format!("{table} r")), "{table}");
    }
    db.exec(&read_repo("fixtures/fastapi/rollback.sql")).await;
    assert_eq!(schema_state(&db).await, before);
    // The schema file applies again to a server where its role exists already.
    let again = TestDb::new().await;
    again.exec(&read_repo("fixtures/fastapi/schema.sql")).await;
    assert_eq!(schema_state(&again).await, before);
}

/// `pgvet fill` on the FastAPI checklist from a run of its suite: the run's fill ticks exactly
/// the five tables' items and the three items the suite's entries claim, and a claim that
/// failed leaves its box empty and says why.
#[tokio::test]
async fn fill_ticks_the_checklist_items_the_run_verified_and_nothing_else() {
    let db = migrated().await;
    db.exec("ANALYZE").await;
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let saved = dir.path().join(name);
        let suite = repo("queries/fastapi");
        let out = db.cli(&[suite.to_str().unwrap(), "--save", saved.to_str().unwrap()]);
        // The queries' time targets are not what this test is about: 0 or 1, saved either way.
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        saved
    };
    let checklist = repo("fixtures/checklists/fastapi_deployment.md");
    let original = read_repo("fixtures/checklists/fastapi_deployment.md");
    let fill = |saved: &std::path::Path| {
        let args = [
            "fill",
            checklist.to_str().unwrap(),
            "--results",
            saved.to_str().unwrap(),
        ];
        let out = pgvet(&args, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        (crate::harness::stdout(&out), stderr(&out))
    };
    let ticked = |filled: &str| -> Vec<String> {
        original
            .lines()
            .zip(filled.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| {
                assert_eq!(a.replacen("[ ]", "[x]", 1), b, "only a box changes");
                b.trim().to_string()
            })
            .collect()
    };
    let (filled, _) = fill(&run("after.json"));
    assert_eq!(filled.len(), original.len(), "every other byte as it was");
    assert_eq!(
        ticked(&filled),
        [
            "- [x] `predictive_models`",
            "- [x] `anomaly_detection_models`",
            "- [x] `anomaly_detection_results`",
            "- [x] `external_data_sources`",
            "- [x] `prediction_history`",
            "- [x] Foreign key constraints validated",
            "- [x] Database user permissions configured",
            "- [x] Update database statistics",
        ]
    );

    // One grant short: its item stays empty, and stderr says which entry and why.
    db.exec("REVOKE UPDATE ON prediction_history FROM fastapi_app")
        .await;
    let (filled, err) = fill(&run("revoked.json"));
    let ticked = ticked(&filled);
    assert!(
        !ticked.contains(&"- [x] Database user permissions configured".to_string()),
        "{ticked:?}"
    );
    assert_eq!(ticked.len(), 7, "{ticked:?}");
    assert!(
        err.contains("not ticked \"Database user permissions configured\": [[privilege]] fastapi_app on table public.prediction_history did not pass: "),
        "{err}"
    );
}
