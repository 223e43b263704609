//! Index advice against a real server: with HypoPG in the database (created by the test, as a
//! DBA would), each query that seq-scans a large table gets the index that fixes it, proven
//! (the planner reads the table through it at a lower cost), and the advised statements,
//! applied, make the queries pass. Without HypoPG the advice is unproven, with a note. pgvet
//! creates nothing in the database: no extension, no index, no hypothetical index left in its
//! session, and a function planted in the place of HypoPG's never runs.
//!
//! The tests that need HypoPG skip, saying so, when the server has none (Debian:
//! `apt-get install postgresql-NN-hypopg`; `.ci/run` installs it).

use pgvet::report::model::{QueryResult, Report, Status};

use crate::harness::{SuiteDir, TestDb, stdout};

/// Customers (text emails) and their orders: 5,000 and 50,000 rows, primary keys only. Ten
/// statuses and a year of dates, so that one status in the year's last six weeks is under 2%
/// of the orders (one status alone is 10%, the weeks alone 12%): the composite index beats
/// either column alone.
const SHOP: &str = "
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, region text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
                     created_at timestamp NOT NULL, total numeric(10, 2) NOT NULL);
INSERT INTO customers SELECT i, 'User' || i || '@example.com', 'r' || i % 4
FROM generate_series(1, 5000) AS i;
INSERT INTO orders SELECT i, i % 5000 + 1, 's' || i % 10,
       '2024-01-01'::timestamp + (i * 7919 % 50000) * interval '630 seconds', i % 997
FROM generate_series(1, 50000) AS i;
ANALYZE customers; ANALYZE orders;";

/// The four queries and the index each one needs: a single column, a composite (equality,
/// then range), an expression, and the ORDER BY of a LIMIT (with the limit bound as a
/// parameter, so the prepared path is proven too).
const QUERIES: [(&str, &str, &str); 4] = [
    (
        "single",
        "sql = \"SELECT * FROM orders WHERE customer_id = 42\"",
        "CREATE INDEX CONCURRENTLY ON public.orders (customer_id)",
    ),
    (
        "composite",
        "sql = \"SELECT * FROM orders WHERE status = 's3' AND created_at >= '2024-11-15'\"",
        "CREATE INDEX CONCURRENTLY ON public.orders (status, created_at)",
    ),
    (
        "expression",
        "sql = \"SELECT * FROM customers WHERE lower(email) = 'user7@example.com'\"",
        "CREATE INDEX CONCURRENTLY ON public.customers (lower(email))",
    ),
    (
        "order by",
        "sql = \"SELECT * FROM orders ORDER BY created_at DESC LIMIT $1\"\nparams = [10]",
        "CREATE INDEX CONCURRENTLY ON public.orders (created_at)",
    ),
];

fn suite() -> SuiteDir {
    let mut toml = String::from("[settings]\nmin_rows = 1000\nruns = 1\nwarmup = 0\n");
    for (name, sql, _) in QUERIES {
        toml.push_str(&format!("\n[[query]]\nname = \"{name}\"\n{sql}\n"));
    }
    SuiteDir::new(&toml, &[])
}

async fn shop() -> TestDb {
    let db = TestDb::new().await;
    db.exec(SHOP).await;
    db
}

/// Whether the server can create HypoPG; prints why the test is skipped when it cannot.
async fn hypopg_available(db: &TestDb, test: &str) -> bool {
    let n = db
        .scalar_i64("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'")
        .await;
    if n == 0 {
        println!(
            "skipped {test}: the test server has no HypoPG (Debian: apt-get install postgresql-NN-hypopg)"
        );
    }
    n > 0
}

fn query<'r>(report: &'r Report, name: &str) -> &'r QueryResult {
    report.queries.iter().find(|q| q.name == name).unwrap()
}

/// The indexes on the two tables, by name.
async fn indexes(db: &TestDb) -> Vec<String> {
    let rows = db
        .conn
        .client
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE tablename IN ('orders', 'customers') ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test]
async fn proven_advice_applied_makes_each_query_pass() {
    let db = shop().await;
    if !hypopg_available(&db, "proven_advice_applied_makes_each_query_pass").await {
        return;
    }
    // As the database's DBA would, in a schema of its own.
    db.exec("CREATE SCHEMA hypo; CREATE EXTENSION hypopg SCHEMA hypo")
        .await;
    let suite = suite();
    let report = db.check(&suite).await;
    for (name, _, statement) in QUERIES {
        let q = query(&report, name);
        assert_eq!(q.status, Status::Fail, "{name}: {q:?}");
        let best = q.advice.first().unwrap_or_else(|| panic!("{name}: {q:?}"));
        assert!(best.proven, "{name}: {best:?}");
        assert_eq!(best.statement, statement, "{name}: {:?}", q.advice);
        let (before, after) = (best.cost_before.unwrap(), best.cost_after.unwrap());
        assert!(after < before, "{name}: {best:?}");
        assert!(best.note.is_none(), "{name}: {best:?}");
        assert!(
            q.advice.len() <= 3 && q.advice.iter().all(|a| a.proven),
            "{q:?}"
        );
        let costs: Vec<f64> = q.advice.iter().map(|a| a.cost_after.unwrap()).collect();
        assert!(
            costs.windows(2).all(|w| w[0] <= w[1]),
            "best first: {costs:?}"
        );
    }
    // The composite's columns alone were tried too, and cost more.
    let composite = query(&report, "composite");
    assert!(composite.advice.len() > 1, "{:?}", composite.advice);
    // A range that holds every row: the planner keeps its seq scan, and the note says so.
    let every_row = SuiteDir::new(
        "[settings]\nmin_rows = 1000\nruns = 1\nwarmup = 0\n\n[[query]]\nname = \"all\"\nsql = \"SELECT * FROM orders WHERE created_at >= '2024-01-01'\"\n",
        &[],
    );
    let all = db.check(&every_row).await;
    let q = query(&all, "all");
    assert!(q.advice.is_empty(), "{:?}", q.advice);
    assert!(
        q.notes.iter().any(|n| n.starts_with(
            "advice: HypoPG tried 1 index on orders, (created_at): the planner does not read orders through it"
        )),
        "{:?}",
        q.notes
    );
    // Nothing was created: no index, and no hypothetical one left in pgvet's session (the
    // library ran on this very connection).
    assert_eq!(indexes(&db).await, ["customers_pkey", "orders_pkey"]);
    let left = db
        .scalar_i64("SELECT count(*) FROM hypo.hypopg_list_indexes")
        .await;
    assert_eq!(left, 0, "hypothetical indexes left in the session");

    for (_, _, statement) in QUERIES {
        db.exec(statement).await;
    }
    let report = db.check(&suite).await;
    for (name, _, _) in QUERIES {
        let q = query(&report, name);
        assert_eq!(q.status, Status::Pass, "{name} after its advice: {q:?}");
        assert!(q.advice.is_empty(), "{name}: {:?}", q.advice);
    }
}

#[tokio::test]
async fn without_hypopg_the_best_candidate_is_advised_unproven_and_nothing_is_created() {
    let db = shop().await;
    let available = db
        .scalar_i64("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'")
        .await
        > 0;
    let extensions = "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension";
    let before: String = db
        .conn
        .client
        .query_one(extensions, &[])
        .await
        .unwrap()
        .get(0);
    let suite = suite();
    let out = db.cli(&[suite.path_str(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    for (name, _, statement) in QUERIES {
        let q = query(&report, name);
        let [advice] = q.advice.as_slice() else {
            panic!("{name}: one unproven candidate: {:?}", q.advice);
        };
        assert!(!advice.proven && advice.cost_after.is_none(), "{advice:?}");
        assert!(advice.cost_before.is_some_and(|c| c > 0.0), "{advice:?}");
        assert_eq!(advice.statement, statement, "{name}");
        let note = advice.note.as_deref().unwrap();
        let why = match available {
            true => "the server has HypoPG but this database does not",
            false => "HypoPG is not installed on the server",
        };
        assert!(
            note.starts_with(why) && note.contains("CREATE EXTENSION hypopg"),
            "{note}"
        );
    }
    let after: String = db
        .conn
        .client
        .query_one(extensions, &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(after, before, "pgvet created an extension");
    assert_eq!(indexes(&db).await, ["customers_pkey", "orders_pkey"]);

    // Every format shows it.
    let text = stdout(&db.cli(&[suite.path_str()]));
    assert!(
        text.contains(
            "advice (not proven): CREATE INDEX CONCURRENTLY ON public.orders (customer_id)"
        ),
        "{text}"
    );
    for format in ["markdown", "junit", "github"] {
        let shown = stdout(&db.cli(&[suite.path_str(), "--format", format]));
        assert!(
            shown.contains("CREATE INDEX CONCURRENTLY ON public.customers (lower(email))"),
            "{format}: {shown}"
        );
    }
}

#[tokio::test]
async fn a_function_planted_in_the_place_of_hypopg_s_never_runs() {
    let db = shop().await;
    if !hypopg_available(
        &db,
        "a_function_planted_in_the_place_of_hypopg_s_never_runs",
    )
    .await
    {
        return;
    }
    db.exec("CREATE SCHEMA hypo; CREATE EXTENSION hypopg SCHEMA hypo")
        .await;
    let role = format!("mallory_{}", db.name);
    db.exec(&format!(
        "CREATE ROLE {role}; GRANT CREATE ON SCHEMA public TO {role}; SET ROLE {role};"
    ))
    .await;
    let escalate = format!("EXECUTE 'ALTER ROLE {role} SUPERUSER'");
    for (signature, returns) in [
        (
            "hypopg_create_index(text)",
            "TABLE (indexrelid oid, indexname text)",
        ),
        (
            "hypopg_create_index(varchar)",
            "TABLE (indexrelid oid, indexname text)",
        ),
        ("hypopg_reset()", "void"),
    ] {
        db.exec(&format!(
            "CREATE FUNCTION public.{signature} RETURNS {returns} LANGUAGE plpgsql AS $$ BEGIN {escalate}; END $$;"
        ))
        .await;
    }
    db.exec("RESET ROLE").await;
    // With public first in the path, an unqualified call would pick the planted functions.
    db.exec(&format!(
        "ALTER DATABASE {} SET search_path = public, hypo, pg_catalog",
        db.name
    ))
    .await;
    let out = db.cli(&[suite().path_str(), "--format", "json"]);
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let q = query(&report, "single");
    assert!(
        q.advice.first().is_some_and(|a| a.proven),
        "HypoPG's own functions proved it: {q:?}"
    );
    assert!(!crate::hostile::is_superuser(&db, &role).await);
}
