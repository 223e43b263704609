//! Column types as a suite writes them, read the way PostgreSQL prints them (`format_type`):
//! case and white space do not matter, and the common aliases of SQL and PostgreSQL's own
//! names mean their type (`int`, `int4` and `serial` are `integer`; `varchar(80)` is
//! `character varying(80)`; `timestamptz` is `timestamp with time zone`). Anything else
//! compares as written, lower-cased outside double quotes.

/// The type as `format_type` prints it, when `written` is a spelling pgvet knows; otherwise
/// `written` with its case and spacing normalised.
pub fn canonical(written: &str) -> String {
    let text = squash(written);
    let (text, arrays) = strip_arrays(&text);
    let (head, modifier, tail) = match (text.find('('), text.find(')')) {
        (Some(open), Some(close)) if open < close => (
            text[..open].trim(),
            Some(&text[open..=close]),
            text[close + 1..].trim(),
        ),
        _ => (text.as_str(), None, ""),
    };
    let name = match tail {
        "" => head.to_string(),
        tail => format!("{head} {tail}"),
    };
    let typed = with_modifier(&name, modifier);
    format!("{typed}{}", "[]".repeat(arrays))
}

/// The base type under its printed name, with its modifier where `format_type` puts it.
fn with_modifier(name: &str, modifier: Option<&str>) -> String {
    let m = modifier.unwrap_or("");
    let base = match name {
        "int" | "int4" | "integer" | "serial" | "serial4" => "integer",
        "int8" | "bigint" | "bigserial" | "serial8" => "bigint",
        "int2" | "smallint" | "smallserial" | "serial2" => "smallint",
        "float8" | "double precision" => "double precision",
        "float4" | "real" => "real",
        // float(p): single precision up to 24 binary digits, double above.
        "float" => match m.trim_matches(['(', ')']).parse::<u32>() {
            Ok(p) if p <= 24 => return "real".into(),
            _ => return "double precision".into(),
        },
        "bool" | "boolean" => "boolean",
        "varchar" | "character varying" | "char varying" => "character varying",
        "char" | "character" if m.is_empty() => return "character(1)".into(),
        "char" | "character" => "character",
        "decimal" | "numeric" => "numeric",
        "varbit" | "bit varying" => "bit varying",
        "bit" if m.is_empty() => return "bit(1)".into(),
        "timestamptz" | "timestamp with time zone" => {
            return format!("timestamp{m} with time zone");
        }
        "timestamp" | "timestamp without time zone" => {
            return format!("timestamp{m} without time zone");
        }
        "timetz" | "time with time zone" => return format!("time{m} with time zone"),
        "time" | "time without time zone" => return format!("time{m} without time zone"),
        other => other,
    };
    format!("{base}{m}")
}

/// `integer[]`, `int[3][]`, `integer array`: the element type and the number of dimensions
/// (PostgreSQL prints every array as `[]`, whatever its declared size).
fn strip_arrays(text: &str) -> (String, usize) {
    let mut rest = text.trim_end();
    let mut arrays = 0;
    loop {
        if let Some(open) = rest.strip_suffix(']').and_then(|r| r.rfind('[')) {
            let size = &rest[open + 1..rest.len() - 1];
            if size.chars().all(|c| c.is_ascii_digit()) {
                rest = rest[..open].trim_end();
                arrays += 1;
                continue;
            }
        }
        if let Some(before) = rest.strip_suffix(" array") {
            rest = before.trim_end();
            arrays += 1;
            continue;
        }
        break;
    }
    (rest.to_string(), arrays)
}

/// Lower case outside double quotes, runs of white space as one space, and none next to
/// parentheses, brackets and commas.
fn squash(written: &str) -> String {
    let mut out = String::with_capacity(written.len());
    let mut quoted = false;
    let mut space = false;
    for c in written.trim().chars() {
        if quoted {
            out.push(c);
            quoted = c != '"';
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        let tight = |c: char| matches!(c, '(' | ')' | '[' | ']' | ',');
        if space && !tight(c) && !out.ends_with(tight) {
            out.push(' ');
        }
        space = false;
        quoted = c == '"';
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn aliases_read_as_postgresql_prints_them() {
        for (written, printed) in [
            ("int", "integer"),
            ("INT4", "integer"),
            ("serial", "integer"),
            ("Integer", "integer"),
            ("int8", "bigint"),
            ("bigserial", "bigint"),
            ("int2", "smallint"),
            ("float8", "double precision"),
            ("float", "double precision"),
            ("float(10)", "real"),
            ("float4", "real"),
            ("bool", "boolean"),
            ("varchar", "character varying"),
            ("VARCHAR ( 80 )", "character varying(80)"),
            ("character  varying(80)", "character varying(80)"),
            ("char", "character(1)"),
            ("char(3)", "character(3)"),
            ("decimal(10, 2)", "numeric(10,2)"),
            ("numeric", "numeric"),
            ("timestamptz", "timestamp with time zone"),
            ("timestamptz(3)", "timestamp(3) with time zone"),
            ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
            ("timestamp", "timestamp without time zone"),
            (
                "timestamp(6) without time zone",
                "timestamp(6) without time zone",
            ),
            ("timetz", "time with time zone"),
            ("time", "time without time zone"),
            ("varbit(4)", "bit varying(4)"),
            ("bit", "bit(1)"),
            ("int[]", "integer[]"),
            ("int[3][]", "integer[][]"),
            ("text array", "text[]"),
            ("varchar(20) []", "character varying(20)[]"),
            ("text", "text"),
            ("jsonb", "jsonb"),
            ("public.Mood", "public.mood"),
            ("\"My Type\"", "\"My Type\""),
            ("\"char\"", "\"char\""),
        ] {
            assert_eq!(canonical(written), printed, "{written}");
        }
    }

    #[test]
    fn what_postgresql_prints_is_already_canonical() {
        for printed in [
            "integer",
            "bigint",
            "character varying(80)",
            "timestamp with time zone",
            "timestamp(3) without time zone",
            "numeric(10,2)",
            "double precision",
            "integer[]",
            "bpchar",
            "interval",
            "public.mood",
        ] {
            assert_eq!(canonical(printed), printed);
        }
    }
}
