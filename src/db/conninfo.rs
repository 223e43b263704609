//! Connection settings resolved the way libpq (and so psql) resolves them: a URI or
//! `key=value` string, then `PG*` environment variables for whatever it left out, then
//! libpq's defaults. The result, [`ConnSettings`], is everything [`super::connect`] needs;
//! it never shows its password in `Display` or `Debug`.

mod build;
mod display;
mod env;
mod keywords;
mod parse;
mod secrets;
mod ssl;
mod values;

/// Test helpers shared by the submodules' tests: a fixed environment and a resolver.
#[cfg(test)]
pub(crate) mod testing {
    use super::{ConnSettings, Env};

    pub fn env() -> Env {
        Env::empty()
            .with_os_user("osuser")
            .with_home("/home/osuser")
            .with_socket_dir("/run/pg")
    }

    pub fn resolve(text: &str, env: &Env) -> ConnSettings {
        ConnSettings::resolve(Some(text), env).unwrap()
    }
}

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use display::encode as percent_encode;
pub use env::Env;
pub use keywords::Source;
/// A connection string's `(keyword, value)` pairs, unchecked against the environment (for
/// `\connect` arguments in setup files).
pub(crate) use parse::parse as parse_pairs;
pub use tokio_postgres::config::ChannelBinding;

/// Default PostgreSQL port.
pub const DEFAULT_PORT: u16 = 5432;
/// pgvet's per-attempt connect timeout when none is given (libpq's default is none).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The application name pgvet reports when nothing else was chosen.
pub const DEFAULT_APPLICATION_NAME: &str = "pgvet";

/// Why connection settings could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum ConnInfoError {
    #[error(
        "missing \"=\" after \"{0}\" in connection info string; write keyword=value pairs or a postgresql:// URI"
    )]
    MissingEquals(String),
    #[error(
        "unterminated quoted string in connection info string; close the value with a single quote (write \\' for a literal quote)"
    )]
    UnterminatedQuote,
    #[error("connection info string contains a NUL character; no connection setting can hold one")]
    Nul,
    #[error("invalid percent-encoded token in connection URI; write a literal % as %25")]
    BadPercent,
    #[error("forbidden value %00 in percent-encoded value in connection URI")]
    PercentZero,
    #[error("invalid connection URI: {0}")]
    BadUri(String),
    /// Text after a password's value that does not parse: it may be the rest of the password,
    /// so it is not shown.
    #[error(
        "the text after the value of {keyword} is not {form} (not shown: it may be part of the {keyword}); {fix}"
    )]
    AfterSecret {
        keyword: &'static str,
        form: &'static str,
        fix: &'static str,
    },
    /// A URI whose password holds a `/`, `?` or `@` that split it in the wrong place.
    #[error(
        "cannot parse the connection URI {redacted}: special characters in the password (such as / ? # @ : % &) must be percent-encoded, e.g. %2F for /"
    )]
    UnencodedPassword { redacted: String },
    #[error(
        "invalid connection option \"{0}\"; check its spelling against libpq's parameter keywords"
    )]
    InvalidOption(String),
    #[error("connection option \"{keyword}\" (from {origin}) is not supported by pgvet: {reason}")]
    Unsupported {
        keyword: &'static str,
        origin: Source,
        reason: &'static str,
    },
    #[error(
        "invalid value \"{value}\" for connection option \"{keyword}\" (from {origin}); expected {expected}"
    )]
    InvalidValue {
        keyword: &'static str,
        value: String,
        origin: Source,
        expected: &'static str,
    },
    #[error(
        "could not match {ports} port numbers to {hosts} hosts; give one port, or one per host"
    )]
    PortCount { ports: usize, hosts: usize },
    #[error(
        "could not match {hosts} host names to {hostaddrs} hostaddr values; give one hostaddr per host"
    )]
    HostaddrCount { hosts: usize, hostaddrs: usize },
    #[error(
        "could not determine the database user name (the OS user is unknown); set PGUSER or user="
    )]
    NoUser,
    #[error(
        "weak sslmode \"{0}\" may not be used with sslrootcert=system; use sslmode=verify-full"
    )]
    WeakModeWithSystemRoots(SslMode),
    #[error(
        "weak sslmode \"{0}\" may not be used with sslnegotiation=direct; use sslmode=require or stronger"
    )]
    WeakModeWithDirect(SslMode),
}

/// Everything needed to connect, fully resolved. Build it with [`ConnSettings::resolve`].
#[derive(Clone)]
pub struct ConnSettings {
    /// Servers to try, in order (shuffled at connect time if `load_balance_hosts`).
    pub hosts: Vec<HostSpec>,
    pub user: String,
    pub dbname: String,
    password: Option<String>,
    /// The password file to consult when no password was given (may not exist).
    pub passfile: Option<PathBuf>,
    pub ssl: SslSettings,
    /// Limit for each connection attempt; `None` waits indefinitely.
    pub connect_timeout: Option<Duration>,
    pub application_name: String,
    /// Server options sent at startup (`-c name=value ...`).
    pub options: Option<String>,
    pub target_session_attrs: TargetSessionAttrs,
    pub channel_binding: ChannelBinding,
    pub load_balance_hosts: bool,
    pub tcp: TcpSettings,
    /// The default Unix-socket directory (matters for `.pgpass` host matching).
    pub default_socket_dir: PathBuf,
}

/// One server to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostSpec {
    pub host: Host,
    /// Numeric address to connect to instead of resolving `host` (libpq's `hostaddr`).
    pub hostaddr: Option<IpAddr>,
    pub port: u16,
}

/// A host name (or address) reached over TCP, or a directory holding a Unix socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    Tcp(String),
    Socket(PathBuf),
}

impl HostSpec {
    /// The socket file for a Unix-socket host, e.g. `/var/run/postgresql/.s.PGSQL.5432`.
    pub fn socket_file(&self) -> Option<PathBuf> {
        match &self.host {
            Host::Socket(dir) => Some(dir.join(format!(".s.PGSQL.{}", self.port))),
            Host::Tcp(_) => None,
        }
    }
}

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Option<SslMode> {
        Some(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    /// The libpq spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where trusted root certificates come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RootCert {
    /// The system's trusted roots (`sslrootcert=system`).
    System,
    /// A PEM file; used only if it exists, unless the mode demands verification.
    File(PathBuf),
}

/// TLS settings. Paths are candidates: files that do not exist are treated as libpq does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SslSettings {
    pub mode: SslMode,
    pub root_cert: Option<RootCert>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `sslcertmode=disable`: never send a client certificate.
    pub send_client_cert: bool,
    /// `sslnegotiation=direct`: start TLS immediately instead of asking first.
    pub direct: bool,
}

/// libpq's `target_session_attrs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetSessionAttrs {
    Any,
    ReadWrite,
    ReadOnly,
    Primary,
    Standby,
    PreferStandby,
}

/// TCP keepalive and timeout settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpSettings {
    pub keepalives: bool,
    pub keepalives_idle: Option<Duration>,
    pub keepalives_interval: Option<Duration>,
    pub keepalives_count: Option<u32>,
    pub user_timeout: Option<Duration>,
}

impl ConnSettings {
    /// Resolves settings from an optional connection string (URI, `key=value` pairs, or a
    /// bare database name) plus `env`, exactly in libpq's order of precedence.
    pub fn resolve(explicit: Option<&str>, env: &Env) -> Result<ConnSettings, ConnInfoError> {
        let pairs = match explicit {
            Some(text) => parse::parse(text)?,
            None => Vec::new(),
        };
        let options = keywords::Options::merge(pairs, env)?;
        build::build(&options, env)
    }

    /// The password given in the string or `PGPASSWORD`, if any (never from `.pgpass`).
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Replaces the explicit password (e.g. one read from a prompt).
    pub fn set_password(&mut self, password: Option<String>) {
        self.password = password.filter(|p| !p.is_empty());
    }

    /// The password file path, if one is known.
    pub fn passfile(&self) -> Option<&Path> {
        self.passfile.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_round_trips_and_orders_by_strength() {
        for text in [
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ] {
            assert_eq!(SslMode::parse(text).unwrap().as_str(), text);
        }
        assert_eq!(SslMode::parse("verify_full"), None);
        assert!(SslMode::Require < SslMode::VerifyCa && SslMode::VerifyCa < SslMode::VerifyFull);
    }

    #[test]
    fn socket_file_name() {
        let spec = HostSpec {
            host: Host::Socket("/run/pg".into()),
            hostaddr: None,
            port: 5433,
        };
        assert_eq!(
            spec.socket_file(),
            Some(PathBuf::from("/run/pg/.s.PGSQL.5433"))
        );
    }

    #[test]
    fn set_password_treats_empty_as_none() {
        let env = Env::empty().with_os_user("u");
        let mut settings = ConnSettings::resolve(None, &env).unwrap();
        settings.set_password(Some(String::new()));
        assert_eq!(settings.password(), None);
        settings.set_password(Some("pw".into()));
        assert_eq!(settings.password(), Some("pw"));
    }
}
