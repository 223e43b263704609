//! TLS end to end: the pgvet binary against real throwaway servers that speak TLS with
//! certificates generated here (a CA, a server certificate for `localhost` and 127.0.0.1, an
//! unrelated CA, a client certificate). Covers each sslmode's verification (CA, host name),
//! `require` encrypting without verifying and never falling back to plaintext, the fallbacks
//! of `prefer` and `allow`, `hostssl`/`hostnossl` rules, SCRAM channel binding,
//! client-certificate authentication, the same settings from the PG* variables, and that no
//! password or private key ever reaches the output. Whether a session is encrypted is read
//! from the server (`pg_stat_ssl`), through a `[[metric]]` of the suite.
//!
//! Two servers are shared by all tests (one with TLS, one without); the reaper removes them
//! when the test process exits. Every run gets an empty `HOME`, so no `~/.postgresql` file
//! takes part, and no PG* variable from the caller's environment.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use pgvet::ephemeral::{Options, TempServer};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

/// `scramuser`'s password, which must never be printed.
const PASSWORD: &str = "tls-Secr3t-pw";

/// The certificates and keys of one test run, as PEM text.
struct Pki {
    ca: String,
    other_ca: String,
    server_crt: String,
    server_key: String,
    client_crt: String,
    client_key: String,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca = new_ca("pgvet test CA");
        let other_ca = new_ca("pgvet unrelated CA");
        let (server_crt, server_key) = issue(
            &ca,
            "localhost",
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_crt, client_key) =
            issue(&ca, "certuser", &[], ExtendedKeyUsagePurpose::ClientAuth);
        Pki {
            ca: ca.pem(),
            other_ca: other_ca.pem(),
            server_crt,
            server_key,
            client_crt,
            client_key,
        }
    })
}

/// A self-signed certificate authority.
fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A certificate for `common_name` (and the subject alternative names `sans`, DNS names or
/// IP addresses) signed by `ca`; returns the certificate and its private key.
fn issue(
    ca: &Issuer<'_, KeyPair>,
    common_name: &str,
    sans: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(sans).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// The server with TLS: `tlsonly` may connect only over TLS, `certuser` only with a client
/// certificate, `scramuser` over TLS with its password (SCRAM) and in plaintext without one;
/// everyone else (e.g. `postgres`) either way, without a password.
fn tls_server() -> &'static TempServer {
    static SERVER: OnceLock<TempServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let pki = pki();
        let hba = "local all all trust\n\
                   hostnossl all tlsonly 127.0.0.1/32 reject\n\
                   hostssl all certuser 127.0.0.1/32 cert\n\
                   hostssl all scramuser 127.0.0.1/32 scram-sha-256\n\
                   host all all 127.0.0.1/32 trust\n";
        let server = start(Options {
            tcp: true,
            settings: setting(&[
                ("ssl", "on"),
                ("ssl_cert_file", "server.crt"),
                ("ssl_key_file", "server.key"),
                ("ssl_ca_file", "ca.crt"),
            ]),
            hba: Some(hba.into()),
            files: vec![
                ("server.crt".into(), pki.server_crt.clone().into_bytes()),
                ("server.key".into(), pki.server_key.clone().into_bytes()),
                ("ca.crt".into(), pki.ca.clone().into_bytes()),
            ],
            ..Options::default()
        });
        run_sql(
            &server,
            &format!(
                "CREATE ROLE tlsonly LOGIN; CREATE ROLE certuser LOGIN; \
                 CREATE ROLE scramuser LOGIN PASSWORD '{PASSWORD}';"
            ),
        );
        server
    })
}

/// A server without TLS (`ssl = off`), trusting everyone on 127.0.0.1.
fn plain_server() -> &'static TempServer {
    static SERVER: OnceLock<TempServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        start(Options {
            tcp: true,
            settings: setting(&[("ssl", "off")]),
            ..Options::default()
        })
    })
}

fn start(options: Options) -> TempServer {
    TempServer::start(options).unwrap_or_else(|e| panic!("test server: {e}"))
}

fn setting(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Runs `sql` as `postgres` through the server's Unix socket (not subject to the TCP rules).
fn run_sql(server: &TempServer, sql: &str) {
    let socket = format!(
        "host={} port={} user=postgres dbname=postgres",
        server.socket_dir().display(),
        server.port()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(&socket, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client.batch_execute(sql).await.unwrap();
    });
}

/// The suite every run checks: a trivial query, and two metrics that say whether the
/// session is encrypted and whether it presented the client certificate of `certuser`.
const SUITE: &str = r#"
[settings]
runs = 1
warmup = 0

[[query]]
name = "one"
sql = "SELECT 1"
expect = "any"

[[metric]]
label = "tls"
sql = "SELECT ssl::int FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

[[metric]]
label = "client_cert"
sql = "SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND client_dn LIKE '%CN=certuser'"
"#;

/// One test's files: the suite, certificates on request, and an empty home directory.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        std::fs::write(dir.path().join("pgvet.toml"), SUITE).unwrap();
        Scratch { dir }
    }

    /// Writes `text` to a file of this scratch directory with `mode`; returns its path.
    fn file(&self, name: &str, text: &str, mode: u32) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn ca(&self) -> String {
        self.file("ca.crt", &pki().ca, 0o644)
    }

    fn other_ca(&self) -> String {
        self.file("other-ca.crt", &pki().other_ca, 0o644)
    }

    /// The client certificate and its key (0600, as libpq demands).
    fn client_cert(&self) -> (String, String) {
        let pki = pki();
        (
            self.file("client.crt", &pki.client_crt, 0o644),
            self.file("client.key", &pki.client_key, 0o600),
        )
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn suite(&self) -> &Path {
        self.dir.path()
    }

    /// `pgvet check` with `--db conninfo`.
    fn check(&self, conninfo: &str) -> Run {
        self.run(&["--db", conninfo], &[])
    }

    /// `pgvet check --format json` with `extra` arguments and variables, nothing else from
    /// the caller's libpq environment, and the empty home directory.
    fn run(&self, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pgvet"));
        command
            .arg("check")
            .arg(self.suite())
            .args(["--format", "json"])
            .args(extra)
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .env("HOME", self.home());
        for (key, _) in std::env::vars() {
            if key.starts_with("PG") {
                command.env_remove(key);
            }
        }
        command.envs(env.iter().copied());
        let run = Run::from(command.output().expect("pgvet runs"));
        run.assert_no_secrets();
        run
    }
}

/// What one pgvet run exited with and printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts exit status 0 and returns the value of the metric `label`.
    fn metric(&self, label: &str) -> f64 {
        self.assert_code(0);
        let report: serde_json::Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("JSON report: {e}\n{}", self.stdout));
        let metric = report["metrics"]
            .as_array()
            .and_then(|all| all.iter().find(|m| m["label"] == label))
            .unwrap_or_else(|| panic!("no metric {label}: {}", self.stdout));
        metric["actual"]
            .as_f64()
            .unwrap_or_else(|| panic!("metric {label} has no value: {metric}"))
    }

    /// Asserts the run succeeded over an encrypted connection.
    fn assert_tls(&self) {
        assert_eq!(self.metric("tls"), 1.0, "pg_stat_ssl.ssl");
    }

    /// Asserts the run succeeded over a plaintext connection.
    fn assert_plaintext(&self) {
        assert_eq!(self.metric("tls"), 0.0, "pg_stat_ssl.ssl");
    }

    fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code,
            Some(code),
            "stderr:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout
        );
    }

    /// Asserts exit status 3 with every `needle` in the message.
    fn assert_refused(&self, needles: &[&str]) {
        self.assert_code(3);
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "expected {needle:?} in:\n{}",
                self.stderr
            );
        }
    }

    /// No password, and no line of any private key, in what pgvet printed.
    fn assert_no_secrets(&self) {
        let pki = pki();
        let printed = format!("{}{}", self.stdout, self.stderr);
        assert!(!printed.contains(PASSWORD), "password printed:\n{printed}");
        assert!(!printed.contains("PRIVATE KEY"), "key printed:\n{printed}");
        for key in [&pki.server_key, &pki.client_key] {
            for line in key.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!printed.contains(line), "key material printed:\n{printed}");
            }
        }
    }
}

/// A TCP conninfo for the server at `host` (a name for the certificate) with `rest`.
fn conninfo(server: &TempServer, host: &str, rest: &str) -> String {
    format!("host={host} port={} dbname=postgres {rest}", server.port())
}

#[test]
fn verify_full_with_the_right_ca_connects_over_tls() {
    let s = Scratch::new();
    let server = tls_server();
    let ca = s.ca();
    for host in ["localhost", "127.0.0.1"] {
        let db = conninfo(
            server,
            host,
            &format!("user=postgres sslmode=verify-full sslrootcert={ca}"),
        );
        s.check(&db).assert_tls();
    }
}

#[test]
fn verify_full_refuses_a_host_name_the_certificate_does_not_list() {
    let s = Scratch::new();
    let server = tls_server();
    let ca = s.ca();
    let wrong = |mode: &str| {
        let rest = format!("hostaddr=127.0.0.1 user=postgres sslmode={mode} sslrootcert={ca}");
        conninfo(server, "wrong.example", &rest)
    };
    s.check(&wrong("verify-full")).assert_refused(&[
        "server certificate verification failed",
        "does not name the host",
        "wrong.example",
        &server.port().to_string(),
        "postgres",
    ]);
    // verify-ca checks the chain only, so the same connection is accepted.
    s.check(&wrong("verify-ca")).assert_tls();
}

#[test]
fn verify_modes_refuse_a_certificate_from_another_ca() {
    let s = Scratch::new();
    let server = tls_server();
    let other = s.other_ca();
    // With a root file present, libpq verifies the chain in `require` too.
    for mode in ["verify-full", "verify-ca", "require"] {
        let db = conninfo(
            server,
            "localhost",
            &format!("user=postgres sslmode={mode} sslrootcert={other}"),
        );
        s.check(&db).assert_refused(&[
            "server certificate verification failed",
            "not signed by a CA in",
            &other,
        ]);
    }
}

#[test]
fn require_without_a_root_certificate_encrypts_without_verifying() {
    let s = Scratch::new();
    let server = tls_server();
    let db = conninfo(
        server,
        "wrong.example",
        "hostaddr=127.0.0.1 user=postgres sslmode=require",
    );
    s.check(&db).assert_tls();
    // The verifying modes need a root file: the (empty) home has no ~/.postgresql/root.crt.
    let db = conninfo(server, "localhost", "user=postgres sslmode=verify-full");
    s.check(&db)
        .assert_refused(&["root.crt", "does not exist", "sslmode=verify-full"]);
}

#[test]
fn tls_modes_refuse_a_server_without_tls_instead_of_falling_back_to_plaintext() {
    let s = Scratch::new();
    let server = plain_server();
    let ca = s.ca();
    for mode in ["require", "verify-ca", "verify-full"] {
        let db = conninfo(
            server,
            "localhost",
            &format!("user=postgres sslmode={mode} sslrootcert={ca}"),
        );
        s.check(&db)
            .assert_refused(&["does not support TLS", &server.port().to_string()]);
    }
}

#[test]
fn prefer_uses_tls_when_offered_and_plaintext_when_not() {
    let s = Scratch::new();
    let db = |server| conninfo(server, "127.0.0.1", "user=postgres sslmode=prefer");
    s.check(&db(plain_server())).assert_plaintext();
    s.check(&db(tls_server())).assert_tls();
    let disabled = conninfo(tls_server(), "127.0.0.1", "user=postgres sslmode=disable");
    s.check(&disabled).assert_plaintext();
    // As in libpq, a failed TLS handshake (here: a root file that does not match) makes
    // `prefer` retry in plaintext; pgvet says so.
    let rest = format!("user=postgres sslmode=prefer sslrootcert={}", s.other_ca());
    let run = s.check(&conninfo(tls_server(), "localhost", &rest));
    run.assert_plaintext();
    assert!(
        run.stderr.contains("sslmode=prefer retries without TLS"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_user_allowed_only_over_tls_is_refused_in_plaintext() {
    let s = Scratch::new();
    let server = tls_server();
    let db = |mode: &str| conninfo(server, "127.0.0.1", &format!("user=tlsonly sslmode={mode}"));
    s.check(&db("disable")).assert_refused(&[
        "pg_hba.conf rejects connection",
        "user \"tlsonly\"",
        "no encryption",
    ]);
    s.check(&db("require")).assert_tls();
    // `allow` tries plaintext first and retries with TLS when the server turns it down.
    s.check(&db("allow")).assert_tls();
}

#[test]
fn channel_binding_require_needs_scram_over_tls() {
    let s = Scratch::new();
    let server = tls_server();
    let db = |mode: &str| {
        let rest = format!("user=scramuser sslmode={mode} channel_binding=require");
        conninfo(server, "127.0.0.1", &rest)
    };
    let env = [("PGPASSWORD", PASSWORD)];
    s.run(&["--db", &db("require")], &env).assert_tls();
    // In plaintext the server trusts scramuser without SCRAM, so there is no channel
    // binding: channel_binding=require refuses the connection.
    s.run(&["--db", &db("disable")], &env)
        .assert_refused(&["channel binding", "scramuser"]);
}

#[test]
fn client_certificate_authentication() {
    let s = Scratch::new();
    let server = tls_server();
    let ca = s.ca();
    let (cert, key) = s.client_cert();
    let base = format!("user=certuser sslmode=verify-full sslrootcert={ca}");
    let with_cert = conninfo(
        server,
        "localhost",
        &format!("{base} sslcert={cert} sslkey={key}"),
    );
    let run = s.check(&with_cert);
    run.assert_tls();
    assert_eq!(run.metric("client_cert"), 1.0, "pg_stat_ssl.client_dn");

    let without = conninfo(server, "localhost", &base);
    s.check(&without)
        .assert_refused(&["requires a valid client certificate", "certuser"]);

    // libpq refuses a private key others can read; so does pgvet, before connecting.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    s.check(&with_cert)
        .assert_refused(&["group or world access", &key]);
}

#[test]
fn libpq_variables_configure_tls() {
    let s = Scratch::new();
    let server = tls_server();
    let port = server.port().to_string();
    let (ca, other) = (s.ca(), s.other_ca());
    let env = |user, root| {
        [
            ("PGHOST", "localhost"),
            ("PGPORT", port.as_str()),
            ("PGUSER", user),
            ("PGDATABASE", "postgres"),
            ("PGSSLMODE", "verify-full"),
            ("PGSSLROOTCERT", root),
        ]
    };
    s.run(&[], &env("postgres", &ca)).assert_tls();
    s.run(&[], &env("postgres", &other))
        .assert_refused(&["server certificate verification failed", "localhost"]);

    let (cert, key) = s.client_cert();
    let mut with_cert = env("certuser", &ca).to_vec();
    with_cert.extend([("PGSSLCERT", cert.as_str()), ("PGSSLKEY", key.as_str())]);
    let run = s.run(&[], &with_cert);
    assert_eq!(run.metric("client_cert"), 1.0, "pg_stat_ssl.client_dn");
    // The connection string wins over the variables.
    s.run(&["--db", "sslmode=disable"], &env("postgres", &other))
        .assert_plaintext();
}

#[test]
fn no_password_or_private_key_material_is_printed() {
    // Every run checks its own output (`Run::assert_no_secrets`); these runs add a password
    // and the most verbose logging to successes and failures that involve the keys.
    let s = Scratch::new();
    let server = tls_server();
    let (ca, other) = (s.ca(), s.other_ca());
    let (cert, key) = s.client_cert();
    let certs = format!("sslcert={cert} sslkey={key}");
    let cases = [
        (format!("user=certuser sslrootcert={ca} {certs}"), 0),
        (format!("user=certuser sslrootcert={other} {certs}"), 3),
        (format!("user=certuser sslrootcert={ca}"), 3),
        (
            format!("user=postgres sslrootcert={ca} sslkey={cert} sslcert={key}"),
            3,
        ),
    ];
    for (rest, code) in cases {
        let rest = format!("{rest} sslmode=verify-full password={PASSWORD}");
        let db = conninfo(server, "localhost", &rest);
        let run = s.run(&["--db", &db, "-vvv"], &[]);
        run.assert_code(code);
    }
    let url = format!(
        "postgresql://certuser:{PASSWORD}@localhost:{}/postgres?sslmode=verify-full&sslrootcert={ca}&sslcert={cert}&sslkey={key}",
        server.port()
    );
    s.run(&["--db", &url, "-vvv"], &[]).assert_code(0);
    // A password that authenticates, and one that does not (the right one as a prefix).
    let db = conninfo(server, "localhost", "user=scramuser sslmode=require");
    let with_password = |password: &str| s.run(&["--db", &db, "-vvv"], &[("PGPASSWORD", password)]);
    with_password(PASSWORD).assert_tls();
    with_password(&format!("{PASSWORD}-wrong"))
        .assert_refused(&["password authentication failed for user \"scramuser\""]);
}
