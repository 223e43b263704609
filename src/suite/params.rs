//! A query's `params`: the values bound to its `$1…$n`, as the suite writes them. Here they are
//! read from TOML and counted against the parameters the SQL uses (at load time, with the
//! entry's line); `db::bind` converts them to the types the server infers.

use serde::{Deserialize, Serialize};

/// One value of `params`, as written. A TOML date or time is kept as its text
/// (`2026-01-01`, `2026-01-01T10:00:00Z`), which PostgreSQL's date and time types read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    Bool(bool),
    Integer(i64),
    Float(f64),
    Text(String),
    /// A PostgreSQL array (`= ANY($1)`); nested arrays are multidimensional.
    Array(Vec<Param>),
}

impl Param {
    /// The value from TOML; an inline table has no PostgreSQL counterpart.
    pub(super) fn from_toml(value: toml::Value) -> Result<Param, &'static str> {
        Ok(match value {
            toml::Value::Boolean(b) => Param::Bool(b),
            toml::Value::Integer(i) => Param::Integer(i),
            toml::Value::Float(f) => Param::Float(f),
            toml::Value::String(s) => Param::Text(s),
            toml::Value::Datetime(d) => Param::Text(d.to_string()),
            toml::Value::Array(items) => Param::Array(
                items
                    .into_iter()
                    .map(Param::from_toml)
                    .collect::<Result<_, _>>()?,
            ),
            toml::Value::Table(_) => return Err("a table"),
        })
    }

    /// The value as TOML writes it: `3`, `"dhl"`, `[1, 2]`.
    pub fn toml(&self) -> String {
        match self {
            Param::Bool(b) => b.to_string(),
            Param::Integer(i) => i.to_string(),
            Param::Float(f) => toml::Value::Float(*f).to_string(),
            Param::Text(s) => toml::Value::String(s.clone()).to_string(),
            Param::Array(items) => {
                let items: Vec<String> = items.iter().map(Param::toml).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }

    /// What kind of TOML value it is, for messages: "a string", "a boolean"…
    pub fn kind(&self) -> &'static str {
        match self {
            Param::Bool(_) => "a boolean",
            Param::Integer(_) => "an integer",
            Param::Float(_) => "a float",
            Param::Text(_) => "a string",
            Param::Array(_) => "an array",
        }
    }
}

/// "$1", "$1 and $2", "$1…$3": the parameters a statement uses, for messages.
pub fn span(count: usize) -> String {
    match count {
        0 => "no $n".into(),
        1 => "$1".into(),
        2 => "$1 and $2".into(),
        n => format!("$1…${n}"),
    }
}

/// Whether `values` fit the parameters `used` (from `sql::parameters`): one value each, from
/// `$1` to the last one with none left out. The error says what to change.
pub(super) fn check_count(name: &str, values: usize, used: &[u32]) -> Result<(), String> {
    let Some(&last) = used.last() else {
        return Err(format!(
            "query \"{name}\" has params but its SQL uses no $1…$n parameter (outside strings and comments); write $1 where the first value goes, or drop params"
        ));
    };
    if let Some(missing) = (1..last).find(|n| !used.contains(n)) {
        return Err(format!(
            "query \"{name}\" uses ${last} but not ${missing}; PostgreSQL needs every parameter from $1 to the last one, so number them without gaps"
        ));
    }
    if values != last as usize {
        return Err(format!(
            "query \"{name}\" has {values} value{} in params for {} parameter{} in its SQL ({}); give one value per parameter, in order",
            if values == 1 { "" } else { "s" },
            last,
            if last == 1 { "" } else { "s" },
            span(last as usize)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_from_toml_and_print_as_written() {
        let parsed: toml::Table =
            toml::from_str("v = [3, 2.5, \"dhl \\\"x\\\"\", true, 2026-01-01, [1, 2]]").unwrap();
        let toml::Value::Array(items) = parsed["v"].clone() else {
            panic!()
        };
        let params: Vec<Param> = items
            .into_iter()
            .map(|v| Param::from_toml(v).unwrap())
            .collect();
        assert_eq!(params[4], Param::Text("2026-01-01".into()));
        let shown: Vec<String> = params.iter().map(Param::toml).collect();
        assert_eq!(
            shown,
            [
                "3",
                "2.5",
                "'dhl \"x\"'",
                "true",
                "\"2026-01-01\"",
                "[1, 2]"
            ]
        );
        let table: toml::Table = toml::from_str("v = { a = 1 }").unwrap();
        assert_eq!(Param::from_toml(table["v"].clone()).unwrap_err(), "a table");
    }

    #[test]
    fn params_round_trip_through_json() {
        let params = vec![
            Param::Integer(3),
            Param::Float(2.5),
            Param::Text("dhl".into()),
            Param::Bool(false),
            Param::Array(vec![Param::Integer(1)]),
        ];
        let json = serde_json::to_string(&params).unwrap();
        assert_eq!(json, r#"[3,2.5,"dhl",false,[1]]"#);
        assert_eq!(serde_json::from_str::<Vec<Param>>(&json).unwrap(), params);
    }

    #[test]
    fn the_count_must_match_the_parameters_used() {
        assert!(check_count("q", 3, &[1, 2, 3]).is_ok());
        let e = check_count("q", 2, &[1, 2, 3]).unwrap_err();
        assert_eq!(
            e,
            "query \"q\" has 2 values in params for 3 parameters in its SQL ($1…$3); give one value per parameter, in order"
        );
        let e = check_count("q", 1, &[1, 3]).unwrap_err();
        assert!(e.contains("uses $3 but not $2"), "{e}");
        let e = check_count("q", 1, &[]).unwrap_err();
        assert!(e.contains("uses no $1…$n parameter"), "{e}");
        assert!(
            check_count("q", 2, &[1])
                .unwrap_err()
                .contains("2 values in params for 1 parameter in its SQL ($1)")
        );
    }
}
