//! A small SQL lexer that finds statement boundaries, so that a query file holding more than one
//! statement is refused before anything runs. It knows what can hide a `;`: quoted strings
//! (standard, `E''` escapes), quoted identifiers, dollar quoting and both comment styles. Its
//! [`token`] scanner also reads setup files (`crate::db::setup::script`), which add psql's
//! meta-commands and `COPY … FROM stdin` data to the same SQL.

/// One statement of a query file: its text from its first token (leading comments dropped) to
/// before its `;`, and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    /// 1-based line of the statement's first non-blank, non-comment character.
    pub line: usize,
}

/// Splits SQL text into the statements it holds. Statements made only of blanks and comments
/// are dropped; an unterminated quote or comment simply runs to the end of the text (the server
/// will report it).
pub fn statements(sql: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut first_code: Option<usize> = None;
    let mut i = 0;
    while i < sql.len() {
        let (kind, end) = token(sql, i, Strings::Standard);
        match kind {
            Token::Space | Token::Comment => {}
            Token::Semicolon => push_statement(sql, i, first_code.take(), &mut out),
            _ => {
                first_code.get_or_insert(i);
            }
        }
        i = end;
    }
    push_statement(sql, sql.len(), first_code, &mut out);
    out
}

/// What a piece of SQL text is, as far as finding where statements end goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// White space, as PostgreSQL's lexer knows it (see [`is_space`]).
    Space,
    /// A `--` comment (with its line break) or a `/* */` comment (they nest).
    Comment,
    /// A string constant (standard or `E''`), a quoted identifier or a dollar-quoted string.
    Quoted,
    /// A keyword, identifier or number: a run of identifier characters (any non-ASCII
    /// character is one).
    Word,
    /// `;`
    Semicolon,
    /// Any other one character: an operator, a parenthesis, `:`, `\`.
    Other,
}

/// How plain `'…'` strings read a backslash: PostgreSQL's `standard_conforming_strings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strings {
    /// `standard_conforming_strings = on` (the default since PostgreSQL 9.1): a backslash is
    /// an ordinary character, except in `E''` strings.
    Standard,
    /// `off`: a backslash escapes the next character in every string.
    BackslashEscapes,
}

/// The token that starts at byte `i` of `sql` (on a character boundary), and the byte where it
/// ends, always a character boundary too. An unterminated quote or comment runs to the end.
pub fn token(sql: &str, i: usize, strings: Strings) -> (Token, usize) {
    let bytes = sql.as_bytes();
    let c = bytes[i];
    let next = bytes.get(i + 1).copied();
    match c {
        b'-' if next == Some(b'-') => (Token::Comment, line_comment_end(bytes, i)),
        b'/' if next == Some(b'*') => (Token::Comment, block_comment_end(bytes, i)),
        b';' => (Token::Semicolon, i + 1),
        b'\'' => {
            let backslash = strings == Strings::BackslashEscapes || escapes_backslash(bytes, i);
            (Token::Quoted, quoted_end(bytes, i, b'\'', backslash))
        }
        b'"' => (Token::Quoted, quoted_end(bytes, i, b'"', false)),
        b'$' => match dollar_quote_end(bytes, i) {
            Some(end) => (Token::Quoted, end),
            None => (Token::Other, i + 1),
        },
        c if is_space(c) => {
            let run = bytes[i..].iter().take_while(|&&b| is_space(b)).count();
            (Token::Space, i + run)
        }
        c if is_identifier_byte(c) => {
            let run = bytes[i..]
                .iter()
                .take_while(|&&b| is_identifier_byte(b))
                .count();
            (Token::Word, i + run)
        }
        _ => (Token::Other, i + 1),
    }
}

fn push_statement(sql: &str, end: usize, code: Option<usize>, out: &mut Vec<Statement>) {
    if let Some(code) = code {
        out.push(Statement {
            text: sql[code..end]
                .trim_end_matches(|c: char| c.is_ascii() && is_space(c as u8))
                .to_string(),
            line: sql[..code].matches('\n').count() + 1,
        });
    }
}

/// White space as PostgreSQL's lexer knows it: space, tab, newline, carriage return, form feed
/// and vertical tab. Not `str::trim`'s Unicode white space: a statement made only of a vertical
/// tab or a no-break space must be judged the same way when it is found and when it is trimmed.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x0b')
}

fn line_comment_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| i + p + 1)
}

/// Block comments nest in PostgreSQL.
fn block_comment_end(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

pub fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// An `E'...'` string treats backslash as an escape character.
fn escapes_backslash(bytes: &[u8], quote: usize) -> bool {
    quote > 0
        && matches!(bytes[quote - 1], b'e' | b'E')
        && (quote < 2 || !(bytes[quote - 2].is_ascii_alphanumeric() || bytes[quote - 2] == b'_'))
}

/// End (exclusive) of a quoted string or identifier starting at `i`; a doubled quote is a
/// literal quote.
fn quoted_end(bytes: &[u8], i: usize, quote: u8, backslash: bool) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        if backslash && bytes[j] == b'\\' {
            j += 2;
        } else if bytes[j] == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
            } else {
                return j + 1;
            }
        } else {
            j += 1;
        }
    }
    bytes.len()
}

/// End of a `$tag$ ... $tag$` string starting at `i`, or None when `$` starts no dollar quote
/// (a positional parameter such as `$1`, or part of an identifier: PostgreSQL identifiers may
/// hold `$` and any non-ASCII character after their first one).
fn dollar_quote_end(bytes: &[u8], i: usize) -> Option<usize> {
    if i > 0 && is_identifier_byte(bytes[i - 1]) {
        return None;
    }
    let tag_len = bytes[i + 1..].iter().position(|&b| b == b'$')?;
    let tag = &bytes[i + 1..i + 1 + tag_len];
    let valid_tag = tag
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
        && !tag.first().is_some_and(u8::is_ascii_digit);
    if !valid_tag {
        return None;
    }
    let delimiter = &bytes[i..i + tag_len + 2];
    let body = i + delimiter.len();
    let close = bytes[body..]
        .windows(delimiter.len())
        .position(|w| w == delimiter);
    Some(close.map_or(bytes.len(), |p| body + p + delimiter.len()))
}

/// The positional parameters (`$1`, `$2`, …) a statement uses, in order and each once, as
/// PostgreSQL's lexer finds them: not inside strings, quoted identifiers, dollar quotes or
/// comments, and not as part of an identifier (`a$1`). A number too large to be one is left to
/// the server.
pub fn parameters(sql: &str) -> Vec<u32> {
    let bytes = sql.as_bytes();
    let mut found = std::collections::BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        i = match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => line_comment_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => block_comment_end(bytes, i),
            b'\'' => quoted_end(bytes, i, b'\'', escapes_backslash(bytes, i)),
            b'"' => quoted_end(bytes, i, b'"', false),
            b'$' => match dollar_quote_end(bytes, i) {
                Some(end) => end,
                None => {
                    let digits = bytes[i + 1..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    let starts_one = i == 0 || !is_identifier_byte(bytes[i - 1]);
                    if starts_one
                        && digits > 0
                        && let Ok(n) = sql[i + 1..i + 1 + digits].parse::<u32>()
                    {
                        found.insert(n);
                    }
                    i + 1 + digits
                }
            },
            c if is_identifier_byte(c) => {
                // An identifier or a number: a `$` inside it is part of it.
                i + bytes[i..]
                    .iter()
                    .take_while(|&&b| is_identifier_byte(b))
                    .count()
            }
            _ => i + 1,
        };
    }
    found.into_iter().collect()
}

/// The first keyword of a statement (as returned by [`statements`]), upper-cased, past any
/// opening parentheses and comments: `(SELECT 1)` is a SELECT.
pub fn first_keyword(statement: &str) -> String {
    let mut rest = statement;
    loop {
        rest = rest.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
        if rest.starts_with("--") {
            rest = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if rest.starts_with("/*") {
            rest = rest.split_once("*/").map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    rest.chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == '_')
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Whether EXPLAIN can run the statement: Err with what the statement is (e.g. "CREATE INDEX")
/// when it is one of PostgreSQL's other commands (DDL, VACUUM, COPY, transaction control…).
/// EXPLAIN runs SELECT, WITH, VALUES, TABLE, INSERT, UPDATE, DELETE, MERGE, EXECUTE, DECLARE,
/// CREATE TABLE … AS and CREATE MATERIALIZED VIEW; a word that is no command at all (a typo
/// such as `SELEC`) is left to the server, whose syntax error says more.
pub fn explainable(statement: &str) -> Result<(), String> {
    const OTHER_COMMANDS: [&str; 40] = [
        "ABORT",
        "ALTER",
        "ANALYZE",
        "BEGIN",
        "CALL",
        "CHECKPOINT",
        "CLOSE",
        "CLUSTER",
        "COMMENT",
        "COMMIT",
        "COPY",
        "DEALLOCATE",
        "DISCARD",
        "DO",
        "DROP",
        "END",
        "FETCH",
        "GRANT",
        "IMPORT",
        "LISTEN",
        "LOAD",
        "LOCK",
        "MOVE",
        "NOTIFY",
        "PREPARE",
        "REASSIGN",
        "REFRESH",
        "REINDEX",
        "RELEASE",
        "RESET",
        "REVOKE",
        "ROLLBACK",
        "SAVEPOINT",
        "SECURITY",
        "SET",
        "SHOW",
        "START",
        "TRUNCATE",
        "UNLISTEN",
        "VACUUM",
    ];
    let keyword = first_keyword(statement);
    if keyword == "CREATE" {
        let at = statement.to_ascii_uppercase().find("CREATE").unwrap_or(0) + "CREATE".len();
        let second = first_keyword(&statement[at..]);
        // CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE … AS, CREATE MATERIALIZED VIEW
        let table_as = [
            "TABLE",
            "TEMP",
            "TEMPORARY",
            "UNLOGGED",
            "GLOBAL",
            "LOCAL",
            "MATERIALIZED",
        ];
        if table_as.contains(&second.as_str()) {
            return Ok(());
        }
        return Err(format!("CREATE {second}").trim_end().to_string());
    }
    match OTHER_COMMANDS.contains(&keyword.as_str()) {
        true => Err(keyword),
        false => Ok(()),
    }
}

/// Statements that return rows and that a READ ONLY transaction can run: what a `[[metric]]`
/// may be (the server still checks the rest, e.g. `WITH … DELETE` or `SELECT … FOR UPDATE`).
pub const QUERY_KEYWORDS: [&str; 4] = ["SELECT", "WITH", "VALUES", "TABLE"];

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        statements(sql).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn one_statement_with_trailing_semicolon_and_comments() {
        let sql = "-- Test 1\nSELECT * FROM t WHERE a = 1;\n-- done\n";
        assert_eq!(
            statements(sql),
            vec![Statement {
                text: "SELECT * FROM t WHERE a = 1".into(),
                line: 2
            }]
        );
    }

    #[test]
    fn two_statements_are_found_with_the_line_of_the_second() {
        let found = statements("SELECT 1;\n\nDELETE FROM t;");
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].line, 3);
        assert_eq!(found[1].text, "DELETE FROM t");
    }

    #[test]
    fn semicolons_inside_quotes_comments_and_dollar_quotes_do_not_split() {
        let sql = "SELECT ';', \"a;b\", E'\\';', $$;$$, $fn$ ; $x$ ; $fn$ /* ; /* ; */ ; */ -- ;\n FROM t";
        assert_eq!(texts(sql).len(), 1);
    }

    #[test]
    fn doubled_quotes_stay_inside_the_string() {
        assert_eq!(texts("SELECT 'it''s; fine'; SELECT 2").len(), 2);
        assert_eq!(texts("SELECT 'it''s; fine'").len(), 1);
    }

    #[test]
    fn positional_parameters_and_identifiers_with_dollar_are_not_quotes() {
        assert_eq!(texts("SELECT $1, a$b FROM t; SELECT 2").len(), 2);
        // `é$$` and `b$$` are identifiers, not the ends of a dollar quote hiding a COMMIT.
        assert_eq!(
            texts("SELECT 1 AS é$$; COMMIT; DELETE FROM t; SELECT 1 AS b$$").len(),
            4
        );
    }

    #[test]
    fn plain_backslash_does_not_escape_in_standard_strings() {
        assert_eq!(texts("SELECT 'a\\'; SELECT 2").len(), 2);
    }

    #[test]
    fn blank_and_comment_only_input_has_no_statement() {
        assert!(statements("  -- nothing\n/* here */ ;  ; ").is_empty());
    }

    #[test]
    fn vertical_tabs_and_unicode_spaces_make_no_empty_statement() {
        // Found by fuzzing (suite_parser): "\v" was a statement whose text trimmed to "", so
        // `SELECT 1;\v` held "two statements" and a lone "\v" passed as an empty query.
        assert!(statements("\x0b").is_empty());
        assert_eq!(texts("\x0b;\x0b;\n;s"), ["s"]);
        assert_eq!(texts("SELECT 1;\x0b"), ["SELECT 1"]);
        assert_eq!(texts("\x0bSELECT 1\x0b\x0c"), ["SELECT 1"]);
        // PostgreSQL reads a no-break space as part of an identifier, not as white space.
        assert_eq!(texts("SELECT 1;\u{a0}"), ["SELECT 1", "\u{a0}"]);
        assert_eq!(texts("SELECT 1\u{a0};"), ["SELECT 1\u{a0}"]);
    }

    #[test]
    fn unterminated_quote_runs_to_the_end() {
        assert_eq!(texts("SELECT 'abc; SELECT 2").len(), 1);
    }

    #[test]
    fn parameters_are_found_outside_strings_comments_and_identifiers() {
        assert_eq!(
            parameters("SELECT * FROM t WHERE a = $1 AND b IN ($3, $2) OR c = $1"),
            [1, 2, 3]
        );
        let hidden = "SELECT '$1', \"$2\", E'\\'$3', $$ $4 $$, $q$ $5 $q$, a$6, x.b$7 /* $8 /* $9 */ */ -- $10\n, $11";
        assert_eq!(parameters(hidden), [11]);
        assert_eq!(parameters("SELECT 1"), Vec::<u32>::new());
        assert_eq!(parameters("SELECT $1::int, ($2)"), [1, 2]);
        // `é$1` is an identifier; `$99999999999` is no parameter number.
        assert_eq!(
            parameters("SELECT 1 AS é$1, $99999999999"),
            Vec::<u32>::new()
        );
        assert_eq!(parameters("SELECT 'unterminated $1"), Vec::<u32>::new());
    }

    #[test]
    fn explain_runs_queries_and_writes_but_not_ddl() {
        for ok in [
            "select 1",
            "(VALUES (1))",
            "with x as (select 1) delete from t",
            "merge into t using s on true when matched then delete",
            "create temp table t as select 1",
            "CREATE MATERIALIZED VIEW v AS SELECT 1",
            "execute p(1)",
        ] {
            assert_eq!(explainable(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            explainable("create index i on t (a)"),
            Err("CREATE INDEX".into())
        );
        assert_eq!(
            explainable("CREATE UNIQUE INDEX i ON t (a)"),
            Err("CREATE UNIQUE".into())
        );
        assert_eq!(explainable("vacuum t"), Err("VACUUM".into()));
        assert_eq!(explainable("copy t to stdout"), Err("COPY".into()));
        assert_eq!(
            explainable("selec 1"),
            Ok(()),
            "a typo is the server's to explain"
        );
    }

    #[test]
    fn the_first_keyword_skips_parentheses_and_comments() {
        use super::first_keyword;
        assert_eq!(first_keyword("select 1"), "SELECT");
        assert_eq!(first_keyword("( /* c */ (values (1)))"), "VALUES");
        assert_eq!(
            first_keyword("-- note\nWITH x AS (SELECT 1) SELECT * FROM x"),
            "WITH"
        );
        assert_eq!(first_keyword("COPY (SELECT 1) TO PROGRAM 'id'"), "COPY");
        assert_eq!(first_keyword("/* unterminated"), "");
    }
}
