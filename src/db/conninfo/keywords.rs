//! The table of libpq connection keywords pgvet knows, the environment variable behind
//! each, and what pgvet does with it; plus the merge of string and environment into one
//! map of values that remembers where every value came from.

use std::collections::BTreeMap;
use std::fmt;

use super::{ConnInfoError, Env};

/// What pgvet does with a keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Honoured.
    Used,
    /// Accepted and ignored: it cannot change which server pgvet reaches or how safely.
    Ignored,
    /// Rejected, with the reason: ignoring it could connect somewhere else or less safely.
    Unsupported(&'static str),
}

/// One libpq keyword.
pub struct Keyword {
    pub name: &'static str,
    pub env: Option<&'static str>,
    pub support: Support,
}

const fn kw(name: &'static str, env: Option<&'static str>, support: Support) -> Keyword {
    Keyword { name, env, support }
}

use Support::{Ignored, Unsupported, Used};

/// Every keyword pgvet recognises. Anything else is an invalid connection option.
pub const KEYWORDS: &[Keyword] = &[
    kw("host", Some("PGHOST"), Used),
    kw("hostaddr", Some("PGHOSTADDR"), Used),
    kw("port", Some("PGPORT"), Used),
    kw("dbname", Some("PGDATABASE"), Used),
    kw("user", Some("PGUSER"), Used),
    kw("password", Some("PGPASSWORD"), Used),
    kw("passfile", Some("PGPASSFILE"), Used),
    kw("sslmode", Some("PGSSLMODE"), Used),
    kw("requiressl", Some("PGREQUIRESSL"), Used),
    kw("sslrootcert", Some("PGSSLROOTCERT"), Used),
    kw("sslcert", Some("PGSSLCERT"), Used),
    kw("sslkey", Some("PGSSLKEY"), Used),
    kw("sslnegotiation", Some("PGSSLNEGOTIATION"), Used),
    kw("sslcertmode", Some("PGSSLCERTMODE"), Used),
    kw("connect_timeout", Some("PGCONNECT_TIMEOUT"), Used),
    kw("application_name", Some("PGAPPNAME"), Used),
    kw("fallback_application_name", None, Used),
    kw("options", Some("PGOPTIONS"), Used),
    kw("target_session_attrs", Some("PGTARGETSESSIONATTRS"), Used),
    kw("channel_binding", Some("PGCHANNELBINDING"), Used),
    kw("load_balance_hosts", Some("PGLOADBALANCEHOSTS"), Used),
    kw("keepalives", None, Used),
    kw("keepalives_idle", None, Used),
    kw("keepalives_interval", None, Used),
    kw("keepalives_count", None, Used),
    kw("tcp_user_timeout", None, Used),
    kw("sslcompression", Some("PGSSLCOMPRESSION"), Ignored),
    kw("sslsni", Some("PGSSLSNI"), Ignored),
    kw(
        "ssl_min_protocol_version",
        Some("PGSSLMINPROTOCOLVERSION"),
        Ignored,
    ),
    kw(
        "ssl_max_protocol_version",
        Some("PGSSLMAXPROTOCOLVERSION"),
        Ignored,
    ),
    kw("gssencmode", Some("PGGSSENCMODE"), Used),
    kw("krbsrvname", Some("PGKRBSRVNAME"), Ignored),
    kw("gsslib", Some("PGGSSLIB"), Ignored),
    kw("gssdelegation", Some("PGGSSDELEGATION"), Ignored),
    kw("client_encoding", Some("PGCLIENTENCODING"), Ignored),
    kw(
        "service",
        Some("PGSERVICE"),
        Unsupported("service files are not read; spell the settings out"),
    ),
    kw(
        "sslcrl",
        Some("PGSSLCRL"),
        Unsupported("certificate revocation lists are not checked"),
    ),
    kw(
        "sslcrldir",
        Some("PGSSLCRLDIR"),
        Unsupported("certificate revocation lists are not checked"),
    ),
    kw(
        "sslpassword",
        None,
        Unsupported("encrypted client keys are not supported; decrypt the key file"),
    ),
    kw(
        "requirepeer",
        Some("PGREQUIREPEER"),
        Unsupported("the socket peer cannot be checked"),
    ),
    kw(
        "require_auth",
        Some("PGREQUIREAUTH"),
        Unsupported("the authentication method cannot be restricted"),
    ),
    kw(
        "replication",
        None,
        Unsupported("replication connections cannot run queries"),
    ),
];

/// Where a value came from, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The connection string (or URI).
    String,
    /// An environment variable.
    Env(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::String => f.write_str("the connection string"),
            Source::Env(var) => write!(f, "environment variable {var}"),
        }
    }
}

/// A value and its origin.
#[derive(Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub source: Source,
}

/// The merged settings: string first, then the environment for whatever is missing.
pub struct Options(BTreeMap<&'static str, Value>);

impl Options {
    /// Validates keywords and fills from `env` what the string did not specify.
    pub fn merge(pairs: Vec<(String, String)>, env: &Env) -> Result<Options, ConnInfoError> {
        let mut map = BTreeMap::new();
        for (key, text) in pairs {
            let keyword = lookup(&key).ok_or(ConnInfoError::InvalidOption(key))?;
            map.insert(
                keyword.name,
                Value {
                    text,
                    source: Source::String,
                },
            );
        }
        for keyword in KEYWORDS {
            let Some(var) = keyword.env else { continue };
            if let (false, Some(text)) = (map.contains_key(keyword.name), env.var(var)) {
                let value = Value {
                    text: text.to_owned(),
                    source: Source::Env(var),
                };
                map.insert(keyword.name, value);
            }
        }
        let options = Options(map);
        options.check_support()?;
        Ok(options)
    }

    fn check_support(&self) -> Result<(), ConnInfoError> {
        for (name, value) in &self.0 {
            match lookup(name).map(|k| k.support) {
                Some(Unsupported(reason)) => {
                    return Err(ConnInfoError::Unsupported {
                        keyword: name,
                        origin: value.source,
                        reason,
                    });
                }
                Some(Ignored) => {
                    tracing::debug!("ignoring connection option {name} (from {})", value.source)
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The value, even if empty.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// The value, treating an empty one as absent (libpq's rule for most keywords).
    pub fn non_empty(&self, name: &str) -> Option<&Value> {
        self.get(name).filter(|v| !v.text.is_empty())
    }

    /// The text of a non-empty value.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.non_empty(name).map(|v| v.text.as_str())
    }

    /// An error saying this keyword's value is not valid and what would be.
    pub fn invalid(&self, name: &'static str, expected: &'static str) -> ConnInfoError {
        let (value, source) = match self.get(name) {
            Some(v) => (v.text.clone(), v.source),
            None => (String::new(), Source::String),
        };
        ConnInfoError::InvalidValue {
            keyword: name,
            value,
            origin: source,
            expected,
        }
    }
}

/// The keyword entry for a name, if pgvet knows it.
pub fn lookup(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn string_wins_over_env_even_when_empty() {
        let env = Env::empty()
            .with_var("PGHOST", "envhost")
            .with_var("PGPORT", "6000");
        let opts = Options::merge(pairs(&[("host", "")]), &env).unwrap();
        assert_eq!(opts.get("host").unwrap().text, "");
        assert!(opts.non_empty("host").is_none());
        let port = opts.get("port").unwrap();
        assert_eq!(
            (port.text.as_str(), port.source),
            ("6000", Source::Env("PGPORT"))
        );
    }

    #[test]
    fn later_pairs_override_earlier_ones() {
        let opts = Options::merge(pairs(&[("port", "1"), ("port", "2")]), &Env::empty()).unwrap();
        assert_eq!(opts.text("port"), Some("2"));
    }

    #[test]
    fn unknown_keyword_is_named() {
        let err = Options::merge(pairs(&[("hots", "x")]), &Env::empty())
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("invalid connection option \"hots\""),
            "{err}"
        );
    }

    #[test]
    fn unsupported_keyword_from_env_is_rejected() {
        let env = Env::empty().with_var("PGSERVICE", "prod");
        let err = Options::merge(Vec::new(), &env).err().unwrap();
        let text = err.to_string();
        assert!(
            text.contains("\"service\"") && text.contains("PGSERVICE"),
            "{text}"
        );
    }

    #[test]
    fn ignored_keywords_are_accepted() {
        let list = pairs(&[
            ("keepalives", "1"),
            ("sslcompression", "0"),
            ("gssencmode", "disable"),
        ]);
        assert!(Options::merge(list, &Env::empty()).is_ok());
    }

    #[test]
    fn table_has_no_duplicates() {
        for (i, k) in KEYWORDS.iter().enumerate() {
            assert!(
                KEYWORDS[i + 1..].iter().all(|o| o.name != k.name),
                "{}",
                k.name
            );
        }
    }
}
