//! Turns merged options into [`ConnSettings`]: validates every value, splits host lists,
//! and applies libpq's defaults (socket directory, port 5432, OS user, `prefer`) plus
//! pgvet's own (10 s connect timeout, application name "pgvet").

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::keywords::{Options, Source};
use super::*;

pub fn build(o: &Options, env: &Env) -> Result<ConnSettings, ConnInfoError> {
    let user = match o.text("user") {
        Some(user) => user.to_owned(),
        None => env
            .os_user()
            .filter(|u| !u.is_empty())
            .ok_or(ConnInfoError::NoUser)?
            .to_owned(),
    };
    let application_name = o
        .text("application_name")
        .or_else(|| o.text("fallback_application_name"))
        .unwrap_or(DEFAULT_APPLICATION_NAME);
    Ok(ConnSettings {
        hosts: hosts(o, env)?,
        dbname: o.text("dbname").unwrap_or(&user).to_owned(),
        user,
        password: o.text("password").map(str::to_owned),
        passfile: o
            .text("passfile")
            .map(PathBuf::from)
            .or_else(|| env.home().map(|h| h.join(".pgpass"))),
        ssl: ssl(o, env)?,
        connect_timeout: connect_timeout(o)?,
        application_name: application_name.to_owned(),
        options: o.text("options").map(str::to_owned),
        target_session_attrs: target_session_attrs(o)?,
        channel_binding: channel_binding(o)?,
        load_balance_hosts: choice(
            o,
            "load_balance_hosts",
            &[("disable", false), ("random", true)],
            false,
        )?,
        tcp: tcp(o)?,
        default_socket_dir: env.socket_dir().to_owned(),
    })
}

/// Splits a comma-separated list; an absent value is an empty list.
fn list<'a>(o: &'a Options, name: &str) -> Vec<&'a str> {
    o.text(name)
        .map(|t| t.split(',').map(str::trim).collect())
        .unwrap_or_default()
}

fn hosts(o: &Options, env: &Env) -> Result<Vec<HostSpec>, ConnInfoError> {
    let names = list(o, "host");
    let addrs = list(o, "hostaddr");
    if !names.is_empty() && !addrs.is_empty() && names.len() != addrs.len() {
        return Err(ConnInfoError::HostaddrCount {
            hosts: names.len(),
            hostaddrs: addrs.len(),
        });
    }
    let count = names.len().max(addrs.len()).max(1);
    let ports = list(o, "port");
    if ports.len() > 1 && ports.len() != count {
        return Err(ConnInfoError::PortCount {
            ports: ports.len(),
            hosts: count,
        });
    }
    (0..count)
        .map(|i| {
            let hostaddr = match addrs.get(i).filter(|a| !a.is_empty()) {
                Some(a) => Some(
                    a.parse::<IpAddr>()
                        .map_err(|_| o.invalid("hostaddr", "numeric IP addresses"))?,
                ),
                None => None,
            };
            let name = names.get(i).copied().unwrap_or("");
            let host = match (name, hostaddr) {
                (n, _) if !n.is_empty() && !n.starts_with('/') => Host::Tcp(n.to_owned()),
                (_, Some(ip)) => Host::Tcp(ip.to_string()),
                ("", None) => Host::Socket(env.socket_dir().to_owned()),
                (dir, None) => Host::Socket(PathBuf::from(dir)),
            };
            let port_text = if ports.len() == 1 {
                ports[0]
            } else {
                ports.get(i).copied().unwrap_or("")
            };
            let port = match port_text {
                "" => DEFAULT_PORT,
                t => t.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                    o.invalid(
                        "port",
                        "a port number from 1 to 65535 (or one per host, comma-separated)",
                    )
                })?,
            };
            Ok(HostSpec {
                host,
                hostaddr,
                port,
            })
        })
        .collect()
}

fn ssl(o: &Options, env: &Env) -> Result<SslSettings, ConnInfoError> {
    let in_home = |file: &str| env.home().map(|h| h.join(".postgresql").join(file));
    let root_cert = match o.text("sslrootcert") {
        Some("system") => Some(RootCert::System),
        Some(path) => Some(RootCert::File(PathBuf::from(path))),
        None => in_home("root.crt").map(RootCert::File),
    };
    let system = root_cert == Some(RootCert::System);
    let mode = match o.text("sslmode") {
        Some(text) => SslMode::parse(text).ok_or_else(|| {
            o.invalid(
                "sslmode",
                "one of disable, allow, prefer, require, verify-ca, verify-full",
            )
        })?,
        None if o.text("requiressl").is_some_and(|t| t.starts_with('1')) => SslMode::Require,
        None if system => SslMode::VerifyFull,
        None => SslMode::Prefer,
    };
    if system && mode != SslMode::VerifyFull {
        return Err(ConnInfoError::WeakModeWithSystemRoots(mode));
    }
    let direct = choice(
        o,
        "sslnegotiation",
        &[("postgres", false), ("direct", true)],
        false,
    )?;
    if direct && mode < SslMode::Require {
        return Err(ConnInfoError::WeakModeWithDirect(mode));
    }
    let send_client_cert = choice(
        o,
        "sslcertmode",
        &[("allow", true), ("disable", false), ("require", true)],
        true,
    )?;
    if o.text("sslcertmode") == Some("require") {
        return Err(unsupported(
            o,
            "sslcertmode",
            "sslcertmode=require cannot be enforced; use allow",
        ));
    }
    if o.text("gssencmode") == Some("require") {
        return Err(unsupported(
            o,
            "gssencmode",
            "GSSAPI encryption is not available; use sslmode instead",
        ));
    }
    Ok(SslSettings {
        mode,
        root_cert,
        cert: o
            .text("sslcert")
            .map(PathBuf::from)
            .or_else(|| in_home("postgresql.crt")),
        key: o
            .text("sslkey")
            .map(PathBuf::from)
            .or_else(|| in_home("postgresql.key")),
        send_client_cert,
        direct,
    })
}

fn unsupported(o: &Options, keyword: &'static str, reason: &'static str) -> ConnInfoError {
    let source = o.get(keyword).map_or(Source::String, |v| v.source);
    ConnInfoError::Unsupported {
        keyword,
        origin: source,
        reason,
    }
}

/// libpq's rule: unset means pgvet's default; zero or negative means no limit; a value
/// of 1 means 2 seconds.
fn connect_timeout(o: &Options) -> Result<Option<Duration>, ConnInfoError> {
    match integer(o, "connect_timeout")? {
        None => Ok(Some(DEFAULT_CONNECT_TIMEOUT)),
        Some(n) if n <= 0 => Ok(None),
        Some(n) => Ok(Some(Duration::from_secs(n.max(2) as u64))),
    }
}

fn target_session_attrs(o: &Options) -> Result<TargetSessionAttrs, ConnInfoError> {
    use TargetSessionAttrs::*;
    let table = [
        ("any", Any),
        ("read-write", ReadWrite),
        ("read-only", ReadOnly),
        ("primary", Primary),
        ("standby", Standby),
        ("prefer-standby", PreferStandby),
    ];
    choice(o, "target_session_attrs", &table, Any)
}

fn channel_binding(o: &Options) -> Result<ChannelBinding, ConnInfoError> {
    let table = [
        ("disable", ChannelBinding::Disable),
        ("prefer", ChannelBinding::Prefer),
        ("require", ChannelBinding::Require),
    ];
    choice(o, "channel_binding", &table, ChannelBinding::Prefer)
}

fn tcp(o: &Options) -> Result<TcpSettings, ConnInfoError> {
    let seconds = |name| -> Result<Option<Duration>, ConnInfoError> {
        Ok(integer(o, name)?
            .filter(|n| *n > 0)
            .map(|n| Duration::from_secs(n as u64)))
    };
    Ok(TcpSettings {
        keepalives: integer(o, "keepalives")? != Some(0),
        keepalives_idle: seconds("keepalives_idle")?,
        keepalives_interval: seconds("keepalives_interval")?,
        keepalives_count: integer(o, "keepalives_count")?
            .filter(|n| *n > 0)
            .map(|n| n.min(u32::MAX as i64) as u32),
        user_timeout: integer(o, "tcp_user_timeout")?
            .filter(|n| *n > 0)
            .map(|n| Duration::from_millis(n as u64)),
    })
}

/// A value that must be one of a fixed list of words.
fn choice<T: Copy>(
    o: &Options,
    name: &'static str,
    table: &[(&str, T)],
    default: T,
) -> Result<T, ConnInfoError> {
    let Some(text) = o.text(name) else {
        return Ok(default);
    };
    match table.iter().find(|(word, _)| *word == text) {
        Some((_, value)) => Ok(*value),
        None => Err(o.invalid(name, "one of the values libpq documents for it")),
    }
}

/// An integer value (surrounding whitespace allowed, as libpq).
fn integer(o: &Options, name: &'static str) -> Result<Option<i64>, ConnInfoError> {
    match o.text(name) {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| o.invalid(name, "an integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env::empty()
            .with_os_user("osuser")
            .with_home("/home/osuser")
            .with_socket_dir("/run/pg")
    }

    fn resolve(text: &str, env: &Env) -> ConnSettings {
        ConnSettings::resolve(Some(text), env).unwrap()
    }

    fn tcp(name: &str, port: u16) -> HostSpec {
        HostSpec {
            host: Host::Tcp(name.into()),
            hostaddr: None,
            port,
        }
    }

    #[test]
    fn defaults_follow_libpq_and_pgvet() {
        let s = ConnSettings::resolve(None, &env()).unwrap();
        let socket = HostSpec {
            host: Host::Socket("/run/pg".into()),
            hostaddr: None,
            port: 5432,
        };
        assert_eq!(s.hosts, vec![socket]);
        assert_eq!((s.user.as_str(), s.dbname.as_str()), ("osuser", "osuser"));
        assert_eq!(s.password(), None);
        assert_eq!(s.passfile, Some(PathBuf::from("/home/osuser/.pgpass")));
        assert_eq!(s.ssl.mode, SslMode::Prefer);
        assert_eq!(
            s.ssl.root_cert,
            Some(RootCert::File("/home/osuser/.postgresql/root.crt".into()))
        );
        assert_eq!(
            s.ssl.cert,
            Some(PathBuf::from("/home/osuser/.postgresql/postgresql.crt"))
        );
        assert_eq!(
            s.ssl.key,
            Some(PathBuf::from("/home/osuser/.postgresql/postgresql.key"))
        );
        assert_eq!(s.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(s.application_name, "pgvet");
        assert_eq!(s.target_session_attrs, TargetSessionAttrs::Any);
        assert!(
            s.tcp.keepalives && !s.load_balance_hosts && !s.ssl.direct && s.ssl.send_client_cert
        );
    }

    #[test]
    fn no_home_means_no_default_files() {
        let s = ConnSettings::resolve(None, &Env::empty().with_os_user("u")).unwrap();
        assert_eq!(
            (s.passfile, s.ssl.root_cert, s.ssl.cert),
            (None, None, None)
        );
    }

    #[test]
    fn no_user_anywhere_is_an_error() {
        assert!(matches!(
            ConnSettings::resolve(None, &Env::empty()),
            Err(ConnInfoError::NoUser)
        ));
        assert!(ConnSettings::resolve(Some("user=x"), &Env::empty()).is_ok());
    }

    #[test]
    fn environment_fills_only_what_the_string_left_out() {
        let env = env()
            .with_var("PGHOST", "envhost")
            .with_var("PGPORT", "6000")
            .with_var("PGUSER", "envuser")
            .with_var("PGDATABASE", "envdb")
            .with_var("PGPASSWORD", "envpw")
            .with_var("PGSSLMODE", "require")
            .with_var("PGAPPNAME", "envapp")
            .with_var("PGOPTIONS", "-c work_mem=1MB")
            .with_var("PGCONNECT_TIMEOUT", "0")
            .with_var("PGTARGETSESSIONATTRS", "read-write");
        let s = resolve("postgresql://alice@db/app?port=7000", &env);
        assert_eq!(s.hosts, vec![tcp("db", 7000)]);
        assert_eq!((s.user.as_str(), s.dbname.as_str()), ("alice", "app"));
        assert_eq!(s.password(), Some("envpw"));
        assert_eq!(s.ssl.mode, SslMode::Require);
        assert_eq!(s.application_name, "envapp");
        assert_eq!(s.options.as_deref(), Some("-c work_mem=1MB"));
        assert_eq!(s.connect_timeout, None);
        assert_eq!(s.target_session_attrs, TargetSessionAttrs::ReadWrite);
        let s = ConnSettings::resolve(None, &env).unwrap();
        assert_eq!(
            (s.hosts[0].clone(), s.user.as_str(), s.dbname.as_str()),
            (tcp("envhost", 6000), "envuser", "envdb")
        );
    }

    #[test]
    fn empty_string_value_blocks_env_and_means_default() {
        let env = env().with_var("PGHOST", "envhost");
        let s = resolve("host=''", &env);
        assert_eq!(s.hosts[0].host, Host::Socket("/run/pg".into()));
    }

    #[test]
    fn bare_word_is_dbname_and_user_stays_default() {
        let s = resolve("inventory", &env());
        assert_eq!(
            (s.user.as_str(), s.dbname.as_str()),
            ("osuser", "inventory")
        );
    }

    #[test]
    fn multi_host_with_ports_and_sockets() {
        let s = resolve(
            "postgresql://h1:5433,[2001:db8::1],%2Ftmp%2Fs:6000/db",
            &env(),
        );
        let socket = HostSpec {
            host: Host::Socket("/tmp/s".into()),
            hostaddr: None,
            port: 6000,
        };
        assert_eq!(
            s.hosts,
            vec![tcp("h1", 5433), tcp("2001:db8::1", 5432), socket]
        );
        let s = resolve("host=a,b port=6000", &env());
        assert_eq!(s.hosts, vec![tcp("a", 6000), tcp("b", 6000)]);
    }

    #[test]
    fn host_and_port_count_mismatches() {
        let err = ConnSettings::resolve(Some("host=a,b port=1,2,3"), &env())
            .err()
            .unwrap();
        assert!(matches!(
            err,
            ConnInfoError::PortCount { ports: 3, hosts: 2 }
        ));
        let err = ConnSettings::resolve(Some("host=a,b hostaddr=10.0.0.1"), &env())
            .err()
            .unwrap();
        assert!(matches!(
            err,
            ConnInfoError::HostaddrCount {
                hosts: 2,
                hostaddrs: 1
            }
        ));
    }

    #[test]
    fn hostaddr_with_and_without_host() {
        let s = resolve("host=db.example hostaddr=10.0.0.5", &env());
        assert_eq!(s.hosts[0].host, Host::Tcp("db.example".into()));
        assert_eq!(s.hosts[0].hostaddr, Some("10.0.0.5".parse().unwrap()));
        let s = resolve("hostaddr=::1", &env());
        assert_eq!(s.hosts[0].host, Host::Tcp("::1".into()));
        assert!(ConnSettings::resolve(Some("hostaddr=db.example"), &env()).is_err());
    }

    #[test]
    fn invalid_values_name_keyword_value_and_source() {
        let bad_env = env().with_var("PGPORT", "54x");
        let text = ConnSettings::resolve(None, &bad_env)
            .err()
            .unwrap()
            .to_string();
        assert!(
            text.contains("\"54x\"") && text.contains("\"port\"") && text.contains("PGPORT"),
            "{text}"
        );
        for bad in [
            "port=0",
            "port=70000",
            "sslmode=verify",
            "connect_timeout=soon",
            "target_session_attrs=rw",
        ] {
            assert!(ConnSettings::resolve(Some(bad), &env()).is_err(), "{bad}");
        }
    }

    #[test]
    fn connect_timeout_rules() {
        let timeout = |t: &str| resolve(&format!("connect_timeout={t}"), &env()).connect_timeout;
        assert_eq!(timeout("0"), None);
        assert_eq!(timeout("-3"), None);
        assert_eq!(timeout("1"), Some(Duration::from_secs(2)));
        assert_eq!(timeout(" 30 "), Some(Duration::from_secs(30)));
    }

    #[test]
    fn application_name_precedence() {
        assert_eq!(
            resolve("fallback_application_name=fb", &env()).application_name,
            "fb"
        );
        let s = resolve("fallback_application_name=fb application_name=app", &env());
        assert_eq!(s.application_name, "app");
        let env = env().with_var("PGAPPNAME", "envapp");
        assert_eq!(
            resolve("fallback_application_name=fb", &env).application_name,
            "envapp"
        );
    }

    #[test]
    fn system_roots_force_verify_full() {
        let s = resolve("sslrootcert=system", &env());
        assert_eq!(
            (s.ssl.mode, s.ssl.root_cert),
            (SslMode::VerifyFull, Some(RootCert::System))
        );
        let err = ConnSettings::resolve(Some("sslrootcert=system sslmode=verify-ca"), &env())
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("weak sslmode \"verify-ca\""),
            "{err}"
        );
        let env = env().with_var("PGSSLMODE", "require");
        assert!(ConnSettings::resolve(Some("sslrootcert=system"), &env).is_err());
    }

    #[test]
    fn ssl_files_and_requiressl() {
        let s = resolve(
            "sslrootcert=/ca.pem sslcert=/c.pem sslkey=/k.pem requiressl=1",
            &env(),
        );
        assert_eq!(s.ssl.root_cert, Some(RootCert::File("/ca.pem".into())));
        assert_eq!(
            (s.ssl.cert.unwrap(), s.ssl.key.unwrap()),
            ("/c.pem".into(), "/k.pem".into())
        );
        assert_eq!(s.ssl.mode, SslMode::Require);
        assert_eq!(
            resolve("requiressl=1 sslmode=disable", &env()).ssl.mode,
            SslMode::Disable
        );
    }

    #[test]
    fn negotiation_certmode_and_gss() {
        assert!(
            resolve("sslnegotiation=direct sslmode=require", &env())
                .ssl
                .direct
        );
        assert!(ConnSettings::resolve(Some("sslnegotiation=direct"), &env()).is_err());
        assert!(!resolve("sslcertmode=disable", &env()).ssl.send_client_cert);
        assert!(ConnSettings::resolve(Some("sslcertmode=require"), &env()).is_err());
        assert!(ConnSettings::resolve(Some("gssencmode=require"), &env()).is_err());
        assert!(ConnSettings::resolve(Some("gssencmode=prefer"), &env()).is_ok());
    }

    #[test]
    fn tcp_and_misc_options() {
        let s = resolve(
            "keepalives=0 keepalives_idle=30 keepalives_count=4 tcp_user_timeout=1500 \
             load_balance_hosts=random channel_binding=require",
            &env(),
        );
        assert!(!s.tcp.keepalives && s.load_balance_hosts);
        assert_eq!(s.tcp.keepalives_idle, Some(Duration::from_secs(30)));
        assert_eq!(s.tcp.keepalives_count, Some(4));
        assert_eq!(s.tcp.user_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(s.channel_binding, ChannelBinding::Require);
    }

    #[test]
    fn passfile_from_string_and_env() {
        assert_eq!(
            resolve("passfile=/p", &env()).passfile,
            Some(PathBuf::from("/p"))
        );
        let env = env().with_var("PGPASSFILE", "/envp");
        assert_eq!(
            ConnSettings::resolve(None, &env).unwrap().passfile,
            Some(PathBuf::from("/envp"))
        );
    }
}
