//! The password file as libpq reads it, against a server that demands a password over TCP:
//! used when no password is given, ignored with a warning when group- or world-readable,
//! PGPASSFILE honoured — and the password never printed.

use std::os::unix::fs::PermissionsExt;

use pgvet::ephemeral::{Options, TempServer};

use crate::harness::{SuiteDir, pgvet, stderr, stdout};

const PASSWORD: &str = "pa:ss\\word-7Q";

fn password_server() -> TempServer {
    let hba = "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
    let server = TempServer::start(Options {
        tcp: true,
        hba: Some(hba.into()),
        ..Options::default()
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let admin = crate::harness::connect_to(&server.conninfo()).await;
        let sql = format!(
            "CREATE ROLE alice LOGIN PASSWORD '{}'",
            PASSWORD.replace('\'', "''")
        );
        admin.client.batch_execute(&sql).await.unwrap();
    });
    server
}

/// A .pgpass line for the server, with libpq's escapes for ':' and '\'.
fn pgpass_line(port: u16) -> String {
    let escaped = PASSWORD.replace('\\', "\\\\").replace(':', "\\:");
    format!("# pgvet test\n127.0.0.1:{port}:*:alice:{escaped}\n")
}

#[test]
fn the_password_file_is_used_and_a_readable_one_is_ignored_with_a_warning() {
    let server = password_server();
    let home = tempfile::tempdir().unwrap();
    let passfile = home.path().join(".pgpass");
    std::fs::write(&passfile, pgpass_line(server.port())).unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let suite = SuiteDir::new(
        "[[query]]\nname = \"who\"\nsql = \"SELECT current_user\"\nexpect = \"any\"\n",
        &[],
    );
    let db = format!(
        "host=127.0.0.1 port={} user=alice dbname=postgres sslmode=disable",
        server.port()
    );
    let home_str = home.path().to_str().unwrap();

    let out = pgvet(
        &["check", suite.path_str(), "--db", &db],
        &[("HOME", home_str)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = pgvet(
        &["check", suite.path_str(), "--db", &db],
        &[("HOME", home_str)],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("group or world access"), "{err}");
    assert!(
        err.contains("alice") && err.contains(&server.port().to_string()),
        "{err}"
    );

    // PGPASSFILE names another file; the libpq variables give the rest.
    let elsewhere = home.path().join("elsewhere.pgpass");
    std::fs::write(&elsewhere, pgpass_line(server.port())).unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o600)).unwrap();
    let port = server.port().to_string();
    let env = [
        ("HOME", home_str),
        ("PGPASSFILE", elsewhere.to_str().unwrap()),
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port.as_str()),
        ("PGUSER", "alice"),
        ("PGDATABASE", "postgres"),
        ("PGSSLMODE", "disable"),
    ];
    let out = pgvet(&["check", suite.path_str(), "--format", "json"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).contains(PASSWORD) && !stderr(&out).contains(PASSWORD));
    server.stop().unwrap();
}

#[test]
fn a_wrong_password_exits_3_without_printing_it() {
    let server = password_server();
    let suite = SuiteDir::new(
        "[[query]]\nname = \"one\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n",
        &[],
    );
    let url = format!(
        "postgresql://alice:not-{}@127.0.0.1:{}/postgres?sslmode=disable",
        "the-Pw",
        server.port()
    );
    let out = pgvet(&["check", suite.path_str(), "--db", &url, "-vvv"], &[]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("password authentication failed for user \"alice\""),
        "{all}"
    );
    assert!(!all.contains("not-the-Pw"), "{all}");
    server.stop().unwrap();
}

#[test]
fn a_password_in_the_url_appears_in_no_format_and_no_log() {
    let server = password_server();
    let suite = SuiteDir::new(
        "[[index]]\nname = \"ix_missing\"\ntable = \"t\"\n\n[[query]]\nname = \"one\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n",
        &[],
    );
    let encoded = PASSWORD.replace('\\', "%5C").replace(':', "%3A");
    let url = format!(
        "postgresql://alice:{encoded}@127.0.0.1:{}/postgres?sslmode=disable",
        server.port()
    );
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("run.json");
    for format in ["text", "json", "markdown", "junit", "github"] {
        let out = pgvet(
            &[
                "check",
                suite.path_str(),
                "--db",
                &url,
                "--format",
                format,
                "-vvv",
                "--save",
                save.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let all = format!(
            "{}{}{}",
            stdout(&out),
            stderr(&out),
            std::fs::read_to_string(&save).unwrap()
        );
        assert!(all.contains("alice"), "{format}: the user is shown");
        for secret in [PASSWORD, &encoded, "ss\\word", "word-7Q"] {
            assert!(!all.contains(secret), "{format} shows {secret}: {all}");
        }
    }
    server.stop().unwrap();
}
