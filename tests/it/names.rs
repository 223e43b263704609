//! Names as a suite writes them, against real catalogs: `schema.table`, an `allow_seq_scan`
//! entry naming a partitioned table (its partitions at any depth) or an inheritance parent,
//! glob patterns; and messages that say what was meant (the closest index names, the index
//! with the expected columns under another name, which relation a note is about, the
//! `min_rows` boundary).

use pgvet::report::Report;
use pgvet::report::model::{IndexProblem, QueryResult, ScanVerdict, Status};

use crate::harness::{SuiteDir, TestDb};

fn query<'a>(report: &'a Report, name: &str) -> &'a QueryResult {
    report.queries.iter().find(|q| q.name == name).unwrap()
}

/// Each scan's relation and verdict, in plan order.
fn verdicts(q: &QueryResult) -> Vec<(String, ScanVerdict)> {
    q.scans
        .iter()
        .map(|s| (s.relation.clone().unwrap_or_default(), s.verdict))
        .collect()
}

/// `scan_event` partitioned by year, 2026 itself partitioned by month (two levels), 1,500 rows
/// in each leaf; `archive.old_event`; and `legacy_parent` with a child by table inheritance.
/// min_rows = 1000 in the suites below, so every leaf is large.
async fn partitioned() -> TestDb {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE scan_event (id int, at date, kind text) PARTITION BY RANGE (at);
         CREATE TABLE scan_event_2025 PARTITION OF scan_event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         CREATE TABLE scan_event_2026 PARTITION OF scan_event FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')
             PARTITION BY RANGE (at);
         CREATE TABLE scan_event_2026_01 PARTITION OF scan_event_2026 FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
         CREATE TABLE scan_event_2026_02 PARTITION OF scan_event_2026 FOR VALUES FROM ('2026-02-01') TO ('2027-01-01');
         INSERT INTO scan_event SELECT i, date '2025-03-01', 'k' || (i % 9) FROM generate_series(1, 1500) i;
         INSERT INTO scan_event SELECT i, date '2026-01-10', 'k' || (i % 9) FROM generate_series(1, 1500) i;
         INSERT INTO scan_event SELECT i, date '2026-05-10', 'k' || (i % 9) FROM generate_series(1, 1500) i;
         CREATE SCHEMA archive;
         CREATE TABLE archive.old_event (id int, note text);
         INSERT INTO archive.old_event SELECT i, 'n' || i FROM generate_series(1, 3000) i;
         CREATE TABLE legacy_parent (id int, note text);
         CREATE TABLE legacy_child () INHERITS (legacy_parent);
         INSERT INTO legacy_child SELECT i, 'n' || i FROM generate_series(1, 3000) i;
         ANALYZE;",
    )
    .await;
    db
}

fn allow_suite(queries: &[(&str, &str, &str)]) -> SuiteDir {
    let mut toml = String::from("[settings]\nmin_rows = 1000\nruns = 1\nwarmup = 0\n");
    for (name, sql, allow) in queries {
        toml.push_str(&format!(
            "\n[[query]]\nname = \"{name}\"\nsql = '''{sql}'''\nallow_seq_scan = {allow}\n"
        ));
    }
    SuiteDir::new(&toml, &[])
}

#[tokio::test]
async fn a_partitioned_table_in_allow_seq_scan_covers_its_partitions_at_any_depth() {
    let db = partitioned().await;
    let all = "SELECT * FROM scan_event WHERE kind = 'k3'";
    let report = db
        .check(&allow_suite(&[
            ("nothing allowed", all, "[]"),
            ("the root", all, "[\"scan_event\"]"),
            ("the root, qualified", all, "[\"public.scan_event\"]"),
            ("a sub-partitioned year", all, "[\"scan_event_2026\"]"),
            ("another schema's table", all, "[\"archive.scan_event\"]"),
            ("a glob over the months", all, "[\"scan_event_2026_*\"]"),
            ("a glob over one character", all, "[\"scan_event_202?\"]"),
            ("a typo", all, "[\"scan_evnt\", \"no_such_thing\"]"),
            (
                "a schema glob",
                "SELECT * FROM archive.old_event WHERE note = 'x'",
                "[\"archive.*\"]",
            ),
            (
                "an inheritance parent",
                "SELECT * FROM legacy_parent WHERE note = 'x'",
                "[\"legacy_parent\"]",
            ),
        ]))
        .await;
    use ScanVerdict::{Allowed, SeqScanOnLargeTable as Large};
    let leaves = |v: [ScanVerdict; 3]| {
        [
            "scan_event_2025",
            "scan_event_2026_01",
            "scan_event_2026_02",
        ]
        .into_iter()
        .map(String::from)
        .zip(v)
        .collect::<Vec<_>>()
    };
    for (name, expected) in [
        ("nothing allowed", leaves([Large, Large, Large])),
        ("the root", leaves([Allowed, Allowed, Allowed])),
        ("the root, qualified", leaves([Allowed, Allowed, Allowed])),
        ("a sub-partitioned year", leaves([Large, Allowed, Allowed])),
        ("another schema's table", leaves([Large, Large, Large])),
        ("a glob over the months", leaves([Large, Allowed, Allowed])),
        // `?` is one character: scan_event_2025 itself, and 2026's leaves through their parent.
        (
            "a glob over one character",
            leaves([Allowed, Allowed, Allowed]),
        ),
    ] {
        let q = query(&report, name);
        assert_eq!(verdicts(q), expected, "{name}: {q:?}");
        let passes = expected.iter().all(|(_, v)| *v == Allowed);
        assert_eq!(q.status == Status::Pass, passes, "{name}: {q:?}");
        let unmatched = q.notes.iter().any(|n| n.contains("names no relation"));
        assert_eq!(
            unmatched,
            name == "another schema's table",
            "{name}: {:?}",
            q.notes
        );
    }
    let typo = query(&report, "a typo");
    assert_eq!(typo.status, Status::Fail);
    assert_eq!(
        typo.notes,
        [
            "allow_seq_scan entry \"scan_evnt\" names no relation this plan reads; did you mean \"scan_event\"?",
            "allow_seq_scan entry \"no_such_thing\" names no relation this plan reads",
        ]
    );
    let archive = query(&report, "a schema glob");
    assert_eq!(archive.status, Status::Pass, "{archive:?}");
    assert_eq!(verdicts(archive), [("old_event".to_string(), Allowed)]);
    let legacy = query(&report, "an inheritance parent");
    assert_eq!(legacy.status, Status::Pass, "{legacy:?}");
    assert!(
        verdicts(legacy).contains(&("legacy_child".to_string(), Allowed)),
        "{legacy:?}"
    );
    // A large partition that is not covered is named by itself in the problem.
    let year = query(&report, "a sub-partitioned year");
    assert_eq!(
        year.problems,
        [
            "Seq Scan on scan_event_2025 scan_event_1 reads 1,500 rows (min_rows = 1000); expected an index scan"
        ]
    );
}

#[tokio::test]
async fn small_partitions_read_whole_count_together_against_min_rows() {
    let db = partitioned().await;
    let suite = SuiteDir::new(
        "[settings]\nmin_rows = 4000\nruns = 1\nwarmup = 0\n\
         [[query]]\nname = \"all\"\nsql = \"SELECT * FROM scan_event WHERE kind = 'k3'\"\n\
         [[query]]\nname = \"one year\"\nsql = \"SELECT * FROM scan_event WHERE at < '2026-01-01' AND kind = 'k3'\"\n",
        &[],
    );
    let report = db.check(&suite).await;
    // Three leaves of 1,500 rows each: small alone, 4,500 rows together.
    let all = query(&report, "all");
    assert_eq!(all.status, Status::Fail, "{all:?}");
    assert!(
        verdicts(all)
            .iter()
            .all(|(_, v)| *v == ScanVerdict::SeqScanOnLargeTable),
        "{all:?}"
    );
    assert_eq!(all.problems.len(), 3, "{all:?}");
    assert!(
        all.problems[0].starts_with("Seq Scan on scan_event_2025 scan_event_1 reads 1,500 rows (min_rows = 4000); expected an index scan (the partition itself is small, but the plan reads partitions of public.scan_event whole, 4,500 rows together)"),
        "{all:?}"
    );
    // One partition read whole is judged by its own size.
    let year = query(&report, "one year");
    assert_eq!(
        verdicts(year),
        [("scan_event_2025".to_string(), ScanVerdict::NoUsableIndex)],
        "{year:?}"
    );
}

#[tokio::test]
async fn an_index_s_table_may_name_its_schema() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE SCHEMA app;
         CREATE TABLE app.rental (id int, customer_id int, due date);
         CREATE INDEX ix_rental_customer ON app.rental (customer_id);
         CREATE INDEX ix_rental_id ON app.rental (id);
         CREATE TABLE public.rental (id int);",
    )
    .await;
    let suite = SuiteDir::new(
        r#"
[[index]]
name = "ix_rental_customer"
table = "app.rental"
columns = ["customer_id"]

[[index]]
name = "ix_rental_id"
table = "rental"
schema = "app"

[[index]]
name = "ix_rental_due"
table = "app.rental"
absent = true

[[index]]
name = "ix_rental_customer"
table = "public.rental"
"#,
        &[],
    );
    let report = db.check(&suite).await;
    let summary: Vec<_> = report
        .indexes
        .iter()
        .map(|i| (i.schema.as_str(), i.table.as_str(), i.status, i.problem))
        .collect();
    assert_eq!(
        summary,
        [
            ("app", "rental", Status::Pass, None),
            ("app", "rental", Status::Pass, None),
            ("app", "rental", Status::Pass, None),
            // Looked up in public, where it is not: missing, never `public.public.rental`.
            (
                "public",
                "rental",
                Status::Fail,
                Some(IndexProblem::Missing)
            ),
        ],
        "{:?}",
        report.indexes
    );

    // A table and a schema that disagree are refused before anything runs.
    let suite = SuiteDir::new(
        "[[index]]\nname = \"ix\"\ntable = \"public.rental\"\nschema = \"app\"\n",
        &[],
    );
    let out = db.cli(&[suite.path_str()]);
    assert_eq!(out.status.code(), Some(2));
    let err = crate::harness::stderr(&out);
    assert!(
        err.contains(
            "pgvet.toml:4:10: index ix has table = \"public.rental\" and schema = \"app\"; they name different schemas: keep one"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_index_names_what_the_suite_probably_meant() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE rental (id int PRIMARY KEY, customer_id int, due date, store_id int);
         CREATE INDEX ix_rental_customer_id ON rental (customer_id);
         CREATE INDEX ix_rental_due ON rental (due);
         CREATE INDEX ix_rental_store_due ON rental (store_id, due);
         CREATE TABLE empty_table (id int);",
    )
    .await;
    let suite = SuiteDir::new(
        r#"
[[index]]
name = "ix_rental_custmer_id"
table = "rental"

[[index]]
name = "ix_rental_by_customer"
table = "rental"
columns = ["customer_id"]

[[index]]
name = "ix_rental_due"
table = "rental"
columns = ["store_id", "due"]

[[index]]
name = "ix_unrelated_name"
table = "rental"

[[index]]
name = "ix_empty"
table = "empty_table"

[[index]]
name = "ix_rentals_due"
table = "rentals"
"#,
        &[],
    );
    let report = db.check(&suite).await;
    let index = |name: &str| report.indexes.iter().find(|i| i.name == name).unwrap();
    let typo = index("ix_rental_custmer_id");
    assert_eq!(typo.problem, Some(IndexProblem::Missing));
    assert_eq!(typo.closest_names, ["ix_rental_customer_id"]);
    assert_eq!(
        typo.message.as_deref(),
        Some(
            "no index public.ix_rental_custmer_id exists; did you mean ix_rental_customer_id? It is the closest name on public.rental"
        )
    );
    let renamed = index("ix_rental_by_customer");
    assert_eq!(
        renamed.same_columns_index.as_deref(),
        Some("ix_rental_customer_id")
    );
    assert!(
        renamed.message.as_deref().unwrap().contains(
            "; ix_rental_customer_id on public.rental has the expected columns: the index exists under another name (rename it, ALTER INDEX public.ix_rental_customer_id RENAME TO ix_rental_by_customer, or write its name in the suite)"
        ),
        "{renamed:?}"
    );
    let differ = index("ix_rental_due");
    assert_eq!(differ.problem, Some(IndexProblem::ColumnsDiffer));
    assert_eq!(
        differ.message.as_deref(),
        Some(
            "expected columns (store_id, due), actual (due); ix_rental_store_due on the same table has the expected columns"
        )
    );
    let unrelated = index("ix_unrelated_name");
    assert!(unrelated.closest_names.is_empty());
    assert!(
        unrelated.message.as_deref().unwrap().ends_with(
            "; none of the indexes on public.rental has a close name: ix_rental_customer_id, ix_rental_due, ix_rental_store_due, rental_pkey"
        ),
        "{unrelated:?}"
    );
    assert!(
        index("ix_empty")
            .message
            .as_deref()
            .unwrap()
            .ends_with("; public.empty_table has no index")
    );
    assert!(
        index("ix_rentals_due")
            .message
            .as_deref()
            .unwrap()
            .ends_with(", and no table public.rentals exists either (check `table` and `schema`)")
    );
    // The JSON carries the same: the closest names and the index with the columns.
    let json = pgvet::report::render(&report, pgvet::report::Format::Json);
    assert!(
        json.contains("\"closest_names\": [\n        \"ix_rental_customer_id\"\n      ]"),
        "{json}"
    );
    assert!(
        json.contains("\"same_columns_index\": \"ix_rental_customer_id\""),
        "{json}"
    );
}

/// `exact` of exactly 1,000 rows, `under` of 999 (both unindexed), and two small indexed
/// tables `colour` and `size` of 20 rows.
async fn boundary_tables() -> TestDb {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE exact (id int, note text);
         INSERT INTO exact SELECT i, 'n' || i FROM generate_series(1, 1000) i;
         CREATE TABLE under (id int, note text);
         INSERT INTO under SELECT i, 'n' || i FROM generate_series(1, 999) i;
         CREATE TABLE colour (id int PRIMARY KEY, name text);
         CREATE TABLE size (id int PRIMARY KEY, name text);
         INSERT INTO colour SELECT i, 'c' || i FROM generate_series(1, 20) i;
         INSERT INTO size SELECT i, 's' || i FROM generate_series(1, 20) i;
         ANALYZE;",
    )
    .await;
    db
}

#[tokio::test]
async fn the_min_rows_boundary_and_the_relation_of_each_note_are_named() {
    let db = boundary_tables().await;
    let suite = SuiteDir::new(
        "[settings]\nmin_rows = 1000\nruns = 1\nwarmup = 0\n
[[query]]\nname = \"exact\"\nsql = \"SELECT * FROM exact WHERE note = 'n5'\"\n
[[query]]\nname = \"under\"\nsql = \"SELECT * FROM under WHERE note = 'n5'\"\n
[[query]]\nname = \"two small tables\"\nsql = \"SELECT * FROM colour c, size s WHERE c.id = 3 AND s.id = 4\"\n",
        &[],
    );
    let report = db.check(&suite).await;
    let exact = query(&report, "exact");
    assert_eq!(exact.scans[0].verdict, ScanVerdict::SeqScanOnLargeTable);
    assert_eq!(
        exact.problems,
        [
            "Seq Scan on exact reads 1,000 rows (min_rows = 1000: a relation of min_rows rows or more is large); expected an index scan"
        ]
    );
    let under = query(&report, "under");
    assert_eq!(under.scans[0].verdict, ScanVerdict::NoUsableIndex);
    assert_eq!(
        under.problems,
        [
            "Seq Scan on under (999 rows, a small table: fewer than min_rows = 1000) and no usable index: planned with enable_seqscan = off, no index narrows the rows read"
        ]
    );
    // Each small table's note says which relation and which index.
    let two = query(&report, "two small tables");
    assert_eq!(two.status, Status::Pass, "{two:?}");
    let mut notes = two.notes.clone();
    notes.sort();
    assert_eq!(
        notes,
        [
            "colour: index usable (colour_pkey); Seq Scan on colour c chosen on a small table (20 rows, fewer than min_rows = 1000)",
            "size: index usable (size_pkey); Seq Scan on size s chosen on a small table (20 rows, fewer than min_rows = 1000)",
        ],
        "{two:?}"
    );
}

#[tokio::test]
async fn the_binary_says_what_was_meant() {
    let db = boundary_tables().await;
    let dir = tempfile::tempdir().unwrap();
    let suite = SuiteDir::new(
        "[settings]\nmin_rows = 1000\nruns = 3\nwarmup = 0\n
[[index]]\nname = \"colour_pk\"\ntable = \"public.colour\"\n
[[query]]\nname = \"exact\"\nsql = \"SELECT * FROM exact WHERE note = 'n5'\"\nexpect = \"any\"\ntarget_ms = \"10min\"\n
[[query]]\nname = \"unlabelled\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n
[[query]]\nname = \"impossible\"\nsql = \"SELECT 2\"\nexpect = \"any\"\ntarget_ms = \"0.000001ms\"\nbaseline_ms = \"1.5s\"\n
[[metric]]\nlabel = \"Pool\"\nsql = \"SELECT NULL::int\"\n",
        &[],
    );
    let report_file = dir.path().join("report.json");
    let out = db.cli(&[
        suite.path_str(),
        "--format",
        "json",
        "-o",
        report_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    // The report went to the file; the terminal gets the verdict in one line, and nothing else.
    assert_eq!(crate::harness::stdout(&out), "");
    let err = crate::harness::stderr(&out);
    let verdict: Vec<&str> = err.lines().filter(|l| !l.contains("warning")).collect();
    assert_eq!(
        verdict,
        [format!(
            "pgvet: FAIL: 1 of 1 index failed, 1 of 3 queries failed (report in {})",
            report_file.display()
        )],
        "{err}"
    );
    let json = std::fs::read_to_string(&report_file).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    // Durations: 10 minutes met, one nanosecond missed, 1.5 s as the baseline.
    assert_eq!(report["queries"][0]["target_ms"], 600000.0);
    assert_eq!(report["queries"][0]["status"], "pass");
    assert_eq!(report["queries"][2]["status"], "fail");
    assert_eq!(report["queries"][2]["baseline_ms"], 1500.0);
    // Counts are integers in the JSON text itself.
    assert!(json.contains("\"rows_estimated\": 1,"), "{json}");
    assert!(json.contains("\"loops\": 1,"), "{json}");
    assert!(!json.contains("\"loops\": 1.0"), "{json}");
    assert!(
        report["queries"][0]["scans"][0]["rows_actual"].is_u64(),
        "{json}"
    );
    // A typo'd index is answered with the name that exists.
    assert!(
        report["indexes"][0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean colour_pkey?"),
        "{json}"
    );

    // fill: each row's hint is in the keys of its kind of entry, and a query without a metric
    // label is told from a label nobody knows.
    let checklist = dir.path().join("checklist.md");
    std::fs::write(
        &checklist,
        "| Metric | Baseline | Target | Actual |\n|---|---|---|---|\n\
         | impossible | 2s | | ___ |\n| Pool | | ___ | ___ |\n| unlabelled | | | ___ |\n| Page load | | | ___ |\n",
    )
    .unwrap();
    let out = crate::harness::pgvet(
        &[
            "fill",
            checklist.to_str().unwrap(),
            "--results",
            report_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let err = crate::harness::stderr(&out);
    let name = checklist.display();
    for line in [
        format!("{name}:3: filled \"impossible\": Target = 0.000000001s, Actual = "),
        format!(
            "{name}: not filled: line 4: metric \"Pool\" has no Target value; declare a target in the suite (`target` of its [[metric]])"
        ),
        format!(
            "{name}: not filled: line 4: metric \"Pool\" has no Actual value; the run measured nothing for it: its SQL failed or returned NULL (see the report)"
        ),
        format!(
            "{name}: not filled: line 5: \"unlabelled\" is a query of the run, not a metric label, so its blank Baseline, Target and Actual cells were left alone; [[query]] \"unlabelled\" has no row in the metrics table"
        ),
        format!("{name}: not filled: line 6: no metric is labelled \"Page load\""),
    ] {
        assert!(err.contains(&line), "{line}\n{err}");
    }
}

#[test]
fn a_duplicate_is_refused_at_its_own_line() {
    let suite = SuiteDir::new(
        "[settings]\nruns = 2\n\n[[index]]\nname = \"ix\"\ntable = \"public.t\"\n\n[[index]]\nname = \"ix\"\ntable = \"t\"\n",
        &[],
    );
    let out = crate::harness::pgvet(
        &["check", suite.path_str(), "--db", "host=/nonexistent"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = crate::harness::stderr(&out);
    assert!(
        err.contains("pgvet.toml:9:8: index public.ix is listed twice (first on line 5); list each index once"),
        "{err}"
    );
    let suite = SuiteDir::new("[settings]\nruns = 2\nwarmup = 1\nruns = 3\n", &[]);
    let out = crate::harness::pgvet(
        &["check", suite.path_str(), "--db", "host=/nonexistent"],
        &[],
    );
    let err = crate::harness::stderr(&out);
    assert!(
        err.contains(
            "pgvet.toml:4:1: `runs` is set a second time in this table (first on line 2); keep one"
        ),
        "{err}"
    );
}
