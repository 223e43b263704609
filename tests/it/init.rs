//! `pgvet init` against real catalogs: the CodeTune migration's suite gating the migrated and
//! the unmigrated schema, dropped and changed indexes, new tables, columns, foreign keys and
//! check constraints, stable bytes, an output file kept without --force, and `--db` on a
//! database whose user planted look-alike functions.

use pgvet::command::check::SetupFiles;
use pgvet::command::init::migration_expectations;
use pgvet::db::setup::Target;
use pgvet::init::write::{Origin, Source, render};
use pgvet::report::model::{IndexProblem, Status};
use pgvet::run::Quiet;

use crate::harness::{SuiteDir, TestDb, pgvet, read_repo, repo, stderr, stdout};
use crate::setup::Tmp;

/// `pgvet init`'s suite for `setup` then `migration`, applied to `db` (the library's path
/// with the test's database as the server).
async fn suite_of(db: &TestDb, setup: &str, migration: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (setup_file, migration_file) = (dir.path().join("setup.sql"), dir.path().join("m.sql"));
    std::fs::write(&setup_file, setup).unwrap();
    std::fs::write(&migration_file, migration).unwrap();
    let target = Target {
        conninfo: db.conninfo.clone(),
        database: db.name.clone(),
    };
    let setup = SetupFiles::read(&[setup_file], None).unwrap();
    let migration = SetupFiles::read(&[migration_file], None).unwrap();
    let expectations = migration_expectations(&target, &setup, &migration, &[], &Quiet)
        .await
        .unwrap();
    let source = Source {
        origin: Origin::Migration {
            setup: vec!["setup.sql".into()],
            migrations: vec!["m.sql".into()],
        },
        schemas: vec![],
    };
    render(&expectations, &source)
}

/// The `[[index]]` names of a suite text, in order.
fn index_names(text: &str) -> Vec<String> {
    let suite: toml::Table = toml::from_str(text).unwrap();
    suite
        .get("index")
        .and_then(|i| i.as_array())
        .map(|a| {
            a.iter()
                .map(|i| i["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_codetune_migration_s_suite_passes_after_it_and_names_each_missing_index_before() {
    let tmp = Tmp::new();
    let out_file = tmp.file("pgvet.toml", "");
    std::fs::remove_file(&out_file).unwrap();
    let (schema, migration) = (
        repo("fixtures/codetune/schema.sql"),
        repo("fixtures/codetune/migration.sql"),
    );
    let (schema, migration) = (schema.to_str().unwrap(), migration.to_str().unwrap());
    let args = ["init", "--setup", schema, "--migration", migration];
    let out = tmp.run(&[&args[..], &["-o", &out_file]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("pgvet.toml: 8 indexes, 0 tables, 0 foreign keys"),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(&out_file).unwrap();

    // Exactly the migration's indexes.
    let mut created: Vec<String> = read_repo("fixtures/codetune/migration.sql")
        .lines()
        .filter_map(|l| l.strip_prefix("CREATE INDEX "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let mut named = index_names(&text);
    assert_eq!(created.len(), 8);
    created.sort();
    named.sort();
    assert_eq!(named, created, "{text}");
    assert!(
        text.contains("columns = [\"config_id\", \"epoch\", \"step\"]"),
        "{text}"
    );
    assert!(text.contains(&format!(
        "#   --setup {schema}\n#   --migration {migration}\n"
    )));

    // The suite gates: every index missing before the migration, all passing after it.
    let suite = SuiteDir::new(&text, &[]);
    let db = TestDb::new().await;
    db.exec(&read_repo("fixtures/codetune/schema.sql")).await;
    let before = db.check(&suite).await;
    assert_eq!(before.status, Status::Fail);
    assert_eq!(before.indexes.len(), 8);
    for index in &before.indexes {
        assert_eq!(index.problem, Some(IndexProblem::Missing), "{index:?}");
        let message = index.message.as_deref().unwrap();
        assert!(
            message.starts_with(&format!("no index public.{} exists", index.name)),
            "{message}"
        );
    }
    let cli = db.cli(&[suite.path_str()]);
    assert_eq!(cli.status.code(), Some(1));
    for name in &created {
        assert!(stdout(&cli).contains(&format!("missing: no index public.{name} exists")));
    }
    db.exec(&read_repo("fixtures/codetune/migration.sql")).await;
    let after = db.check(&suite).await;
    assert_eq!(after.status, Status::Pass, "{:?}", after.indexes);

    // An existing file is kept without --force, and the error says so before any server starts.
    std::fs::write(&out_file, "keep me\n").unwrap();
    let refused = tmp.run(&[&args[..], &["-o", &out_file]].concat());
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains(&format!(
            "-o {out_file}: the file exists, and pgvet init does not replace it; pass --force to overwrite it"
        )),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "keep me\n");
    // With --force it is replaced; and run again the same input gives the same bytes.
    let forced = tmp.run(&[&args[..], &["-o", &out_file, "--force"]].concat());
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), text);
    let again = tmp.run(&args);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(stdout(&again), text);
}

#[tokio::test]
async fn a_dropped_index_is_absent_and_a_changed_one_has_its_new_shape() {
    let setup = "CREATE TABLE t (a int, b int, c text);
        CREATE INDEX ix_kept ON t (a);
        CREATE INDEX ix_dropped ON t (b);
        CREATE INDEX ix_changed ON t (a);";
    let migration = "DROP INDEX ix_dropped;
        DROP INDEX ix_changed;
        CREATE INDEX ix_changed ON t (b, lower(c)) INCLUDE (a) WHERE a > 0;
        CREATE INDEX ix_hash ON t USING hash (c);";
    let db = TestDb::new().await;
    let text = suite_of(&db, setup, migration).await;
    assert_eq!(
        index_names(&text),
        ["ix_changed", "ix_hash", "ix_dropped"],
        "{text}"
    );
    assert!(
        text.contains(
            "# changed by the migration; before it: CREATE INDEX ix_changed ON public.t USING btree (a)
[[index]]
name = \"ix_changed\"
table = \"t\"
columns = [\"b\", \"lower(c)\"]
where = \"a > 0\"
include = [\"a\"]
"
        ),
        "{text}"
    );
    assert!(
        text.contains("name = \"ix_hash\"\ntable = \"t\"\ncolumns = [\"c\"]\nmethod = \"hash\"\n")
    );
    assert!(text.contains(
        "# Indexes the migration dropped: they must not exist.\n\n[[index]]\nname = \"ix_dropped\"\ntable = \"t\"\nabsent = true\n"
    ));
    // The suite passes on the migrated database, and names each difference on one that is not.
    let suite = SuiteDir::new(&text, &[]);
    let report = db.check(&suite).await;
    assert_eq!(report.status, Status::Pass, "{:?}", report.indexes);
    let before = TestDb::new().await;
    before.exec(setup).await;
    let report = before.check(&suite).await;
    let problems: Vec<(&str, &[IndexProblem])> = report
        .indexes
        .iter()
        .map(|i| (i.name.as_str(), i.problems.as_slice()))
        .collect();
    assert_eq!(
        problems,
        [
            (
                "ix_changed",
                &[
                    IndexProblem::ColumnsDiffer,
                    IndexProblem::PredicateDiffers,
                    IndexProblem::IncludeDiffers
                ][..]
            ),
            ("ix_hash", &[IndexProblem::Missing][..]),
            ("ix_dropped", &[IndexProblem::Present][..]),
        ]
    );
}

#[tokio::test]
async fn a_new_table_column_foreign_key_and_check_constraint_are_written() {
    let setup = "CREATE TABLE predictive_models (id serial PRIMARY KEY, name varchar(100));";
    let migration = r#"
CREATE TABLE prediction_history (
    id bigserial PRIMARY KEY,
    model_id integer NOT NULL REFERENCES predictive_models (id),
    predicted_at timestamptz NOT NULL DEFAULT now(),
    score numeric(5, 2) CHECK (score >= 0),
    "Odd ""name""" text
);
ALTER TABLE predictive_models ADD COLUMN retired_at timestamp;
ALTER TABLE predictive_models ADD CONSTRAINT name_not_empty CHECK (name <> '');
CREATE SCHEMA audit;
CREATE TABLE audit.event (id int, model_id int REFERENCES public.predictive_models (id));
"#;
    let db = TestDb::new().await;
    let text = suite_of(&db, setup, migration).await;
    assert_eq!(index_names(&text), ["prediction_history_pkey"], "{text}");
    for block in [
        "[[table]]\nname = \"event\"\nschema = \"audit\"\ncolumns = { id = \"integer\", model_id = \"integer\" }\n",
        "[[table]]\nname = \"prediction_history\"\ncolumns = { id = \"bigint\", model_id = \"integer\", predicted_at = \"timestamp with time zone\", score = \"numeric(5,2)\", \"Odd \\\"name\\\"\" = \"text\" }\nchecks = [\"prediction_history_score_check\"]\n",
        "[[table]]\nname = \"predictive_models\"\ncolumns = { retired_at = \"timestamp without time zone\" }\nchecks = [\"name_not_empty\"]\n",
        "[[foreign_key]]\ntable = \"audit.event\"\ncolumns = [\"model_id\"]\nreferences = \"public.predictive_models\"\nref_columns = [\"id\"]\nname = \"event_model_id_fkey\"\n",
        "[[foreign_key]]\ntable = \"prediction_history\"\ncolumns = [\"model_id\"]\nreferences = \"predictive_models\"\nref_columns = [\"id\"]\nname = \"prediction_history_model_id_fkey\"\n",
    ] {
        assert!(text.contains(block), "{block}\nnot in\n{text}");
    }
    // The column name with quotes reads back as it is.
    let suite: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        suite["table"][1]["columns"]["Odd \"name\""].as_str(),
        Some("text")
    );
    assert_eq!(suite["table"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_failing_migration_names_its_file_and_line() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.sql");
    std::fs::write(
        &file,
        "CREATE TABLE t (a int);\n\nCREATE INDEX ix ON t (nope);\n",
    )
    .unwrap();
    let target = Target {
        conninfo: db.conninfo.clone(),
        database: db.name.clone(),
    };
    let none = SetupFiles::read(&[], None).unwrap();
    let migration = SetupFiles::read(std::slice::from_ref(&file), None).unwrap();
    let e = migration_expectations(&target, &none, &migration, &[], &Quiet)
        .await
        .unwrap_err();
    let message = format!("{e:#}");
    assert!(
        message.contains(&format!(
            "{}:3: ERROR: column \"nope\" does not exist",
            file.display()
        )),
        "{message}"
    );
}

#[tokio::test]
async fn init_db_reads_a_database_as_it_is_and_runs_nothing_a_user_planted() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE account (id int PRIMARY KEY, email text CHECK (email <> ''), org_id int);
         CREATE INDEX ix_account_email ON account (lower(email)) WHERE org_id IS NOT NULL;
         CREATE SCHEMA billing;
         CREATE TABLE billing.invoice (id int PRIMARY KEY, account_id int REFERENCES public.account (id));
         CREATE TABLE owned_by_an_extension (id int PRIMARY KEY);
         ALTER EXTENSION plpgsql ADD TABLE owned_by_an_extension;
         CREATE FUNCTION norm(text) RETURNS text IMMUTABLE LANGUAGE sql AS 'SELECT lower($1)';
         CREATE INDEX ix_account_norm ON account (norm(email));",
    )
    .await;
    let role = format!("mallory_{}", db.name);
    crate::hostile::plant(&db, &role).await;

    let out = pgvet(&["init", "--db", &db.conninfo], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!crate::hostile::is_superuser(&db, &role).await);
    assert_eq!(
        index_names(&text),
        [
            "invoice_pkey",
            "account_pkey",
            "ix_account_email",
            "ix_account_norm"
        ],
        "{text}"
    );
    assert!(!text.contains("owned_by_an_extension"), "{text}");
    assert!(text.contains("columns = [\"lower(email)\"]\nwhere = \"org_id IS NOT NULL\"\n"));
    // Printed with the session's search_path, as pgvet check prints it.
    assert!(text.contains("columns = [\"norm(email)\"]\n"), "{text}");
    assert!(text.contains(
        "[[table]]\nname = \"account\"\ncolumns = { id = \"integer\", email = \"text\", org_id = \"integer\" }\nchecks = [\"account_email_check\"]\n"
    ));
    assert!(text.contains("[[foreign_key]]\ntable = \"billing.invoice\"\ncolumns = [\"account_id\"]\nreferences = \"public.account\"\n"));
    // The key has no index behind it: the entry says so (indexed = false, with why), so the
    // suite passes on the database it came from.
    assert!(
        text.contains("name = \"invoice_account_id_fkey\"\n# No index leads with these columns"),
        "{text}"
    );
    let suite = SuiteDir::new(&text, &[]);
    let report = db.check(&suite).await;
    assert_eq!(report.status, Status::Pass, "{report:?}");
    assert!(
        report
            .foreign_keys
            .iter()
            .all(|k| k.status == Status::Pass && !k.indexed),
        "{:?}",
        report.foreign_keys
    );

    // One schema: the suite's default.
    let out = pgvet(&["init", "--db", &db.conninfo, "--schema", "billing"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("\n[settings]\nschema = \"billing\"\n"),
        "{text}"
    );
    assert_eq!(index_names(&text), ["invoice_pkey"]);
    assert!(!crate::hostile::is_superuser(&db, &role).await);
    // A schema the database does not have is named, with those it has.
    let out = pgvet(&["init", "--db", &db.conninfo, "--schema", "Billing"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--schema Billing: the database has no user schema of that name (it has: billing, public)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_source_is_required_and_flags_must_fit_it() {
    for (args, expected) in [
        (
            &["init"][..],
            "pgvet init needs a migration (--migration FILE",
        ),
        (
            &["init", "--setup", "a.sql"][..],
            "pgvet init needs a migration",
        ),
        (
            &["init", "--db", "x", "--setup-with", "psql"][..],
            "--setup-with applies --setup and --migration files",
        ),
        (
            &["init", "--db", "x", "--force"][..],
            "--force replaces the -o FILE",
        ),
        (
            &["init", "--db", "x", "--migration", "m.sql"][..],
            "cannot be used with",
        ),
    ] {
        let out = pgvet(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[tokio::test]
async fn not_valid_constraints_and_two_keys_on_the_same_columns_give_a_suite_that_passes() {
    // The zero-downtime pattern (add NOT VALID now, VALIDATE later) and two foreign keys on one
    // column, as PostgreSQL allows: the suite must load and pass on the schema it came from.
    let setup =
        "CREATE TABLE warehouse (id int PRIMARY KEY); CREATE TABLE supplier (id int PRIMARY KEY);";
    let migration = "
CREATE TABLE link (id int PRIMARY KEY, ref int REFERENCES warehouse (id),
    CONSTRAINT link_ref_sup FOREIGN KEY (ref) REFERENCES supplier (id));
CREATE INDEX link_ref ON link (ref);
ALTER TABLE link ADD CONSTRAINT link_ref_positive CHECK (ref > 0) NOT VALID;
ALTER TABLE link ADD CONSTRAINT link_ref_wh FOREIGN KEY (ref) REFERENCES warehouse (id) NOT VALID;
";
    let db = TestDb::new().await;
    let text = suite_of(&db, setup, migration).await;
    let validated_false = text.matches("\nvalidated = false\n").count();
    assert_eq!(
        validated_false, 2,
        "the table and the NOT VALID key: {text}"
    );
    assert!(text.contains("# Left NOT VALID by the migration"), "{text}");
    let report = db.check(&SuiteDir::new(&text, &[])).await;
    assert_eq!(report.status, Status::Pass, "{report:#?}");
    assert_eq!(report.foreign_keys.len(), 3, "{text}");
    // Once validated, the key passes either way; the suite without `validated = false` holds
    // the schema to it.
    db.exec("ALTER TABLE link VALIDATE CONSTRAINT link_ref_wh; ALTER TABLE link VALIDATE CONSTRAINT link_ref_positive")
        .await;
    let strict = text.replace("validated = false\n", "");
    let report = db.check(&SuiteDir::new(&strict, &[])).await;
    assert_eq!(report.status, Status::Pass, "{report:#?}");
}

#[tokio::test]
async fn a_dropped_table_is_absent_and_its_indexes_go_with_it() {
    let setup = "CREATE TABLE legacy (id int PRIMARY KEY, code text); CREATE INDEX legacy_code ON legacy (code);
                 CREATE TABLE kept (id int);";
    let migration = "DROP TABLE legacy;";
    let db = TestDb::new().await;
    let text = suite_of(&db, setup, migration).await;
    assert!(
        text.contains("[[table]]\nname = \"legacy\"\nabsent = true\n"),
        "{text}"
    );
    assert!(
        index_names(&text).is_empty(),
        "no entry for the dropped table's indexes: {text}"
    );
    let report = db.check(&SuiteDir::new(&text, &[])).await;
    assert_eq!(report.status, Status::Pass, "{report:#?}");
}
