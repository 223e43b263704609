//! Opening the database connection from resolved [`ConnSettings`] the way libpq would:
//! every host and address in turn, each with its own password (explicit, else `.pgpass`),
//! sslmode's plaintext/TLS fallbacks, `connect_timeout` per attempt, and
//! `target_session_attrs`. The first server that fits wins.

mod error;
mod route;
mod session;

use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio_postgres::config::SslMode as WireMode;
use tokio_postgres::{CancelToken, Client};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::conninfo::{ConnSettings, Host, HostSpec, SslMode, TargetSessionAttrs};
use super::pgpass::PassFile;
use super::tls::TlsPlan;
pub use error::{Attempt, ConnectError, FailureKind};
use route::{Endpoint, host_order, resolve, retry_allowed, session_passes, wire_modes, within};
use session::{pg_config, session_facts};

/// An open, checked connection.
pub struct Connected {
    pub client: Client,
    /// Cancels the running query (see [`Connected::cancel`] for one that knows the TLS setup).
    pub cancel_token: CancelToken,
    /// The server's `server_version`, e.g. `15.4 (Debian 15.4-1)`.
    pub server_version: String,
    /// Redacted URI of the server that answered.
    pub target: String,
    /// Whether the session is encrypted.
    pub tls: bool,
    /// The role pgvet is connected as, and whether it is a superuser.
    pub user: String,
    pub superuser: bool,
    /// Schemas the session's `search_path` puts before `pg_catalog` (see `SessionFacts`).
    pub before_catalog: Vec<String>,
    /// The task that drives the connection: aborting it closes the connection at once.
    pub connection: AbortHandle,
    cancel_tls: MakeRustlsConnect,
}

impl Connected {
    /// Asks the server to cancel whatever this connection is running.
    pub async fn cancel(&self) -> Result<(), tokio_postgres::Error> {
        self.canceller().cancel().await
    }

    /// An owned handle that can cancel from another task (e.g. a Ctrl-C handler).
    pub fn canceller(&self) -> Canceller {
        Canceller {
            token: self.cancel_token.clone(),
            tls: self.cancel_tls.clone(),
        }
    }
}

/// Cancels the running query of one connection, using that connection's TLS setup.
#[derive(Clone)]
pub struct Canceller {
    token: CancelToken,
    tls: MakeRustlsConnect,
}

impl Canceller {
    /// Sends the cancel request; the cancelled query then fails with SQLSTATE 57014.
    pub async fn cancel(&self) -> Result<(), tokio_postgres::Error> {
        self.token.cancel_query(self.tls.clone()).await
    }
}

impl fmt::Debug for Canceller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Canceller").finish_non_exhaustive()
    }
}

impl fmt::Debug for Connected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connected")
            .field("server_version", &self.server_version)
            .field("target", &self.target)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// What is fixed for the whole `connect` call.
struct Context<'a> {
    settings: &'a ConnSettings,
    plan: TlsPlan,
    passfile: Option<PassFile>,
}

/// Waits before each retry when the server is not accepting connections yet (it may be
/// booting): 3.5 s in all, then the error stands.
pub const STARTUP_RETRIES: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// [`connect`], retried with backoff (`waits`) while the server is not accepting connections
/// yet: refused, no socket yet, or "the database system is starting up". Other failures
/// (authentication, certificates, unknown database) are final at once.
pub async fn connect_retrying(
    settings: &ConnSettings,
    waits: &[Duration],
) -> Result<Connected, ConnectError> {
    let mut waits = waits.iter();
    loop {
        match connect(settings).await {
            Err(e) if e.may_be_starting() => match waits.next() {
                Some(wait) => {
                    tracing::warn!(
                        "the server is not accepting connections yet; retrying in {wait:?}"
                    );
                    tokio::time::sleep(*wait).await;
                }
                None => return Err(e),
            },
            result => return result,
        }
    }
}

/// Connects as libpq would, trying every server in order until one fits.
pub async fn connect(settings: &ConnSettings) -> Result<Connected, ConnectError> {
    // Unix sockets never use TLS, so (as in libpq) socket-only settings need no certificates.
    let mut ssl = settings.ssl.clone();
    if settings
        .hosts
        .iter()
        .all(|h| matches!(h.host, Host::Socket(_)))
    {
        ssl.mode = SslMode::Disable;
    }
    let plan = TlsPlan::new(&ssl)?;
    let passfile = match (settings.password(), settings.passfile()) {
        (None, Some(path)) => PassFile::load(path),
        _ => None,
    };
    let ctx = Context {
        settings,
        plan,
        passfile,
    };
    let mut attempts = Vec::new();
    for wanted in session_passes(settings.target_session_attrs) {
        for spec in host_order(settings) {
            match try_host(&ctx, &spec, wanted, &mut attempts).await {
                Some(connected) => return Ok(connected),
                None => continue,
            }
        }
    }
    Err(ConnectError::Failed {
        target: settings.target(),
        attempts,
    })
}

/// Tries every address of one host; records failures, returns the first success.
async fn try_host(
    ctx: &Context<'_>,
    spec: &HostSpec,
    wanted: TargetSessionAttrs,
    attempts: &mut Vec<Attempt>,
) -> Option<Connected> {
    let s = ctx.settings;
    let password = s.password().map(str::to_owned).or_else(|| {
        let file = ctx.passfile.as_ref()?;
        file.lookup_for(spec, &s.default_socket_dir, &s.dbname, &s.user)
    });
    let from_file = s.password().is_none() && password.is_some();
    let endpoints = match resolve(spec, s.connect_timeout, s.load_balance_hosts).await {
        Ok(endpoints) => endpoints,
        Err(attempt) => {
            attempts.push(attempt);
            return None;
        }
    };
    for endpoint in endpoints {
        for wire in wire_modes(s.ssl.mode, &endpoint) {
            let result = attempt(
                ctx,
                spec,
                &endpoint,
                password.as_deref(),
                from_file,
                wire,
                wanted,
            )
            .await;
            match result {
                Ok(connected) => return Some(connected),
                Err(failed) => {
                    let retry = retry_allowed(s.ssl.mode, failed.kind);
                    attempts.push(failed);
                    if !retry {
                        break;
                    }
                }
            }
        }
    }
    None
}

/// One connection attempt: connect, spawn the connection task, check the session.
async fn attempt(
    ctx: &Context<'_>,
    spec: &HostSpec,
    endpoint: &Endpoint,
    password: Option<&str>,
    password_from_file: bool,
    wire: WireMode,
    wanted: TargetSessionAttrs,
) -> Result<Connected, Attempt> {
    let s = ctx.settings;
    let server = endpoint.describe();
    let fail = |kind, reason| Attempt {
        server: server.clone(),
        kind,
        reason,
    };
    let (tls, handshake_seen) = ctx
        .plan
        .connector()
        .map_err(|e| fail(FailureKind::Tls, e.to_string()))?;
    let config = pg_config(s, endpoint, password, wire);
    let timeout_reason = || {
        format!(
            "timeout expired after {} s",
            s.connect_timeout.unwrap_or_default().as_secs()
        )
    };
    let opened = within(s.connect_timeout, async {
        let (client, connection) = config.connect(tls.clone()).await?;
        let task_server = server.clone();
        let task = tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::error!("connection to {task_server} ended: {}", error::chain(&err));
            }
        });
        let task = DropAborts(Some(task.abort_handle()));
        let facts = session_facts(&client).await?;
        Ok::<_, tokio_postgres::Error>((client, facts, task))
    })
    .await;
    let (client, facts, task) = match opened {
        None => return Err(fail(FailureKind::Timeout, timeout_reason())),
        Some(Err(err)) => {
            let passfile = s.passfile().filter(|_| password_from_file);
            let (kind, reason) = error::classify(&err, ctx.plan.roots(), passfile);
            if kind == FailureKind::Certificate && wire == WireMode::Prefer {
                tracing::warn!("{server}: {reason}; sslmode=prefer retries without TLS");
            }
            return Err(fail(kind, reason));
        }
        Some(Ok(opened)) => opened,
    };
    if let Some(reason) = facts.mismatch(wanted) {
        return Err(fail(FailureKind::SessionAttrs, reason));
    }
    let tls_used = wire != WireMode::Disable && handshake_seen.load(Ordering::SeqCst);
    tracing::debug!("connected to {server} (TLS: {tls_used})");
    Ok(Connected {
        cancel_token: client.cancel_token(),
        client,
        server_version: facts.version,
        target: s.redacted_for(std::slice::from_ref(spec)),
        tls: tls_used,
        user: facts.user,
        superuser: facts.superuser,
        before_catalog: facts.before_catalog,
        connection: task.keep(),
        cancel_tls: tls,
    })
}

/// A connection task that is aborted unless the attempt succeeds and keeps it.
struct DropAborts(Option<AbortHandle>);

impl DropAborts {
    fn keep(mut self) -> AbortHandle {
        self.0.take().expect("kept once")
    }
}

impl Drop for DropAborts {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    //! Failure paths run anywhere. Tests marked `#[ignore]` need the local server at
    //! 127.0.0.1:5432 (trust auth, user postgres, TLS on); run them with
    //! `cargo test --lib db::connect -- --ignored`.
    use super::*;
    use crate::db::conninfo::Env;
    use std::time::{Duration, Instant};

    fn settings(text: &str) -> ConnSettings {
        let env = Env::empty()
            .with_os_user("pgvet_test")
            .with_socket_dir("/var/run/postgresql");
        ConnSettings::resolve(Some(text), &env).unwrap()
    }

    async fn failure(text: &str) -> (String, Vec<Attempt>) {
        match connect(&settings(text)).await {
            Err(ConnectError::Failed { target, attempts }) => (target, attempts),
            other => panic!("expected a failed connection, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn refused_port_is_listed_with_target() {
        let (target, attempts) =
            failure("host=127.0.0.1 port=1 user=alice dbname=app password=secret").await;
        assert_eq!(target, "user \"alice\" to database \"app\" on 127.0.0.1:1");
        assert_eq!(attempts.len(), 1, "{attempts:?}");
        assert_eq!(attempts[0].kind, FailureKind::Network);
        assert_eq!(attempts[0].server, "server at \"127.0.0.1\", port 1");
        assert!(
            attempts[0].reason.contains("refused"),
            "{}",
            attempts[0].reason
        );
        assert!(!format!("{attempts:?}").contains("secret"));
    }

    #[tokio::test]
    async fn missing_socket_and_every_host_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "host={},127.0.0.1 port=1 sslmode=disable",
            dir.path().display()
        );
        let (_, attempts) = failure(&text).await;
        assert_eq!(attempts.len(), 2, "{attempts:?}");
        assert!(
            attempts[0].server.starts_with("server on socket"),
            "{:?}",
            attempts[0]
        );
        assert!(
            attempts[0].reason.contains("accepting connections"),
            "{:?}",
            attempts[0]
        );
    }

    #[tokio::test]
    async fn silent_server_times_out_per_attempt() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let _accepting = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let started = Instant::now();
        let (_, attempts) = failure(&format!(
            "host=127.0.0.1 port={port} connect_timeout=1 sslmode=require"
        ))
        .await;
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(attempts[0].kind, FailureKind::Timeout);
        assert_eq!(attempts[0].reason, "timeout expired after 2 s");
    }

    const LOCAL: &str = "host=127.0.0.1 user=postgres dbname=postgres";

    async fn local(extra: &str) -> Result<Connected, ConnectError> {
        connect(&settings(&format!("{LOCAL} {extra}"))).await
    }

    #[tokio::test]
    #[ignore = "needs the local PostgreSQL server"]
    async fn local_sslmodes() {
        for (mode, tls) in [
            ("disable", false),
            ("allow", false),
            ("prefer", true),
            ("require", true),
        ] {
            let c = local(&format!("sslmode={mode}")).await.unwrap();
            assert_eq!(c.tls, tls, "{mode}");
            assert!(!c.server_version.is_empty());
            assert_eq!(
                c.target,
                format!("postgresql://postgres@127.0.0.1:5432/postgres?sslmode={mode}")
            );
        }
    }

    #[tokio::test]
    #[ignore = "needs the local PostgreSQL server"]
    async fn local_verify_ca_needs_the_right_root() {
        let dir = tempfile::tempdir().unwrap();
        let err = local(&format!(
            "sslmode=verify-ca sslrootcert={}/none.crt",
            dir.path().display()
        ))
        .await
        .unwrap_err();
        assert!(
            matches!(err, ConnectError::Tls(_)) && err.is_certificate_error(),
            "{err}"
        );
        let other = dir.path().join("other.crt");
        std::fs::write(&other, include_str!("tls/testdata/ca.crt")).unwrap();
        let err = local(&format!(
            "sslmode=verify-ca sslrootcert={}",
            other.display()
        ))
        .await
        .unwrap_err();
        assert!(err.is_certificate_error(), "{err}");
        assert!(
            err.to_string()
                .contains("server certificate verification failed"),
            "{err}"
        );
    }

    #[tokio::test]
    #[ignore = "needs the local PostgreSQL server"]
    async fn local_socket_failover_and_session_settings() {
        let c = connect(&settings(
            "host=/var/run/postgresql user=postgres dbname=postgres",
        ))
        .await
        .unwrap();
        assert!(!c.tls);
        let c = local(
            "host=127.0.0.1,127.0.0.1 port=1,5432 application_name=vet options='-c work_mem=7MB'",
        )
        .await
        .unwrap();
        assert!(c.target.contains(":5432/"), "{}", c.target);
        let rows = c.client.query_one(
            "SELECT current_setting('application_name'), current_setting('work_mem')",
            &[],
        );
        let row = rows.await.unwrap();
        assert_eq!(
            (row.get::<_, String>(0), row.get::<_, String>(1)),
            ("vet".into(), "7MB".into())
        );
    }

    #[tokio::test]
    #[ignore = "needs the local PostgreSQL server"]
    async fn local_server_errors_and_session_attrs() {
        let err = local("dbname=pgvet_no_such_db").await.unwrap_err();
        assert!(
            err.to_string()
                .contains("FATAL:  database \"pgvet_no_such_db\" does not exist"),
            "{err}"
        );
        let err = local("target_session_attrs=standby").await.unwrap_err();
        assert!(err.to_string().contains("not in hot standby"), "{err}");
        assert!(local("target_session_attrs=prefer-standby").await.is_ok());
        assert!(local("target_session_attrs=read-write").await.is_ok());
    }

    #[tokio::test]
    #[ignore = "needs the local PostgreSQL server"]
    async fn local_cancel() {
        let c = local("sslmode=require").await.unwrap();
        let sleeping = c.client.simple_query("SELECT pg_sleep(30)");
        let canceller = c.canceller();
        let cancel = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            canceller.cancel().await
        });
        let (result, cancelled) = tokio::join!(sleeping, cancel);
        cancelled.unwrap().unwrap();
        let code = result.unwrap_err().code().cloned();
        assert_eq!(code, Some(tokio_postgres::error::SqlState::QUERY_CANCELED));
    }
}
