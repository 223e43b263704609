//! Parsing of the single-valued connection options: integers, fixed word lists, the
//! connect timeout, session attributes, channel binding and TCP keepalives.

use std::time::Duration;

use super::keywords::Options;
use super::{
    ChannelBinding, ConnInfoError, DEFAULT_CONNECT_TIMEOUT, TargetSessionAttrs, TcpSettings,
};

/// libpq's rule: unset means pgvet's default; zero or negative means no limit; a value
/// of 1 means 2 seconds.
pub fn connect_timeout(o: &Options) -> Result<Option<Duration>, ConnInfoError> {
    match integer(o, "connect_timeout")? {
        None => Ok(Some(DEFAULT_CONNECT_TIMEOUT)),
        Some(n) if n <= 0 => Ok(None),
        Some(n) => Ok(Some(Duration::from_secs(n.max(2) as u64))),
    }
}

pub fn target_session_attrs(o: &Options) -> Result<TargetSessionAttrs, ConnInfoError> {
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

pub fn channel_binding(o: &Options) -> Result<ChannelBinding, ConnInfoError> {
    let table = [
        ("disable", ChannelBinding::Disable),
        ("prefer", ChannelBinding::Prefer),
        ("require", ChannelBinding::Require),
    ];
    choice(o, "channel_binding", &table, ChannelBinding::Prefer)
}

pub fn tcp(o: &Options) -> Result<TcpSettings, ConnInfoError> {
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
pub fn choice<T: Copy>(
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
pub fn integer(o: &Options, name: &'static str) -> Result<Option<i64>, ConnInfoError> {
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

    use crate::db::conninfo::testing::{env, resolve};

    #[test]
    fn connect_timeout_rules() {
        let timeout = |t: &str| resolve(&format!("connect_timeout={t}"), &env()).connect_timeout;
        assert_eq!(timeout("0"), None);
        assert_eq!(timeout("-3"), None);
        assert_eq!(timeout("1"), Some(Duration::from_secs(2)));
        assert_eq!(timeout(" 30 "), Some(Duration::from_secs(30)));
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
}
