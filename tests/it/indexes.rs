//! Index checks against real catalogs: missing, invalid, columns in the wrong order, unique,
//! wrong table, absent — and names that are data, never SQL.

use pgvet::report::model::{IndexProblem, Status};

use crate::harness::{SuiteDir, TestDb};

const TABLES: &str = "
CREATE TABLE account (id int PRIMARY KEY, email text, org_id int, created_at timestamptz);
CREATE TABLE org (id int PRIMARY KEY, name text);";

fn index_suite(entries: &str) -> SuiteDir {
    SuiteDir::new(entries, &[])
}

fn problem_of(report: &pgvet::report::Report, name: &str) -> Option<IndexProblem> {
    report
        .indexes
        .iter()
        .find(|i| i.name == name)
        .unwrap()
        .problem
}

#[tokio::test]
async fn each_index_problem_is_named() {
    let db = TestDb::new().await;
    db.exec(TABLES).await;
    db.exec(
        "CREATE INDEX ix_org_then_created ON account (created_at, org_id);
         CREATE INDEX ix_email ON account (email);
         CREATE INDEX ix_on_org ON org (name);
         CREATE UNIQUE INDEX ix_email_unique ON account (lower(email));
         CREATE INDEX ix_dropped_later ON account (org_id);",
    )
    .await;
    let suite = index_suite(
        r#"
[[index]]
name = "ix_org_then_created"
table = "account"
columns = ["org_id", "created_at"]

[[index]]
name = "ix_email"
table = "account"
unique = true

[[index]]
name = "ix_on_org"
table = "account"

[[index]]
name = "ix_never_created"
table = "account"

[[index]]
name = "ix_dropped_later"
table = "account"
absent = true

[[index]]
name = "ix_rolled_back"
table = "account"
absent = true

[[index]]
name = "ix_email_unique"
table = "account"
columns = ["lower(email)"]
unique = true
"#,
    );
    let report = db.check(&suite).await;
    assert_eq!(
        problem_of(&report, "ix_org_then_created"),
        Some(IndexProblem::ColumnsDiffer)
    );
    let columns = report
        .indexes
        .iter()
        .find(|i| i.name == "ix_org_then_created")
        .unwrap();
    assert_eq!(
        columns.actual_columns.as_deref(),
        Some(&["created_at".to_string(), "org_id".to_string()][..])
    );
    assert!(
        columns
            .message
            .as_deref()
            .unwrap()
            .contains("expected columns (org_id, created_at), actual (created_at, org_id)")
    );
    assert_eq!(
        problem_of(&report, "ix_email"),
        Some(IndexProblem::NotUnique)
    );
    assert_eq!(
        problem_of(&report, "ix_on_org"),
        Some(IndexProblem::WrongTable)
    );
    assert_eq!(
        problem_of(&report, "ix_never_created"),
        Some(IndexProblem::Missing)
    );
    assert_eq!(
        problem_of(&report, "ix_dropped_later"),
        Some(IndexProblem::Present)
    );
    assert_eq!(problem_of(&report, "ix_rolled_back"), None);
    // An expression compares as PostgreSQL prints it.
    assert_eq!(problem_of(&report, "ix_email_unique"), None);
    let expr = report
        .indexes
        .iter()
        .find(|i| i.name == "ix_email_unique")
        .unwrap();
    assert_eq!(
        expr.actual_columns.as_deref(),
        Some(&["lower(email)".to_string()][..])
    );
    assert_eq!(report.status, Status::Fail);
    assert_eq!(report.summary.indexes_failed, 5);
}

#[tokio::test]
async fn a_failed_create_index_concurrently_leaves_an_invalid_index() {
    let db = TestDb::new().await;
    db.exec(TABLES).await;
    db.exec("INSERT INTO account VALUES (1, 'a@x', 1, now()), (2, 'a@x', 1, now())")
        .await;
    let failed = db
        .conn
        .client
        .batch_execute("CREATE UNIQUE INDEX CONCURRENTLY ix_email ON account (email)")
        .await;
    assert!(
        failed.is_err(),
        "duplicate emails make the unique build fail"
    );
    // pg_indexes still lists it: a by-eye check would call it present.
    assert_eq!(
        db.scalar_i64("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_email'")
            .await,
        1
    );
    let suite = index_suite(
        "[[index]]\nname = \"ix_email\"\ntable = \"account\"\ncolumns = [\"email\"]\nunique = true\n",
    );
    let report = db.check(&suite).await;
    assert_eq!(problem_of(&report, "ix_email"), Some(IndexProblem::Invalid));
    assert!(
        report.indexes[0]
            .message
            .as_deref()
            .unwrap()
            .contains("exists but is invalid")
    );
}

#[tokio::test]
async fn a_partitioned_index_with_partitions_left_unattached_says_to_attach_them() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE rental (id int, at date) PARTITION BY RANGE (at);
         CREATE TABLE rental_1 PARTITION OF rental FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
         CREATE TABLE rental_2 PARTITION OF rental FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
         CREATE TABLE rental_3 PARTITION OF rental FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
         CREATE INDEX ix_rental_at ON ONLY rental (at);
         CREATE INDEX ix_rental_1_at ON rental_1 (at);
         ALTER INDEX ix_rental_at ATTACH PARTITION ix_rental_1_at;",
    )
    .await;
    let suite =
        index_suite("[[index]]\nname = \"ix_rental_at\"\ntable = \"rental\"\ncolumns = [\"at\"]\n");
    let report = db.check(&suite).await;
    assert_eq!(
        problem_of(&report, "ix_rental_at"),
        Some(IndexProblem::Invalid)
    );
    let message = report.indexes[0].message.as_deref().unwrap();
    assert!(
        message.contains("2 of the table's partitions have no index attached to it")
            && message.contains("ALTER INDEX public.ix_rental_at ATTACH PARTITION")
            && !message.contains("CONCURRENTLY"),
        "{message}"
    );
    // Once every partition's index is attached, the parent's index is valid and passes.
    db.exec(
        "CREATE INDEX ix_rental_2_at ON rental_2 (at);
         CREATE INDEX ix_rental_3_at ON rental_3 (at);
         ALTER INDEX ix_rental_at ATTACH PARTITION ix_rental_2_at;
         ALTER INDEX ix_rental_at ATTACH PARTITION ix_rental_3_at;",
    )
    .await;
    let report = db.check(&suite).await;
    assert_eq!(
        report.indexes[0].status,
        Status::Pass,
        "{:?}",
        report.indexes[0]
    );
}

#[tokio::test]
async fn a_table_in_another_schema_is_named_when_the_suite_s_schema_has_none() {
    let db = TestDb::new().await;
    db.exec("CREATE SCHEMA archive; CREATE TABLE archive.payment_2023 (id int, customer_id int);")
        .await;
    let suite = index_suite(
        "[[index]]\nname = \"ix_payment2023_customer\"\ntable = \"payment_2023\"\n\
         [[index]]\nname = \"ix_nowhere\"\ntable = \"no_such_table\"\n",
    );
    let report = db.check(&suite).await;
    let message = |n: usize| report.indexes[n].message.as_deref().unwrap();
    assert_eq!(
        message(0),
        "no index public.ix_payment2023_customer exists, and no table public.payment_2023 exists either (check `table` and `schema`); a table archive.payment_2023 exists: write table = \"archive.payment_2023\" or set `schema`"
    );
    assert!(
        message(1).ends_with("exists either (check `table` and `schema`)"),
        "{}",
        message(1)
    );
}

#[tokio::test]
async fn a_matching_index_in_another_schema_passes_and_the_default_schema_does_not_see_it() {
    let db = TestDb::new().await;
    db.exec("CREATE SCHEMA app; CREATE TABLE app.t (a int, b int); CREATE INDEX ix_t_ab ON app.t (a, b);").await;
    let suite = index_suite(
        "[[index]]\nname = \"ix_t_ab\"\ntable = \"t\"\nschema = \"app\"\ncolumns = [\"a\", \"b\"]\n\n[[index]]\nname = \"ix_t_ab\"\ntable = \"t\"\n",
    );
    let report = db.check(&suite).await;
    assert_eq!(
        (report.indexes[0].status, report.indexes[0].problem),
        (Status::Pass, None)
    );
    assert_eq!(report.indexes[1].problem, Some(IndexProblem::Missing));
}

#[tokio::test]
async fn names_with_quotes_semicolons_and_unicode_are_data() {
    let db = TestDb::new().await;
    db.exec(r#"CREATE TABLE "Tab; DROP TABLE x" ("Ünï ""col""" int); CREATE INDEX "ix'; DROP TABLE x; --" ON "Tab; DROP TABLE x" ("Ünï ""col""");"#)
        .await;
    let suite = index_suite(
        r#"
[[index]]
name = "ix'; DROP TABLE x; --"
table = "Tab; DROP TABLE x"
columns = ['Ünï "col"']

[[index]]
name = "ix\"; SELECT pg_sleep(5); --"
table = "t"
"#,
    );
    let report = db.check(&suite).await;
    assert_eq!(
        report.indexes[0].status,
        Status::Pass,
        "{:?}",
        report.indexes[0]
    );
    assert_eq!(report.indexes[1].problem, Some(IndexProblem::Missing));
}

#[tokio::test]
async fn an_expression_index_reads_as_the_session_prints_it() {
    let db = TestDb::new().await;
    db.exec(TABLES).await;
    // A function and a type of the application's own schema, as an extension installs them.
    db.exec(
        "CREATE FUNCTION norm(text) RETURNS text IMMUTABLE LANGUAGE sql AS 'SELECT lower($1)';
         CREATE DOMAIN label AS text;
         CREATE INDEX ix_norm ON account (org_id, norm(email), (email::label), created_at);",
    )
    .await;
    let suite = index_suite(
        "[[index]]\nname = \"ix_norm\"\ntable = \"account\"\ncolumns = [\"org_id\", \"norm(email)\", \"(email::label)\", \"created_at\"]\n",
    );
    let report = db.check(&suite).await;
    let index = &report.indexes[0];
    assert_eq!(index.status, Status::Pass, "{index:?}");
    assert_eq!(
        index.definition.as_deref(),
        Some(
            "CREATE INDEX ix_norm ON public.account USING btree (org_id, norm(email), ((email)::label), created_at)"
        ),
        "{index:?}"
    );
}

#[tokio::test]
async fn where_method_and_include_are_checked_against_the_catalog() {
    let db = TestDb::new().await;
    db.exec(TABLES).await;
    db.exec(
        "CREATE FUNCTION norm(text) RETURNS text IMMUTABLE LANGUAGE sql AS 'SELECT lower($1)';
         CREATE INDEX ix_active ON account (org_id) INCLUDE (email, created_at)
             WHERE email IS NOT NULL AND norm(email) <> 'x';
         CREATE INDEX ix_hash ON account USING hash (email);
         CREATE INDEX ix_plain ON account (created_at);",
    )
    .await;
    let right = r#"
[[index]]
name = "ix_active"
table = "account"
columns = ["org_id"]
where = "email IS NOT NULL AND norm(email) <> 'x'::text"
method = "btree"
include = ["email", "created_at"]

[[index]]
name = "ix_hash"
table = "account"
method = "hash"
include = []

[[index]]
name = "ix_plain"
table = "account"
include = []
"#;
    let report = db.check(&SuiteDir::new(right, &[])).await;
    for index in &report.indexes {
        assert_eq!(index.status, Status::Pass, "{index:?}");
    }
    // The fully parenthesised printing (pg_indexes, pg_dump, the report's definition) passes too.
    let dumped = right.replace(
        "where = \"email IS NOT NULL AND norm(email) <> 'x'::text\"",
        "where = \"((email IS NOT NULL) AND (norm(email) <> 'x'::text))\"",
    );
    assert_ne!(dumped, right);
    let report = db.check(&SuiteDir::new(&dumped, &[])).await;
    assert_eq!(
        report.indexes[0].status,
        Status::Pass,
        "{:?}",
        report.indexes[0]
    );

    let wrong = r#"
[[index]]
name = "ix_active"
table = "account"
where = "email IS NOT NULL"
method = "gin"
include = ["created_at", "email"]

[[index]]
name = "ix_hash"
table = "account"
method = "btree"

[[index]]
name = "ix_plain"
table = "account"
where = "created_at > now()"
include = ["email"]
"#;
    let report = db.check(&SuiteDir::new(wrong, &[])).await;
    let index = |name: &str| report.indexes.iter().find(|i| i.name == name).unwrap();
    assert_eq!(
        index("ix_active").problems,
        [
            IndexProblem::PredicateDiffers,
            IndexProblem::MethodDiffers,
            IndexProblem::IncludeDiffers
        ]
    );
    assert_eq!(
        index("ix_active").message.as_deref(),
        Some(
            "expected WHERE email IS NOT NULL, actual WHERE email IS NOT NULL AND norm(email) <> 'x'::text; expected method gin, actual btree; expected INCLUDE (created_at, email), actual (email, created_at)"
        )
    );
    assert_eq!(index("ix_hash").problems, [IndexProblem::MethodDiffers]);
    assert_eq!(
        index("ix_hash").message.as_deref(),
        Some("expected method btree, actual hash")
    );
    assert_eq!(
        index("ix_plain").problems,
        [IndexProblem::PredicateDiffers, IndexProblem::IncludeDiffers]
    );
    assert_eq!(
        index("ix_plain").message.as_deref(),
        Some(
            "expected WHERE created_at > now(), actual no WHERE (not a partial index); expected INCLUDE (email), actual none"
        )
    );
    // The key columns stay the key columns: INCLUDE columns are not among them.
    assert_eq!(
        index("ix_active").actual_columns.as_deref(),
        Some(&["org_id".to_string()][..])
    );
}
