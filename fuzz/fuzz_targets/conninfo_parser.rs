//! A `--db` string built around a password the harness knows, to
//! `pgvet::db::conninfo::ConnSettings::resolve`, then every text shown of the result: the
//! error message, or the redacted URI, the target phrase and `Debug` of accepted settings.
//!
//! The first byte picks the form (below) and `password` or `sslpassword`, the second the
//! password's length in bytes; the password comes next, and the rest of the string after it.
//!
//! Besides not panicking: no text shown contains a character of the password that occurs
//! nowhere else (not in the rest of the string, also percent-decoded, percent-encoded or
//! escaped as `Debug` escapes it, and not in pgvet's own wording), nor a word of the password
//! (4 characters or more between white space and ASCII punctuation) that occurs nowhere else.
//! Not checked where libpq's grammar reads pieces of the password as other settings, which a
//! user could have meant (see docs/FUZZING.md). Accepted settings' redacted URI resolves again
//! to the same servers, user, database and modes.
#![no_main]

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pgvet::db::conninfo::{ConnInfoError, ConnSettings, Env, percent_encode};

/// Where the password goes.
#[derive(Clone, Copy, Debug)]
enum Form {
    /// `password='…' REST`, quotes and backslashes escaped: the value is exactly the password.
    Quoted,
    /// `password=… REST` as it is: the value ends at white space.
    Bare,
    /// `postgresql://u:…@REST` as it is.
    UriUser,
    /// `postgresql://u:…@REST`, percent-encoded: the value is exactly the password.
    UriUserEncoded,
    /// `postgresql://h?password=…&REST` as it is.
    UriParameter,
    /// `postgresql://h?password=…&REST`, percent-encoded.
    UriParameterEncoded,
}

const FORMS: [Form; 6] = [
    Form::Quoted,
    Form::Bare,
    Form::UriUser,
    Form::UriUserEncoded,
    Form::UriParameter,
    Form::UriParameterEncoded,
];

/// The connection string around the password.
struct Case {
    form: Form,
    /// The text before the password's value, the value as written, the text after it.
    before: String,
    written: String,
    after: String,
    /// The password; written as it is, also percent-decoded (URI) or unescaped (`key=value`).
    secrets: Vec<String>,
}

impl Case {
    fn new(data: &[u8]) -> Option<Case> {
        let (&[pick, len], data) = data.split_first_chunk::<2>()?;
        let form = FORMS[usize::from(pick & 0x7f) % FORMS.len()];
        let keyword = if pick & 0x80 == 0 { "password" } else { "sslpassword" };
        let (secret, rest) = data.split_at(usize::from(len).min(data.len()));
        let secret = String::from_utf8_lossy(secret).into_owned();
        let rest = String::from_utf8_lossy(rest);
        let encoded = percent_encode(&secret);
        let (before, written, after) = match form {
            Form::Quoted => {
                let escaped = secret.replace('\\', "\\\\").replace('\'', "\\'");
                (format!("{keyword}='"), escaped, format!("' {rest}"))
            }
            Form::Bare => (format!("{keyword}="), secret.clone(), format!(" {rest}")),
            Form::UriUser => ("postgresql://u:".into(), secret.clone(), format!("@{rest}")),
            Form::UriUserEncoded => ("postgresql://u:".into(), encoded, format!("@{rest}")),
            Form::UriParameter => (
                format!("postgresql://h?{keyword}="),
                secret.clone(),
                format!("&{rest}"),
            ),
            Form::UriParameterEncoded => {
                (format!("postgresql://h?{keyword}="), encoded, format!("&{rest}"))
            }
        };
        let mut secrets = vec![secret];
        match form {
            Form::UriUser | Form::UriParameter => secrets.push(decoded(&written)),
            Form::Bare => secrets.push(unescaped(&written)),
            _ => {}
        }
        Some(Case {
            form,
            before,
            written,
            after,
            secrets,
        })
    }

    fn text(&self) -> String {
        format!("{}{}{}", self.before, self.written, self.after)
    }

    /// Where libpq's grammar reads part of the password as more settings, and a user could
    /// have meant that: `password=a sslmode=b`, `?password=a&sslmode=b`, or a URI whose
    /// password holds a `/` or `?` that pgvet reads as libpq does (`u:5432/db?user=me@h`).
    fn pieces_are_settings(&self, result: &Result<ConnSettings, ConnInfoError>) -> bool {
        let secret = &self.secrets[0];
        let later_equals = |at: Option<usize>| at.is_some_and(|at| secret[at..].contains('='));
        match self.form {
            Form::Bare => secret.starts_with('\'') || later_equals(secret.find(char::is_whitespace)),
            Form::UriParameter => later_equals(secret.find('&')),
            Form::UriUser => {
                secret.contains(['/', '?'])
                    && !matches!(result, Err(ConnInfoError::UnencodedPassword { .. }))
            }
            _ => false,
        }
    }
}

/// `%XX` escapes decoded, whatever else is there; not UTF-8 becomes U+FFFD.
fn decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every text pgvet shows for a result.
fn shown(result: &Result<ConnSettings, ConnInfoError>) -> Vec<String> {
    match result {
        Ok(s) => vec![s.to_string(), s.redacted(), s.target(), format!("{s:?}")],
        Err(e) => vec![e.to_string()],
    }
}

fn env() -> Env {
    Env::empty().with_os_user("osuser")
}

const KEYWORDS: &[&str] = &[
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode",
    "requiressl", "sslrootcert", "sslcert", "sslkey", "sslnegotiation", "sslcertmode",
    "connect_timeout", "application_name", "fallback_application_name", "options",
    "target_session_attrs", "channel_binding", "load_balance_hosts", "keepalives",
    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
    "sslcompression", "sslsni", "ssl_min_protocol_version", "ssl_max_protocol_version",
    "gssencmode", "krbsrvname", "gsslib", "gssdelegation", "client_encoding", "service",
    "sslcrl", "sslcrldir", "sslpassword", "requirepeer", "require_auth", "replication",
];

/// pgvet's own wording: every message and rendering for strings that reach each error and
/// each setting, with values made of letters that wording has anyway.
fn wording() -> &'static str {
    static WORDING: OnceLock<String> = OnceLock::new();
    WORDING.get_or_init(|| {
        let mut samples: Vec<String> = [
            "host=a port", "password='a", "password=a b", "password:x=", "passwd=x", "a\0",
            "postgresql://h/%zz", "postgresql://h/%00", "postgresql://[::1/db",
            "postgresql://[::1]x/db", "postgresql://[]/db", "postgresql://h?sslmode",
            "postgresql://h?password=a&b", "postgresql://h?passwordx", "postgresql://u:a/b@h",
            "host=a,b port=1,2,3", "host=a,b hostaddr=1.1.1.1",
            "sslmode=require sslrootcert=system", "sslmode=prefer sslnegotiation=direct",
            "host=h,/s,::1 hostaddr=1.2.3.4,, port=1,2,3 sslmode=verify-full \
             sslrootcert=system target_session_attrs=prefer-standby channel_binding=require \
             load_balance_hosts=random keepalives=1 keepalives_idle=1 keepalives_interval=1 \
             keepalives_count=1 tcp_user_timeout=1500 connect_timeout=1 options=o \
             application_name=a sslcert=c sslkey=k sslcertmode=disable passfile=p password=x",
        ]
        .map(String::from)
        .into();
        for keyword in KEYWORDS {
            samples.extend(["x", "-1", "1"].map(|v| format!("{keyword}={v}")));
        }
        for value in ["read-write", "read-only", "primary", "standby", "any"] {
            samples.push(format!("target_session_attrs={value}"));
        }
        for value in ["disable", "allow", "prefer", "require", "verify-ca"] {
            samples.push(format!("sslmode={value} channel_binding={value}"));
        }
        let mut text: Vec<String> = samples
            .iter()
            .flat_map(|s| shown(&ConnSettings::resolve(Some(s), &env())))
            .collect();
        text.extend(shown(&ConnSettings::resolve(None, &env())));
        text.extend(shown(&ConnSettings::resolve(None, &Env::empty())));
        text.join("\n")
    })
}

/// Characters pgvet may show whatever the password: its wording, percent-encoding, addresses
/// and durations as Rust prints them.
fn wording_chars() -> &'static BTreeSet<char> {
    static CHARS: OnceLock<BTreeSet<char>> = OnceLock::new();
    CHARS.get_or_init(|| {
        let extra = "0123456789ABCDEFabcdef%[]:.,/*µ";
        wording().chars().chain(extra.chars()).collect()
    })
}

/// Text outside the password as pgvet may show it: the rest of the string as written,
/// percent-decoded (URIs) and unescaped (`key=value`), each also percent-encoded (the
/// redacted URI) and escaped as `Debug` escapes it (`\r` as `\\r`); and numbers as pgvet
/// formats them (a port `05432` as `5432`, a timeout `12345` as `12345s`, a count of ports).
fn elsewhere(case: &Case, result: &Result<ConnSettings, ConnInfoError>) -> Vec<String> {
    let mut texts = Vec::new();
    for text in [&case.before, &case.after] {
        for form in [text.clone(), decoded(text), unescaped(text)] {
            texts.extend([percent_encode(&form), format!("{form:?}")]);
            texts.push(form);
        }
    }
    match result {
        Ok(s) => {
            for host in &s.hosts {
                texts.push(format!("{} {:?}", host.port, host.hostaddr));
            }
            texts.push(format!("{:?} {:?}", s.connect_timeout, s.tcp));
        }
        Err(e @ (ConnInfoError::PortCount { .. } | ConnInfoError::HostaddrCount { .. })) => {
            texts.push(e.to_string());
        }
        Err(_) => {}
    }
    texts
}

/// A `key=value` string's backslashes taken away, keeping the character each escapes.
fn unescaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// No text shown holds a character only the password has, or a word of it (4 characters or
/// more between white space and ASCII punctuation) that occurs nowhere else.
fn check_secrets(case: &Case, result: &Result<ConnSettings, ConnInfoError>) {
    let shown = shown(result);
    // What is shown is short, and the rest of the string and the wording are long: look for
    // each character and word in the texts shown first, and elsewhere only if it is there.
    let cache = OnceCell::new();
    let outside = || cache.get_or_init(|| elsewhere(case, result));
    let shown_in = |piece: &str| shown.iter().find(|text| text.contains(piece));
    for secret in &case.secrets {
        let chars: BTreeSet<char> = secret.chars().collect();
        for c in chars {
            let Some(text) = shown_in(c.encode_utf8(&mut [0; 4])) else {
                continue;
            };
            let own = !wording_chars().contains(&c) && !outside().iter().any(|t| t.contains(c));
            assert!(
                !own,
                "{:?}: the password's character {c:?} is shown: {text}",
                case.text()
            );
        }
        let words = secret.split(|c: char| c.is_ascii_punctuation() || c.is_whitespace());
        for word in words.filter(|w| w.chars().count() >= 4) {
            let Some(text) = shown_in(word) else {
                continue;
            };
            let own = !wording().contains(word) && !outside().iter().any(|t| t.contains(word));
            assert!(
                !own,
                "{:?}: the password's word {word:?} is shown: {text}",
                case.text()
            );
        }
    }
}

/// The redacted URI of accepted settings means the same servers, user, database and modes.
fn check_round_trip(text: &str, settings: &ConnSettings) {
    let uri = settings.redacted();
    let again = match ConnSettings::resolve(Some(&uri), &env()) {
        Ok(again) => again,
        Err(e) => panic!("{text:?}: its redacted URI {uri} does not resolve: {e}"),
    };
    let facts = |s: &ConnSettings| {
        (
            s.hosts.clone(),
            s.user.clone(),
            s.dbname.clone(),
            s.ssl.mode,
            s.target_session_attrs,
        )
    };
    assert_eq!(facts(&again), facts(settings), "{text:?}: redacted as {uri}");
}

fuzz_target!(|data: &[u8]| {
    let Some(case) = Case::new(data) else {
        return;
    };
    let text = case.text();
    let result = ConnSettings::resolve(Some(&text), &env());
    if !case.pieces_are_settings(&result) {
        check_secrets(&case, &result);
    }
    if let Ok(settings) = &result {
        check_round_trip(&text, settings);
    }
});
