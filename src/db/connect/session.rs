//! What each attempt sends (the tokio-postgres `Config` for one address) and what it
//! checks once connected (server version, recovery and read-only state for
//! `target_session_attrs`).

use std::time::Duration;

use tokio_postgres::config::{SslMode as WireMode, SslNegotiation};
use tokio_postgres::{Client, Config, SimpleQueryMessage};

use super::route::Endpoint;
use crate::db::conninfo::{ConnSettings, TargetSessionAttrs};

pub fn pg_config(
    s: &ConnSettings,
    endpoint: &Endpoint,
    password: Option<&str>,
    wire: WireMode,
) -> Config {
    let mut config = Config::new();
    config
        .user(&s.user)
        .dbname(&s.dbname)
        .application_name(&s.application_name)
        .channel_binding(s.channel_binding)
        .keepalives(s.tcp.keepalives)
        .ssl_mode(wire);
    match endpoint {
        Endpoint::Socket { dir, port } => config.host_path(dir).port(*port),
        Endpoint::Tcp { name, ip, port } => config.host(name).hostaddr(*ip).port(*port),
    };
    if s.ssl.direct && wire == WireMode::Require {
        config.ssl_negotiation(SslNegotiation::Direct);
    }
    if let Some(options) = &s.options {
        config.options(options);
    }
    if let Some(password) = password {
        config.password(password);
    }
    if let Some(timeout) = s.connect_timeout {
        config.connect_timeout(timeout);
    }
    if let Some(timeout) = s.tcp.user_timeout {
        config.tcp_user_timeout(timeout);
    }
    // Unlike the operating system's default (2 hours idle), a peer that vanished behind a
    // black-holing firewall is noticed within about a minute; explicit settings win.
    config
        .keepalives_idle(s.tcp.keepalives_idle.unwrap_or(KEEPALIVES_IDLE))
        .keepalives_interval(s.tcp.keepalives_interval.unwrap_or(KEEPALIVES_INTERVAL))
        .keepalives_retries(s.tcp.keepalives_count.unwrap_or(KEEPALIVES_COUNT));
    config
}

/// TCP keepalives pgvet uses unless the connection string sets them: the first probe after
/// 30 s of silence, then one every 10 s, and the connection is dead after 3 unanswered.
pub const KEEPALIVES_IDLE: Duration = Duration::from_secs(30);
pub const KEEPALIVES_INTERVAL: Duration = Duration::from_secs(10);
pub const KEEPALIVES_COUNT: u32 = 3;

/// What the new session says about itself.
pub struct SessionFacts {
    pub version: String,
    in_recovery: bool,
    read_only: bool,
    /// The role pgvet is connected as.
    pub user: String,
    pub superuser: bool,
    /// Schemas that the session's `search_path` puts before `pg_catalog`: functions and
    /// operators there can take the place of built-in ones in the suite's own SQL.
    pub before_catalog: Vec<String>,
}

/// Read in a READ ONLY transaction, calling only `pg_catalog`'s functions by their qualified
/// names, with no operator and no cast: nothing a database user created can take part.
const FACTS_QUERY: &str = "BEGIN TRANSACTION READ ONLY; \
     SELECT pg_catalog.current_setting('server_version'), pg_catalog.pg_is_in_recovery(), \
     pg_catalog.current_setting('default_transaction_read_only'), CURRENT_USER, \
     pg_catalog.current_setting('is_superuser'), pg_catalog.current_schemas(true); ROLLBACK";

pub async fn session_facts(client: &Client) -> Result<SessionFacts, tokio_postgres::Error> {
    let messages = client.simple_query(FACTS_QUERY).await?;
    let row = messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    });
    let field = |i| row.and_then(|r| r.get(i)).unwrap_or_default();
    let in_recovery = field(1) == "t";
    Ok(SessionFacts {
        version: field(0).to_owned(),
        in_recovery,
        // What `SHOW transaction_read_only` says outside a transaction block.
        read_only: in_recovery || field(2) == "on",
        user: field(3).to_owned(),
        superuser: field(4) == "on",
        before_catalog: schemas_before_catalog(field(5)),
    })
}

/// The schemas listed before `pg_catalog` in `current_schemas(true)`'s text form
/// (`{public,pg_catalog}`, names with special characters double-quoted); temporary schemas are
/// left out (functions and operators are never looked up there).
fn schemas_before_catalog(array: &str) -> Vec<String> {
    let inner = array.trim().trim_start_matches('{').trim_end_matches('}');
    let mut names = Vec::new();
    let (mut current, mut quoted, mut chars) = (String::new(), false, inner.chars());
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => current.extend(chars.next()),
            ',' if !quoted => names.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    if !inner.is_empty() {
        names.push(current);
    }
    names
        .into_iter()
        .take_while(|n| n != "pg_catalog")
        .filter(|n| !n.starts_with("pg_temp"))
        .collect()
}

impl SessionFacts {
    /// Why this session does not satisfy `target_session_attrs`, if it does not.
    pub fn mismatch(&self, wanted: TargetSessionAttrs) -> Option<String> {
        use TargetSessionAttrs::*;
        let reason = match wanted {
            ReadWrite if self.read_only => "session is read-only",
            ReadOnly if !self.read_only => "session is not read-only",
            Primary if self.in_recovery => "server is in hot standby mode",
            Standby if !self.in_recovery => "server is not in hot standby mode",
            _ => return None,
        };
        Some(format!("{reason} (target_session_attrs asks otherwise)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::conninfo::Env;

    fn facts(in_recovery: bool, read_only: bool) -> SessionFacts {
        SessionFacts {
            version: "17.0".into(),
            in_recovery,
            read_only,
            user: "u".into(),
            superuser: false,
            before_catalog: Vec::new(),
        }
    }

    #[test]
    fn schemas_before_pg_catalog_are_found() {
        assert!(schemas_before_catalog("{pg_catalog,public}").is_empty());
        assert_eq!(
            schemas_before_catalog("{pg_temp_3,public,\"we,ird\\\"s\",pg_catalog,x}"),
            ["public", "we,ird\"s"]
        );
        assert!(schemas_before_catalog("{}").is_empty());
    }

    #[test]
    fn session_attrs_match_like_libpq() {
        use TargetSessionAttrs::*;
        let primary = facts(false, false);
        let standby = facts(true, true);
        let read_only_primary = facts(false, true);
        assert!(primary.mismatch(Any).is_none() && standby.mismatch(Any).is_none());
        assert!(primary.mismatch(ReadWrite).is_none());
        assert!(standby.mismatch(ReadWrite).unwrap().contains("read-only"));
        assert!(read_only_primary.mismatch(ReadWrite).is_some());
        assert!(read_only_primary.mismatch(ReadOnly).is_none());
        assert!(primary.mismatch(ReadOnly).is_some());
        assert!(primary.mismatch(Primary).is_none() && standby.mismatch(Primary).is_some());
        assert!(standby.mismatch(Standby).is_none() && primary.mismatch(Standby).is_some());
    }

    #[test]
    fn config_carries_the_settings() {
        let env = Env::empty().with_os_user("u");
        let text = "user=alice dbname=app password=pw application_name=vet options='-c a=b' connect_timeout=7";
        let settings = ConnSettings::resolve(Some(text), &env).unwrap();
        let endpoint = Endpoint::Tcp {
            name: "db".into(),
            ip: "10.0.0.1".parse().unwrap(),
            port: 6000,
        };
        let config = pg_config(&settings, &endpoint, Some("pw"), WireMode::Require);
        assert_eq!(config.get_user(), Some("alice"));
        assert_eq!(config.get_dbname(), Some("app"));
        assert_eq!(config.get_password(), Some(&b"pw"[..]));
        assert_eq!(config.get_application_name(), Some("vet"));
        assert_eq!(config.get_options(), Some("-c a=b"));
        assert_eq!(config.get_ports(), &[6000]);
        assert_eq!(
            config.get_hostaddrs(),
            &["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(config.get_ssl_mode(), WireMode::Require);
        assert_eq!(
            config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(7))
        );
        assert!(config.get_keepalives());
        assert_eq!(config.get_keepalives_idle(), KEEPALIVES_IDLE);
        let text = "host=db keepalives_idle=5";
        let explicit = ConnSettings::resolve(Some(text), &env).unwrap();
        let config = pg_config(&explicit, &endpoint, None, WireMode::Disable);
        assert_eq!(config.get_keepalives_idle(), Duration::from_secs(5));
    }
}
