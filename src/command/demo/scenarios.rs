//! The demo's scenarios as data: for each seed checklist, its suite (as shipped under
//! queries/), the setup files before and after its migration (as shipped under fixtures/), and
//! what the two runs must show for the scenario to have come out as it should. The files are
//! compiled into the binary, so `pgvet demo` runs from any directory.

use crate::cli::DemoScenario;

/// One seed checklist's migration, end to end.
pub struct Scenario {
    /// Where the suite ships, e.g. "queries/codetune"; its files follow, embedded.
    pub suite_dir: &'static str,
    pub suite_files: &'static [(&'static str, &'static str)],
    /// Applied in order before the run before the migration: schema, data.
    pub before: &'static [Step],
    pub migration: Step,
    /// Applied in order after the migration, before the second run (data the migration's
    /// tables receive).
    pub after: &'static [Step],
    pub expect: Expectation,
}

/// A setup file (or one statement), applied in a session of its own as `check --ephemeral
/// --setup` applies files.
pub struct Step {
    /// The file's path in the repository, or the statement itself.
    pub file: &'static str,
    pub sql: &'static str,
    /// The progress line while it runs.
    pub doing: &'static str,
}

/// A production table is vacuumed: after a bulk load, so are the demo's.
const VACUUM: Step = Step {
    file: "VACUUM",
    sql: "VACUUM",
    doing: "vacuuming the loaded tables",
};

/// What the runs must show. Both: every expected index missing before the migration, and
/// present and valid after it; after it, every query reads one of `tables`, each through an
/// index (or, on a small table read whole, with an index the query could use), and passes its
/// plan check; no metric errors after it.
pub struct Expectation {
    /// The tables the migration is about: indexed (CodeTune) or created (FastAPI).
    pub tables: &'static [&'static str],
    pub before: Before,
    /// "expected to fail: …", the heading of the run before the migration.
    pub before_heading: &'static str,
    /// What the run before the migration showed, and the one after it, when as expected
    /// (the summary's first two lines go on from "N of N indexes missing; ").
    pub before_found: &'static str,
    pub after_found: &'static str,
}

/// What the queries do before the migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    /// They run, and seq-scan one of the tables (their indexes are not there yet).
    SeqScan,
    /// They fail: the tables do not exist yet (`relation "…" does not exist`, SQLSTATE 42P01),
    /// and so does any metric that reads them.
    TablesAbsent,
}

pub fn of(which: DemoScenario) -> &'static Scenario {
    match which {
        DemoScenario::Codetune => &CODETUNE,
        DemoScenario::Fastapi => &FASTAPI,
    }
}

/// A suite file from the repository, under its own name.
macro_rules! suite_file {
    ($dir:literal, $name:literal) => {
        ($name, include_str!(concat!("../../../", $dir, "/", $name)))
    };
}

/// A setup file from the repository, under its path.
macro_rules! fixture {
    ($path:literal, $doing:literal) => {
        Step {
            file: $path,
            sql: include_str!(concat!("../../../", $path)),
            doing: $doing,
        }
    };
}

pub static CODETUNE: Scenario = Scenario {
    suite_dir: "queries/codetune",
    suite_files: &[
        suite_file!("queries/codetune", "pgvet.toml"),
        suite_file!("queries/codetune", "fetch_by_config.sql"),
        suite_file!("queries/codetune", "filter_by_epoch.sql"),
        suite_file!("queries/codetune", "latest_by_timestamp.sql"),
        suite_file!("queries/codetune", "join_by_model_type.sql"),
    ],
    before: &[
        fixture!(
            "fixtures/codetune/schema.sql",
            "creating the CodeTune schema"
        ),
        fixture!(
            "fixtures/codetune/data.sql",
            "generating 2,000 training configs and 1,000,000 metric rows"
        ),
        VACUUM,
    ],
    migration: fixture!(
        "fixtures/codetune/migration.sql",
        "applying the migration \"Add performance indices to training tables\""
    ),
    after: &[],
    expect: Expectation {
        tables: &["training_metric"],
        before: Before::SeqScan,
        before_heading: "expected to fail: no indexes yet",
        before_found: "every query seq-scans training_metric",
        after_found: "every query reads training_metric through an index",
    },
};

pub static FASTAPI: Scenario = Scenario {
    suite_dir: "queries/fastapi",
    suite_files: &[
        suite_file!("queries/fastapi", "pgvet.toml"),
        suite_file!("queries/fastapi", "model_predictions.sql"),
        suite_file!("queries/fastapi", "model_performance.sql"),
        suite_file!("queries/fastapi", "dashboard_prediction_volume.sql"),
        suite_file!("queries/fastapi", "dashboard_open_anomalies.sql"),
        suite_file!("queries/fastapi", "anomaly_model_results.sql"),
        suite_file!("queries/fastapi", "organization_models.sql"),
        suite_file!("queries/fastapi", "sources_due_for_sync.sql"),
    ],
    before: &[
        fixture!(
            "fixtures/fastapi/schema.sql",
            "creating the FastAPI v1.5 schema and its role fastapi_app"
        ),
        fixture!(
            "fixtures/fastapi/data.sql",
            "generating 60 organizations, 3,000 users, 144,000 data points and 60,000 audit log entries"
        ),
        VACUUM,
    ],
    migration: fixture!(
        "fixtures/fastapi/migration.sql",
        "applying the Alembic migration d41f5a8c2e97 -> a7c3e9b15f20 (the five ML analytics tables)"
    ),
    after: &[
        fixture!(
            "fixtures/fastapi/data_after.sql",
            "generating 90 days of ML analytics: 200,000 predictions and 40,000 anomalies"
        ),
        VACUUM,
    ],
    expect: Expectation {
        tables: &[
            "predictive_models",
            "anomaly_detection_models",
            "anomaly_detection_results",
            "external_data_sources",
            "prediction_history",
        ],
        before: Before::TablesAbsent,
        before_heading: "expected to fail: the five tables do not exist yet",
        before_found: "the five ML analytics tables do not exist yet, so every query and metric on \
                       them fails (relation does not exist)",
        after_found: "every query reads the new tables through an index (a small one read whole \
                      has an index the query could use)",
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded suite of each scenario is the shipped directory, file for file, and loads.
    #[test]
    fn each_built_in_suite_is_the_shipped_one_and_loads() {
        for (scenario, counts) in [(&CODETUNE, (8, 4)), (&FASTAPI, (14, 7))] {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in scenario.suite_files {
                std::fs::write(dir.path().join(name), text).unwrap();
            }
            let suite = crate::suite::load(Some(dir.path())).unwrap();
            assert_eq!((suite.indexes.len(), suite.queries.len()), counts);
            let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario.suite_dir);
            let mut names: Vec<String> = std::fs::read_dir(shipped)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            let mut embedded: Vec<&str> = scenario.suite_files.iter().map(|f| f.0).collect();
            embedded.sort();
            assert_eq!(
                names, embedded,
                "{} and the demo's copy differ",
                scenario.suite_dir
            );
        }
    }
}
