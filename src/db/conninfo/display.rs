//! Human-facing renderings of [`ConnSettings`] that never reveal the password: a redacted
//! URI for logs and output, a short "target" phrase for error messages, and `Debug`.

use std::fmt;
use std::net::Ipv6Addr;

use super::{ConnSettings, Host, HostSpec, TargetSessionAttrs};

impl ConnSettings {
    /// A libpq URI for these settings with the password replaced by `***`, e.g.
    /// `postgresql://alice:***@db.example:5432/app?sslmode=require`.
    pub fn redacted(&self) -> String {
        self.redacted_for(&self.hosts)
    }

    /// The redacted URI restricted to one host (e.g. the one that answered).
    pub fn redacted_for(&self, hosts: &[HostSpec]) -> String {
        let mut uri = format!("postgresql://{}", encode(&self.user));
        if self.password().is_some() {
            uri.push_str(":***");
        }
        uri.push('@');
        let list: Vec<String> = hosts.iter().map(uri_host).collect();
        uri.push_str(&list.join(","));
        uri.push('/');
        uri.push_str(&encode(&self.dbname));
        let mut params = Vec::new();
        if hosts.iter().any(|h| h.hostaddr.is_some()) {
            let addrs: Vec<String> = hosts
                .iter()
                .map(|h| h.hostaddr.map(|a| a.to_string()).unwrap_or_default())
                .collect();
            params.push(format!("hostaddr={}", encode(&addrs.join(","))));
        }
        params.push(format!("sslmode={}", self.ssl.mode));
        if self.target_session_attrs != TargetSessionAttrs::Any {
            params.push(format!(
                "target_session_attrs={}",
                attrs_name(self.target_session_attrs)
            ));
        }
        uri.push('?');
        uri.push_str(&params.join("&"));
        uri
    }

    /// Which servers, user and database a connection goes to, for error messages, e.g.
    /// `user "alice", database "app" on db.example:5432, socket /tmp/.s.PGSQL.5432`.
    pub fn target(&self) -> String {
        let hosts: Vec<String> = self.hosts.iter().map(describe_host).collect();
        format!(
            "user \"{}\" to database \"{}\" on {}",
            self.user,
            self.dbname,
            hosts.join(", ")
        )
    }
}

/// `db.example:5432`, `[::1]:5432`, `10.0.0.5:5432 (db.example)`, or
/// `socket /var/run/postgresql/.s.PGSQL.5432`.
pub fn describe_host(spec: &HostSpec) -> String {
    match (&spec.host, spec.hostaddr) {
        (Host::Socket(_), _) => {
            format!(
                "socket {}",
                spec.socket_file().unwrap_or_default().display()
            )
        }
        (Host::Tcp(name), Some(addr)) if *name != addr.to_string() => {
            format!("{} ({name})", bracketed(&addr.to_string(), spec.port))
        }
        (Host::Tcp(name), _) => bracketed(name, spec.port),
    }
}

fn bracketed(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// An IPv6 address in brackets, anything else percent-encoded: a name is shown as written, and
/// no `:`, `/` or `]` in it can change how the URI reads.
fn uri_host(spec: &HostSpec) -> String {
    match &spec.host {
        Host::Tcp(name) if name.parse::<Ipv6Addr>().is_ok() => format!("[{name}]:{}", spec.port),
        Host::Tcp(name) => format!("{}:{}", encode(name), spec.port),
        Host::Socket(dir) => format!("{}:{}", encode(&dir.to_string_lossy()), spec.port),
    }
}

fn attrs_name(attrs: TargetSessionAttrs) -> &'static str {
    match attrs {
        TargetSessionAttrs::Any => "any",
        TargetSessionAttrs::ReadWrite => "read-write",
        TargetSessionAttrs::ReadOnly => "read-only",
        TargetSessionAttrs::Primary => "primary",
        TargetSessionAttrs::Standby => "standby",
        TargetSessionAttrs::PreferStandby => "prefer-standby",
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl fmt::Display for ConnSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Written by hand so the password can never be printed.
impl fmt::Debug for ConnSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnSettings")
            .field("hosts", &self.hosts)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .field("password", &self.password().map(|_| "***"))
            .field("passfile", &self.passfile)
            .field("ssl", &self.ssl)
            .field("connect_timeout", &self.connect_timeout)
            .field("application_name", &self.application_name)
            .field("options", &self.options)
            .field("target_session_attrs", &self.target_session_attrs)
            .field("channel_binding", &self.channel_binding)
            .field("load_balance_hosts", &self.load_balance_hosts)
            .field("tcp", &self.tcp)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Env;
    use super::*;

    fn settings(text: &str) -> ConnSettings {
        let env = Env::empty()
            .with_os_user("osuser")
            .with_socket_dir("/run/pg");
        ConnSettings::resolve(Some(text), &env).unwrap()
    }

    #[test]
    fn redacted_uri_hides_password() {
        let s = settings("postgresql://alice:s3cret@db.example/app?sslmode=require");
        assert_eq!(
            s.to_string(),
            "postgresql://alice:***@db.example:5432/app?sslmode=require"
        );
        assert!(!format!("{s:?}").contains("s3cret"));
        assert!(format!("{s:?}").contains("\"***\""));
        assert!(!s.target().contains("s3cret"));
    }

    #[test]
    fn redacted_uri_encodes_sockets_ipv6_and_names() {
        let s = settings("host=/run/pg,::1,h port=1,2,3 user=a@b dbname='my db'");
        let want = "postgresql://a%40b@%2Frun%2Fpg:1,[::1]:2,h:3/my%20db?sslmode=prefer";
        assert_eq!(s.redacted(), want);
    }

    #[test]
    fn redacted_uri_round_trips_through_the_parser() {
        let s = settings(
            "host=/run/pg,db hostaddr=,10.0.0.1 port=1,2 user=u dbname=d target_session_attrs=primary",
        );
        let again = settings(&s.redacted());
        assert_eq!(
            (again.hosts, again.user, again.dbname),
            (s.hosts, s.user, s.dbname)
        );
        assert_eq!(again.target_session_attrs, TargetSessionAttrs::Primary);
    }

    #[test]
    fn a_host_name_with_colons_and_slashes_is_encoded_not_bracketed() {
        // Found by fuzzing: `[a:b/c]:5432` split at the `/`, so the URI named another port.
        let s = settings("host='a:b/c],d' user=u dbname=d");
        assert_eq!(
            s.redacted(),
            "postgresql://u@a%3Ab%2Fc%5D:5432,d:5432/d?sslmode=prefer"
        );
        assert_eq!(settings(&s.redacted()).hosts, s.hosts);
    }

    #[test]
    fn target_names_hosts_user_and_database() {
        let s = settings(
            "host=db.example,/tmp hostaddr=10.0.0.5, port=5433,5434 user=alice dbname=app",
        );
        assert_eq!(
            s.target(),
            "user \"alice\" to database \"app\" on 10.0.0.5:5433 (db.example), socket /tmp/.s.PGSQL.5434"
        );
    }

    #[test]
    fn redacted_for_one_host() {
        let s = settings("host=a,b user=u dbname=d");
        assert_eq!(
            s.redacted_for(&s.hosts[1..]),
            "postgresql://u@b:5432/d?sslmode=prefer"
        );
    }
}
