//! TOML text for the suite `pgvet init` writes: strings and keys quoted so that any name
//! (quotes, backslashes, control characters, non-ASCII) reads back exactly as it is, relation
//! names in the suite's own syntax (a part holding a dot is double-quoted), and comments kept on
//! one line.

/// A TOML basic string: `"…"` with `"`, `\` and control characters escaped.
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key: bare when TOML allows it (letters, digits, `_`, `-`), else quoted.
pub fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { name.to_string() } else { string(name) }
}

/// `["a", "b"]`.
pub fn array(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| string(v)).collect();
    format!("[{}]", items.join(", "))
}

/// One part of a relation name as the suite reads it (`suite::relation`): as it is, unless it
/// holds a dot or starts with a double quote; then double-quoted, inner quotes doubled.
pub fn relation_part(name: &str) -> String {
    if name.contains('.') || name.starts_with('"') {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}

/// `name`, or `schema.name` when the schema is not `default`.
pub fn relation(schema: &str, name: &str, default: &str) -> String {
    if schema == default {
        relation_part(name)
    } else {
        format!("{}.{}", relation_part(schema), relation_part(name))
    }
}

/// Text for a `# …` comment: control characters (a newline would end the comment, and the
/// next line would be TOML) and bidirectional overrides shown escaped.
pub fn comment(text: &str) -> String {
    crate::report::terminal::printable_line(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::relation::qualified_name;

    /// The value as the toml crate reads `x = <text>` back.
    fn read_back(text: &str) -> String {
        let table: toml::Table = toml::from_str(&format!("x = {text}")).unwrap();
        table["x"].as_str().unwrap().to_string()
    }

    const NASTY: &[&str] = &[
        "plain",
        "with \"quotes\"",
        "back\\slash\\",
        "new\nline\r\ttab",
        "nul \u{0} bell \u{7} del \u{7f} esc \u{1b}",
        "ünïcödé 表 🐘",
        "'single' and '''triple'''",
        "\"\"\"",
        "\\u0041 not an escape",
        "",
    ];

    #[test]
    fn every_string_reads_back_as_written() {
        for value in NASTY {
            assert_eq!(&read_back(&string(value)), value, "{value:?}");
        }
        assert_eq!(string("a\"b\\c"), r#""a\"b\\c""#);
    }

    #[test]
    fn keys_are_bare_only_when_toml_allows() {
        assert_eq!(key("model_id"), "model_id");
        assert_eq!(key("Model-2"), "Model-2");
        for name in NASTY {
            let text = format!("{} = 1", key(name));
            let table: toml::Table =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(table.contains_key(*name), "{name:?}");
        }
        assert_eq!(key("a b"), "\"a b\"");
        assert_eq!(key("ü"), "\"ü\"");
    }

    #[test]
    fn relation_names_read_back_through_the_suite_syntax() {
        for (schema, name) in [
            ("public", "plain"),
            ("app", "my.table"),
            ("my.schema", "\"quoted\""),
            ("app", "a\"b"),
            ("Mixed Case", "Tab; DROP TABLE x"),
        ] {
            let written = relation(schema, name, "public");
            let parsed = qualified_name(&read_back(&string(&written))).unwrap();
            let schema_read = parsed.schema.unwrap_or_else(|| "public".into());
            assert_eq!((schema_read.as_str(), parsed.name.as_str()), (schema, name));
        }
        assert_eq!(relation("public", "t", "public"), "t");
        assert_eq!(relation("app", "t", "public"), "app.t");
        assert_eq!(relation("app", "my.t", "app"), "\"my.t\"");
    }

    #[test]
    fn a_comment_stays_on_its_line() {
        assert_eq!(comment("a.sql"), "a.sql");
        assert_eq!(comment("evil\n[[index]]\r"), "evil\\n[[index]]\\r");
    }
}
