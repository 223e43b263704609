//! The password file (`~/.pgpass`, `PGPASSFILE`, `passfile=`) read exactly as libpq reads
//! it: only a regular file without group or world access counts; each line is
//! `hostname:port:database:username:password` with `*` wildcards and `\` escapes, and the
//! first matching line wins.

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::conninfo::{Host, HostSpec};

/// A loaded password file. Its `Debug` output never shows the contents.
pub struct PassFile {
    path: PathBuf,
    lines: Vec<String>,
}

impl PassFile {
    /// Loads `path` if libpq would use it. A missing or unreadable file is silently
    /// skipped; one that is not a regular file, or that group or others may access, is
    /// skipped with a warning, as libpq does.
    pub fn load(path: &Path) -> Option<PassFile> {
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(err) => {
                tracing::debug!("not using password file \"{}\": {err}", path.display());
                return None;
            }
        };
        if !meta.is_file() {
            tracing::warn!("password file \"{}\" is not a plain file", path.display());
            return None;
        }
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                path.display()
            );
            return None;
        }
        match read(path) {
            Ok(text) => Some(PassFile::parse(path, &text)),
            Err(err) => {
                tracing::debug!("could not read password file \"{}\": {err}", path.display());
                None
            }
        }
    }

    /// Builds a password file from its text (no permission checks).
    pub fn parse(path: &Path, text: &str) -> PassFile {
        let lines = text
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        PassFile {
            path: path.to_owned(),
            lines,
        }
    }

    /// Where this file was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The password of the first line matching all four fields.
    pub fn lookup(&self, host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
        let port = port.to_string();
        self.lines.iter().find_map(|line| {
            let rest = match_field(line, host)?;
            let rest = match_field(rest, &port)?;
            let rest = match_field(rest, dbname)?;
            let rest = match_field(rest, user)?;
            Some(unescape_password(rest))
        })
    }

    /// The password for one server of a connection, with libpq's host-name rules.
    pub fn lookup_for(
        &self,
        spec: &HostSpec,
        default_socket_dir: &Path,
        dbname: &str,
        user: &str,
    ) -> Option<String> {
        self.lookup(
            &match_host(spec, default_socket_dir),
            spec.port,
            dbname,
            user,
        )
    }
}

fn read(path: &Path) -> io::Result<String> {
    Ok(crate::input::read_text(path, &crate::input::CREDENTIALS)?)
}

/// The host name a server is known by in the password file: `localhost` for the default
/// socket directory (or no host at all), the directory itself for any other socket.
pub fn match_host(spec: &HostSpec, default_socket_dir: &Path) -> String {
    match &spec.host {
        Host::Socket(dir) if dir == default_socket_dir => "localhost".to_owned(),
        Host::Socket(dir) => dir.to_string_lossy().into_owned(),
        Host::Tcp(name) if name.is_empty() => "localhost".to_owned(),
        Host::Tcp(name) => name.clone(),
    }
}

/// If the first field of `line` matches `token` (a lone `*` matches anything; `\`
/// escapes the next character), returns the rest of the line after the field's `:`.
fn match_field<'a>(line: &'a str, token: &str) -> Option<&'a str> {
    if let Some(rest) = line.strip_prefix("*:") {
        return Some(rest);
    }
    let (bytes, want) = (line.as_bytes(), token.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < bytes.len() {
        let escaped = bytes[i] == b'\\';
        if escaped {
            i += 1;
            if i == bytes.len() {
                return None;
            }
        }
        if bytes[i] == b':' && !escaped && j == want.len() {
            return Some(&line[i + 1..]);
        }
        if j == want.len() || bytes[i] != want[j] {
            return None;
        }
        i += 1;
        j += 1;
    }
    None
}

/// The password field: up to the next unescaped `:`, with `\x` meaning `x`.
fn unescape_password(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' => break,
            '\\' => out.push(chars.next().unwrap_or('\\')),
            c => out.push(c),
        }
    }
    out
}

impl fmt::Debug for PassFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassFile")
            .field("path", &self.path)
            .field("lines", &self.lines.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    fn file(text: &str) -> PassFile {
        PassFile::parse(Path::new("/p"), text)
    }

    #[test]
    fn first_match_wins_and_wildcards_match_anything() {
        let f = file("db:5432:app:alice:first\n*:*:*:alice:second\n*:*:*:*:third\n");
        assert_eq!(
            f.lookup("db", 5432, "app", "alice").as_deref(),
            Some("first")
        );
        assert_eq!(
            f.lookup("other", 1, "x", "alice").as_deref(),
            Some("second")
        );
        assert_eq!(f.lookup("other", 1, "x", "bob").as_deref(), Some("third"));
    }

    #[test]
    fn fields_must_match_exactly() {
        let f = file("db:5432:app:alice:pw\n");
        assert_eq!(f.lookup("db", 5433, "app", "alice"), None);
        assert_eq!(f.lookup("db", 5432, "ap", "alice"), None);
        assert_eq!(f.lookup("db", 5432, "app", "alicex"), None);
        assert_eq!(f.lookup("d", 5432, "app", "alice"), None);
        // A `*` that is not the whole field is literal.
        assert_eq!(
            file("d*:5432:app:alice:pw").lookup("db", 5432, "app", "alice"),
            None
        );
    }

    #[test]
    fn comments_blank_lines_and_crlf() {
        let f = file("# *:*:*:*:commented\n\r\n*:*:*:*:pw\r\n");
        assert_eq!(f.lookup("h", 1, "d", "u").as_deref(), Some("pw"));
    }

    #[test]
    fn escapes_in_fields_and_password() {
        let f = file("h\\:x:5432:d\\\\b:u:p\\:a\\\\ss:ignored\n");
        assert_eq!(
            f.lookup("h:x", 5432, "d\\b", "u").as_deref(),
            Some("p:a\\ss")
        );
        assert_eq!(
            file("*:*:*:*:tail\\").lookup("h", 1, "d", "u").as_deref(),
            Some("tail\\")
        );
    }

    #[test]
    fn short_lines_never_match() {
        assert_eq!(file("h:5432:d:u").lookup("h", 5432, "d", "u"), None);
        assert_eq!(
            file("h:5432:d:u:").lookup("h", 5432, "d", "u").as_deref(),
            Some("")
        );
    }

    #[test]
    fn host_names_for_sockets_and_tcp() {
        let dir = Path::new("/var/run/postgresql");
        let spec = |host| HostSpec {
            host,
            hostaddr: None,
            port: 5432,
        };
        assert_eq!(
            match_host(&spec(Host::Socket(dir.into())), dir),
            "localhost"
        );
        assert_eq!(match_host(&spec(Host::Socket("/tmp".into())), dir), "/tmp");
        assert_eq!(match_host(&spec(Host::Tcp("db".into())), dir), "db");
        let f = file("localhost:5432:d:u:sock\n/tmp:5432:d:u:tmp\n");
        assert_eq!(
            f.lookup_for(&spec(Host::Socket(dir.into())), dir, "d", "u")
                .as_deref(),
            Some("sock")
        );
        assert_eq!(
            f.lookup_for(&spec(Host::Socket("/tmp".into())), dir, "d", "u")
                .as_deref(),
            Some("tmp")
        );
    }

    #[test]
    fn debug_hides_passwords() {
        assert!(!format!("{:?}", file("*:*:*:*:s3cret")).contains("s3cret"));
    }

    fn write_file(dir: &Path, mode: u32) -> PathBuf {
        let path = dir.join("pgpass");
        let mut f = fs::File::create(&path).unwrap();
        f.write_all(b"*:*:*:*:pw\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn private_regular_file_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let f = PassFile::load(&write_file(dir.path(), 0o600)).unwrap();
        assert_eq!(f.lookup("h", 1, "d", "u").as_deref(), Some("pw"));
        assert!(PassFile::load(&write_file(dir.path(), 0o400)).is_some());
    }

    #[test]
    fn missing_file_and_directory_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        assert!(PassFile::load(&dir.path().join("nope")).is_none());
        assert!(PassFile::load(dir.path()).is_none());
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    #[test]
    fn group_or_world_access_is_skipped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o640, 0o604, 0o660] {
            let path = write_file(dir.path(), mode);
            let out = Captured::default();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(out.clone())
                .with_ansi(false)
                .finish();
            let loaded = tracing::subscriber::with_default(subscriber, || PassFile::load(&path));
            assert!(loaded.is_none(), "{mode:o}");
            let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
            assert!(
                log.contains("WARN") && log.contains("has group or world access"),
                "{log}"
            );
            assert!(log.contains("u=rw (0600) or less"), "{log}");
        }
    }
}
