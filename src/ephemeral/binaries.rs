//! Finding the PostgreSQL server binaries (`initdb`, `postgres`) on this machine and
//! reading their version. The environment is passed in as a [`Probe`] so tests can inject
//! one without touching the process environment.
//!
//! Search order: `PGVET_PG_BIN`, then `pg_config --bindir`, then `initdb` on `PATH`, then
//! `/usr/lib/postgresql/*/bin` with the newest major version first.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::EphemeralError;

/// The parts of the environment the binary search looks at.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// Value of `PGVET_PG_BIN`: a bin directory that, when set, must be usable.
    pub pg_bin: Option<PathBuf>,
    /// Value of `PATH`, searched for `pg_config` and `initdb`.
    pub path: Option<OsString>,
    /// Directories holding one `<version>/bin` per installed major version.
    pub distro_roots: Vec<PathBuf>,
}

impl Probe {
    /// The real environment of this process, with Debian's `/usr/lib/postgresql` layout.
    pub fn from_env() -> Self {
        Probe {
            pg_bin: std::env::var_os("PGVET_PG_BIN")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            path: std::env::var_os("PATH"),
            distro_roots: vec![PathBuf::from("/usr/lib/postgresql")],
        }
    }
}

/// A directory holding usable server binaries, and their version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    /// The bin directory holding `initdb` and `postgres`.
    pub bin_dir: PathBuf,
    /// Version as printed by `postgres --version`, e.g. `15.20`.
    pub version: String,
    /// Major version number, e.g. `15`.
    pub major: u32,
}

impl PgBinaries {
    /// Path of the `initdb` executable.
    pub fn initdb(&self) -> PathBuf {
        self.bin_dir.join("initdb")
    }

    /// Path of the `postgres` server executable.
    pub fn postgres(&self) -> PathBuf {
        self.bin_dir.join("postgres")
    }
}

/// Finds the server binaries using the real process environment.
pub fn find_binaries() -> Result<PgBinaries, EphemeralError> {
    find_binaries_with(&Probe::from_env())
}

/// Finds the server binaries using an explicit environment.
pub fn find_binaries_with(probe: &Probe) -> Result<PgBinaries, EphemeralError> {
    let bin_dir = locate(probe)?;
    let (version, major) = read_version(&bin_dir.join("postgres"))?;
    Ok(PgBinaries {
        bin_dir,
        version,
        major,
    })
}

/// Returns the first usable bin directory in search order.
fn locate(probe: &Probe) -> Result<PathBuf, EphemeralError> {
    if let Some(dir) = &probe.pg_bin {
        return if is_bin_dir(dir) {
            Ok(dir.clone())
        } else {
            Err(EphemeralError::BadPgBin { dir: dir.clone() })
        };
    }
    let path = probe.path.as_deref();
    let candidates = pg_config_bindir(path)
        .into_iter()
        .chain(which("initdb", path).and_then(|f| canonical_parent(&f)))
        .chain(distro_bin_dirs(&probe.distro_roots));
    for dir in candidates {
        if is_bin_dir(&dir) {
            return Ok(dir);
        }
    }
    let roots: Vec<String> = probe
        .distro_roots
        .iter()
        .map(|r| format!("{}/*/bin", r.display()))
        .collect();
    let mut searched = vec![
        "PGVET_PG_BIN (unset)",
        "pg_config --bindir",
        "initdb on PATH",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    searched.extend(roots);
    Err(EphemeralError::NoBinaries {
        searched: searched.join(", "),
    })
}

/// Finds `psql`: beside the server binaries (`bin_dir`), else on `path` (the process's `PATH`
/// when None). Also says where it looked, for the error when there is none.
pub fn find_psql(
    bin_dir: Option<&Path>,
    path: Option<&std::ffi::OsStr>,
) -> (Option<PathBuf>, String) {
    let env_path = std::env::var_os("PATH");
    let path = path.or(env_path.as_deref());
    let beside = bin_dir.map(|d| d.join("psql")).filter(|f| is_executable(f));
    let found = beside.or_else(|| which("psql", path));
    let mut searched = Vec::new();
    if let Some(dir) = bin_dir {
        searched.push(dir.display().to_string());
    }
    searched.push("PATH".to_string());
    (found, searched.join(", "))
}

/// True when `dir` holds executable `initdb` and `postgres`.
fn is_bin_dir(dir: &Path) -> bool {
    is_executable(&dir.join("initdb")) && is_executable(&dir.join("postgres"))
}

fn is_executable(file: &Path) -> bool {
    std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Finds an executable by name on a `PATH`-style list.
fn which(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(name))
        .find(|f| is_executable(f))
}

/// The directory of the real file behind a (possibly symlinked) executable.
fn canonical_parent(file: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(file)
        .ok()?
        .parent()
        .map(Path::to_path_buf)
}

/// Asks `pg_config` from `PATH` for its bin directory.
fn pg_config_bindir(path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let pg_config = which("pg_config", path)?;
    let out = Command::new(pg_config)
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let dir = text.trim();
    (out.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `<root>/<version>/bin` for every root, newest version first.
fn distro_bin_dirs(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut found: Vec<(Vec<u32>, PathBuf)> = Vec::new();
    for root in roots {
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(key) = version_key(&name) {
                found.push((key, entry.path().join("bin")));
            }
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, dir)| dir).collect()
}

/// `"9.6"` → `[9, 6]`; names that are not dotted numbers → `None`.
fn version_key(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|p| p.parse().ok()).collect()
}

/// Runs `postgres --version` and returns the version text and major number.
fn read_version(postgres: &Path) -> Result<(String, u32), EphemeralError> {
    let fail = |detail: String| EphemeralError::Version {
        postgres: postgres.to_path_buf(),
        detail,
    };
    let out = Command::new(postgres)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail(e.to_string()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(fail(format!(
            "it exited with {}: {}",
            out.status,
            stderr.trim()
        )));
    }
    parse_version(&text).ok_or_else(|| fail(format!("unexpected output {:?}", text.trim())))
}

/// `"postgres (PostgreSQL) 15.20 (Debian …)"` → `("15.20", 15)`.
fn parse_version(text: &str) -> Option<(String, u32)> {
    let token = text
        .split_whitespace()
        .find(|t| t.starts_with(|c: char| c.is_ascii_digit()))?;
    let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
    Some((token.to_string(), digits.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_bin(dir: &Path, version: &str) {
        std::fs::create_dir_all(dir).unwrap();
        let script = format!("#!/bin/sh\necho 'postgres (PostgreSQL) {version}'\n");
        for name in ["initdb", "postgres"] {
            std::fs::write(dir.join(name), &script).unwrap();
            std::fs::set_permissions(dir.join(name), PermissionsExt::from_mode(0o755)).unwrap();
        }
    }

    #[test]
    fn nothing_found_gives_the_helpful_error() {
        let empty = tempfile::tempdir().unwrap();
        let probe = Probe {
            pg_bin: None,
            path: Some(empty.path().as_os_str().to_owned()),
            distro_roots: vec![empty.path().join("missing")],
        };
        let err = find_binaries_with(&probe).unwrap_err();
        assert!(matches!(err, EphemeralError::NoBinaries { .. }), "{err:?}");
        let msg = err.to_string();
        for needle in [
            "apt-get install postgresql",
            "PGVET_PG_BIN",
            "--db",
            "missing/*/bin",
        ] {
            assert!(msg.contains(needle), "{needle:?} missing from: {msg}");
        }
    }

    #[test]
    fn distro_roots_prefer_the_newest_major() {
        let root = tempfile::tempdir().unwrap();
        fake_bin(&root.path().join("9.6/bin"), "9.6.24");
        fake_bin(&root.path().join("16/bin"), "16.4");
        fake_bin(&root.path().join("15/bin"), "15.20");
        std::fs::create_dir_all(root.path().join("17/bin")).unwrap(); // no binaries: skipped
        let probe = Probe {
            distro_roots: vec![root.path().to_path_buf()],
            ..Probe::default()
        };
        let found = find_binaries_with(&probe).unwrap();
        assert_eq!(found.bin_dir, root.path().join("16/bin"));
        assert_eq!((found.version.as_str(), found.major), ("16.4", 16));
    }

    #[test]
    fn pg_bin_must_be_usable_when_set() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("initdb"), "not executable").unwrap();
        let probe = Probe {
            pg_bin: Some(dir.path().to_path_buf()),
            ..Probe::default()
        };
        let err = find_binaries_with(&probe).unwrap_err();
        assert!(matches!(err, EphemeralError::BadPgBin { .. }), "{err:?}");
    }

    #[test]
    fn initdb_on_path_is_followed_through_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real/bin");
        fake_bin(&real, "14.1");
        let on_path = tmp.path().join("path");
        std::fs::create_dir_all(&on_path).unwrap();
        std::os::unix::fs::symlink(real.join("initdb"), on_path.join("initdb")).unwrap();
        let probe = Probe {
            path: Some(on_path.into_os_string()),
            ..Probe::default()
        };
        let found = find_binaries_with(&probe).unwrap();
        assert_eq!(found.bin_dir, std::fs::canonicalize(&real).unwrap());
    }

    #[test]
    fn psql_is_found_beside_the_server_binaries_first() {
        let tmp = tempfile::tempdir().unwrap();
        let (bin, on_path) = (tmp.path().join("bin"), tmp.path().join("path"));
        for dir in [&bin, &on_path] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("psql"), "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(dir.join("psql"), PermissionsExt::from_mode(0o755)).unwrap();
        }
        let path = on_path.clone().into_os_string();
        let (found, searched) = find_psql(Some(&bin), Some(&path));
        assert_eq!(found, Some(bin.join("psql")));
        assert_eq!(searched, format!("{}, PATH", bin.display()));
        let empty = tmp.path().join("empty");
        assert_eq!(
            find_psql(Some(&empty), Some(&path)).0,
            Some(on_path.join("psql"))
        );
        let nowhere = empty.clone().into_os_string();
        assert_eq!(find_psql(Some(&empty), Some(&nowhere)).0, None);
    }

    #[test]
    fn real_environment_finds_a_server() {
        let found = find_binaries().expect("CI machines have PostgreSQL server binaries");
        assert!(found.major >= 10, "{found:?}");
    }

    #[test]
    fn parses_version_lines() {
        let debian = "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n";
        assert_eq!(parse_version(debian), Some(("15.20".into(), 15)));
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17beta2"),
            Some(("17beta2".into(), 17))
        );
        assert_eq!(parse_version("nonsense"), None);
    }
}
