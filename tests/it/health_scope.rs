//! The schema health rules as a whole: a realistic clean schema finds nothing, unused-index on
//! real counters, the scope (schemas, skip, ignore, severity), and `pgvet health` and `pgvet
//! check` with `[health]` end to end.

use std::time::Duration;

use pgvet::db::guard::Db;
use pgvet::db::health::{self, Needs};
use pgvet::health::{Config, RuleId, Severity};
use pgvet::suite::RelationPattern;

use crate::harness::{SuiteDir, TestDb, stderr, stdout};
use crate::health::{judged, of};

/// What a careful schema looks like: identity and serial keys, foreign keys covered by the
/// leading columns of composite indexes (in another order too), a unique index beside a
/// non-unique one that starts with its column, partial and expression indexes, a GIN index on
/// an array, a partitioned table, validated constraints, a second schema.
const CLEAN: &str = "
CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_email_created ON customers (email, created_at);
CREATE INDEX customers_lower_email ON customers (lower(email));
CREATE TABLE products (id serial PRIMARY KEY, sku text NOT NULL, tags text[] NOT NULL DEFAULT '{}');
CREATE UNIQUE INDEX products_sku ON products (sku);
CREATE INDEX products_tags ON products USING gin (tags);
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers,
    status text NOT NULL CHECK (status IN ('open', 'paid', 'shipped')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_created ON orders (customer_id, created_at);
CREATE INDEX orders_open ON orders (created_at) WHERE status = 'open';
CREATE INDEX orders_created_id ON orders (created_at, id);
CREATE TABLE order_lines (
    order_id bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
    line_no int NOT NULL,
    product_id int NOT NULL REFERENCES products,
    quantity int NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_product ON order_lines USING hash (product_id);
CREATE TABLE shipments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL,
    line_no int NOT NULL,
    shipped_at timestamptz,
    FOREIGN KEY (order_id, line_no) REFERENCES order_lines
);
CREATE INDEX shipments_line_order ON shipments (line_no, order_id, shipped_at);
CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY, at date NOT NULL,
                     customer_id bigint REFERENCES customers, PRIMARY KEY (id, at))
    PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX events_customer ON events (customer_id);
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id serial PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders);
CREATE INDEX invoices_order ON billing.invoices (order_id);
INSERT INTO customers (email, name) SELECT 'c' || i || '@example.com', 'c' || i FROM generate_series(1, 50) i;
INSERT INTO products (sku) SELECT 'sku' || i FROM generate_series(1, 20) i;
INSERT INTO orders (customer_id, status) SELECT 1 + i % 50, 'open' FROM generate_series(1, 200) i;
ANALYZE;
";

#[tokio::test]
async fn a_clean_schema_has_no_findings() {
    let db = TestDb::new().await;
    db.exec(CLEAN).await;
    let report = judged(&db, &Config::default()).await;
    let run = report.health.as_ref().unwrap();
    assert_eq!(run.error, None);
    assert_eq!(run.schemas, ["billing", "public"]);
    assert_eq!(run.rules, RuleId::ALL);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    // A fresh database on a server started minutes ago: the counters say nothing yet.
    let notes: Vec<RuleId> = run.notes.iter().map(|n| n.rule).collect();
    assert_eq!(notes, [RuleId::UnusedIndex], "{:?}", run.notes);
    assert!(run.counters_since.as_deref().unwrap().ends_with(" UTC"));
    assert_eq!(report.status, pgvet::report::model::Status::Pass);

    let out = crate::harness::pgvet(&["health", "--db", &db.conninfo], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\nHealth (12 health rules): no findings\n"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).ends_with("PASS: 12 health rules checked\n"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn unused_index_judges_real_counters_once_they_are_a_month_old() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE parent (id int PRIMARY KEY);
         CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int, d int, parent_id int REFERENCES parent);
         INSERT INTO parent VALUES (1);
         INSERT INTO t SELECT i, i, i, i, i, 1 FROM generate_series(1, 1000) i;
         CREATE INDEX t_idle ON t (a); CREATE INDEX t_used ON t (b);
         CREATE UNIQUE INDEX t_c_key ON t (c); CREATE INDEX t_parent ON t (parent_id);
         CREATE INDEX t_expected ON t (d);
         ANALYZE t;",
    )
    .await;
    let fresh = judged(&db, &Config::default()).await;
    assert!(of(&fresh, RuleId::UnusedIndex).is_empty());
    assert!(
        fresh.health.as_ref().unwrap().notes[0]
            .message
            .starts_with("unused-index not judged: the statistics counters count since "),
        "{:?}",
        fresh.health
    );
    let db_major = pgvet::db::guard::Db::new(&db.conn, Duration::from_secs(30)).server_major();
    if db_major >= 15 {
        // The scan reaches the shared counters at once (PostgreSQL 15+).
        db.exec("SET enable_seqscan = off; SELECT count(*) FROM t WHERE b = 7; SELECT pg_stat_force_next_flush(); RESET enable_seqscan;")
            .await;
    }
    let pinned = Db::new(&db.conn, Duration::from_secs(30));
    let context = health::context(&pinned).await.unwrap();
    let needs = Needs {
        indexes: true,
        constraints: true,
        ..Needs::default()
    };
    let facts = health::gather(&pinned, context, &["public".into()], needs)
        .await
        .unwrap();
    let config = Config {
        expected_indexes: vec![("public".into(), "t_expected".into())],
        ..Config::default()
    };
    // The same facts judged 31 days later.
    let later = facts.context.now + 31.0 * 86_400.0;
    let outcome = pgvet::health::judge(&facts, &config, later);
    let unused: Vec<&str> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::UnusedIndex)
        .map(|f| f.object.as_str())
        .collect();
    match db_major {
        // Older servers' counters reach the views when the statistics collector gets to them.
        ..15 => assert!(unused.contains(&"public.t_idle"), "{unused:?}"),
        _ => assert_eq!(unused, ["public.t_idle"], "{:#?}", outcome.findings),
    }
    let idle = outcome
        .findings
        .iter()
        .find(|f| f.object == "public.t_idle")
        .unwrap();
    assert!(
        idle.message.starts_with("index public.t_idle on public.t has not been scanned since the statistics counters started ("),
        "{idle:?}"
    );
    assert!(
        idle.message
            .contains("31 days ago), yet every write maintains its "),
        "{idle:?}"
    );
    assert_eq!(idle.fix, "DROP INDEX CONCURRENTLY public.t_idle;");
    assert_eq!(idle.severity, Severity::Warning);
}

#[tokio::test]
async fn schemas_skip_ignore_and_severity_shape_what_is_judged() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE SCHEMA app; CREATE SCHEMA audit;
         CREATE TABLE app.log (at timestamptz); CREATE TABLE audit.trail (at timestamptz);
         CREATE TABLE public.audit_log (at timestamptz); CREATE TABLE public.notes (at timestamptz);",
    )
    .await;
    let tables = |config: &Config| {
        let config = config.clone();
        let db = &db;
        async move {
            let report = judged(db, &config).await;
            of(&report, RuleId::TableWithoutPrimaryKey)
                .into_iter()
                .map(|f| (f.object, f.severity))
                .collect::<Vec<_>>()
        }
    };
    let warning = |o: &str| (o.to_string(), Severity::Warning);
    let all = tables(&Config::default()).await;
    assert_eq!(
        all,
        [
            warning("app.log"),
            warning("audit.trail"),
            warning("public.audit_log"),
            warning("public.notes")
        ]
    );
    let only_app = Config {
        schemas: vec!["app".into()],
        ..Config::default()
    };
    assert_eq!(tables(&only_app).await, [warning("app.log")]);
    let mut shaped = Config {
        ignore: vec![
            RelationPattern::parse("audit*").unwrap(),
            RelationPattern::parse("audit.*").unwrap(),
        ],
        ..Config::default()
    };
    shaped
        .severity
        .insert(RuleId::TableWithoutPrimaryKey, Severity::Error);
    assert_eq!(
        tables(&shaped).await,
        [
            ("app.log".into(), Severity::Error),
            ("public.notes".into(), Severity::Error)
        ]
    );
    shaped.ignore_for.insert(
        RuleId::TableWithoutPrimaryKey,
        vec![RelationPattern::parse("app.*").unwrap()],
    );
    assert_eq!(
        tables(&shaped).await,
        [("public.notes".into(), Severity::Error)]
    );
    shaped.skip.push(RuleId::TableWithoutPrimaryKey);
    let report = judged(&db, &shaped).await;
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(
        report.health.unwrap().skipped,
        [RuleId::TableWithoutPrimaryKey]
    );

    // pgvet health: a schema the database does not have is a bad invocation.
    let out = crate::harness::pgvet(&["health", "--db", &db.conninfo, "--schema", "nope"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "schema nope: the database has no user schema of that name (it has: app, audit, public)"
        ),
        "{}",
        stderr(&out)
    );
    let out = crate::harness::pgvet(
        &[
            "health",
            "--db",
            &db.conninfo,
            "--schema",
            "app",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings only: {}",
        stderr(&out)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let finding = &json["findings"][0];
    assert_eq!(finding["rule"], "table-without-primary-key");
    assert_eq!(finding["object"], "app.log");
    assert_eq!(finding["table"], serde_json::Value::Null);
    assert_eq!(finding["severity"], "warning");
    assert!(
        finding["fix"]
            .as_str()
            .unwrap()
            .starts_with("ALTER TABLE app.log ADD PRIMARY KEY")
    );
    assert_eq!(json["summary"]["findings_warnings"], 1);
    // The suite's [health] raises the severity: pgvet health SUITE fails on it.
    let suite = SuiteDir::new(
        "[health]\nschemas = [\"app\"]\nseverity = { table-without-primary-key = \"error\" }\n",
        &[],
    );
    let out = crate::harness::pgvet(&["health", suite.path_str(), "--db", &db.conninfo], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("FAIL: 1 health error\n"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn pgvet_check_runs_the_health_rules_of_its_suite_in_every_format() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, a int); CREATE INDEX t_a ON t (a); CREATE INDEX t_a_again ON t (a);
         CREATE TABLE audit_log (at timestamptz);",
    )
    .await;
    let suite = SuiteDir::new(
        "[[index]]\nname = \"t_a\"\ntable = \"t\"\n\n[health]\nignore = [\"audit_*\"]\n",
        &[],
    );
    let out = db.cli(&[suite.path_str(), "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the duplicate is an error: {}",
        stderr(&out)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["indexes"][0]["status"], "pass");
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["rule"], "duplicate-index");
    assert_eq!(findings[0]["object"], "public.t_a_again");
    assert_eq!(
        findings[0]["fix"],
        "DROP INDEX CONCURRENTLY public.t_a_again;"
    );
    assert_eq!(json["summary"]["findings_errors"], 1);
    assert_eq!(json["status"], "fail");
    for (format, expected) in [
        ("text", "FAIL: 1 health error"),
        (
            "markdown",
            "| `duplicate-index` | **error** | `public.t_a_again (on public.t)` |",
        ),
        (
            "junit",
            "<failure message=\"index public.t_a_again on public.t duplicates public.t_a",
        ),
        (
            "github",
            "::error title=pgvet%3A duplicate-index public.t_a_again",
        ),
    ] {
        let out = db.cli(&[suite.path_str(), "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(
            stdout(&out).contains(expected),
            "{format}: {}",
            stdout(&out)
        );
    }
    // Severity `warning` reports it and passes the run.
    let lenient = SuiteDir::new(
        "[[index]]\nname = \"t_a\"\ntable = \"t\"\n\n[health]\nignore = [\"audit_*\"]\nseverity = { duplicate-index = \"warning\" }\n",
        &[],
    );
    let out = db.cli(&[lenient.path_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("PASS: 1 index and 12 health rules checked, 1 health warning\n"),
        "{}",
        stdout(&out)
    );
}
