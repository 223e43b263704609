//! What a connection string's parse errors may quote. A parse error shows the text it could
//! not parse, and next to a password that text can be the password's own rest: `password=horse
//! battery` (an unquoted space), `?password=ho&rse` (an unencoded `&`),
//! `postgresql://u:se/cret@h` (an unencoded `/` splits the URI before the `@`, and `se` becomes
//! a port). So what follows a secret's value is never quoted, a keyword that starts like a
//! secret is cut short, and a URI whose `@` comes after its first `/` or `?` is shown with its
//! password redacted unless libpq's reading of it is one a user could mean.

use super::ConnInfoError;
use super::keywords::lookup;
use super::parse::Pairs;

/// Keywords whose values are secrets: the password, and the client key's passphrase.
const SECRETS: [&str; 2] = ["password", "sslpassword"];

pub(super) fn secret(key: &str) -> Option<&'static str> {
    SECRETS.iter().copied().find(|s| *s == key)
}

/// A keyword as an error may quote it: `password:horse` (a `:` for the `=`) shows as
/// `password…`.
pub(super) fn quotable(key: &str) -> String {
    match SECRETS.iter().find(|s| key.starts_with(*s)) {
        Some(s) if key.len() > s.len() => format!("{s}…"),
        _ => key.to_owned(),
    }
}

/// An unknown keyword that starts like a secret (`password:horse=`) is refused here, shown as
/// [`quotable`] shows it.
pub(super) fn unknown_secretish(key: &str) -> Result<(), ConnInfoError> {
    match quotable(key) {
        shown if shown != key && lookup(key).is_none() => Err(ConnInfoError::InvalidOption(shown)),
        _ => Ok(()),
    }
}

/// After a secret's value in a `key=value` string, only a known `keyword=` may follow; anything
/// else is refused without being quoted.
pub(super) fn after_secret(keyword: &'static str) -> ConnInfoError {
    ConnInfoError::AfterSecret {
        keyword,
        form: "keyword=value",
        fix: "quote a value that holds spaces or quotes: keyword='…' (write \\' for a quote, \\\\ for a backslash)",
    }
}

/// The same in a URI's query: an unencoded `&` in the secret starts a bogus parameter.
pub(super) fn after_secret_parameter(keyword: &'static str) -> ConnInfoError {
    ConnInfoError::AfterSecret {
        keyword,
        form: "a URI parameter key=value",
        fix: "percent-encode special characters in the value, e.g. %26 for &",
    }
}

/// For `user:pa/ss@host`, `user:pa?ss@host` or `user:a@b/c@host`: libpq ends the user and
/// password at the first `@` before the first `/` or `?`, so an `@` after those means the
/// password may have been split, and its pieces taken for a host, port, database or parameter.
/// Returns the URI with everything from the first `:` to the last `@` redacted.
pub(super) fn hidden_password(prefix: &str, rest: &str) -> Option<String> {
    let split = rest.find(['/', '?'])?;
    let at = rest.rfind('@').filter(|&at| at > split)?;
    let colon = rest[..split].find(':')?;
    Some(format!(
        "{prefix}{}:***@{}",
        &rest[..colon],
        &rest[at + 1..]
    ))
}

/// Whether libpq's reading of such a URI is one a user could mean: numeric ports, a database
/// or host name without `@` (write `%40`), only known keywords. Otherwise pieces of the
/// password sit in the pairs, and any later message could quote them.
pub(super) fn plausible(pairs: &Pairs) -> bool {
    pairs.iter().all(|(key, value)| match key.as_str() {
        "port" => value
            .split(',')
            .all(|p| p.chars().all(|c| c.is_ascii_digit())),
        "dbname" | "host" => !value.contains('@'),
        key => lookup(key).is_some(),
    })
}

#[cfg(test)]
mod tests {
    use crate::db::conninfo::ConnSettings;
    use crate::db::conninfo::testing::{env, resolve};

    /// The error for `input`; it must quote none of `pieces` (the password's words).
    fn error_without(input: &str, pieces: &[&str]) -> String {
        let err = match ConnSettings::resolve(Some(input), &env()) {
            Ok(_) => panic!("{input}: resolved"),
            Err(e) => e.to_string(),
        };
        for piece in pieces {
            assert!(!err.contains(piece), "{input}: {err}");
        }
        err
    }

    #[test]
    fn nothing_after_a_password_value_is_quoted() {
        // `password=horse x` said: missing "=" after "x".
        for input in [
            "host=h password=hX7q Zr9k",
            "host=h password=hX7q Zr9k=1",
            "password='hX7q'Zr9k host=h",
            "user=u sslpassword=hX7q Zr9k",
        ] {
            let err = error_without(input, &["hX7q", "Zr9k"]);
            assert!(err.contains("(not shown: it may be part of the"), "{err}");
        }
        for input in ["password:hX7qZr9k host=h", "password:hX7q=Zr9k"] {
            let err = error_without(input, &["hX7q", "Zr9k"]);
            assert!(err.contains("\"password…\""), "{err}");
        }
    }

    #[test]
    fn a_uri_split_inside_its_password_is_shown_redacted() {
        for (input, shown) in [
            ("postgresql://u:hX7q/Zr9k@h/db", "postgresql://u:***@h/db"),
            ("postgresql://u:hX7q?Zr9k@h/db", "postgresql://u:***@h/db"),
            (
                "postgres://u:4312/Zr9k@h:5433/db",
                "postgres://u:***@h:5433/db",
            ),
            ("postgresql://u:hX7q@Zr9k/x@h/db", "postgresql://u:***@h/db"),
            ("postgresql://u:hX7q?host=Zr9k@h", "postgresql://u:***@h"),
            ("postgresql://[u:hX7q/Zr9k@h/db", "postgresql://[u:***@h/db"),
            (
                "postgresql://u:hX7q/Zr9k%zz@h/db",
                "postgresql://u:***@h/db",
            ),
        ] {
            let err = error_without(input, &["hX7q", "Zr9k", "4312"]);
            assert!(
                err.starts_with(&format!("cannot parse the connection URI {shown}: ")),
                "{err}"
            );
        }
    }

    #[test]
    fn nothing_after_a_password_parameter_is_quoted() {
        for input in [
            "postgresql://h/db?password=hX7q&Zr9k",
            "postgresql://h/db?password=hX7q&Zr9k=1",
        ] {
            let err = error_without(input, &["hX7q", "Zr9k"]);
            assert!(err.contains("e.g. %26 for &"), "{err}");
        }
        let err = error_without("postgresql://h/db?passwordhX7q", &["hX7q"]);
        assert!(err.contains("\"password…\""), "{err}");
    }

    #[test]
    fn digits_then_a_uri_tail_read_as_libpq_reads_them() {
        // The residual case (docs/FUZZING.md): a "password" `1234?application_name=x` cannot
        // be told from a port and a parameter, so pgvet reads it as libpq does.
        let s = resolve("postgresql://u:1234?application_name=x@h", &env());
        assert_eq!(s.hosts[0].port, 1234);
        assert_eq!(s.application_name, "x@h");
    }

    #[test]
    fn what_a_user_means_still_parses_and_other_errors_still_quote() {
        let s = resolve("postgresql://h:5432/db?user=me@srv", &env());
        assert_eq!((s.user.as_str(), s.dbname.as_str()), ("me@srv", "db"));
        let s = resolve("host=h password='hX7q Zr9k' user=u", &env());
        assert_eq!(s.password(), Some("hX7q Zr9k"));
        let s = resolve("postgresql://u:a%2Fb@h/db?password=x%26y", &env());
        assert_eq!(s.password(), Some("x&y"));
        let err = error_without("host=a port", &[]);
        assert!(err.contains("missing \"=\" after \"port\""), "{err}");
        let err = error_without("host=h passwd=x", &[]);
        assert!(
            err.contains("invalid connection option \"passwd\""),
            "{err}"
        );
    }
}
