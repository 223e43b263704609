//! [`TempServer`]: a throwaway PostgreSQL server started from the local binaries, reached
//! through a private Unix socket (and optionally loopback TCP), removed when stopped,
//! dropped, or — via the reaper — when pgvet dies.
//!
//! Everything here blocks (start takes about a second). From async code call it through
//! `tokio::task::spawn_blocking`, or directly in tests where blocking briefly is harmless.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use super::launch::launch;
use super::process::stop_child;
use super::setup::{self, Workspace};
use super::user::RunAs;
use super::{EphemeralError, PgBinaries, connstr, find_binaries};

/// How a [`TempServer`] is set up. `Options::default()` gives a socket-only server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also listen on 127.0.0.1, on a free port chosen at start.
    pub tcp: bool,
    /// Extra `postgresql.conf` settings, applied after pgvet's own (so they win). The
    /// connection settings (port, `listen_addresses`, `unix_socket_directories`) are
    /// given on the command line and cannot be overridden here.
    pub settings: Vec<(String, String)>,
    /// Replacement `pg_hba.conf` text.
    pub hba: Option<String>,
    /// Files to write into the data directory (relative paths, e.g. `server.key`); mode
    /// 0600, owned by the server user.
    pub files: Vec<(PathBuf, Vec<u8>)>,
    /// Where to create the temporary directory; default: `TMPDIR`, else `/tmp`.
    pub temp_root: Option<PathBuf>,
    /// Binaries to use; default: [`find_binaries`].
    pub binaries: Option<PgBinaries>,
    /// Bound on waiting for the server to accept connections; default 30 s.
    pub start_timeout: Option<Duration>,
}

/// A running throwaway server. Stop it with [`TempServer::stop`] (or just drop it);
/// [`TempServer::keep`] leaves it running instead.
#[derive(Debug)]
pub struct TempServer {
    pid: u32,
    port: u16,
    tcp: bool,
    version: String,
    bin_dir: PathBuf,
    root: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    running: Option<Running>,
}

/// What has to be torn down; `None` in [`TempServer`] once stopped or kept.
struct Running {
    postmaster: Child,
    workspace: Workspace,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running").finish_non_exhaustive()
    }
}

impl TempServer {
    /// Creates a cluster in a fresh temporary directory, starts `postgres` on it and waits
    /// until it accepts connections.
    pub fn start(options: Options) -> Result<Self, EphemeralError> {
        let started = Instant::now();
        let bins = match &options.binaries {
            Some(bins) => bins.clone(),
            None => find_binaries()?,
        };
        let run_as = RunAs::from_env()?;
        let parent = options.temp_root.clone().unwrap_or_else(std::env::temp_dir);
        let mut workspace = Workspace::create(&parent, &run_as)?;
        setup::initdb(&bins, &run_as, &workspace)?;
        setup::configure(&workspace, &options, &run_as)?;
        let (postmaster, port) = launch(&bins, &run_as, &mut workspace, &options)?;
        let server = TempServer {
            pid: postmaster.id(),
            port,
            tcp: options.tcp,
            version: bins.version.clone(),
            bin_dir: bins.bin_dir.clone(),
            root: workspace.root().to_path_buf(),
            data_dir: workspace.data_dir(),
            socket_dir: workspace.socket_dir(),
            log_file: workspace.log_file(),
            running: Some(Running {
                postmaster,
                workspace,
            }),
        };
        tracing::debug!(elapsed = ?started.elapsed(), conninfo = %server.conninfo(), "temporary server ready");
        Ok(server)
    }

    /// libpq `key=value` connection string (superuser `postgres`, database `postgres`).
    pub fn conninfo(&self) -> String {
        connstr::conninfo(&self.host(), self.port)
    }

    /// The same as [`TempServer::conninfo`], as a `postgresql://` URL.
    pub fn url(&self) -> String {
        connstr::url(&self.host(), self.port)
    }

    /// `127.0.0.1` for a TCP server, else the socket directory.
    pub fn host(&self) -> String {
        if self.tcp {
            "127.0.0.1".to_string()
        } else {
            self.socket_dir.to_string_lossy().into_owned()
        }
    }

    /// Directory holding the server's Unix socket (present with or without TCP).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Port: the TCP port, or the number naming the socket file.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log (inside the temp dir, so it goes away with it).
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// The temporary directory holding data, socket and log.
    pub fn temp_dir(&self) -> &Path {
        &self.root
    }

    /// Server version, e.g. `15.20`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The directory of the server binaries it was started from (psql is usually there too).
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The database its connection strings name ([`super::DATABASE`]).
    pub fn database(&self) -> &'static str {
        super::DATABASE
    }

    /// Process id of the postmaster.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Stops the server (fast shutdown, then harder) and removes its temp directory.
    pub fn stop(mut self) -> Result<(), EphemeralError> {
        self.shutdown()
    }

    /// Leaves the server running after pgvet exits and returns its conninfo. Nobody
    /// removes it afterwards: stop it with `pg_ctl stop -D <data dir>` and delete the dir.
    pub fn keep(mut self) -> String {
        if let Some(running) = self.running.take() {
            running.workspace.keep();
        }
        self.conninfo()
    }

    fn shutdown(&mut self) -> Result<(), EphemeralError> {
        let Some(Running {
            mut postmaster,
            workspace,
        }) = self.running.take()
        else {
            return Ok(());
        };
        let stopped = stop_child(&mut postmaster);
        let removed = workspace.remove();
        match (stopped, removed) {
            (Ok(_), Ok(())) => Ok(()),
            (Err(detail), _) => Err(EphemeralError::Stop { detail }),
            (Ok(_), Err(e)) => Err(EphemeralError::Stop {
                detail: e.to_string(),
            }),
        }
    }
}

impl Drop for TempServer {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::warn!(error = %e, "temporary server not cleaned up");
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::process::is_alive;
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use tokio_postgres::{NoTls, SimpleQueryMessage};

    /// A directory for temp dirs that the server user (when running as root) can enter.
    pub(crate) fn reachable_tmp() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), PermissionsExt::from_mode(0o755)).unwrap();
        dir
    }

    pub(crate) fn assert_empty(dir: &Path) {
        let left: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    fn options_in(tmp: &tempfile::TempDir) -> Options {
        Options {
            temp_root: Some(tmp.path().to_path_buf()),
            ..Options::default()
        }
    }

    /// First column of the first row of `sql`, as text.
    async fn query_text(conninfo: &str, sql: &str) -> String {
        let (client, connection) = tokio_postgres::connect(conninfo, NoTls).await.unwrap();
        tokio::spawn(connection);
        let messages = client.simple_query(sql).await.unwrap();
        messages
            .iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                _ => None,
            })
            .expect("a row")
    }

    #[tokio::test]
    async fn start_query_stop_leaves_nothing() {
        let tmp = reachable_tmp();
        let server = TempServer::start(options_in(&tmp)).unwrap();
        assert!(
            server
                .conninfo()
                .contains(server.socket_dir().to_str().unwrap())
        );
        assert_eq!(query_text(&server.conninfo(), "select 1").await, "1");
        assert_eq!(
            query_text(&server.url(), "select current_user").await,
            "postgres"
        );
        assert!(!server.version().is_empty());
        let pid = server.pid();
        assert!(is_alive(pid));
        server.stop().unwrap();
        assert!(!is_alive(pid));
        assert_empty(tmp.path());
    }

    #[test]
    fn drop_after_panic_cleans_up() {
        let tmp = reachable_tmp();
        let options = options_in(&tmp);
        let pid = std::sync::Mutex::new(None);
        let outcome = std::panic::catch_unwind(|| {
            let server = TempServer::start(options).unwrap();
            *pid.lock().unwrap() = Some(server.pid());
            panic!("test panics while holding a server");
        });
        assert!(outcome.is_err());
        let pid = pid.lock().unwrap().expect("server started");
        assert!(!is_alive(pid));
        assert_empty(tmp.path());
    }

    #[tokio::test]
    async fn tcp_server_survives_keep() {
        let tmp = reachable_tmp();
        let server = TempServer::start(Options {
            tcp: true,
            ..options_in(&tmp)
        })
        .unwrap();
        let port = server.port().to_string();
        assert!(server.conninfo().starts_with("host=127.0.0.1 "));
        assert_eq!(
            query_text(&server.url(), "select inet_server_port()").await,
            port
        );
        let (pid, root) = (server.pid(), server.temp_dir().to_path_buf());
        let conninfo = server.keep();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(query_text(&conninfo, "select 1").await, "1");
        // The kept server is ours to clean up now.
        super::super::process::send_signal(pid, libc::SIGINT).unwrap();
        // Still our child (the `Child` was let go): reap it so no zombie outlives the test.
        let mut status = 0;
        // SAFETY: waitpid writes only to `status`.
        let reaped = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
        assert_eq!(reaped, pid as libc::pid_t);
        assert!(!is_alive(pid));
        std::fs::remove_dir_all(root).unwrap();
        assert_empty(tmp.path());
    }

    #[tokio::test]
    async fn settings_hba_and_files_are_applied() {
        let tmp = reachable_tmp();
        let server = TempServer::start(Options {
            settings: vec![
                ("work_mem".into(), "7MB".into()),
                ("cluster_name".into(), "it's pgvet".into()),
            ],
            hba: Some("local all all trust\n".into()),
            files: vec![("extra/note.txt".into(), b"hello".to_vec())],
            ..options_in(&tmp)
        })
        .unwrap();
        let c = server.conninfo();
        assert_eq!(query_text(&c, "show work_mem").await, "7MB");
        assert_eq!(query_text(&c, "show cluster_name").await, "it's pgvet");
        let rules = "select count(*) from pg_hba_file_rules";
        assert_eq!(query_text(&c, rules).await, "1");
        let note = "select pg_read_file('extra/note.txt')";
        assert_eq!(query_text(&c, note).await, "hello");
        let meta = std::fs::metadata(server.data_dir().join("extra/note.txt")).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        let data_owner = std::fs::metadata(server.data_dir()).unwrap().uid();
        assert_eq!(meta.uid(), data_owner);
        server.stop().unwrap();
        assert_empty(tmp.path());
    }

    #[test]
    fn failed_start_reports_the_log_and_cleans_up() {
        let tmp = reachable_tmp();
        let err = TempServer::start(Options {
            settings: vec![("shared_buffers".into(), "lots".into())],
            ..options_in(&tmp)
        })
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, EphemeralError::Start { .. }), "{msg}");
        assert!(msg.contains("shared_buffers"), "{msg}");
        assert_empty(tmp.path());
    }
}
