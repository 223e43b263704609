//! The schema health rules against real catalogs: each test plants its rule's problem, asserts
//! the finding (rule, object, message, fix), then applies the fix the finding gives and
//! asserts the finding is gone, so every fix is a statement PostgreSQL runs. The clean schema,
//! the scope and `pgvet check` with `[health]` are in `health_scope.rs`.

use pgvet::health::{Config, RuleId, Severity};
use pgvet::report::Report;
use pgvet::report::model::Finding;
use pgvet::run::{Quiet, RunContext};
use pgvet::suite::Settings;

use crate::harness::TestDb;

/// Every health rule on the test database, as `pgvet health` runs them.
pub(crate) async fn judged(db: &TestDb, config: &Config) -> Report {
    let context = RunContext::of(&db.conn);
    pgvet::run::health(&db.conn, config, &Settings::default(), "", context, &Quiet)
        .await
        .expect("the schemas exist")
}

/// The findings of one rule.
pub(crate) fn of(report: &Report, rule: RuleId) -> Vec<Finding> {
    assert_eq!(report.health.as_ref().unwrap().error, None, "{report:?}");
    report
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .cloned()
        .collect()
}

/// Runs a finding's fix, a statement at a time (`CONCURRENTLY` refuses a transaction block).
async fn apply(db: &TestDb, fix: &str) {
    for statement in fix.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        db.exec(statement).await;
    }
}

/// The one finding of `rule`, then its fix applied and the rule finding nothing.
async fn found_and_fixed(db: &TestDb, rule: RuleId) -> Finding {
    let found = of(&judged(db, &Config::default()).await, rule);
    assert_eq!(found.len(), 1, "{rule}: {found:#?}");
    let finding = found[0].clone();
    assert_eq!(finding.severity, rule.default_severity());
    apply(db, &finding.fix).await;
    let after = of(&judged(db, &Config::default()).await, rule);
    assert!(after.is_empty(), "{rule} after its fix: {after:#?}");
    finding
}

#[tokio::test]
async fn invalid_index_finds_what_a_failed_concurrent_build_left_anywhere() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY, x int); INSERT INTO t SELECT i, i FROM generate_series(1, 10) i;")
        .await;
    // Division by zero at x = 5: the build fails and leaves the index invalid.
    let failed = db
        .conn
        .client
        .batch_execute("CREATE INDEX CONCURRENTLY ix_broken ON t ((100 / (x - 5)))")
        .await;
    assert!(failed.is_err());
    db.exec("DELETE FROM t WHERE x = 5").await;
    let f = found_and_fixed(&db, RuleId::InvalidIndex).await;
    assert_eq!(
        (f.object.as_str(), f.table.as_deref()),
        ("public.ix_broken", Some("public.t"))
    );
    assert_eq!(
        f.message,
        "index public.ix_broken on public.t is invalid (indisvalid = false, indisready = false): a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY failed or was interrupted; the planner does not use it, and writes do not keep it up to date"
    );
    assert_eq!(f.fix, "REINDEX INDEX CONCURRENTLY public.ix_broken;");

    // An index made ON ONLY a partitioned table is invalid until each partition's is attached.
    db.exec(
        "CREATE TABLE events (at date, n int) PARTITION BY RANGE (at);
         CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         CREATE INDEX ix_events_at ON ONLY events (at);",
    )
    .await;
    let found = of(&judged(&db, &Config::default()).await, RuleId::InvalidIndex);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0]
            .message
            .contains("1 of its partitions has no index attached"),
        "{found:#?}"
    );
    assert!(
        found[0]
            .fix
            .contains("ALTER INDEX public.ix_events_at ATTACH PARTITION")
    );
}

#[tokio::test]
async fn duplicate_index_keeps_the_constraints_index_and_drops_the_copy() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, a text, b text);
         CREATE UNIQUE INDEX t_id_again ON t (id);
         CREATE INDEX t_a_b ON t (a, b); CREATE INDEX t_b_a ON t (b, a);
         CREATE INDEX t_a_partial ON t (a) WHERE b IS NOT NULL; CREATE INDEX t_a_lower ON t (lower(a));",
    )
    .await;
    let f = found_and_fixed(&db, RuleId::DuplicateIndex).await;
    assert_eq!(f.object, "public.t_id_again");
    assert!(f.message.contains("duplicates public.t_pkey"), "{f:?}");
    assert_eq!(f.fix, "DROP INDEX CONCURRENTLY public.t_id_again;");
    // A deferred unique constraint, or NULLS NOT DISTINCT (PostgreSQL 15+), makes another index.
    db.exec(
        "CREATE UNIQUE INDEX t_a_b_key ON t (a, b);
         ALTER TABLE t ADD CONSTRAINT t_a_b_deferred UNIQUE (a, b) DEFERRABLE;",
    )
    .await;
    let major =
        pgvet::db::guard::Db::new(&db.conn, std::time::Duration::from_secs(30)).server_major();
    if major >= 15 {
        db.exec("CREATE UNIQUE INDEX t_b_key ON t (b); CREATE UNIQUE INDEX t_b_nnd ON t (b) NULLS NOT DISTINCT;")
            .await;
    }
    // Two identical expression indexes are duplicates.
    db.exec("CREATE INDEX t_a_lower2 ON t (lower(a))").await;
    let f = found_and_fixed(&db, RuleId::DuplicateIndex).await;
    assert_eq!(f.object, "public.t_a_lower2");
}

#[tokio::test]
async fn redundant_index_is_a_plain_prefix_of_another_and_never_a_unique_one() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int);
         CREATE INDEX t_a ON t (a); CREATE INDEX t_a_b ON t (a, b);
         CREATE UNIQUE INDEX t_c_key ON t (c); CREATE INDEX t_c_a ON t (c, a);
         CREATE INDEX t_b_partial ON t (b) WHERE c > 0; CREATE INDEX t_b_c ON t (b, c);",
    )
    .await;
    let f = found_and_fixed(&db, RuleId::RedundantIndex).await;
    assert_eq!(
        f.message,
        "index public.t_a on public.t (a) is redundant: its keys lead public.t_a_b (a, b), which serves every lookup it does; every write maintains both"
    );
    assert_eq!(f.fix, "DROP INDEX CONCURRENTLY public.t_a;");
}

#[tokio::test]
async fn fk_without_index_is_satisfied_by_the_leading_columns_of_a_composite_index() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE parent (id int PRIMARY KEY, code text, UNIQUE (id, code));
         CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent, code text, at date,
                             FOREIGN KEY (parent_id, code) REFERENCES parent (id, code));
         CREATE INDEX child_code_parent_at ON child (code, parent_id, at);",
    )
    .await;
    let f = found_and_fixed(&db, RuleId::FkWithoutIndex).await;
    assert_eq!(
        (f.object.as_str(), f.table.as_deref()),
        ("public.child_parent_id_fkey", Some("public.child"))
    );
    assert_eq!(
        f.message,
        "foreign key child_parent_id_fkey on public.child (parent_id) → public.parent has no index that leads with its columns: each DELETE on public.parent, or UPDATE of its key, reads the whole of public.child to find the rows that reference it"
    );
    assert_eq!(
        f.fix,
        "CREATE INDEX CONCURRENTLY ON public.child (parent_id);"
    );
}

#[tokio::test]
async fn fk_type_mismatch_gives_the_column_the_referenced_type() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE customers (id bigint PRIMARY KEY);
         CREATE DOMAIN customer_id AS bigint;
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers);
         CREATE TABLE invoices (id int PRIMARY KEY, customer customer_id REFERENCES customers);
         CREATE INDEX ON orders (customer_id); CREATE INDEX ON invoices (customer);",
    )
    .await;
    let f = found_and_fixed(&db, RuleId::FkTypeMismatch).await;
    assert_eq!(f.object, "public.orders_customer_id_fkey");
    assert!(
        f.message.starts_with("foreign key orders_customer_id_fkey on public.orders: column customer_id is integer and references public.customers.id, bigint;"),
        "{f:?}"
    );
    assert_eq!(
        f.fix,
        "ALTER TABLE public.orders ALTER COLUMN customer_id TYPE bigint;"
    );
}

#[tokio::test]
async fn not_valid_constraint_is_validated_on_its_table() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE ledger (id int PRIMARY KEY, amount numeric);
         INSERT INTO ledger VALUES (1, 5);
         ALTER TABLE ledger ADD CONSTRAINT positive_amount CHECK (amount > 0) NOT VALID;",
    )
    .await;
    let f = found_and_fixed(&db, RuleId::NotValidConstraint).await;
    assert_eq!(
        (f.object.as_str(), f.table.as_deref()),
        ("public.positive_amount", Some("public.ledger"))
    );
    assert_eq!(
        f.message,
        "CHECK constraint positive_amount on public.ledger is NOT VALID: the rows from before it was added were never checked"
    );
    assert_eq!(
        f.fix,
        "ALTER TABLE public.ledger VALIDATE CONSTRAINT positive_amount;"
    );
}

#[tokio::test]
async fn table_without_primary_key_takes_a_unique_not_null_index_when_there_is_one() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE \"Tags\" (name text NOT NULL, note text);
         CREATE UNIQUE INDEX tags_name ON \"Tags\" (name);",
    )
    .await;
    let f = found_and_fixed(&db, RuleId::TableWithoutPrimaryKey).await;
    assert_eq!(
        (f.object.as_str(), f.table.as_deref()),
        ("public.Tags", None)
    );
    assert_eq!(
        f.message,
        "table public.Tags has no primary key; its unique index tags_name on NOT NULL columns can become one"
    );
    assert_eq!(
        f.fix,
        "ALTER TABLE public.\"Tags\" ADD PRIMARY KEY USING INDEX tags_name;"
    );
    db.exec("CREATE TABLE log (at timestamptz, msg text)").await;
    let found = of(
        &judged(&db, &Config::default()).await,
        RuleId::TableWithoutPrimaryKey,
    );
    assert_eq!(
        found[0].fix,
        "ALTER TABLE public.log ADD PRIMARY KEY (<the columns that identify a row>);"
    );
}

#[tokio::test]
async fn sequence_near_overflow_counts_a_serial_column_against_its_integer_type() {
    let db = TestDb::new().await;
    // A bigint sequence behind an integer serial column: the column's type runs out first.
    db.exec(
        "CREATE TABLE orders (id serial PRIMARY KEY, n int);
         ALTER SEQUENCE orders_id_seq AS bigint;
         SELECT setval('orders_id_seq', 1800000000);
         CREATE TABLE fine (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    )
    .await;
    let f = found_and_fixed(&db, RuleId::SequenceNearOverflow).await;
    assert_eq!(
        (f.object.as_str(), f.table.as_deref()),
        ("public.orders_id_seq", Some("public.orders"))
    );
    assert_eq!(
        f.message,
        "sequence public.orders_id_seq has used 84% of its values: it is at 1,800,000,000 and stops at 2,147,483,647 (the integer limit of column public.orders.id), 347,483,647 left; then nextval fails, and so does every INSERT that needs it (changing the column's type rewrites the table: plan the lock)"
    );
    assert_eq!(
        f.fix,
        "ALTER TABLE public.orders ALTER COLUMN id TYPE bigint;"
    );

    // An identity column near its end: the column's type change takes its sequence along.
    db.exec("SELECT setval(pg_get_serial_sequence('fine', 'id'), 2000000000)")
        .await;
    let f = found_and_fixed(&db, RuleId::SequenceNearOverflow).await;
    assert_eq!(
        f.fix,
        "ALTER TABLE public.fine ALTER COLUMN id TYPE bigint;"
    );
    // A sequence of its own, at 93% of integer.
    db.exec("CREATE SEQUENCE tickets AS integer; SELECT setval('tickets', 2000000000);")
        .await;
    let f = found_and_fixed(&db, RuleId::SequenceNearOverflow).await;
    assert!(
        f.message.contains("has used 93%") && f.message.contains("(its MAXVALUE)"),
        "{f:?}"
    );
    assert_eq!(f.fix, "ALTER SEQUENCE public.tickets AS bigint;");
}

#[tokio::test]
async fn btree_on_array_column_is_replaced_by_a_gin_index() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE posts (id int PRIMARY KEY, tags text[], slugs text[]);
         CREATE INDEX posts_tags ON posts (tags);
         CREATE UNIQUE INDEX posts_slugs ON posts (slugs);",
    )
    .await;
    let f = found_and_fixed(&db, RuleId::BtreeOnArrayColumn).await;
    assert_eq!(f.object, "public.posts_tags");
    assert_eq!(
        f.fix,
        "CREATE INDEX CONCURRENTLY ON public.posts USING gin (tags); DROP INDEX CONCURRENTLY public.posts_tags;"
    );
}

#[tokio::test]
async fn bloat_estimates_find_a_table_and_an_index_a_delete_emptied() {
    let db = TestDb::new().await;
    // 160,000 rows of 64 characters (about 15 MiB of table, 14 MiB of index), nine in ten
    // deleted evenly, so that VACUUM frees space on every page and returns no page.
    db.exec(
        "CREATE TABLE events (id int PRIMARY KEY, payload text);
         INSERT INTO events SELECT i, repeat(md5(i::text), 2) FROM generate_series(1, 160000) i;
         CREATE INDEX events_payload ON events (payload);
         DELETE FROM events WHERE id % 10 <> 0;",
    )
    .await;
    db.exec("VACUUM ANALYZE events").await;
    let report = judged(&db, &Config::default()).await;
    let index = of(&report, RuleId::IndexBloat);
    assert_eq!(
        index.len(),
        1,
        "the primary key's 3 MiB is below 8 MiB: {index:#?}"
    );
    assert_eq!(index[0].object, "public.events_payload");
    assert!(
        index[0]
            .message
            .starts_with("index public.events_payload on public.events: estimated 9"),
        "{index:#?}"
    );
    assert!(
        index[0]
            .message
            .contains("(an estimate from the planner statistics)")
    );
    assert_eq!(index[0].severity, Severity::Warning);
    let table = of(&report, RuleId::TableBloat);
    assert_eq!(table.len(), 1, "{table:#?}");
    assert!(
        table[0]
            .message
            .starts_with("table public.events: estimated 8")
            || table[0]
                .message
                .starts_with("table public.events: estimated 9"),
        "{table:#?}"
    );
    assert_eq!(table[0].fix, "VACUUM FULL public.events;");
    apply(&db, &index[0].fix).await;
    apply(&db, &table[0].fix).await;
    db.exec("ANALYZE events").await;
    let after = judged(&db, &Config::default()).await;
    assert!(of(&after, RuleId::IndexBloat).is_empty(), "{after:#?}");
    assert!(of(&after, RuleId::TableBloat).is_empty(), "{after:#?}");
}
