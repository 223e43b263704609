//! A query's `params` bound to the types the server inferred for `$1…$n` when it prepared the
//! query. Each value travels in text format, as libpq-based drivers send it: the server reads it
//! with the type's own input function, so a date, a numeric, an enum, a domain or an array
//! arrives exactly as it would from an application. pgvet refuses first what cannot be meant
//! (a boolean for an integer, a number for a string, 70000 for a smallint, a list for a scalar);
//! what only the server can judge ("dhl" for an integer) it refuses at bind time, and
//! [`refused`] names the parameter either way.

use std::error::Error;

use bytes::BytesMut;
use tokio_postgres::types::{Format, IsNull, Kind, ToSql, Type, to_sql_checked};

use crate::suite::params::Param;

/// One value with the type it is bound as.
#[derive(Debug, Clone)]
pub struct Bound {
    pub value: Param,
    pub ty: Type,
    /// The text sent: what the type's input function reads.
    text: String,
}

impl Bound {
    /// The type as PostgreSQL names it in messages: "integer", "text", "date[]".
    pub fn type_name(&self) -> String {
        type_name(&self.ty)
    }
}

impl ToSql for Bound {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(self.text.as_bytes());
        Ok(IsNull::No)
    }

    /// Any type: the text is the type's input syntax, converted for it in [`bind`].
    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// The values of a query's `params`, bound in order to its parameters' types.
#[derive(Debug, Clone)]
pub struct Bindings(pub Vec<Bound>);

impl Bindings {
    pub fn types(&self) -> Vec<Type> {
        self.0.iter().map(|b| b.ty.clone()).collect()
    }

    /// The values as the driver takes them.
    pub fn values(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0.iter().map(|b| b as &(dyn ToSql + Sync)).collect()
    }
}

/// Binds `values` to `types` (the server's inference, one per `$n`). The error names the
/// parameter, its type and the value, and says what to write instead.
pub fn bind(values: &[Param], types: &[Type]) -> Result<Bindings, String> {
    if values.len() != types.len() {
        return Err(format!(
            "params has {} value{} but the server found {} parameter{} in the SQL; give one value per parameter, in order",
            values.len(),
            if values.len() == 1 { "" } else { "s" },
            types.len(),
            if types.len() == 1 { "" } else { "s" },
        ));
    }
    let bound = values
        .iter()
        .zip(types)
        .enumerate()
        .map(|(i, (value, ty))| {
            let text = text_for(value, ty).map_err(|why| {
                format!(
                    "params: ${} is {} (as the server infers it from the SQL), and {} is {}; {why}",
                    i + 1,
                    type_name(ty),
                    value.toml(),
                    value.kind()
                )
            })?;
            Ok(Bound {
                value: value.clone(),
                ty: ty.clone(),
                text,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Bindings(bound))
}

/// The server's refusal of a value at bind time (its input function: `"dhl"` for an integer),
/// which its error context names ("unnamed portal parameter $2"), with that parameter's type
/// and value. None for any other error.
pub fn refused(bindings: &Bindings, context: Option<&str>, message: &str) -> Option<String> {
    let context = context?;
    let at = context.find("portal parameter $")? + "portal parameter $".len();
    let digits: String = context[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let bound = bindings
        .0
        .get(digits.parse::<usize>().ok()?.checked_sub(1)?)?;
    Some(format!(
        "params: ${digits} is {} (as the server infers it from the SQL), and the server refused {}: {message}",
        bound.type_name(),
        bound.value.toml()
    ))
}

/// The text form of `value` for `ty`, or why it does not fit.
fn text_for(value: &Param, ty: &Type) -> Result<String, String> {
    match ty.kind() {
        Kind::Domain(base) => return text_for(value, base),
        Kind::Array(member) => {
            return match value {
                Param::Array(items) => array_literal(items, member),
                // An array literal written out: '{1,2}'.
                Param::Text(text) => Ok(text.clone()),
                _ => Err(format!("write a TOML array such as [{}]", value.toml())),
            };
        }
        _ => {}
    }
    let category = Category::of(ty);
    match (value, category) {
        // The type's input function reads the text: a date, a uuid, '42', an enum label…
        (Param::Text(text), _) => Ok(text.clone()),
        (Param::Array(_), _) => Err(format!(
            "a parameter of type {} takes one value; to pass a list, compare with `= ANY($n)` in the SQL",
            type_name(ty)
        )),
        (Param::Bool(b), Category::Boolean) => Ok(b.to_string()),
        (Param::Integer(i), Category::Integer(min, max)) => {
            if (min..=max).contains(i) {
                Ok(i.to_string())
            } else {
                Err(format!("out of its range ({min} to {max})"))
            }
        }
        (Param::Float(f), Category::Integer(min, max)) => {
            if f.fract() == 0.0 && *f >= min as f64 && *f <= max as f64 {
                Ok(format!("{}", *f as i64))
            } else {
                Err("write a whole number in its range".into())
            }
        }
        (Param::Integer(i), Category::Float) => Ok(i.to_string()),
        (Param::Float(f), Category::Float) => Ok(float_text(*f)),
        (_, Category::Integer(..)) => Err("write a whole number".into()),
        (_, Category::Float) => Err("write a number".into()),
        (_, Category::Boolean) => Err("write true or false".into()),
        (_, Category::Other) => Err(format!(
            "write it as a string in the type's input syntax, such as \"{}\"",
            match value {
                Param::Bool(b) => b.to_string(),
                Param::Integer(i) => i.to_string(),
                Param::Float(f) => float_text(*f),
                _ => String::new(),
            }
        )),
    }
}

/// What a TOML number or boolean may be bound to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Category {
    Boolean,
    /// A whole number within (min, max).
    Integer(i64, i64),
    /// Any number (float4, float8, numeric).
    Float,
    /// Text, dates, enums and the rest: strings only.
    Other,
}

impl Category {
    fn of(ty: &Type) -> Category {
        match *ty {
            Type::BOOL => Category::Boolean,
            Type::INT2 => Category::Integer(i16::MIN.into(), i16::MAX.into()),
            Type::INT4 => Category::Integer(i32::MIN.into(), i32::MAX.into()),
            Type::INT8 => Category::Integer(i64::MIN, i64::MAX),
            Type::OID => Category::Integer(0, u32::MAX.into()),
            Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => Category::Float,
            _ => Category::Other,
        }
    }
}

/// A float as PostgreSQL's float and numeric input read it.
fn float_text(f: f64) -> String {
    match f {
        f if f.is_nan() => "NaN".into(),
        f if f == f64::INFINITY => "Infinity".into(),
        f if f == f64::NEG_INFINITY => "-Infinity".into(),
        // Rust's shortest round-trip form, never with an exponent.
        f => f.to_string(),
    }
}

/// `{1,2}`, `{"dhl","ups"}`, `{{1,2},{3,4}}`: each element converted for `member`, strings
/// double-quoted (so a comma, a brace, a space or the word NULL stays a value).
fn array_literal(items: &[Param], member: &Type) -> Result<String, String> {
    let mut parts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let part = match item {
            Param::Array(inner) => array_literal(inner, member)?,
            item => {
                let text = text_for(item, member).map_err(|why| {
                    format!(
                        "element {} ({}) is {} for {}: {why}",
                        i + 1,
                        item.toml(),
                        item.kind(),
                        type_name(member)
                    )
                })?;
                match item {
                    Param::Text(_) => quoted_element(&text),
                    _ => text,
                }
            }
        };
        parts.push(part);
    }
    Ok(format!("{{{}}}", parts.join(",")))
}

fn quoted_element(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// The type as PostgreSQL's `format_type` prints the common ones ("integer", "timestamp with
/// time zone"); others by their name, with the schema outside `pg_catalog` and `public`.
pub fn type_name(ty: &Type) -> String {
    if let Kind::Array(member) = ty.kind() {
        return format!("{}[]", type_name(member));
    }
    let known = match *ty {
        Type::INT2 => "smallint",
        Type::INT4 => "integer",
        Type::INT8 => "bigint",
        Type::FLOAT4 => "real",
        Type::FLOAT8 => "double precision",
        Type::BOOL => "boolean",
        Type::VARCHAR => "character varying",
        Type::BPCHAR => "character",
        Type::TIMESTAMP => "timestamp without time zone",
        Type::TIMESTAMPTZ => "timestamp with time zone",
        Type::TIME => "time without time zone",
        Type::TIMETZ => "time with time zone",
        _ => "",
    };
    match (known, ty.schema()) {
        ("", "pg_catalog" | "public") => ty.name().to_string(),
        ("", schema) => format!("{schema}.{}", ty.name()),
        (known, _) => known.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: Param, ty: Type) -> Result<String, String> {
        bind(&[value], &[ty]).map(|b| b.0[0].text.clone())
    }

    #[test]
    fn values_become_the_text_the_type_reads() {
        assert_eq!(text(Param::Integer(3), Type::INT4).unwrap(), "3");
        assert_eq!(text(Param::Integer(3), Type::NUMERIC).unwrap(), "3");
        assert_eq!(text(Param::Float(2.0), Type::INT8).unwrap(), "2");
        assert_eq!(text(Param::Float(0.1), Type::FLOAT8).unwrap(), "0.1");
        assert_eq!(
            text(Param::Float(1e20), Type::NUMERIC).unwrap(),
            "100000000000000000000"
        );
        assert_eq!(
            text(Param::Float(f64::NEG_INFINITY), Type::FLOAT4).unwrap(),
            "-Infinity"
        );
        assert_eq!(text(Param::Bool(true), Type::BOOL).unwrap(), "true");
        assert_eq!(text(Param::Text("dhl".into()), Type::TEXT).unwrap(), "dhl");
        assert_eq!(
            text(Param::Text("2026-01-01".into()), Type::DATE).unwrap(),
            "2026-01-01"
        );
        // A string is the type's input syntax, whatever the type: the server judges it.
        assert_eq!(text(Param::Text("42".into()), Type::INT4).unwrap(), "42");
    }

    #[test]
    fn arrays_become_array_literals() {
        let ints = Param::Array(vec![Param::Integer(1), Param::Integer(2)]);
        assert_eq!(text(ints, Type::INT4_ARRAY).unwrap(), "{1,2}");
        let texts = Param::Array(vec![
            Param::Text("a,b".into()),
            Param::Text("NULL".into()),
            Param::Text("q\"\\".into()),
        ]);
        assert_eq!(
            text(texts, Type::TEXT_ARRAY).unwrap(),
            r#"{"a,b","NULL","q\"\\"}"#
        );
        let nested = Param::Array(vec![
            Param::Array(vec![Param::Integer(1), Param::Integer(2)]),
            Param::Array(vec![Param::Integer(3), Param::Integer(4)]),
        ]);
        assert_eq!(text(nested, Type::INT8_ARRAY).unwrap(), "{{1,2},{3,4}}");
        assert_eq!(text(Param::Array(vec![]), Type::TEXT_ARRAY).unwrap(), "{}");
        assert_eq!(
            text(Param::Text("{1,2}".into()), Type::INT4_ARRAY).unwrap(),
            "{1,2}"
        );
    }

    #[test]
    fn a_value_that_does_not_fit_names_the_parameter_type_and_value() {
        let e = bind(
            &[Param::Integer(1), Param::Bool(true)],
            &[Type::INT4, Type::INT4],
        )
        .unwrap_err();
        assert_eq!(
            e,
            "params: $2 is integer (as the server infers it from the SQL), and true is a boolean; write a whole number"
        );
        let e = text(Param::Integer(70000), Type::INT2).unwrap_err();
        assert!(
            e.ends_with("$1 is smallint (as the server infers it from the SQL), and 70000 is an integer; out of its range (-32768 to 32767)"),
            "{e}"
        );
        let e = text(Param::Integer(3), Type::TEXT).unwrap_err();
        assert!(
            e.ends_with(
                "3 is an integer; write it as a string in the type's input syntax, such as \"3\""
            ),
            "{e}"
        );
        let e = text(Param::Float(2.5), Type::INT4).unwrap_err();
        assert!(
            e.contains("2.5 is a float; write a whole number in its range"),
            "{e}"
        );
        let e = text(Param::Array(vec![Param::Integer(1)]), Type::INT4).unwrap_err();
        assert!(e.contains("[1] is an array; a parameter of type integer takes one value; to pass a list, compare with `= ANY($n)`"), "{e}");
        let e = text(Param::Integer(1), Type::INT4_ARRAY).unwrap_err();
        assert!(e.contains("$1 is integer[]"), "{e}");
        assert!(e.ends_with("write a TOML array such as [1]"), "{e}");
        let e = text(
            Param::Array(vec![Param::Integer(1), Param::Bool(false)]),
            Type::INT4_ARRAY,
        )
        .unwrap_err();
        assert!(
            e.ends_with("element 2 (false) is a boolean for integer: write a whole number"),
            "{e}"
        );
        let e = bind(&[Param::Integer(1)], &[]).unwrap_err();
        assert!(
            e.starts_with("params has 1 value but the server found 0 parameters"),
            "{e}"
        );
    }

    #[test]
    fn the_server_s_refusal_names_the_parameter() {
        let bindings = bind(
            &[Param::Text("x".into()), Param::Text("dhl".into())],
            &[Type::TEXT, Type::INT4],
        )
        .unwrap();
        let message = "ERROR: invalid input syntax for type integer: \"dhl\" (SQLSTATE 22P02)";
        assert_eq!(
            refused(
                &bindings,
                Some("unnamed portal parameter $2 = '...'"),
                message
            )
            .unwrap(),
            format!(
                "params: $2 is integer (as the server infers it from the SQL), and the server refused \"dhl\": {message}"
            )
        );
        assert_eq!(
            refused(&bindings, Some("SQL function \"f\""), message),
            None
        );
        assert_eq!(
            refused(&bindings, Some("unnamed portal parameter $9"), message),
            None
        );
        assert_eq!(refused(&bindings, None, message), None);
    }
}
