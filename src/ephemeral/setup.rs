//! Preparing a throwaway cluster on disk: the private temp directory (guarded by a
//! [`Reaper`]), `initdb`, and the configuration written before the server starts.
//!
//! Layout of the temp directory: `data/` (the cluster), `sock/` (the Unix socket) and
//! `server.log`.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::reaper::Reaper;
use super::user::RunAs;
use super::{EphemeralError, Options, PgBinaries};

/// Settings every throwaway server gets: durability off, memory small. Extra settings from
/// [`Options::settings`] come after these in `postgresql.conf`, so they win.
const BASE_SETTINGS: &[(&str, &str)] = &[
    ("fsync", "off"),
    ("full_page_writes", "off"),
    ("synchronous_commit", "off"),
    ("shared_buffers", "32MB"),
];

/// Longest Unix socket path the kernel accepts (`sun_path` minus its NUL).
const MAX_SOCKET_PATH: usize = 107;

/// The temp directory of one server. Dropping it removes the directory, then dismisses
/// the reaper; if pgvet dies first, the reaper removes it instead.
pub(crate) struct Workspace {
    root: PathBuf,
    reaper: Option<Reaper>,
}

impl Workspace {
    /// Creates `<parent>/pgvet-XXXXXX` owned by the server user, with its socket dir.
    pub(crate) fn create(parent: &Path, run_as: &RunAs) -> Result<Self, EphemeralError> {
        let tmp = tempfile::Builder::new()
            .prefix("pgvet-")
            .tempdir_in(parent)
            .map_err(EphemeralError::io(format!(
                "create a temporary directory in {} (set TMPDIR to a writable directory)",
                parent.display()
            )))?;
        run_as.check_reachable(tmp.path())?;
        check_socket_path(&tmp.path().join("sock"))?;
        run_as.chown(tmp.path())?;
        let reaper = Reaper::spawn(tmp.path())?;
        let ws = Workspace {
            root: tmp.keep(),
            reaper: Some(reaper),
        };
        let sock = ws.socket_dir();
        std::fs::create_dir(&sock).map_err(EphemeralError::io("create the socket directory"))?;
        run_as.chown(&sock)?;
        Ok(ws)
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    pub(crate) fn socket_dir(&self) -> PathBuf {
        self.root.join("sock")
    }

    pub(crate) fn log_file(&self) -> PathBuf {
        self.root.join("server.log")
    }

    /// Tells the reaper which postmaster to stop if pgvet dies.
    pub(crate) fn arm(&mut self, pid: u32) -> Result<(), EphemeralError> {
        match &mut self.reaper {
            Some(reaper) => reaper.arm(pid),
            None => Ok(()),
        }
    }

    /// Removes the directory, then dismisses the reaper.
    pub(crate) fn remove(mut self) -> Result<(), EphemeralError> {
        self.remove_now()
    }

    /// Leaves the directory in place and dismisses the reaper (for `--keep`).
    pub(crate) fn keep(mut self) -> PathBuf {
        if let Some(mut reaper) = self.reaper.take() {
            reaper.disarm();
        }
        std::mem::take(&mut self.root)
    }

    fn remove_now(&mut self) -> Result<(), EphemeralError> {
        let Some(mut reaper) = self.reaper.take() else {
            return Ok(());
        };
        let result = remove_dir_patiently(&self.root);
        reaper.disarm();
        result.map_err(EphemeralError::io(format!(
            "remove {}",
            self.root.display()
        )))
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if let Err(e) = self.remove_now() {
            tracing::warn!(error = %e, "temporary server directory left behind");
        }
    }
}

/// Removes a directory tree, retrying briefly: exiting backends may still be writing.
fn remove_dir_patiently(dir: &Path) -> std::io::Result<()> {
    let mut attempt = 0;
    loop {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) if attempt >= 5 => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
        attempt += 1;
    }
}

fn check_socket_path(sock: &Path) -> Result<(), EphemeralError> {
    let len = sock.as_os_str().len() + "/.s.PGSQL.65535".len();
    if len > MAX_SOCKET_PATH {
        return Err(EphemeralError::SocketPathTooLong {
            dir: sock.to_path_buf(),
            len,
            max: MAX_SOCKET_PATH,
        });
    }
    Ok(())
}

/// Runs `initdb` for a trust-authenticated UTF-8 cluster with superuser `postgres`.
pub(crate) fn initdb(
    bins: &PgBinaries,
    run_as: &RunAs,
    ws: &Workspace,
) -> Result<(), EphemeralError> {
    let program = bins.initdb();
    let mut cmd = Command::new(&program);
    cmd.arg("-D")
        .arg(ws.data_dir())
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",
        ])
        .current_dir(ws.root())
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    run_as.apply(&mut cmd);
    let out = cmd
        .output()
        .map_err(|error| EphemeralError::Spawn { program, error })?;
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(EphemeralError::Initdb {
        status: out.status.to_string(),
        output: output.trim().to_string(),
    })
}

/// Writes settings, the optional `pg_hba.conf` and extra files into the data directory.
pub(crate) fn configure(
    ws: &Workspace,
    options: &Options,
    run_as: &RunAs,
) -> Result<(), EphemeralError> {
    let data = ws.data_dir();
    let base = BASE_SETTINGS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()));
    let all: Vec<(String, String)> = base.chain(options.settings.iter().cloned()).collect();
    let conf = data.join("postgresql.conf");
    let mut file = OpenOptions::new()
        .append(true)
        .open(&conf)
        .map_err(EphemeralError::io("open postgresql.conf"))?;
    file.write_all(settings_text(&all)?.as_bytes())
        .map_err(EphemeralError::io("write postgresql.conf"))?;
    if let Some(hba) = &options.hba {
        write_private(&data, Path::new("pg_hba.conf"), hba.as_bytes(), run_as)?;
    }
    for (path, contents) in &options.files {
        write_private(&data, path, contents, run_as)?;
    }
    Ok(())
}

/// `postgresql.conf` lines for `settings`, values quoted.
fn settings_text(settings: &[(String, String)]) -> Result<String, EphemeralError> {
    let mut text = String::from("\n# Added by pgvet for a throwaway server.\n");
    for (name, value) in settings {
        let bad = |problem| EphemeralError::BadSetting {
            name: name.clone(),
            problem,
        };
        let name_ok = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if name.is_empty() || !name_ok {
            return Err(bad("use letters, digits, `_` and `.` only"));
        }
        if value.contains(['\n', '\r', '\0']) {
            return Err(bad("values cannot contain line breaks or NUL"));
        }
        let quoted = value.replace('\\', "\\\\").replace('\'', "''");
        text.push_str(&format!("{name} = '{quoted}'\n"));
    }
    Ok(text)
}

/// Writes `contents` to `data/rel` with mode 0600, owned by the server user.
fn write_private(
    data: &Path,
    rel: &Path,
    contents: &[u8],
    run_as: &RunAs,
) -> Result<(), EphemeralError> {
    let safe = rel.components().all(|c| matches!(c, Component::Normal(_)));
    if !safe || rel.as_os_str().is_empty() {
        return Err(EphemeralError::BadExtraFile {
            path: rel.to_path_buf(),
        });
    }
    let target = data.join(rel);
    let what = || format!("write {}", target.display());
    if let Some(parent) = target.parent().filter(|p| !p.exists()) {
        std::fs::create_dir_all(parent).map_err(EphemeralError::io(what()))?;
        run_as.chown(parent)?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&target)
        .map_err(EphemeralError::io(what()))?;
    file.write_all(contents)
        .map_err(EphemeralError::io(what()))?;
    file.set_permissions(PermissionsExt::from_mode(0o600))
        .map_err(EphemeralError::io(what()))?;
    run_as.chown(&target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_quoted_for_postgresql_conf() {
        let text = settings_text(&[("cluster_name".into(), r"it's a\b".into())]).unwrap();
        assert!(text.ends_with("cluster_name = 'it''s a\\\\b'\n"), "{text}");
        let err = settings_text(&[("bad name".into(), "x".into())]).unwrap_err();
        assert!(matches!(err, EphemeralError::BadSetting { .. }));
        let err = settings_text(&[("ok".into(), "a\nb".into())]).unwrap_err();
        assert!(matches!(err, EphemeralError::BadSetting { .. }));
    }

    #[test]
    fn extra_files_are_private_and_stay_inside_the_data_dir() {
        let data = tempfile::tempdir().unwrap();
        let rel = Path::new("certs/server.key");
        write_private(data.path(), rel, b"secret", &RunAs::Current).unwrap();
        let meta = std::fs::metadata(data.path().join(rel)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        for bad in ["../escape", "/etc/passwd", ""] {
            let err = write_private(data.path(), Path::new(bad), b"x", &RunAs::Current);
            assert!(
                matches!(err, Err(EphemeralError::BadExtraFile { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn long_socket_paths_are_refused_with_advice() {
        let long = PathBuf::from("/tmp").join("x".repeat(100));
        let err = check_socket_path(&long).unwrap_err();
        assert!(err.to_string().contains("TMPDIR"), "{err}");
        check_socket_path(Path::new("/tmp/pgvet-abc/sock")).unwrap();
    }

    #[test]
    fn workspace_is_removed_on_drop() {
        let parent = tempfile::tempdir().unwrap();
        let ws = Workspace::create(parent.path(), &RunAs::Current).unwrap();
        let root = ws.root().to_path_buf();
        assert!(ws.socket_dir().is_dir());
        drop(ws);
        assert!(!root.exists());
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
    }
}
