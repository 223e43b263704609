//! The TLS part of connection settings: sslmode and its defaults (including libpq 16's
//! `sslrootcert=system` rules), certificate file locations, and negotiation options.

use std::path::PathBuf;

use super::keywords::{Options, Source};
use super::values::choice;
use super::{ConnInfoError, Env, RootCert, SslMode, SslSettings};

pub fn ssl(o: &Options, env: &Env) -> Result<SslSettings, ConnInfoError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::conninfo::ConnSettings;

    use crate::db::conninfo::testing::{env, resolve};

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
}
