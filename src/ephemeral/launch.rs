//! Starting the `postmaster` on a prepared cluster: its command line (connection
//! settings that callers cannot override), its own process group, output to the log
//! file, arming the reaper, waiting for readiness, and retrying when a TCP port chosen
//! as free was taken before the server could bind it.

use std::ffi::OsString;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::process::{stop_child, wait_ready};
use super::setup::Workspace;
use super::user::RunAs;
use super::{EphemeralError, Options, PgBinaries};

/// How long the server gets to accept connections unless [`Options::start_timeout`] says.
const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(30);

/// Port used when only the private socket is enabled (it only names the socket file).
const SOCKET_ONLY_PORT: u16 = 5432;

/// Starts the postmaster and waits for it; with TCP, retries if the chosen port was taken
/// in the meantime. Returns the postmaster and its port.
pub(crate) fn launch(
    bins: &PgBinaries,
    run_as: &RunAs,
    ws: &mut Workspace,
    options: &Options,
) -> Result<(Child, u16), EphemeralError> {
    let attempts = if options.tcp { 3 } else { 1 };
    let timeout = options.start_timeout.unwrap_or(DEFAULT_START_TIMEOUT);
    let mut attempt = 1;
    loop {
        let port = if options.tcp {
            free_port()?
        } else {
            SOCKET_ONLY_PORT
        };
        let mut child = spawn_postmaster(bins, run_as, ws, port, options.tcp)?;
        let ready = ws
            .arm(child.id())
            .and_then(|()| wait_ready(&mut child, &ws.data_dir(), &ws.log_file(), timeout));
        let Err(error) = ready else {
            return Ok((child, port));
        };
        if let Err(detail) = stop_child(&mut child) {
            tracing::warn!(%detail, "failed temporary server would not stop");
        }
        if attempt >= attempts || !port_was_taken(&ws.log_file()) {
            return Err(error);
        }
        tracing::debug!(port, "port taken by someone else; retrying with another");
        attempt += 1;
    }
}

/// Spawns `postgres` in its own process group, output going to the log file.
fn spawn_postmaster(
    bins: &PgBinaries,
    run_as: &RunAs,
    ws: &Workspace,
    port: u16,
    tcp: bool,
) -> Result<Child, EphemeralError> {
    let log = ws.log_file();
    let out = File::create(&log).map_err(EphemeralError::io("create the server log"))?;
    let err = out
        .try_clone()
        .map_err(EphemeralError::io("open the server log"))?;
    run_as.chown(&log)?;
    let listen = if tcp { "127.0.0.1" } else { "" };
    let mut sockets = OsString::from("unix_socket_directories=");
    sockets.push(socket_list_value(&ws.socket_dir()));
    let program = bins.postgres();
    let mut cmd = Command::new(&program);
    cmd.arg("-D")
        .arg(ws.data_dir())
        .arg("-p")
        .arg(port.to_string())
        .arg("-c")
        .arg(format!("listen_addresses={listen}"))
        .arg("-c")
        .arg(sockets)
        .current_dir(ws.root())
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    run_as.apply(&mut cmd);
    cmd.spawn()
        .map_err(|error| EphemeralError::Spawn { program, error })
}

/// A directory as one element of `unix_socket_directories`, double-quoted if needed.
fn socket_list_value(dir: &Path) -> OsString {
    let text = dir.to_string_lossy();
    if text.contains([',', ' ', '"']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        dir.as_os_str().to_owned()
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16, EphemeralError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(EphemeralError::io("find a free port on 127.0.0.1"))?;
    let port = listener
        .local_addr()
        .map_err(EphemeralError::io("find a free port on 127.0.0.1"))?
        .port();
    Ok(port)
}

fn port_was_taken(log: &Path) -> bool {
    std::fs::read_to_string(log).is_ok_and(|t| t.contains("Address already in use"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_dirs_with_commas_are_quoted() {
        assert_eq!(socket_list_value(Path::new("/tmp/a")), "/tmp/a");
        assert_eq!(socket_list_value(Path::new("/tmp/a,b")), "\"/tmp/a,b\"");
    }

    #[test]
    fn free_ports_are_on_loopback_and_nonzero() {
        assert_ne!(free_port().unwrap(), 0);
    }
}
