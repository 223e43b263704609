//! A setup file read the way `psql -f` reads a script: SQL statements split where psql splits
//! them (the suite's lexer: quotes, `E''` strings, dollar quotes, comments, and
//! `standard_conforming_strings` followed as the file sets it), each `COPY … FROM stdin` with
//! its data up to the `\.` line, and the psql meta-commands pg_dump writes: `\restrict` /
//! `\unrestrict` (checked as psql checks them; nothing else to do) and `\connect` to the same
//! database (a new session). What psql would do and pgvet does not (any other meta-command, a
//! psql variable psql would substitute, `\connect` to another database) is refused with its
//! line before the server starts. Pure: nothing here talks to a database.

use std::ops::Range;

use super::meta;
use crate::suite::sql::{self, Strings, Token};

/// One thing to do, in file order. Ranges are byte ranges of the file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A statement, sent on its own as psql sends it (so `VACUUM`, `CREATE INDEX CONCURRENTLY`
    /// and `BEGIN` … `COMMIT` behave as they do under psql).
    Sql { text: Range<usize>, line: usize },
    /// `COPY … FROM stdin` and its data exactly as written: from the line after the statement
    /// to before the `\.` line (or the end of the file).
    CopyIn {
        text: Range<usize>,
        line: usize,
        data: Range<usize>,
        data_line: usize,
        csv: bool,
    },
    /// `COPY … TO stdout`: psql would print the rows; pgvet reads and drops them.
    CopyOut { text: Range<usize>, line: usize },
    /// `\connect` to the same database: psql opens a new session, and so does pgvet.
    NewSession { line: usize },
}

/// Why a file cannot be applied without psql, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: usize,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A psql meta-command pgvet does not run: its name only (`\set`), since its arguments
    /// may hold anything (a password for `\connect`, a value for `\setenv`).
    MetaCommand { command: String },
    /// A psql variable psql would substitute (`:DBNAME`, `:'USER'`), as written.
    Variable { reference: String },
    /// `\connect` to a database other than the one pgvet checks.
    OtherDatabase { database: String },
    /// `\connect` with a user, host or port, or connection parameters other than `dbname`.
    ConnectArguments,
    /// A meta-command between `\restrict` (at `since`) and `\unrestrict`: psql refuses it.
    Restricted { command: String, since: usize },
    /// `\unrestrict` outside restricted mode.
    NotRestricted,
    /// `\unrestrict` with another key than the `\restrict` at `since`.
    WrongKey { since: usize },
    /// `\restrict` or `\unrestrict` without its key.
    NoKey { command: String },
    /// Text after `COPY … FROM stdin;` on its line: psql would run it after the data.
    AfterCopy,
}

/// Reads a setup file's text into the steps that apply it to `database`.
pub fn parse(text: &str, database: &str) -> Result<Vec<Step>, Refusal> {
    Parser {
        text,
        database,
        lines: Lines::new(text),
        steps: Vec::new(),
        strings: Strings::Standard,
        restricted: None,
    }
    .run()
}

struct Parser<'a> {
    text: &'a str,
    database: &'a str,
    lines: Lines<'a>,
    steps: Vec<Step>,
    /// How `'…'` strings read a backslash, as the file's own `SET`s leave it.
    strings: Strings,
    /// The line of the `\restrict` in force, and its key.
    restricted: Option<(usize, String)>,
}

impl Parser<'_> {
    fn run(mut self) -> Result<Vec<Step>, Refusal> {
        let bytes = self.text.as_bytes();
        // Where the statement being read starts (its first character that is not blank or
        // a comment), as psql's query buffer.
        let mut start: Option<usize> = None;
        let mut i = 0;
        while i < bytes.len() {
            let (kind, end) = sql::token(self.text, i, self.strings);
            i = match kind {
                Token::Space | Token::Comment => end,
                Token::Semicolon => match start.take() {
                    Some(s) => self.statement(s, i, true)?,
                    None => end,
                },
                Token::Other if bytes[i] == b'\\' => self.meta_command(i, start.is_some())?,
                Token::Other if bytes[i] == b':' => {
                    start.get_or_insert(i);
                    self.colon(i)?
                }
                _ => {
                    start.get_or_insert(i);
                    end
                }
            };
        }
        if let Some(s) = start {
            // psql sends what is left at the end of a script, `;` or not.
            self.statement(s, bytes.len(), false)?;
        }
        Ok(self.steps)
    }

    /// Records the statement `start..end` (`end` is its `;` when `terminated`) and returns
    /// where reading goes on: after the `;`, or after the data of a `COPY … FROM stdin`.
    fn statement(&mut self, start: usize, end: usize, terminated: bool) -> Result<usize, Refusal> {
        let trimmed = self.text[start..end]
            .trim_end_matches(|c: char| c.is_ascii() && sql::is_space(c as u8));
        let text = start..start + trimmed.len();
        let line = self.lines.at(start);
        let after = if terminated { end + 1 } else { end };
        match copy_direction(trimmed, self.strings) {
            Some(Copy::In { csv }) => {
                let bytes = self.text.as_bytes();
                let line_end = find_newline(bytes, after);
                let rest = self.text[after..line_end]
                    .trim_matches(|c: char| c.is_ascii() && sql::is_space(c as u8));
                if !(rest.is_empty() || rest.starts_with("--")) {
                    return Err(Refusal {
                        line: self.lines.at(after),
                        problem: Problem::AfterCopy,
                    });
                }
                let data_start = (line_end + 1).min(bytes.len());
                let (data, next) = copy_data(bytes, data_start);
                let data_line = self.lines.at(data_start);
                self.steps.push(Step::CopyIn {
                    text,
                    line,
                    data,
                    data_line,
                    csv,
                });
                return Ok(next);
            }
            Some(Copy::Out) => self.steps.push(Step::CopyOut { text, line }),
            None => {
                if let Some(strings) = conforming_strings(trimmed, self.strings) {
                    self.strings = strings;
                }
                self.steps.push(Step::Sql { text, line });
            }
        }
        Ok(after)
    }

    /// A backslash outside quotes and comments starts a psql meta-command, which runs to the
    /// end of its line. Returns where reading goes on: the next line.
    fn meta_command(&mut self, at: usize, in_statement: bool) -> Result<usize, Refusal> {
        let line = self.lines.at(at);
        let line_end = find_newline(self.text.as_bytes(), at);
        let body = &self.text[at + 1..line_end];
        let name_len = body
            .find(|c: char| c.is_ascii_whitespace() || c == '\\')
            .unwrap_or(body.len());
        let (name, args) = body.split_at(name_len);
        let command = format!("\\{name}");
        let refuse = |problem| Err(Refusal { line, problem });
        if let Some((since, _)) = &self.restricted
            && name != "unrestrict"
        {
            return refuse(Problem::Restricted {
                command,
                since: *since,
            });
        }
        if in_statement {
            // `SELECT … \gexec` and the like act on the statement being written.
            return refuse(Problem::MetaCommand { command });
        }
        match name {
            "restrict" | "unrestrict" => {
                let Some(key) = meta::arguments(args).and_then(|a| a.into_iter().next()) else {
                    return refuse(Problem::NoKey { command });
                };
                match (name, self.restricted.take()) {
                    ("restrict", _) => self.restricted = Some((line, key)),
                    (_, None) => return refuse(Problem::NotRestricted),
                    (_, Some((since, wanted))) if wanted != key => {
                        return refuse(Problem::WrongKey { since });
                    }
                    (_, Some(_)) => {}
                }
            }
            "c" | "connect" => {
                if let Err(problem) = meta::same_database(args, &command, self.database) {
                    return refuse(problem);
                }
                self.steps.push(Step::NewSession { line });
                // A new session starts with the server's default.
                self.strings = Strings::Standard;
            }
            _ => return refuse(Problem::MetaCommand { command }),
        }
        Ok((line_end + 1).min(self.text.len()))
    }

    /// `:NAME`, `:'NAME'` or `:"NAME"` outside quotes, where psql would substitute one of its
    /// variables, is refused. Returns where reading goes on (past `::`, a cast).
    fn colon(&mut self, at: usize) -> Result<usize, Refusal> {
        if self.text.as_bytes().get(at + 1) == Some(&b':') {
            return Ok(at + 2);
        }
        match meta::variable_at(self.text, at) {
            Some(reference) => Err(Refusal {
                line: self.lines.at(at),
                problem: Problem::Variable { reference },
            }),
            None => Ok(at + 1),
        }
    }
}

/// The end of the line holding byte `from` (the position of its `\n`, or the end).
fn find_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

/// The COPY data starting at `start`: every line up to the one that is `\.` (with or without a
/// carriage return), as psql reads it; without one, the rest of the file. Returns the data and
/// where reading goes on (after the `\.` line).
fn copy_data(bytes: &[u8], start: usize) -> (Range<usize>, usize) {
    let mut p = start;
    while p < bytes.len() {
        let end = find_newline(bytes, p);
        let line = &bytes[p..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line == b"\\." {
            return (start..p, (end + 1).min(bytes.len()));
        }
        p = end + 1;
    }
    (start..bytes.len(), bytes.len())
}

enum Copy {
    In { csv: bool },
    Out,
}

/// The significant tokens of a statement (no blanks or comments), with their parenthesis
/// depth.
fn tokens(statement: &str, strings: Strings) -> Vec<(Token, &str, usize)> {
    let mut out = Vec::new();
    let (mut i, mut depth) = (0, 0usize);
    while i < statement.len() {
        let (kind, end) = sql::token(statement, i, strings);
        let text = &statement[i..end];
        match (kind, text) {
            (Token::Space | Token::Comment, _) => {}
            (_, "(") => depth += 1,
            (_, ")") => depth = depth.saturating_sub(1),
            _ => out.push((kind, text, depth)),
        }
        i = end;
    }
    out
}

/// Whether a statement is `COPY … FROM STDIN` (and reads CSV) or `COPY … TO STDOUT`.
fn copy_direction(statement: &str, strings: Strings) -> Option<Copy> {
    if !statement
        .get(..4)
        .is_some_and(|w| w.eq_ignore_ascii_case("copy"))
    {
        return None;
    }
    let tokens = tokens(statement, strings);
    let word = |t: &(Token, &str, usize), w: &str| {
        t.0 == Token::Word && t.2 == 0 && t.1.eq_ignore_ascii_case(w)
    };
    if !tokens.first().is_some_and(|t| word(t, "copy")) {
        return None;
    }
    let csv = tokens.iter().any(|(kind, text, _)| {
        (*kind == Token::Word && text.eq_ignore_ascii_case("csv"))
            || (*kind == Token::Quoted && text.eq_ignore_ascii_case("'csv'"))
    });
    tokens.windows(2).find_map(|pair| {
        if word(&pair[0], "from") && word(&pair[1], "stdin") {
            Some(Copy::In { csv })
        } else if word(&pair[0], "to") && word(&pair[1], "stdout") {
            Some(Copy::Out)
        } else {
            None
        }
    })
}

/// What `SET standard_conforming_strings …` or `RESET` makes of how strings read.
fn conforming_strings(statement: &str, strings: Strings) -> Option<Strings> {
    let tokens = tokens(statement, strings);
    let texts: Vec<String> = tokens
        .iter()
        .take(6)
        .map(|(_, text, _)| text.trim_matches('\'').to_ascii_lowercase())
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let value = match texts.as_slice() {
        ["reset", "all" | "standard_conforming_strings"] => return Some(Strings::Standard),
        [
            "set",
            "session" | "local",
            "standard_conforming_strings",
            "to" | "=",
            value,
            ..,
        ]
        | ["set", "standard_conforming_strings", "to" | "=", value, ..] => *value,
        _ => return None,
    };
    match value {
        "on" | "true" | "yes" | "1" => Some(Strings::Standard),
        "off" | "false" | "no" | "0" => Some(Strings::BackslashEscapes),
        _ => None,
    }
}

/// The file line of row `row` (1-based, as the server counts in `COPY t, line N`) of COPY data
/// starting at `data_line`. In text format a row is a line; in CSV a quoted value may span lines.
pub fn copy_row_line(data: &str, data_line: usize, row: usize, csv: bool) -> usize {
    if !csv {
        return data_line + row.saturating_sub(1);
    }
    let (mut rows, mut lines, mut quoted) = (1, 0, false);
    for b in data.bytes() {
        if rows >= row {
            break;
        }
        match b {
            b'"' => quoted = !quoted,
            b'\n' => {
                lines += 1;
                if !quoted {
                    rows += 1;
                }
            }
            _ => {}
        }
    }
    data_line + lines
}

/// 1-based line numbers of byte positions, counted incrementally (positions mostly grow, so a
/// file of a million statements is counted once, not once per statement).
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn at(&mut self, p: usize) -> usize {
        if p < self.pos {
            (self.pos, self.line) = (0, 1);
        }
        self.line += self.bytes[self.pos..p]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.pos = p;
        self.line
    }
}

#[cfg(test)]
#[path = "script_tests.rs"]
mod tests;
