//! Turns a connection string into `(keyword, value)` pairs, following libpq's grammar for
//! both forms: `key=value` conninfo strings and `postgresql://` URIs. Keywords are checked by
//! [`super::keywords`], except next to a secret: no parse error quotes a piece of a password
//! (see [`super::secrets`]).

use super::ConnInfoError;
use super::keywords::lookup;
use super::secrets::{
    after_secret, after_secret_parameter, hidden_password, plausible, quotable, secret,
    unknown_secretish,
};

/// The URI prefixes libpq accepts.
const URI_PREFIXES: [&str; 2] = ["postgresql://", "postgres://"];

/// Pairs in the order they appeared; a later pair overrides an earlier one.
pub type Pairs = Vec<(String, String)>;

/// Parses a URI, a conninfo string, or (like psql) a bare database name. A NUL character is
/// refused, as `%00` is: libpq's strings end there, and the server's startup message cannot
/// carry one.
pub fn parse(input: &str) -> Result<Pairs, ConnInfoError> {
    if input.contains('\0') {
        return Err(ConnInfoError::Nul);
    }
    if let Some(prefix) = URI_PREFIXES.iter().find(|p| input.starts_with(*p)) {
        parse_uri(prefix, &input[prefix.len()..])
    } else if input.contains('=') {
        parse_keyword_value(input)
    } else {
        Ok(vec![("dbname".to_owned(), input.to_owned())])
    }
}

/// Parses `key = value` pairs separated by whitespace; values may be single-quoted, and
/// a backslash escapes the next character inside or outside quotes.
fn parse_keyword_value(input: &str) -> Result<Pairs, ConnInfoError> {
    let mut chars = input.chars().peekable();
    let mut pairs = Pairs::new();
    // The secret keyword whose value came last: what follows it may be its rest.
    let mut previous_secret = None;
    loop {
        skip_spaces(&mut chars);
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        skip_spaces(&mut chars);
        let equals = chars.next() == Some('=');
        match previous_secret {
            Some(keyword) if !equals || lookup(&key).is_none() => {
                return Err(after_secret(keyword));
            }
            _ if !equals => return Err(ConnInfoError::MissingEquals(quotable(&key))),
            _ => unknown_secretish(&key)?,
        }
        previous_secret = secret(&key);
        skip_spaces(&mut chars);
        let value = if chars.peek() == Some(&'\'') {
            chars.next();
            quoted_value(&mut chars)?
        } else {
            bare_value(&mut chars)
        };
        pairs.push((key, value));
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_spaces(chars: &mut Chars<'_>) {
    while chars.next_if(|c| c.is_whitespace()).is_some() {}
}

fn bare_value(chars: &mut Chars<'_>) -> String {
    let mut value = String::new();
    while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
        if c == '\\' {
            if let Some(escaped) = chars.next() {
                value.push(escaped);
            }
        } else {
            value.push(c);
        }
    }
    value
}

fn quoted_value(chars: &mut Chars<'_>) -> Result<String, ConnInfoError> {
    let mut value = String::new();
    loop {
        match chars.next() {
            None => return Err(ConnInfoError::UnterminatedQuote),
            Some('\'') => return Ok(value),
            Some('\\') => match chars.next() {
                Some(escaped) => value.push(escaped),
                None => return Err(ConnInfoError::UnterminatedQuote),
            },
            Some(c) => value.push(c),
        }
    }
}

/// Parses what follows `postgresql://` as libpq does, unless a password hides in it.
fn parse_uri(prefix: &str, rest: &str) -> Result<Pairs, ConnInfoError> {
    let parsed = parse_uri_parts(rest);
    let Some(redacted) = hidden_password(prefix, rest) else {
        return parsed;
    };
    match parsed {
        Ok(pairs) if plausible(&pairs) => Ok(pairs),
        _ => Err(ConnInfoError::UnencodedPassword { redacted }),
    }
}

/// Parses what follows `postgresql://`:
/// `[user[:password]@][host][:port][,...][/dbname][?param=value&...]`.
fn parse_uri_parts(rest: &str) -> Result<Pairs, ConnInfoError> {
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, dbname) = match before_query.split_once('/') {
        Some((a, d)) => (a, Some(d)),
        None => (before_query, None),
    };
    let mut pairs = Pairs::new();
    let hosts = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            push_userinfo(userinfo, &mut pairs)?;
            hosts
        }
        None => authority,
    };
    push_hosts(hosts, &mut pairs)?;
    if let Some(dbname) = dbname.filter(|d| !d.is_empty()) {
        pairs.push(("dbname".to_owned(), percent_decode(dbname)?));
    }
    if let Some(query) = query {
        push_query(query, &mut pairs)?;
    }
    Ok(pairs)
}

fn push_userinfo(userinfo: &str, pairs: &mut Pairs) -> Result<(), ConnInfoError> {
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    if !user.is_empty() {
        pairs.push(("user".to_owned(), percent_decode(user)?));
    }
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        pairs.push(("password".to_owned(), percent_decode(password)?));
    }
    Ok(())
}

/// Splits `h1:p1,[::1]:p2,h3` into one `host` and one `port` list, each comma-separated,
/// stored only when not empty (so the environment can still fill them).
fn push_hosts(hosts: &str, pairs: &mut Pairs) -> Result<(), ConnInfoError> {
    let mut host_list = Vec::new();
    let mut port_list = Vec::new();
    for item in hosts.split(',') {
        let (host, port) = split_host_port(item)?;
        host_list.push(percent_decode(host)?);
        port_list.push(percent_decode(port.unwrap_or(""))?);
    }
    let host_list = host_list.join(",");
    let port_list = port_list.join(",");
    if !host_list.chars().all(|c| c == ',') {
        pairs.push(("host".to_owned(), host_list));
    }
    if !port_list.chars().all(|c| c == ',') {
        pairs.push(("port".to_owned(), port_list));
    }
    Ok(())
}

fn split_host_port(item: &str) -> Result<(&str, Option<&str>), ConnInfoError> {
    if let Some(bracketed) = item.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(ConnInfoError::BadUri(format!(
                "missing \"]\" after IPv6 host address \"[{bracketed}\""
            )));
        };
        if host.is_empty() {
            return Err(ConnInfoError::BadUri(
                "IPv6 host address may not be empty".into(),
            ));
        }
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(ConnInfoError::BadUri(format!(
                    "unexpected \"{after}\" after IPv6 host address \"[{host}]\""
                ))),
            },
        };
    }
    Ok(match item.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (item, None),
    })
}

fn push_query(query: &str, pairs: &mut Pairs) -> Result<(), ConnInfoError> {
    // The secret parameter that came last: an unencoded `&` in it starts a bogus parameter.
    let mut previous_secret = None;
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let split = param.split_once('=');
        let known =
            split.is_some_and(|(k, _)| percent_decode(k).is_ok_and(|k| lookup(&k).is_some()));
        if let (Some(keyword), false) = (previous_secret, known) {
            return Err(after_secret_parameter(keyword));
        }
        let Some((key, value)) = split else {
            return Err(ConnInfoError::BadUri(format!(
                "missing key/value separator \"=\" in URI query parameter \"{}\"",
                quotable(&percent_decode(param)?)
            )));
        };
        let key = percent_decode(key)?;
        unknown_secretish(&key)?;
        previous_secret = secret(&key);
        let value = percent_decode(value)?;
        // JDBC compatibility, as libpq: ssl=true means sslmode=require.
        if key == "ssl" && value == "true" {
            pairs.push(("sslmode".to_owned(), "require".to_owned()));
        } else {
            pairs.push((key, value));
        }
    }
    Ok(())
}

/// Decodes `%XX` escapes (not `+`); `%00` and malformed escapes are errors, as in libpq.
pub fn percent_decode(text: &str) -> Result<String, ConnInfoError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
        match byte {
            Some(0) => return Err(ConnInfoError::PercentZero),
            Some(b) => out.push(b),
            None => return Err(ConnInfoError::BadPercent),
        }
        i += 3;
    }
    String::from_utf8(out).map_err(|_| ConnInfoError::BadPercent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn bare_word_is_a_dbname() {
        assert_eq!(parse("mydb").unwrap(), pairs(&[("dbname", "mydb")]));
    }

    #[test]
    fn keyword_value_with_spaces_and_quotes() {
        let got =
            parse(" host = db  port=5433 password='it\\'s a \\\\ secret' user=al\\ ice").unwrap();
        let want = pairs(&[
            ("host", "db"),
            ("port", "5433"),
            ("password", "it's a \\ secret"),
            ("user", "al ice"),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn keyword_value_empty_quoted_and_bare() {
        let got = parse("host='' dbname=").unwrap();
        assert_eq!(got, pairs(&[("host", ""), ("dbname", "")]));
    }

    #[test]
    fn keyword_value_errors() {
        assert!(
            matches!(parse("host=a port"), Err(ConnInfoError::MissingEquals(k)) if k == "port")
        );
        assert!(matches!(
            parse("password='abc"),
            Err(ConnInfoError::UnterminatedQuote)
        ));
    }

    #[test]
    fn full_uri() {
        let got = parse("postgresql://al%40ice:p%3Ass@db.example:5433/my%20db?sslmode=require&application_name=x").unwrap();
        let want = pairs(&[
            ("user", "al@ice"),
            ("password", "p:ss"),
            ("host", "db.example"),
            ("port", "5433"),
            ("dbname", "my db"),
            ("sslmode", "require"),
            ("application_name", "x"),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn uri_multi_host_ipv6_and_partial_ports() {
        let got = parse("postgres://h1:5432,[::1]:5433,h3/db").unwrap();
        let want = pairs(&[
            ("host", "h1,::1,h3"),
            ("port", "5432,5433,"),
            ("dbname", "db"),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn uri_empty_parts_are_not_stored() {
        assert_eq!(
            parse("postgresql:///db").unwrap(),
            pairs(&[("dbname", "db")])
        );
        assert_eq!(parse("postgresql://").unwrap(), Pairs::new());
        assert_eq!(parse("postgresql://@/").unwrap(), Pairs::new());
    }

    #[test]
    fn uri_socket_paths() {
        let got = parse("postgresql://%2Fvar%2Frun%2Fpostgresql/db").unwrap();
        assert_eq!(
            got,
            pairs(&[("host", "/var/run/postgresql"), ("dbname", "db")])
        );
        let got = parse("postgresql:///db?host=/tmp/sock&port=6000").unwrap();
        let want = pairs(&[("dbname", "db"), ("host", "/tmp/sock"), ("port", "6000")]);
        assert_eq!(got, want);
    }

    #[test]
    fn uri_ssl_true_means_require() {
        let got = parse("postgresql://h?ssl=true").unwrap();
        assert_eq!(got, pairs(&[("host", "h"), ("sslmode", "require")]));
    }

    #[test]
    fn uri_user_without_password_and_at_in_password() {
        let got = parse("postgresql://bob@h").unwrap();
        assert_eq!(got, pairs(&[("user", "bob"), ("host", "h")]));
        let got = parse("postgresql://bob:a@b@h").unwrap();
        assert_eq!(
            got,
            pairs(&[("user", "bob"), ("password", "a@b"), ("host", "h")])
        );
    }

    #[test]
    fn a_nul_character_is_refused_in_either_form() {
        // Found by fuzzing: a dbname with a NUL was accepted, and its redacted URI (`%00`)
        // was then refused.
        for input in ["host=h dbname=a\0b", "postgresql://h/a\0b", "a\0b"] {
            assert!(matches!(parse(input), Err(ConnInfoError::Nul)), "{input:?}");
        }
    }

    #[test]
    fn uri_errors() {
        assert!(matches!(
            parse("postgresql://h/%zz"),
            Err(ConnInfoError::BadPercent)
        ));
        assert!(matches!(
            parse("postgresql://h/a%0"),
            Err(ConnInfoError::BadPercent)
        ));
        assert!(matches!(
            parse("postgresql://h/a%00"),
            Err(ConnInfoError::PercentZero)
        ));
        assert!(matches!(
            parse("postgresql://[::1/db"),
            Err(ConnInfoError::BadUri(_))
        ));
        assert!(matches!(
            parse("postgresql://[::1]x/db"),
            Err(ConnInfoError::BadUri(_))
        ));
        assert!(matches!(
            parse("postgresql://h?sslmode"),
            Err(ConnInfoError::BadUri(_))
        ));
    }
}
