//! The schema health rules on the shipped fixtures after their migrations (no error finding;
//! the warnings they have are true), and the catalog statements behind the rules: as many
//! round trips whatever the schema holds, and no wait on a migration's locks.

use std::time::Duration;

use pgvet::db::guard::Db;
use pgvet::db::health::{self, Needs};
use pgvet::health::{Config, RuleId, Severity};

use crate::harness::{SuiteDir, TestDb, read_repo};
use crate::health::{judged, of};

#[tokio::test]
async fn the_shipped_fixtures_have_no_error_findings_after_their_migrations() {
    for fixture in ["codetune", "fastapi"] {
        let db = TestDb::new().await;
        db.exec(&read_repo(&format!("fixtures/{fixture}/schema.sql")))
            .await;
        db.exec(&read_repo(&format!("fixtures/{fixture}/migration.sql")))
            .await;
        let report = judged(&db, &Config::default()).await;
        let found: Vec<(Severity, RuleId, &str)> = report
            .findings
            .iter()
            .map(|f| (f.severity, f.rule, f.object.as_str()))
            .collect();
        let warning = |rule, object| (Severity::Warning, rule, object);
        let expected = match fixture {
            // The migration indexes config_id alone and (config_id, epoch, step) too.
            "codetune" => vec![warning(
                RuleId::RedundantIndex,
                "public.ix_training_metric_config_id",
            )],
            // Foreign keys to users, who are deactivated and never deleted: the suite says
            // indexed = false for the migration's four.
            _ => [
                "public.fk_anomaly_detection_models_created_by_id",
                "public.fk_anomaly_detection_results_resolved_by_id",
                "public.fk_api_keys_user_id",
                "public.fk_audit_logs_user_id",
                "public.fk_datasets_created_by_id",
                "public.fk_external_data_sources_created_by_id",
                "public.fk_predictive_models_created_by_id",
            ]
            .map(|o| warning(RuleId::FkWithoutIndex, o))
            .to_vec(),
        };
        assert_eq!(found, expected, "{fixture}: {:#?}", report.findings);
    }
}

#[tokio::test]
async fn the_catalog_is_read_in_as_many_round_trips_whatever_the_schema_holds() {
    let db = TestDb::new().await;
    let mut trips = Vec::new();
    for tables in [1, 40] {
        db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await;
        for n in 0..tables {
            db.exec(&format!(
                "CREATE TABLE t{n} (id serial PRIMARY KEY, p int REFERENCES t0 (id), tags int[]);
                 CREATE INDEX ON t{n} (tags); CREATE INDEX ON t{n} (p, id);"
            ))
            .await;
        }
        let pinned = Db::new(&db.conn, Duration::from_secs(30));
        let context = health::context(&pinned).await.unwrap();
        let all = Needs {
            indexes: true,
            tables: true,
            constraints: true,
            sequences: true,
        };
        let facts = health::gather(&pinned, context, &["public".into()], all)
            .await
            .unwrap();
        assert_eq!(facts.tables.len(), tables);
        assert_eq!(facts.sequences.len(), tables);
        trips.push(pinned.statements());
    }
    // Five statements (clock, indexes, tables, constraints, sequences), each BEGIN READ ONLY
    // with the pinned search_path, the statement, ROLLBACK.
    assert_eq!(trips, [15, 15]);
}

#[tokio::test]
async fn a_migration_holding_locks_on_the_tables_does_not_hold_up_the_health_rules() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent);")
        .await;
    let migration = crate::harness::connect_to(&db.conninfo).await;
    migration
        .client
        .batch_execute("BEGIN; LOCK TABLE child, parent IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let suite = SuiteDir::new("[settings]\nlock_timeout = \"200ms\"\n[health]\n", &[]);
    let report = db.check(&suite).await;
    assert_eq!(
        report.health.as_ref().unwrap().error,
        None,
        "{:?}",
        report.health
    );
    let found = of(&report, RuleId::FkWithoutIndex);
    assert_eq!(found.len(), 1, "{found:#?}");
    migration.client.batch_execute("ROLLBACK").await.unwrap();
}
