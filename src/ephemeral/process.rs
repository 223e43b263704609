//! Process plumbing for the throwaway server: sending signals, bounded waits, the
//! stop sequence (fast shutdown, then harder), waiting until the postmaster reports
//! "ready", and reading the tail of its log for error messages.

use std::io;
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use super::EphemeralError;

/// How often bounded waits look again.
const POLL: Duration = Duration::from_millis(10);

/// Sends `signal` to process `pid`.
pub(crate) fn send_signal(pid: u32, signal: libc::c_int) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(io::Error::other)?;
    // SAFETY: kill has no memory-safety preconditions.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Waits up to `timeout` for `child` to exit; `None` if it is still running.
pub(crate) fn wait_timeout(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// The stop sequence: SIGINT (fast shutdown), then SIGQUIT, then SIGKILL, with the time
/// each step is given.
const STOP_STEPS: [(libc::c_int, Duration); 3] = [
    (libc::SIGINT, Duration::from_secs(15)),
    (libc::SIGQUIT, Duration::from_secs(5)),
    (libc::SIGKILL, Duration::from_secs(5)),
];

/// Stops the postmaster with [`STOP_STEPS`]. Returns a description of the problem if it
/// would not go away.
pub(crate) fn stop_child(child: &mut Child) -> Result<ExitStatus, String> {
    stop_child_with(child, &STOP_STEPS)
}

fn stop_child_with(
    child: &mut Child,
    steps: &[(libc::c_int, Duration)],
) -> Result<ExitStatus, String> {
    let pid = child.id();
    for &(signal, patience) in steps {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(status);
        }
        if let Err(e) = send_signal(pid, signal) {
            tracing::debug!(pid, signal, error = %e, "signalling the temporary server failed");
        }
        if let Some(status) = wait_timeout(child, patience).map_err(|e| e.to_string())? {
            return Ok(status);
        }
        tracing::warn!(
            pid,
            signal,
            "temporary server did not exit in time; trying harder"
        );
    }
    Err(format!("process {pid} did not exit even after SIGKILL"))
}

/// Waits until the postmaster in `data_dir` reports that it accepts connections.
pub(crate) fn wait_ready(
    child: &mut Child,
    data_dir: &Path,
    log: &Path,
    timeout: Duration,
) -> Result<(), EphemeralError> {
    let deadline = Instant::now() + timeout;
    loop {
        let exited = child
            .try_wait()
            .map_err(EphemeralError::io("check on the temporary server"))?;
        if let Some(status) = exited {
            return Err(start_error(
                format!("exited during startup ({status})"),
                log,
            ));
        }
        if postmaster_ready(data_dir) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let reason = format!("did not accept connections within {timeout:?}");
            return Err(start_error(reason, log));
        }
        std::thread::sleep(POLL);
    }
}

/// True when `postmaster.pid` says "ready" (its 8th line, PostgreSQL 10 and later).
fn postmaster_ready(data_dir: &Path) -> bool {
    std::fs::read_to_string(data_dir.join("postmaster.pid"))
        .is_ok_and(|text| text.lines().nth(7).is_some_and(|s| s.trim() == "ready"))
}

/// A [`EphemeralError::Start`] carrying the end of the server log.
pub(crate) fn start_error(reason: String, log: &Path) -> EphemeralError {
    EphemeralError::Start {
        reason,
        log: log.to_path_buf(),
        log_tail: log_tail(log, 20),
    }
}

/// The last `lines` lines of the log file, or a note saying it could not be read.
pub(crate) fn log_tail(log: &Path, lines: usize) -> String {
    match std::fs::read(log) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(could not read the log: {e})"),
    }
}

/// True while `pid` names a live (not zombie) process.
#[cfg(test)]
pub(crate) fn is_alive(pid: u32) -> bool {
    if send_signal(pid, 0).is_err_and(|e| e.raw_os_error() == Some(libc::ESRCH)) {
        return false;
    }
    // A zombie still answers signal 0; /proc tells them apart on Linux.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_none_or(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => !Path::new("/proc/self").exists(),
    }
}

/// For tests whose child must die of a signal: INT and QUIT back to their default action in
/// the child, since a test run started in the background (a CI job, `nohup … &`) inherits them
/// ignored, and an ignored signal stays ignored across exec.
#[cfg(test)]
pub(crate) fn with_default_signals(
    command: &mut std::process::Command,
) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: signal(2) is async-signal-safe, as pre_exec requires.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn stop_child_uses_harder_signals_when_ignored() {
        // A child that ignores SIGINT must still be stopped (by SIGQUIT).
        let mut child = with_default_signals(
            Command::new("sh").args(["-c", "trap '' INT; while :; do sleep 0.05; done"]),
        )
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let short = Duration::from_millis(300);
        let steps = [(libc::SIGINT, short), (libc::SIGQUIT, short)];
        let status = stop_child_with(&mut child, &steps).unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGQUIT));
        assert!(!is_alive(child.id()));
    }

    #[test]
    fn readiness_is_read_from_postmaster_pid() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!postmaster_ready(dir.path()));
        let starting = "1\n/d\n0\n5432\n/s\n\n0 0\nstarting\n";
        std::fs::write(dir.path().join("postmaster.pid"), starting).unwrap();
        assert!(!postmaster_ready(dir.path()));
        let ready = starting.replace("starting", "ready   ");
        std::fs::write(dir.path().join("postmaster.pid"), ready).unwrap();
        assert!(postmaster_ready(dir.path()));
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        std::fs::write(&log, "a\nb\nc\nd\n").unwrap();
        assert_eq!(log_tail(&log, 2), "c\nd");
        assert!(log_tail(&dir.path().join("none"), 2).contains("could not read"));
    }

    #[test]
    fn exited_children_are_not_alive() {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Not yet reaped: a zombie, which must count as gone.
        std::thread::sleep(Duration::from_millis(100));
        assert!(!is_alive(pid));
        child.wait().unwrap();
        assert!(is_alive(std::process::id()));
    }
}
