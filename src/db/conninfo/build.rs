//! Turns merged options into [`ConnSettings`]: validates every value, splits host lists,
//! and applies libpq's defaults (socket directory, port 5432, OS user, `prefer`) plus
//! pgvet's own (10 s connect timeout, application name "pgvet").

use std::net::IpAddr;
use std::path::PathBuf;

use super::keywords::Options;
use super::ssl::ssl;
use super::values::{channel_binding, choice, connect_timeout, target_session_attrs, tcp};
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::db::conninfo::testing::{env, resolve};

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
