//! The reaper: a tiny `sh` process that cleans up a throwaway server if pgvet dies
//! without running its destructors (SIGKILL, `std::process::exit`, a server kept in a
//! `static`).
//!
//! pgvet holds the write end of a pipe that is the reaper's stdin. It sends `pid N` once
//! the postmaster runs and `done` after a normal stop (or `--keep`), which makes the
//! reaper exit without touching anything. If the pipe reaches end-of-file without `done`,
//! pgvet is gone: the reaper stops the postmaster (only while that pid still runs in our
//! data directory, so a reused pid is never signalled), then removes the temp directory.
//! It lives in its own process group and ignores SIGINT/SIGHUP, so a terminal's Ctrl-C
//! reaches neither it nor the server.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use super::EphemeralError;
use super::process::wait_timeout;

/// The reaper's program; `$1` is the temp directory (the data directory is `$1/data`).
const SCRIPT: &str = r#"
trap '' INT HUP
root=$1 pid=
while IFS= read -r line; do
  case $line in
    "pid "*) pid=${line#pid } ;;
    done) exit 0 ;;
  esac
done
ours() {
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  if [ -d /proc/self ]; then
    [ "/proc/$pid/cwd" -ef "$root/data" ]
  else
    [ "$(head -n 1 "$root/data/postmaster.pid" 2>/dev/null)" = "$pid" ]
  fi
}
for sig in INT QUIT KILL; do
  ours || break
  kill -"$sig" "$pid" 2>/dev/null
  i=0
  while [ "$i" -lt 50 ] && ours; do sleep 0.1; i=$((i + 1)); done
done
rm -rf "$root"
"#;

/// A running reaper for one temp directory.
pub(crate) struct Reaper {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Reaper {
    /// Starts a reaper that will remove `root` if pgvet dies.
    pub(crate) fn spawn(root: &Path) -> Result<Self, EphemeralError> {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("pgvet-reaper")
            .arg(root)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|error| EphemeralError::Spawn {
                program: "/bin/sh (cleanup helper)".into(),
                error,
            })?;
        let stdin = child.stdin.take();
        Ok(Reaper { child, stdin })
    }

    /// Tells the reaper which postmaster to stop should pgvet die.
    pub(crate) fn arm(&mut self, pid: u32) -> Result<(), EphemeralError> {
        self.send(&format!("pid {pid}\n"))
            .map_err(EphemeralError::io(
                "hand the server pid to the cleanup helper",
            ))
    }

    /// Tells the reaper to exit without cleaning up, and waits for it.
    pub(crate) fn disarm(&mut self) {
        if let Err(e) = self.send("done\n") {
            tracing::debug!(error = %e, "cleanup helper did not take `done`");
        }
        self.stdin = None;
        match wait_timeout(&mut self.child, Duration::from_secs(5)) {
            Ok(Some(_)) => {}
            _ => {
                tracing::warn!(
                    pid = self.child.id(),
                    "cleanup helper did not exit; killing it"
                );
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }

    /// The reaper's process id.
    #[cfg(test)]
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    fn send(&mut self, line: &str) -> std::io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the cleanup helper's pipe is closed"))?;
        stdin.write_all(line.as_bytes())?;
        stdin.flush()
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            self.disarm();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::process::is_alive;
    use super::*;
    use std::time::Instant;

    fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if done() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        done()
    }

    #[test]
    fn disarmed_reaper_leaves_the_directory_alone() {
        let root = tempfile::tempdir().unwrap();
        let mut reaper = Reaper::spawn(root.path()).unwrap();
        reaper.arm(std::process::id()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            is_alive(reaper.id()),
            "the reaper must wait while its owner lives"
        );
        reaper.disarm();
        assert!(root.path().exists());
    }

    #[test]
    fn closed_pipe_removes_the_directory_and_stops_the_process() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("ws");
        std::fs::create_dir_all(root.join("data")).unwrap();
        // Stands in for a postmaster: a process whose working directory is root/data.
        let mut victim =
            super::super::process::with_default_signals(Command::new("sleep").arg("30"))
                .current_dir(root.join("data"))
                .spawn()
                .unwrap();
        let mut reaper = Reaper::spawn(&root).unwrap();
        reaper.arm(victim.id()).unwrap();
        reaper.stdin = None; // what the kernel does when pgvet dies
        let status = wait_timeout(&mut victim, Duration::from_secs(5)).unwrap();
        assert!(
            status.is_some(),
            "the reaper should have signalled the process"
        );
        assert!(wait_until(Duration::from_secs(5), || !root.exists()));
        reaper.child.wait().unwrap();
    }

    #[test]
    fn closed_pipe_never_signals_a_stranger() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("ws");
        std::fs::create_dir_all(root.join("data")).unwrap();
        // A process running elsewhere stands for a reused pid: it must survive.
        let mut stranger = Command::new("sleep").arg("30").spawn().unwrap();
        let mut reaper = Reaper::spawn(&root).unwrap();
        reaper.arm(stranger.id()).unwrap();
        reaper.stdin = None;
        assert!(wait_until(Duration::from_secs(5), || !root.exists()));
        reaper.child.wait().unwrap();
        assert!(stranger.try_wait().unwrap().is_none());
        stranger.kill().unwrap();
        stranger.wait().unwrap();
    }
}
