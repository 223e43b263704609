//! One throwaway server per test process, for test binaries that have no `DATABASE_URL`.
//!
//! The server lives in a `static` and is never dropped; when the test process exits, its
//! reaper stops the server and removes the directory.

use std::sync::OnceLock;

use super::{Options, TempServer};

/// The process-wide test server, started on first use with default [`Options`].
///
/// # Panics
/// If the server cannot be started; the message says why (missing binaries, no
/// unprivileged user when running as root, …). Every later call retries and panics too.
pub fn shared_for_tests() -> &'static TempServer {
    static SHARED: OnceLock<TempServer> = OnceLock::new();
    SHARED.get_or_init(|| {
        TempServer::start(Options::default())
            .unwrap_or_else(|e| panic!("could not start the shared test PostgreSQL server: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::super::process::is_alive;
    use super::super::server::tests::{assert_empty, reachable_tmp};
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// Set in the child process by the tests below: `kill` or `exit`.
    const CHILD_MODE: &str = "PGVET_EPHEMERAL_TEST_CHILD";
    const MARKER: &str = "PGVET-SHARED-SERVER";

    /// Not a test on its own: when re-invoked as a child process by the tests below, it
    /// starts the shared server, reports it, and then waits to be killed or exits without
    /// running destructors.
    #[test]
    fn child_holding_the_shared_server() {
        let Ok(mode) = std::env::var(CHILD_MODE) else {
            return;
        };
        let server = shared_for_tests();
        println!("{MARKER} {} {}", server.pid(), server.temp_dir().display());
        use std::io::Write;
        std::io::stdout().flush().unwrap();
        if mode == "exit" {
            std::process::exit(0);
        }
        std::thread::sleep(Duration::from_secs(30));
        panic!("the parent test should have killed this process by now");
    }

    /// Runs [`child_holding_the_shared_server`] in a child process; returns the child and
    /// the server's pid and temp dir.
    fn spawn_child(mode: &str, tmp: &std::path::Path) -> (std::process::Child, u32, PathBuf) {
        let exe = std::env::current_exe().unwrap();
        let name = "ephemeral::shared::tests::child_holding_the_shared_server";
        let mut child = Command::new(exe)
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env(CHILD_MODE, mode)
            .env("TMPDIR", tmp)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        // libtest may print "test … ... " on the same line before the marker.
        let line = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.find(MARKER).map(|at| l[at..].to_string()))
            .expect("the child reports its server");
        let mut parts = line.split(' ').skip(1);
        let pid = parts.next().unwrap().parse().unwrap();
        let dir = PathBuf::from(parts.next().unwrap());
        (child, pid, dir)
    }

    fn assert_cleaned_up(pid: u32, dir: &std::path::Path, tmp: &std::path::Path) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while (is_alive(pid) || dir.exists()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!is_alive(pid), "postmaster {pid} still running");
        assert_empty(tmp);
    }

    #[test]
    fn reaper_cleans_up_after_sigkill() {
        let tmp = reachable_tmp();
        let (mut child, pid, dir) = spawn_child("kill", tmp.path());
        assert!(dir.starts_with(tmp.path()) && dir.exists());
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            is_alive(pid),
            "the reaper must not fire while its owner lives"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_cleaned_up(pid, &dir, tmp.path());
    }

    #[test]
    fn reaper_cleans_up_after_process_exit_with_a_static_server() {
        let tmp = reachable_tmp();
        let (mut child, pid, dir) = spawn_child("exit", tmp.path());
        assert!(child.wait().unwrap().success());
        assert_cleaned_up(pid, &dir, tmp.path());
    }
}
