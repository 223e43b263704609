//! Relation names as the suite writes them: `rental` or `public.rental` (an index's `table`),
//! and in `allow_seq_scan` also glob patterns (`scan_event_2026_*`, `archive.*`, `log_?`).
//!
//! A dot separates the schema from the name. A part that starts with a double quote is quoted
//! as in SQL: it runs to the closing quote, `""` stands for one quote, and a dot, `*` or `?`
//! inside it is an ordinary character (`"my.table"`, `"100%*"`). Any other part is taken as
//! written up to the next dot. Names compare exactly, as PostgreSQL stores them: no case
//! folding (write `Rental` for a table created as `"Rental"`).

use regex::Regex;

/// `schema.name` or `name`, with the quotes taken off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    pub schema: Option<String>,
    pub name: String,
}

/// One part of a written name: its text, and whether it was quoted (no wildcards inside).
struct Part {
    text: String,
    quoted: bool,
}

/// Splits a written name at its unquoted dots. The error says what is wrong with it.
fn parts(written: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = written;
    loop {
        let part = if let Some(quoted) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '"')) if quoted[i + 1..].starts_with('"') => {
                        text.push('"');
                        chars.next();
                    }
                    Some((i, '"')) => break i + 1,
                    Some((_, c)) => text.push(c),
                    None => return Err(format!("`{written}` has a quote that is not closed")),
                }
            };
            rest = &quoted[end..];
            if !(rest.is_empty() || rest.starts_with('.')) {
                return Err(format!(
                    "`{written}` goes on after a closing quote; a quoted part ends at a dot or at the end"
                ));
            }
            Part { text, quoted: true }
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            let text = rest[..end].to_string();
            rest = &rest[end..];
            Part {
                text,
                quoted: false,
            }
        };
        if part.text.is_empty() {
            return Err(format!(
                "`{written}` has an empty part; write `table` or `schema.table`"
            ));
        }
        parts.push(part);
        match rest.strip_prefix('.') {
            Some(after) => rest = after,
            None => break,
        }
    }
    if parts.len() > 2 {
        return Err(format!(
            "`{written}` has more than one dot; write `table` or `schema.table` (quote a name that holds a dot: `\"my.table\"`)"
        ));
    }
    Ok(parts)
}

/// Reads `table` or `schema.table`.
pub fn qualified_name(written: &str) -> Result<QualifiedName, String> {
    let mut parts = parts(written)?.into_iter().map(|p| p.text);
    let first = parts.next().unwrap_or_default();
    Ok(match parts.next() {
        Some(name) => QualifiedName {
            schema: Some(first),
            name,
        },
        None => QualifiedName {
            schema: None,
            name: first,
        },
    })
}

/// An `allow_seq_scan` entry: a relation name or a glob over names (`*` any run of characters,
/// `?` one), optionally with a schema (itself a name or a glob). Without a schema it matches
/// the relation in any schema.
#[derive(Debug, Clone)]
pub struct RelationPattern {
    /// As the suite writes it, for messages.
    pub written: String,
    schema: Option<Glob>,
    name: Glob,
}

impl PartialEq for RelationPattern {
    fn eq(&self, other: &Self) -> bool {
        self.written == other.written
    }
}

impl RelationPattern {
    /// Reads an entry; the error says what is wrong with it.
    pub fn parse(written: &str) -> Result<RelationPattern, String> {
        let mut parts = parts(written)?.into_iter();
        let first = Glob::of(parts.next().expect("a name has a part"))?;
        let (schema, name) = match parts.next() {
            Some(name) => (Some(first), Glob::of(name)?),
            None => (None, first),
        };
        Ok(RelationPattern {
            written: written.to_string(),
            schema,
            name,
        })
    }

    /// Whether the relation `schema.name` is one the entry names (`schema` is None when the
    /// plan does not say: then only an entry without a schema matches).
    pub fn matches(&self, schema: Option<&str>, name: &str) -> bool {
        let schema_matches = match (&self.schema, schema) {
            (None, _) => true,
            (Some(pattern), Some(schema)) => pattern.matches(schema),
            (Some(_), None) => false,
        };
        schema_matches && self.name.matches(name)
    }

    /// Whether the entry is a glob (`*` or `?` outside quotes).
    pub fn is_glob(&self) -> bool {
        self.name.is_glob() || self.schema.as_ref().is_some_and(Glob::is_glob)
    }
}

/// A name, or a pattern over names.
#[derive(Debug, Clone)]
enum Glob {
    Exact(String),
    Pattern(Regex),
}

impl Glob {
    fn of(part: Part) -> Result<Glob, String> {
        if part.quoted || !part.text.contains(['*', '?']) {
            return Ok(Glob::Exact(part.text));
        }
        let mut pattern = String::from("(?s)^");
        for c in part.text.chars() {
            match c {
                '*' => pattern.push_str(".*"),
                '?' => pattern.push('.'),
                c => pattern.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            }
        }
        pattern.push('$');
        Regex::new(&pattern)
            .map(Glob::Pattern)
            .map_err(|e| format!("`{}` is not a pattern pgvet can use: {e}", part.text))
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Glob::Exact(exact) => exact == name,
            Glob::Pattern(pattern) => pattern.is_match(name),
        }
    }

    fn is_glob(&self) -> bool {
        matches!(self, Glob::Pattern(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(schema: Option<&str>, name: &str) -> QualifiedName {
        QualifiedName {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        }
    }

    #[test]
    fn a_dot_separates_schema_and_table_unless_quoted() {
        assert_eq!(qualified_name("rental"), Ok(name(None, "rental")));
        assert_eq!(
            qualified_name("public.rental"),
            Ok(name(Some("public"), "rental"))
        );
        assert_eq!(qualified_name("\"my.table\""), Ok(name(None, "my.table")));
        assert_eq!(
            qualified_name("\"Sales Dept\".\"Q1 \"\"final\"\"\""),
            Ok(name(Some("Sales Dept"), "Q1 \"final\""))
        );
        // Not starting with a quote: taken as written, quotes and all.
        assert_eq!(qualified_name("Tab\"x"), Ok(name(None, "Tab\"x")));
        assert_eq!(
            qualified_name("Tab; DROP TABLE x"),
            Ok(name(None, "Tab; DROP TABLE x"))
        );
    }

    #[test]
    fn a_name_that_cannot_be_read_says_why() {
        for (written, why) in [
            ("a.b.c", "has more than one dot"),
            ("public.", "has an empty part"),
            (".t", "has an empty part"),
            ("\"open", "quote that is not closed"),
            ("\"a\"b", "goes on after a closing quote"),
            ("\"\".t", "has an empty part"),
        ] {
            let e = qualified_name(written).unwrap_err();
            assert!(e.contains(why), "{written}: {e}");
        }
    }

    #[test]
    fn globs_match_names_and_schemas() {
        let p = |w: &str| RelationPattern::parse(w).unwrap();
        let month = p("scan_event_2026_*");
        assert!(month.is_glob());
        assert!(month.matches(Some("public"), "scan_event_2026_01"));
        assert!(month.matches(None, "scan_event_2026_"));
        assert!(!month.matches(Some("public"), "scan_event_2025_12"));
        let archive = p("archive.*");
        assert!(archive.matches(Some("archive"), "anything"));
        assert!(!archive.matches(Some("public"), "anything"));
        assert!(!archive.matches(None, "anything"));
        let one = p("log_?");
        assert!(one.matches(Some("s"), "log_1") && !one.matches(Some("s"), "log_12"));
        // Regex characters are plain characters; quoted parts have no wildcards.
        assert!(p("a+b").matches(None, "a+b") && !p("a+b").matches(None, "aab"));
        let quoted = p("\"100%*\"");
        assert!(!quoted.is_glob());
        assert!(quoted.matches(None, "100%*") && !quoted.matches(None, "100%x"));
        let exact = p("public.big");
        assert!(!exact.is_glob());
        assert!(exact.matches(Some("public"), "big") && !exact.matches(Some("app"), "big"));
        assert!(p("big").matches(Some("app"), "big"));
        assert!(p("*.big").matches(Some("app"), "big"));
    }
}
