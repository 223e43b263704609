//! The process facts that connection settings depend on — `PG*` variables, the home
//! directory, the OS user name and the default socket directory — gathered into one value
//! so that resolution is a pure function and tests never touch the real environment.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::fmt;
use std::path::{Path, PathBuf};

/// The socket directory Debian's libpq is built with.
const DEBIAN_SOCKET_DIR: &str = "/var/run/postgresql";
/// The socket directory upstream libpq is built with.
const UPSTREAM_SOCKET_DIR: &str = "/tmp";

/// A snapshot of everything outside the connection string that libpq would consult.
#[derive(Clone, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
    home: Option<PathBuf>,
    os_user: Option<String>,
    socket_dir: PathBuf,
}

impl Env {
    /// An environment with no variables, no home directory, no OS user and `/tmp` as the
    /// default socket directory. Tests build on this with the `with_*` methods.
    pub fn empty() -> Env {
        Env {
            vars: BTreeMap::new(),
            home: None,
            os_user: None,
            socket_dir: PathBuf::from(UPSTREAM_SOCKET_DIR),
        }
    }

    /// Reads this process's `PG*` variables, home directory (`$HOME`, else the password
    /// database), effective user name, and picks the default socket directory.
    pub fn from_process() -> Env {
        let mut vars = BTreeMap::new();
        for (key, value) in std::env::vars_os() {
            let Some(key) = key.to_str().filter(|k| k.starts_with("PG")) else {
                continue;
            };
            match value.into_string() {
                Ok(value) => {
                    vars.insert(key.to_owned(), value);
                }
                Err(_) => tracing::warn!("ignoring environment variable {key}: not valid UTF-8"),
            }
        }
        let passwd = effective_passwd_entry();
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| passwd.as_ref().map(|p| p.1.clone()));
        let socket_dir = if Path::new(DEBIAN_SOCKET_DIR).is_dir() {
            DEBIAN_SOCKET_DIR
        } else {
            UPSTREAM_SOCKET_DIR
        };
        Env {
            vars,
            home,
            os_user: passwd.map(|p| p.0),
            socket_dir: PathBuf::from(socket_dir),
        }
    }

    /// Sets one variable (builder style, for tests and callers that inject settings).
    pub fn with_var(mut self, key: &str, value: &str) -> Env {
        self.vars.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Sets the home directory used for `~/.pgpass` and `~/.postgresql/*`.
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Env {
        self.home = Some(home.into());
        self
    }

    /// Sets the OS user name used as the default database user.
    pub fn with_os_user(mut self, user: &str) -> Env {
        self.os_user = Some(user.to_owned());
        self
    }

    /// Sets the default Unix-socket directory.
    pub fn with_socket_dir(mut self, dir: impl Into<PathBuf>) -> Env {
        self.socket_dir = dir.into();
        self
    }

    /// The value of a variable, if set (an empty value counts as set, as in libpq).
    pub fn var(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    /// The home directory, if known.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// The OS user name, if known.
    pub fn os_user(&self) -> Option<&str> {
        self.os_user.as_deref()
    }

    /// The default Unix-socket directory.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }
}

/// Debug output lists variable names only: `PGPASSWORD` must never reach a log.
impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("home", &self.home)
            .field("os_user", &self.os_user)
            .field("socket_dir", &self.socket_dir)
            .finish()
    }
}

/// Name and home directory of the effective user, from the password database.
fn effective_passwd_entry() -> Option<(String, PathBuf)> {
    let mut buf = vec![0u8; 4096];
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer refers to live, correctly sized storage owned by this frame;
    // getpwuid_r writes only within `buf` and stores into `entry`/`result`.
    let rc = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut entry,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() || entry.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name and pw_dir point to NUL-terminated strings inside `buf`.
    let name = unsafe { CStr::from_ptr(entry.pw_name) }
        .to_str()
        .ok()?
        .to_owned();
    let dir = if entry.pw_dir.is_null() {
        PathBuf::new()
    } else {
        // SAFETY: as above.
        PathBuf::from(unsafe { CStr::from_ptr(entry.pw_dir) }.to_str().ok()?)
    };
    Some((name, dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_values() {
        let env = Env::empty().with_var("PGPASSWORD", "hunter2");
        let shown = format!("{env:?}");
        assert!(shown.contains("PGPASSWORD"));
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn builder_sets_fields() {
        let env = Env::empty()
            .with_var("PGUSER", "")
            .with_home("/home/a")
            .with_os_user("a")
            .with_socket_dir("/run/pg");
        assert_eq!(env.var("PGUSER"), Some(""));
        assert_eq!(env.var("PGHOST"), None);
        assert_eq!(env.home(), Some(Path::new("/home/a")));
        assert_eq!(env.os_user(), Some("a"));
        assert_eq!(env.socket_dir(), Path::new("/run/pg"));
    }

    #[test]
    fn process_env_knows_the_user() {
        let env = Env::from_process();
        assert!(env.os_user().is_some_and(|u| !u.is_empty()));
        assert!(env.socket_dir().is_absolute());
    }
}
