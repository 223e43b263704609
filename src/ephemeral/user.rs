//! Which OS user the throwaway server runs as. PostgreSQL refuses to run as root, so when
//! pgvet itself is root the server runs as an unprivileged user (`postgres`, or
//! `PGVET_PG_USER`); otherwise it runs as whoever runs pgvet.

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::EphemeralError;

/// The user that `initdb` and `postgres` run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunAs {
    /// Not root: run the server as the current user.
    Current,
    /// Root: switch to this unprivileged user.
    User { name: String, uid: u32, gid: u32 },
}

impl RunAs {
    /// Decides from the real process state (`geteuid`, `PGVET_PG_USER`).
    pub(crate) fn from_env() -> Result<Self, EphemeralError> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        let requested = std::env::var("PGVET_PG_USER")
            .ok()
            .filter(|v| !v.is_empty());
        Self::resolve(euid, requested.as_deref(), lookup_user)
    }

    /// Decides from explicit inputs; `lookup` maps a user name to `(uid, gid)`.
    pub(crate) fn resolve(
        euid: u32,
        requested: Option<&str>,
        lookup: impl Fn(&str) -> Option<(u32, u32)>,
    ) -> Result<Self, EphemeralError> {
        if euid != 0 {
            return Ok(RunAs::Current);
        }
        let name = requested.unwrap_or("postgres").to_string();
        match lookup(&name) {
            None => Err(EphemeralError::NoServerUser { user: name }),
            Some((0, _)) => Err(EphemeralError::ServerUserIsRoot { user: name }),
            Some((uid, gid)) => Ok(RunAs::User { name, uid, gid }),
        }
    }

    /// Makes `cmd` run as this user.
    pub(crate) fn apply(&self, cmd: &mut Command) {
        if let RunAs::User { uid, gid, .. } = self {
            cmd.uid(*uid).gid(*gid);
        }
    }

    /// Gives `path` to this user (no-op when running as the current user).
    pub(crate) fn chown(&self, path: &Path) -> Result<(), EphemeralError> {
        if let RunAs::User { uid, gid, name } = self {
            std::os::unix::fs::chown(path, Some(*uid), Some(*gid)).map_err(EphemeralError::io(
                format!("give {} to user {name}", path.display()),
            ))?;
        }
        Ok(())
    }

    /// Checks that this user can traverse every ancestor of `dir`.
    pub(crate) fn check_reachable(&self, dir: &Path) -> Result<(), EphemeralError> {
        let RunAs::User { name, uid, gid } = self else {
            return Ok(());
        };
        match first_unsearchable(dir, *uid, *gid) {
            None => Ok(()),
            Some(blocked) => Err(EphemeralError::Unreachable {
                user: name.clone(),
                dir: blocked,
            }),
        }
    }
}

/// The first ancestor of `dir` (not `dir` itself) that `uid`/`gid` may not search.
/// Ignores ACLs and supplementary groups (the server runs without the latter).
fn first_unsearchable(dir: &Path, uid: u32, gid: u32) -> Option<PathBuf> {
    dir.ancestors().skip(1).find_map(|ancestor| {
        let meta = std::fs::metadata(ancestor).ok()?;
        let mode = meta.mode();
        let bit = if meta.uid() == uid {
            0o100
        } else if meta.gid() == gid {
            0o010
        } else {
            0o001
        };
        (mode & bit == 0).then(|| ancestor.to_path_buf())
    })
}

/// Looks a user up in the password database: name → `(uid, gid)`.
pub(crate) fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value for getpwnam_r to overwrite.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the duration of the call and `buf.len()` is
    // the true size of `buf`; the strings in `pwd` are not used after `buf` is dropped.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then_some((pwd.pw_uid, pwd.pw_gid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn users(name: &str) -> Option<(u32, u32)> {
        match name {
            "postgres" => Some((101, 104)),
            "toor" => Some((0, 0)),
            _ => None,
        }
    }

    #[test]
    fn normal_users_run_the_server_themselves() {
        assert_eq!(RunAs::resolve(1000, None, users).unwrap(), RunAs::Current);
    }

    #[test]
    fn root_switches_to_postgres_or_the_requested_user() {
        let run_as = RunAs::resolve(0, None, users).unwrap();
        assert!(matches!(
            run_as,
            RunAs::User {
                uid: 101,
                gid: 104,
                ..
            }
        ));
        let err = RunAs::resolve(0, Some("nobody-here"), users).unwrap_err();
        assert!(err.to_string().contains("PGVET_PG_USER"), "{err}");
        assert!(err.to_string().contains("--db"), "{err}");
        let err = RunAs::resolve(0, Some("toor"), users).unwrap_err();
        assert!(
            matches!(err, EphemeralError::ServerUserIsRoot { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn lookup_finds_root() {
        assert_eq!(lookup_user("root"), Some((0, 0)));
        assert_eq!(lookup_user("no-such-user-pgvet"), None);
    }

    #[test]
    fn unsearchable_ancestors_are_reported() {
        let outer = tempfile::tempdir().unwrap();
        let inner = outer.path().join("a/b");
        std::fs::create_dir_all(&inner).unwrap();
        let a = outer.path().join("a");
        std::fs::set_permissions(&a, PermissionsExt::from_mode(0o700)).unwrap();
        std::fs::set_permissions(outer.path(), PermissionsExt::from_mode(0o755)).unwrap();
        // A uid/gid that owns nothing here only gets the "other" bits.
        let stranger = RunAs::User {
            name: "stranger".into(),
            uid: 54321,
            gid: 54321,
        };
        let err = stranger.check_reachable(&inner.join("c")).unwrap_err();
        assert!(
            matches!(&err, EphemeralError::Unreachable { dir, .. } if *dir == inner.parent().unwrap())
        );
        std::fs::set_permissions(&a, PermissionsExt::from_mode(0o711)).unwrap();
        stranger.check_reachable(&inner.join("c")).unwrap();
    }
}
