//! psql's own syntax in a setup file, which the server never sees: meta-command arguments,
//! where `\connect` goes, and the variables psql would substitute in SQL text.

use super::script::Problem;
use crate::suite::sql;

/// The variables psql 15 sets by itself (`psql -X -c '\set'`, and after a query `ERROR`,
/// `SQLSTATE`, `ROW_COUNT`): a script run by `psql -f` gets their values where it writes
/// `:NAME`. Variables a script sets itself need `\set`, which is refused already.
const PSQL_VARIABLES: &[&str] = &[
    "AUTOCOMMIT",
    "COMP_KEYWORD_CASE",
    "DBNAME",
    "ECHO",
    "ECHO_HIDDEN",
    "ENCODING",
    "ERROR",
    "FETCH_COUNT",
    "HIDE_TABLEAM",
    "HIDE_TOAST_COMPRESSION",
    "HISTCONTROL",
    "HISTSIZE",
    "HOST",
    "IGNOREEOF",
    "LAST_ERROR_MESSAGE",
    "LAST_ERROR_SQLSTATE",
    "ON_ERROR_ROLLBACK",
    "ON_ERROR_STOP",
    "PORT",
    "PROMPT1",
    "PROMPT2",
    "PROMPT3",
    "QUIET",
    "ROW_COUNT",
    "SERVER_VERSION_NAME",
    "SERVER_VERSION_NUM",
    "SHOW_ALL_RESULTS",
    "SHOW_CONTEXT",
    "SINGLELINE",
    "SINGLESTEP",
    "SQLSTATE",
    "USER",
    "VERBOSITY",
    "VERSION",
    "VERSION_NAME",
    "VERSION_NUM",
];

/// The psql variable referred to at `at` (a `:` outside quotes), as written (`:DBNAME`,
/// `:'USER'`, `:"HOST"`), when it is one psql sets by itself.
pub(super) fn variable_at(text: &str, at: usize) -> Option<String> {
    let (quote, name) = match text.as_bytes().get(at + 1) {
        Some(&q @ (b'\'' | b'"')) => {
            let rest = &text[at + 2..];
            (Some(q as char), &rest[..rest.find(q as char)?])
        }
        _ => {
            let rest = &text[at + 1..];
            let len = rest
                .bytes()
                .take_while(|&b| sql::is_identifier_byte(b) && b != b'$')
                .count();
            (None, &rest[..len])
        }
    };
    PSQL_VARIABLES.contains(&name).then(|| {
        let q = quote.map(String::from).unwrap_or_default();
        format!(":{q}{name}{q}")
    })
}

/// Checks that `\connect ARGS` goes to the database pgvet checks, as the same user on the
/// same server: `\connect`, `\connect DBNAME`, `\connect -reuse-previous=on "dbname=…"`
/// (what pg_dump writes for a name that needs quoting), `-` for "the same".
pub(super) fn same_database(text: &str, command: &str, database: &str) -> Result<(), Problem> {
    let Some(mut args) = arguments(text) else {
        return Err(Problem::MetaCommand {
            command: command.to_string(),
        });
    };
    if args
        .first()
        .is_some_and(|a| a.starts_with("-reuse-previous="))
    {
        args.remove(0);
    }
    if args.iter().skip(1).any(|a| a != "-") {
        return Err(Problem::ConnectArguments);
    }
    let found = match args.first().map(String::as_str) {
        None | Some("-") | Some("") => return Ok(()),
        Some(arg) if arg.contains('=') || arg.contains("://") => {
            let pairs =
                crate::db::conninfo::parse_pairs(arg).map_err(|_| Problem::ConnectArguments)?;
            if pairs.iter().any(|(key, _)| key != "dbname") {
                return Err(Problem::ConnectArguments);
            }
            match pairs.into_iter().next_back() {
                Some((_, name)) => name,
                None => return Ok(()),
            }
        }
        Some(arg) => arg.to_string(),
    };
    if found == database {
        Ok(())
    } else {
        Err(Problem::OtherDatabase { database: found })
    }
}

/// A meta-command's arguments as psql splits them: at white space, `'…'` quoted (`''` and
/// backslash escapes), `"…"` quoted (the quotes dropped, as psql does for `\connect`). None
/// when psql would substitute something first: a `` `command` `` or a `:variable`.
pub(super) fn arguments(text: &str) -> Option<Vec<String>> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            return Some(args);
        };
        if first == '`' || first == ':' {
            return None;
        }
        let mut arg = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_ascii_whitespace()) {
            match c {
                '\'' => loop {
                    match chars.next()? {
                        '\'' if chars.next_if_eq(&'\'').is_some() => arg.push('\''),
                        '\'' => break,
                        '\\' => arg.push(match chars.next()? {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        }),
                        other => arg.push(other),
                    }
                },
                '"' => loop {
                    match chars.next()? {
                        '"' if chars.next_if_eq(&'"').is_some() => arg.push('"'),
                        '"' => break,
                        other => arg.push(other),
                    }
                },
                '`' => return None,
                other => arg.push(other),
            }
        }
        args.push(arg);
    }
}
