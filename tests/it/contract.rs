//! The schema contract against real catalogs: [[table]] (missing, columns, NOT VALID checks,
//! statistics, absent), [[foreign_key]] (missing, NOT VALID, indexed or not, a composite index
//! that covers it, another reference) and [[privilege]] (missing, through a role, no such
//! role) — each a constant number of round trips however many entries there are.

use std::time::Duration;

use pgvet::db::contract;
use pgvet::db::guard::Db;
use pgvet::report::model::{ForeignKeyProblem, PrivilegeProblem, Status, TableProblem};

use crate::harness::{SuiteDir, TestDb, stderr};

fn suite(entries: &str) -> SuiteDir {
    SuiteDir::new(entries, &[])
}

#[tokio::test]
async fn each_table_problem_is_named_and_a_matching_table_passes() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE prediction_history (id bigint PRIMARY KEY, model_id int NOT NULL,
             predicted_at timestamptz, label varchar(80), amount numeric(10,2));
         CREATE TABLE ledger (id int, amount numeric);
         ALTER TABLE ledger ADD CONSTRAINT positive_amount CHECK (amount > 0) NOT VALID;
         CREATE TABLE legacy (id int);
         CREATE VIEW recent AS SELECT 1 AS id;",
    )
    .await;
    let report = db
        .check(&suite(
            r#"
[[table]]
name = "prediction_history"
columns = { id = "int8", model_id = "INTEGER", predicted_at = "timestamptz", label = "varchar(80)", amount = "decimal(10, 2)" }
checklist = "3.1 history table"

[[table]]
name = "public.prediction_history_v2"

[[table]]
name = "ledger"
columns = { id = "bigint", amount = "numeric", created_at = "timestamptz" }
checks = ["positive_amount", "amount_rounded"]

[[table]]
name = "legacy"
absent = true

[[table]]
name = "dropped_long_ago"
absent = true

[[table]]
name = "recent"
"#,
        ))
        .await;
    let t = &report.tables;
    assert_eq!(
        (t[0].status, t[0].problem),
        (Status::Pass, None),
        "{:?}",
        t[0]
    );
    assert_eq!(t[0].checklist.as_deref(), Some("3.1 history table"));
    let columns = t[0].actual_columns.as_ref().unwrap();
    assert_eq!(columns[3].type_name, "character varying(80)");

    assert_eq!(t[1].problem, Some(TableProblem::Missing));
    assert_eq!(
        t[1].message.as_deref(),
        Some("no table public.prediction_history_v2 exists")
    );
    // A missing column, a column of another type, and a CHECK constraint left NOT VALID.
    assert_eq!(
        t[2].problems,
        [
            TableProblem::ColumnsDiffer,
            TableProblem::CheckMissing,
            TableProblem::NotValidated
        ]
    );
    let message = t[2].message.as_deref().unwrap();
    assert!(
        message.starts_with(
            "table public.ledger: column created_at is missing; column id is integer, expected bigint; table public.ledger has no CHECK constraint named amount_rounded; its CHECK constraints: positive_amount; CHECK constraint positive_amount on public.ledger is NOT VALID"
        ),
        "{message}"
    );
    assert_eq!(t[2].not_valid_constraints, ["positive_amount"]);
    assert_eq!(t[3].problem, Some(TableProblem::Present));
    assert_eq!((t[4].status, t[4].problem), (Status::Pass, None));
    assert_eq!(t[5].problem, Some(TableProblem::Missing));
    assert!(
        t[5].message
            .as_deref()
            .unwrap()
            .ends_with("public.recent is a view")
    );
    assert_eq!(
        (report.summary.tables_total, report.summary.tables_failed),
        (6, 4)
    );
    assert_eq!(report.status, Status::Fail);
}

#[tokio::test]
async fn statistics_are_fresh_after_analyze_and_stale_after_many_changes_without_one() {
    let db = TestDb::new().await;
    // Autovacuum off on these tables, so only the test's own ANALYZE counts.
    for table in ["fresh", "stale", "never"] {
        db.exec(&format!(
            "CREATE TABLE {table} (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false);
             INSERT INTO {table} SELECT i, i FROM generate_series(1, 1000) i;"
        ))
        .await;
    }
    let stats = |table: &str, condition: &str| {
        format!(
            "SELECT count(*) FROM pg_stat_user_tables WHERE relname = '{table}' AND {condition}"
        )
    };
    // The inserts reach the statistics counters before ANALYZE, not after it.
    for table in ["fresh", "stale"] {
        db.wait_until(
            &stats(table, "n_mod_since_analyze >= 1000"),
            "the inserts counted",
        )
        .await;
        db.exec(&format!("ANALYZE {table}")).await;
        db.wait_until(
            &stats(
                table,
                "last_analyze IS NOT NULL AND n_mod_since_analyze = 0",
            ),
            "ANALYZE counted",
        )
        .await;
    }
    db.exec("UPDATE stale SET v = v + 1").await;
    db.wait_until(
        &stats("stale", "n_mod_since_analyze >= 1000"),
        "the update counted",
    )
    .await;
    let report = db
        .check(&suite(
            "[[table]]\nname = \"fresh\"\nanalyzed = true\n\n[[table]]\nname = \"stale\"\nanalyzed = true\n\n[[table]]\nname = \"never\"\nanalyzed = true\n",
        ))
        .await;
    let [fresh, stale, never] = &report.tables[..] else {
        panic!("three tables")
    };
    assert_eq!(fresh.status, Status::Pass, "{fresh:?}");
    let s = fresh.statistics.as_ref().unwrap();
    assert_eq!((s.rows, s.stale_after, s.fresh), (Some(1000), 150, true));
    assert!(s.last_analyzed.is_some() && s.has_column_statistics);

    assert_eq!(
        stale.problem,
        Some(TableProblem::StatisticsStale),
        "{stale:?}"
    );
    let s = stale.statistics.as_ref().unwrap();
    assert!(s.modified_since_analyze >= 1000, "{s:?}");
    let message = stale.message.as_deref().unwrap();
    assert!(
        message.starts_with("the statistics of table public.stale are stale: ")
            && message
                .contains("more than 50 + 10% of its 1000 rows (150) (run ANALYZE public.stale)"),
        "{message}"
    );
    assert_eq!(never.problem, Some(TableProblem::StatisticsStale));
    assert_eq!(
        never.message.as_deref(),
        Some(
            "table public.never has never been analyzed: the planner has no statistics for it (run ANALYZE public.never)"
        )
    );
}

#[tokio::test]
async fn each_foreign_key_problem_is_named_and_a_composite_index_covers_a_key() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE predictive_models (id int PRIMARY KEY, region int, code int, UNIQUE (region, code));
         CREATE TABLE models_old (id int PRIMARY KEY);
         CREATE TABLE prediction_history (id bigint PRIMARY KEY, model_id int REFERENCES predictive_models);
         CREATE INDEX ix_history_model ON prediction_history (model_id);
         CREATE TABLE unindexed (id int, model_id int REFERENCES predictive_models);
         CREATE TABLE late (id int, model_id int);
         ALTER TABLE late ADD CONSTRAINT fk_late_model FOREIGN KEY (model_id) REFERENCES predictive_models NOT VALID;
         CREATE INDEX ON late (model_id);
         CREATE TABLE pointed_elsewhere (id int, model_id int REFERENCES models_old);
         CREATE INDEX ON pointed_elsewhere (model_id);
         CREATE TABLE by_code (id int, region int, code int, at timestamptz,
             FOREIGN KEY (region, code) REFERENCES predictive_models (region, code));
         CREATE INDEX ix_code_region_at ON by_code (code, region, at);
         CREATE TABLE no_key (id int, model_id int);",
    )
    .await;
    let entry = |table: &str| {
        format!(
            "[[foreign_key]]\ntable = \"{table}\"\ncolumns = [\"model_id\"]\nreferences = \"predictive_models\"\n\n"
        )
    };
    let mut text: String = [
        "prediction_history",
        "unindexed",
        "late",
        "pointed_elsewhere",
        "no_key",
        "nowhere",
    ]
    .map(entry)
    .concat();
    text.push_str("[[foreign_key]]\ntable = \"by_code\"\ncolumns = [\"region\", \"code\"]\nreferences = \"predictive_models\"\nref_columns = [\"region\", \"code\"]\n");
    let report = db.check(&suite(&text)).await;
    let k = &report.foreign_keys;
    assert_eq!(k[0].status, Status::Pass, "{:?}", k[0]);
    assert_eq!(
        (k[0].actual_name.as_deref(), k[0].covering_index.as_deref()),
        (
            Some("prediction_history_model_id_fkey"),
            Some("ix_history_model")
        )
    );
    assert_eq!(k[1].problems, [ForeignKeyProblem::NotIndexed]);
    assert!(
        k[1].message.as_deref().unwrap().starts_with(
            "no valid index on public.unindexed leads with (model_id): each DELETE, or key UPDATE, on public.predictive_models reads the whole table"
        ),
        "{:?}",
        k[1].message
    );
    assert_eq!(k[2].problems, [ForeignKeyProblem::NotValidated]);
    assert_eq!(k[2].validated, Some(false));
    assert!(
        k[2].message
            .as_deref()
            .unwrap()
            .contains("ALTER TABLE public.late VALIDATE CONSTRAINT fk_late_model")
    );
    assert_eq!(k[3].problems, [ForeignKeyProblem::WrongReference]);
    assert_eq!(
        k[3].message.as_deref(),
        Some(
            "the foreign key pointed_elsewhere_model_id_fkey on public.pointed_elsewhere (model_id) references public.models_old (id), expected public.predictive_models"
        )
    );
    assert_eq!(
        k[4].problems,
        [ForeignKeyProblem::Missing, ForeignKeyProblem::NotIndexed]
    );
    assert!(k[4].message.as_deref().unwrap().starts_with(
        "no foreign key on public.no_key (model_id) exists; public.no_key has no foreign key"
    ));
    assert_eq!(k[5].problems, [ForeignKeyProblem::Missing]);
    assert!(
        k[5].message
            .as_deref()
            .unwrap()
            .starts_with("no table public.nowhere exists")
    );
    // (region, code) is covered by an index leading with (code, region).
    assert_eq!(k[6].status, Status::Pass, "{:?}", k[6]);
    assert_eq!(k[6].covering_index.as_deref(), Some("ix_code_region_at"));
    assert_eq!(
        (
            report.summary.foreign_keys_total,
            report.summary.foreign_keys_failed
        ),
        (7, 5)
    );
}

#[tokio::test]
async fn privileges_are_judged_as_postgresql_grants_them() {
    let db = TestDb::new().await;
    let (app, reader) = (format!("{}_app", db.name), format!("{}_reader", db.name));
    db.exec(&format!(
        "CREATE TABLE prediction_history (id int);
         CREATE SEQUENCE prediction_history_id_seq;
         CREATE SCHEMA audit;
         CREATE ROLE {app}; CREATE ROLE {reader};
         GRANT {reader} TO {app};
         GRANT SELECT ON prediction_history TO {reader};
         GRANT INSERT ON prediction_history TO {app};"
    ))
    .await;
    let entry = |role: &str, object: &str, privileges: &str| {
        format!("[[privilege]]\nrole = \"{role}\"\n{object}\nprivileges = {privileges}\n\n")
    };
    let table = "table = \"prediction_history\"";
    let text = [
        // SELECT through membership of the reader role, INSERT granted to the role itself.
        entry(&app, table, "[\"select\", \"INSERT\"]"),
        entry(&app, "schema = \"audit\"", "[\"USAGE\", \"CREATE\"]"),
        entry(&reader, table, "[\"SELECT\", \"INSERT\", \"UPDATE\"]"),
        entry("nobody_at_all", table, "[\"SELECT\"]"),
        entry(&app, "table = \"no_such_table\"", "[\"SELECT\"]"),
        // PUBLIC holds USAGE on schema public (PostgreSQL 15 took away only CREATE).
        entry("public", "schema = \"public\"", "[\"USAGE\"]"),
        // nextval for an INSERT into a serial column: USAGE on its sequence, not granted yet.
        entry(
            &app,
            "sequence = \"prediction_history_id_seq\"",
            "[\"USAGE\"]",
        ),
        entry(&app, "sequence = \"no_such_seq\"", "[\"USAGE\"]"),
    ]
    .concat();
    let report = db.check(&suite(&text)).await;
    let p = &report.privileges;
    assert_eq!(p[0].status, Status::Pass, "{:?}", p[0]);
    assert_eq!(p[1].problems, [PrivilegeProblem::PrivilegeMissing]);
    assert_eq!(p[1].missing_privileges, ["USAGE", "CREATE"]);
    assert_eq!(
        p[1].message.as_deref().unwrap(),
        format!(
            "role {app} lacks USAGE and CREATE on schema audit (GRANT USAGE, CREATE ON SCHEMA audit TO {app})"
        )
    );
    assert_eq!(p[2].missing_privileges, ["INSERT", "UPDATE"]);
    assert_eq!(p[3].problems, [PrivilegeProblem::RoleMissing]);
    assert_eq!(
        p[3].message.as_deref(),
        Some("no role nobody_at_all exists (create it, or check `role`)")
    );
    assert_eq!(p[4].problems, [PrivilegeProblem::Missing]);
    assert_eq!(p[5].status, Status::Pass, "{:?}", p[5]);
    assert_eq!(
        p[6].message.as_deref().unwrap(),
        format!(
            "role {app} lacks USAGE on sequence public.prediction_history_id_seq (GRANT USAGE ON SEQUENCE public.prediction_history_id_seq TO {app})"
        )
    );
    assert_eq!(
        p[7].message.as_deref(),
        Some("no sequence public.no_such_seq exists")
    );
    assert_eq!(
        (
            report.summary.privileges_total,
            report.summary.privileges_failed
        ),
        (8, 6)
    );
    db.exec(&format!(
        "GRANT USAGE ON SEQUENCE prediction_history_id_seq TO {app}"
    ))
    .await;
    let report = db.check(&suite(&text)).await;
    assert_eq!(
        report.privileges[6].status,
        Status::Pass,
        "{:?}",
        report.privileges[6]
    );
    db.exec(&format!(
        "DROP OWNED BY {app}, {reader}; DROP ROLE {app}; DROP ROLE {reader}"
    ))
    .await;
}

#[tokio::test]
async fn each_kind_takes_one_statement_however_many_entries_it_has() {
    let db = TestDb::new().await;
    let tables: Vec<(String, String)> = (0..30)
        .map(|i| ("public".to_string(), format!("t{i}")))
        .collect();
    for (_, t) in &tables {
        db.exec(&format!(
            "CREATE TABLE {t} (id int PRIMARY KEY, parent int REFERENCES {t})"
        ))
        .await;
    }
    let privileges = |n: usize| -> Vec<Vec<contract::WantedPrivilege>> {
        tables[..n]
            .iter()
            .map(|(s, t)| {
                ["SELECT", "INSERT"]
                    .map(|p| {
                        (
                            "postgres".to_string(),
                            "table",
                            s.clone(),
                            t.clone(),
                            p.to_string(),
                        )
                    })
                    .to_vec()
            })
            .collect()
    };
    let mut trips = Vec::new();
    for n in [1, 30] {
        let pinned = Db::new(&db.conn, Duration::from_secs(30));
        let found = contract::find_tables(&pinned, &tables[..n]).await.unwrap();
        assert_eq!(found.len(), n);
        let keys = contract::find_foreign_keys(&pinned, &tables[..n])
            .await
            .unwrap();
        assert!(
            keys.values()
                .all(|k| k.foreign_keys.len() == 1 && k.indexes.len() == 1)
        );
        let held = contract::find_privileges(&pinned, &privileges(n))
            .await
            .unwrap();
        assert_eq!(held.len(), n);
        assert!(held.iter().all(|h| h.held.len() == 2), "{held:?}");
        trips.push(pinned.statements());
    }
    // Per kind: BEGIN READ ONLY with the pinned search_path, the lookup, ROLLBACK.
    assert_eq!(trips, [9, 9]);
}

#[tokio::test]
async fn a_migration_holding_a_lock_on_the_tables_does_not_hold_up_the_contract_checks() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int, parent_id int REFERENCES parent);")
        .await;
    let migration = crate::harness::connect_to(&db.conninfo).await;
    migration
        .client
        .batch_execute("BEGIN; LOCK TABLE child, parent IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    // The lookups read the catalogs only: no lock on the tables, so no lock timeout.
    let report = db
        .check(&suite(
            "[settings]\nlock_timeout = \"200ms\"\n[[table]]\nname = \"child\"\ncolumns = { parent_id = \"int\" }\n[[foreign_key]]\ntable = \"child\"\ncolumns = [\"parent_id\"]\nindexed = false\n[[privilege]]\nrole = \"public\"\ntable = \"child\"\nprivileges = [\"SELECT\"]\n",
        ))
        .await;
    assert_eq!(
        report.tables[0].status,
        Status::Pass,
        "{:?}",
        report.tables[0]
    );
    assert_eq!(
        report.foreign_keys[0].status,
        Status::Pass,
        "{:?}",
        report.foreign_keys[0]
    );
    assert_eq!(
        report.foreign_keys[0].actual_references.as_deref(),
        Some("public.parent")
    );
    assert_eq!(
        report.privileges[0].problems,
        [PrivilegeProblem::PrivilegeMissing]
    );
    migration.client.batch_execute("ROLLBACK").await.unwrap();
}

#[test]
fn a_bad_entry_is_refused_with_its_file_line_and_column() {
    for (text, error) in [
        (
            "[[privilege]]\nrole = \"app\"\ntable = \"t\"\nprivileges = [\"SELECT\", \"SELCT\"]\n",
            "pgvet.toml:4:25: `SELCT` is not a privilege PostgreSQL knows; a table takes SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER or MAINTAIN",
        ),
        (
            "[[table]]\nname = \"t\"\ncolumns = { id = 5 }\n",
            "pgvet.toml:3:18: the type of column id of table public.t is integer `5`; write its type as a string",
        ),
        (
            "[[foreign_key]]\ntable = \"t\"\ncolumns = [\"a\"]\nindexd = false\n",
            "pgvet.toml:4:1: unknown field `indexd`",
        ),
    ] {
        let dir = suite(text);
        let out =
            crate::harness::pgvet(&["check", dir.path_str(), "--db", "host=/nonexistent"], &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(error), "{err}");
    }
}
