//! Where and how to dial: the order of hosts, the addresses of each, and which
//! plaintext/TLS variants each sslmode tries, with libpq's fallback rules.

use std::hash::BuildHasher;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio_postgres::config::SslMode as WireMode;

use super::error::{Attempt, FailureKind};
use crate::db::conninfo::{ConnSettings, Host, HostSpec, SslMode, TargetSessionAttrs};

/// One concrete address to dial.
#[derive(Debug, Clone)]
pub enum Endpoint {
    Socket { dir: PathBuf, port: u16 },
    Tcp { name: String, ip: IpAddr, port: u16 },
}

impl Endpoint {
    /// libpq's phrase for a server, e.g. `server at "db" (10.0.0.1), port 5432`.
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Socket { dir, port } => {
                format!(
                    "server on socket \"{}\"",
                    dir.join(format!(".s.PGSQL.{port}")).display()
                )
            }
            Endpoint::Tcp { name, ip, port } if *name == ip.to_string() => {
                format!("server at \"{name}\", port {port}")
            }
            Endpoint::Tcp { name, ip, port } => format!("server at \"{name}\" ({ip}), port {port}"),
        }
    }
}

/// `prefer-standby` is a standby pass, then an any-server pass.
pub fn session_passes(attrs: TargetSessionAttrs) -> Vec<TargetSessionAttrs> {
    match attrs {
        TargetSessionAttrs::PreferStandby => {
            vec![TargetSessionAttrs::Standby, TargetSessionAttrs::Any]
        }
        other => vec![other],
    }
}

pub fn host_order(settings: &ConnSettings) -> Vec<HostSpec> {
    let mut hosts = settings.hosts.clone();
    if settings.load_balance_hosts {
        shuffle(&mut hosts);
    }
    hosts
}

/// Fisher-Yates, with randomness from std's per-process random hasher keys.
fn shuffle<T>(items: &mut [T]) {
    let state = std::collections::hash_map::RandomState::new();
    for i in (1..items.len()).rev() {
        let j = (state.hash_one(i) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The TLS variants to try, in order. Unix sockets never use TLS (libpq ignores sslmode
/// there); `allow` tries plaintext first and `prefer` falls back to it.
pub fn wire_modes(mode: SslMode, endpoint: &Endpoint) -> Vec<WireMode> {
    if matches!(endpoint, Endpoint::Socket { .. }) {
        return vec![WireMode::Disable];
    }
    match mode {
        SslMode::Disable => vec![WireMode::Disable],
        SslMode::Allow => vec![WireMode::Disable, WireMode::Require],
        SslMode::Prefer => vec![WireMode::Prefer, WireMode::Disable],
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => vec![WireMode::Require],
    }
}

/// Whether a failed variant may be followed by the next one: `allow` retries with TLS
/// when the server turned plaintext down; `prefer` retries in plaintext when TLS failed.
pub fn retry_allowed(mode: SslMode, kind: FailureKind) -> bool {
    match mode {
        SslMode::Allow => matches!(kind, FailureKind::Server | FailureKind::Authentication),
        SslMode::Prefer => matches!(kind, FailureKind::Tls | FailureKind::Certificate),
        _ => false,
    }
}

/// The addresses of a host: the socket, the `hostaddr`, or every DNS answer.
pub async fn resolve(
    spec: &HostSpec,
    limit: Option<Duration>,
    shuffle_addrs: bool,
) -> Result<Vec<Endpoint>, Attempt> {
    let port = spec.port;
    let name = match (&spec.host, spec.hostaddr) {
        (Host::Socket(dir), _) => {
            return Ok(vec![Endpoint::Socket {
                dir: dir.clone(),
                port,
            }]);
        }
        (Host::Tcp(name), Some(ip)) => {
            return Ok(vec![Endpoint::Tcp {
                name: name.clone(),
                ip,
                port,
            }]);
        }
        (Host::Tcp(name), None) => name,
    };
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(vec![Endpoint::Tcp {
            name: name.clone(),
            ip,
            port,
        }]);
    }
    let failed = |reason: String| Attempt {
        server: format!("server at \"{name}\", port {port}"),
        kind: FailureKind::Resolve,
        reason,
    };
    let lookup = within(limit, tokio::net::lookup_host((name.as_str(), port))).await;
    let mut ips: Vec<IpAddr> = match lookup {
        None => {
            return Err(failed(format!(
                "could not translate host name \"{name}\" to address: timed out"
            )));
        }
        Some(Err(err)) => {
            return Err(failed(format!(
                "could not translate host name \"{name}\" to address: {err}"
            )));
        }
        Some(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
    };
    ips.dedup();
    if shuffle_addrs {
        shuffle(&mut ips);
    }
    Ok(ips
        .into_iter()
        .map(|ip| Endpoint::Tcp {
            name: name.clone(),
            ip,
            port,
        })
        .collect())
}

/// Runs `fut`, giving up after `limit` (if any). `None` means it timed out.
pub async fn within<F: Future>(limit: Option<Duration>, fut: F) -> Option<F::Output> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, fut).await.ok(),
        None => Some(fut.await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp() -> Endpoint {
        Endpoint::Tcp {
            name: "db".into(),
            ip: "10.0.0.1".parse().unwrap(),
            port: 5432,
        }
    }

    #[test]
    fn wire_modes_follow_sslmode() {
        use WireMode::{Disable as Plain, Prefer, Require};
        assert_eq!(wire_modes(SslMode::Disable, &tcp()), vec![Plain]);
        assert_eq!(wire_modes(SslMode::Allow, &tcp()), vec![Plain, Require]);
        assert_eq!(wire_modes(SslMode::Prefer, &tcp()), vec![Prefer, Plain]);
        for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
            assert_eq!(wire_modes(mode, &tcp()), vec![Require]);
        }
        let socket = Endpoint::Socket {
            dir: "/tmp".into(),
            port: 5432,
        };
        assert_eq!(wire_modes(SslMode::VerifyFull, &socket), vec![Plain]);
    }

    #[test]
    fn fallbacks_only_where_libpq_has_them() {
        assert!(retry_allowed(SslMode::Allow, FailureKind::Authentication));
        assert!(!retry_allowed(SslMode::Allow, FailureKind::Network));
        assert!(retry_allowed(SslMode::Prefer, FailureKind::Tls));
        assert!(!retry_allowed(SslMode::Prefer, FailureKind::Server));
        assert!(!retry_allowed(SslMode::Require, FailureKind::Tls));
    }

    #[test]
    fn prefer_standby_makes_two_passes() {
        let passes = session_passes(TargetSessionAttrs::PreferStandby);
        assert_eq!(
            passes,
            vec![TargetSessionAttrs::Standby, TargetSessionAttrs::Any]
        );
        assert_eq!(
            session_passes(TargetSessionAttrs::Primary),
            vec![TargetSessionAttrs::Primary]
        );
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut items: Vec<u32> = (0..20).collect();
        shuffle(&mut items);
        items.sort_unstable();
        assert_eq!(items, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn descriptions_read_like_libpq() {
        assert_eq!(tcp().describe(), "server at \"db\" (10.0.0.1), port 5432");
        let ip = Endpoint::Tcp {
            name: "127.0.0.1".into(),
            ip: "127.0.0.1".parse().unwrap(),
            port: 1,
        };
        assert_eq!(ip.describe(), "server at \"127.0.0.1\", port 1");
        let socket = Endpoint::Socket {
            dir: "/tmp".into(),
            port: 5433,
        };
        assert_eq!(socket.describe(), "server on socket \"/tmp/.s.PGSQL.5433\"");
    }

    #[tokio::test]
    async fn resolve_uses_sockets_hostaddrs_and_literals_directly() {
        let spec = |host, hostaddr: Option<&str>| HostSpec {
            host,
            hostaddr: hostaddr.map(|a| a.parse().unwrap()),
            port: 5432,
        };
        let got = resolve(&spec(Host::Socket("/tmp".into()), None), None, false)
            .await
            .unwrap();
        assert!(matches!(&got[..], [Endpoint::Socket { .. }]));
        let got = resolve(&spec(Host::Tcp("db".into()), Some("10.0.0.9")), None, false)
            .await
            .unwrap();
        assert!(
            matches!(&got[..], [Endpoint::Tcp { name, ip, .. }] if name == "db" && ip.to_string() == "10.0.0.9")
        );
        let got = resolve(&spec(Host::Tcp("::1".into()), None), None, false)
            .await
            .unwrap();
        assert!(matches!(&got[..], [Endpoint::Tcp { ip, .. }] if ip.is_loopback()));
    }

    #[tokio::test]
    async fn unresolvable_names_are_reported() {
        let spec = HostSpec {
            host: Host::Tcp("no-such-host.invalid".into()),
            hostaddr: None,
            port: 5432,
        };
        let err = resolve(&spec, Some(Duration::from_secs(10)), false)
            .await
            .err()
            .unwrap();
        assert_eq!(err.kind, FailureKind::Resolve);
        assert!(
            err.reason
                .contains("could not translate host name \"no-such-host.invalid\""),
            "{}",
            err.reason
        );
    }
}
