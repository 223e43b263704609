//! The suite file as written (serde structures with positions) and its conversion into a
//! validated [`Suite`]. Only this file knows the TOML layout.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::unique::{At, Unique};
use super::{
    Expect, ExpectedIndex, MAX_RUNS, Metric, Query, Settings, Suite, SuiteError, params,
    parse_duration, read_text, sql,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    #[serde(default)]
    settings: Option<Spanned<RawSettings>>,
    #[serde(default, rename = "index")]
    indexes: Vec<Spanned<RawIndex>>,
    #[serde(default, rename = "query")]
    queries: Vec<Spanned<RawQuery>>,
    #[serde(default, rename = "metric")]
    metrics: Vec<Spanned<RawMetric>>,
    #[serde(default, rename = "table")]
    tables: Vec<Spanned<super::table::RawTable>>,
    #[serde(default, rename = "foreign_key")]
    foreign_keys: Vec<Spanned<super::foreign_key::RawForeignKey>>,
    #[serde(default, rename = "privilege")]
    privileges: Vec<Spanned<super::privilege::RawPrivilege>>,
    #[serde(default)]
    health: Option<super::health::RawHealth>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    label: Spanned<String>,
    sql: Spanned<String>,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    better: crate::report::model::Better,
    baseline: Option<f64>,
    target: Option<f64>,
    checklist: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    schema: Option<String>,
    min_rows: Option<Spanned<Count>>,
    runs: Option<Spanned<Count>>,
    warmup: Option<Spanned<Count>>,
    statement_timeout: Option<Spanned<RawDuration>>,
    lock_timeout: Option<Spanned<RawDuration>>,
    slower_threshold: Option<Spanned<Percent>>,
    slower_floor_ms: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDuration {
    Text(String),
    Millis(i64),
}

/// A time target: a number of milliseconds, or a duration such as "5ms" or "1.5s".
enum RawMillis {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for RawMillis {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = RawMillis;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of milliseconds (20) or a duration (\"20ms\", \"1.5s\")")
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawMillis, E> {
                Ok(RawMillis::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawMillis, E> {
                Ok(RawMillis::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawMillis, E> {
                Ok(RawMillis::Number(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawMillis, E> {
                Ok(RawMillis::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A value whose type error should say what to write: serde's message reads "invalid type:
/// integer `50`, expected " and then `expecting`.
macro_rules! friendly {
    ($name:ident($inner:ty), $expecting:literal, $($visit:ident($arg:ty) => $make:expr),+) => {
        struct $name($inner);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    $(fn $visit<E: serde::de::Error>(self, v: $arg) -> Result<$name, E> {
                        #[allow(clippy::redundant_closure_call)]
                        ($make)(v).map($name)
                    })+
                }
                d.deserialize_any(Visitor)
            }
        }
    };
}

friendly!(Percent(String), "a percentage in quotes, such as \"50%\"",
    visit_str(&str) => |v: &str| Ok(v.to_string()));
friendly!(Count(i64), "a whole number without quotes, such as 1000",
    visit_i64(i64) => Ok,
    visit_u64(u64) => |v: u64| i64::try_from(v).map_err(|_| E::custom("the number is too large")));

/// `allow_seq_scan = ["film"]`; a lone string is refused with how to write it as a list.
struct Relations(Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for Relations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Relations;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a list of relations in brackets, such as [\"film\"] or [\"archive.*\"]",
                )
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Relations, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element()? {
                    names.push(name);
                }
                Ok(Relations(names))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndex {
    name: Spanned<String>,
    table: Spanned<String>,
    schema: Option<Spanned<String>>,
    columns: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    unique: bool,
    #[serde(rename = "where")]
    predicate: Option<Spanned<String>>,
    method: Option<Spanned<String>>,
    include: Option<Vec<String>>,
    #[serde(default)]
    absent: bool,
    checklist: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuery {
    name: Spanned<String>,
    file: Option<Spanned<String>>,
    sql: Option<Spanned<String>>,
    #[serde(default = "default_expect")]
    expect: Expect,
    allow_seq_scan: Option<Relations>,
    #[serde(default)]
    writes: bool,
    metric: Option<Spanned<String>>,
    baseline_ms: Option<Spanned<RawMillis>>,
    target_ms: Option<Spanned<RawMillis>>,
    target_improvement: Option<Spanned<Percent>>,
    params: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    checklist: Option<String>,
}

fn default_expect() -> Expect {
    Expect::Index
}

/// Parses and validates suite text read from `path`.
pub(super) fn parse(path: &Path, text: &str) -> Result<Suite, SuiteError> {
    let raw: RawSuite = toml::from_str(text).map_err(|e| {
        let mut message = e.message().trim().replace('\n', " ");
        if let Some(span) = e.span().filter(|_| message == "duplicate key") {
            message = duplicate_key(text, span);
        }
        SuiteError::at(path, text, e.span().map(|s| s.start), message)
    })?;
    let at = |offset: usize, message: String| SuiteError::at(path, text, Some(offset), message);

    let settings = settings(raw.settings, &at)?;
    let contract = raw.tables.len() + raw.foreign_keys.len() + raw.privileges.len();
    let nothing = raw.indexes.is_empty() && raw.queries.is_empty() && raw.metrics.is_empty();
    if nothing && contract == 0 && raw.health.is_none() {
        return Err(SuiteError::at(
            path,
            text,
            None,
            "the suite checks nothing: add an [[index]], a [[table]], a [[foreign_key]], a [[privilege]], a [[query]], a [[metric]] or [health]",
        ));
    }
    let health = raw
        .health
        .map(|h| super::health::health(h, &at))
        .transpose()?;
    let tables = super::table::tables(raw.tables, &settings, text, &at)?;
    let foreign_keys = super::foreign_key::foreign_keys(raw.foreign_keys, &settings, text, &at)?;
    let privileges = super::privilege::privileges(raw.privileges, &settings, text, &at)?;
    let mut seen = Unique::new(text);
    let mut indexes = Vec::new();
    for entry in raw.indexes {
        let offset = entry.get_ref().name.span().start;
        let index = index(entry.into_inner(), &settings, &at)?;
        let key = (index.schema.clone(), index.name.clone());
        if let Some(first) = seen.duplicate(key, offset) {
            let message = format!(
                "index {}.{} is listed twice (first on line {first}); list each index once",
                index.schema, index.name
            );
            return Err(at(offset, message));
        }
        indexes.push(index);
    }
    let (mut names, mut labels) = (Unique::new(text), Unique::new(text));
    let mut queries = Vec::new();
    for entry in raw.queries {
        let offset = entry.get_ref().name.span().start;
        let label_offset = entry
            .get_ref()
            .metric
            .as_ref()
            .map_or(offset, |m| m.span().start);
        let query = query(entry.into_inner(), (path, text), &at)?;
        if let Some(first) = names.duplicate(query.name.clone(), offset) {
            let message = format!(
                "a query named \"{}\" is already listed (on line {first}); names must be unique",
                query.name
            );
            return Err(at(offset, message));
        }
        if query.has_metric() {
            let label = query.metric_label().to_string();
            labels.metric_label(label, label_offset, &at)?;
        }
        queries.push(query);
    }
    let mut metrics = Vec::new();
    for entry in raw.metrics {
        let offset = entry.get_ref().label.span().start;
        let metric = metric(entry.into_inner(), (path, text), &at)?;
        labels.metric_label(metric.label.clone(), offset, &at)?;
        metrics.push(metric);
    }
    Ok(Suite {
        path: path.to_path_buf(),
        settings,
        indexes,
        tables,
        foreign_keys,
        privileges,
        health,
        queries,
        metrics,
    })
}

/// TOML's "duplicate key", saying which key or table, and where the first one is.
fn duplicate_key(text: &str, span: std::ops::Range<usize>) -> String {
    let key = text.get(span.clone()).unwrap_or("").trim_matches('"');
    let Some(before) = text.get(..span.start) else {
        return "duplicate key".into();
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if before[line_start..].trim_start().starts_with('[') {
        let first = first_line(before, |line| line.trim_start_matches('[').starts_with(key));
        return format!(
            "the table [{key}] is written a second time{}; write each table once (for a list of entries, write [[{key}]] each time)",
            first
                .map(|n| format!(" (first on line {n})"))
                .unwrap_or_default()
        );
    }
    // The first one: a line of the same table that sets the key.
    let table_start = before[..line_start]
        .rmatch_indices("\n[")
        .next()
        .map_or(0, |(i, _)| i + 1);
    let offset = super::line_column(text, table_start).0 - 1;
    let first = first_line(&before[table_start..line_start], |line| {
        line.split_once('=')
            .is_some_and(|(k, _)| k.trim().trim_matches('"') == key)
    });
    format!(
        "`{key}` is set a second time in this table{}; keep one",
        first
            .map(|n| format!(" (first on line {})", n + offset))
            .unwrap_or_default()
    )
}

/// The 1-based number of the first line of `text` that, trimmed, `is`.
fn first_line(text: &str, is: impl Fn(&str) -> bool) -> Option<usize> {
    text.lines().position(|line| is(line.trim())).map(|n| n + 1)
}

fn settings(raw: Option<Spanned<RawSettings>>, at: &At) -> Result<Settings, SuiteError> {
    let mut settings = Settings::default();
    let Some(raw) = raw.map(Spanned::into_inner) else {
        return Ok(settings);
    };
    if let Some(schema) = raw.schema {
        settings.schema = non_empty(schema, "settings.schema", 0, at)?;
    }
    if let Some(v) = raw.min_rows {
        settings.min_rows = bounded(&v, "min_rows", 0, i64::MAX, at)? as u64;
    }
    if let Some(v) = raw.runs {
        settings.runs = bounded(&v, "runs", 1, MAX_RUNS as i64, at)? as u32;
    }
    if let Some(v) = raw.warmup {
        settings.warmup = bounded(&v, "warmup", 0, MAX_RUNS as i64, at)? as u32;
    }
    if let Some(v) = raw.statement_timeout {
        settings.statement_timeout = duration(&v, at)?;
    }
    if let Some(v) = raw.lock_timeout {
        settings.lock_timeout = duration(&v, at)?;
    }
    if let Some(v) = raw.slower_threshold {
        settings.slower_threshold_pct = slower_threshold(&v, at)?;
    }
    if let Some(v) = raw.slower_floor_ms {
        settings.slower_floor_ms = slower_floor(&v, at)?;
    }
    Ok(settings)
}

/// `slower_threshold = "40%"`: from 0% to 1000%.
fn slower_threshold(value: &Spanned<Percent>, at: &At) -> Result<f64, SuiteError> {
    match parse_percent(&value.get_ref().0) {
        Some(p) if (0.0..=1000.0).contains(&p) => Ok(p),
        _ => Err(at(
            value.span().start,
            format!(
                "slower_threshold is `{}`; write a percentage from \"0%\" to \"1000%\", such as \"40%\" (how much the median must grow for a query to count as slower)",
                value.get_ref().0.trim()
            ),
        )),
    }
}

/// `slower_floor_ms = 0.2`: milliseconds, 0 or more.
fn slower_floor(value: &Spanned<f64>, at: &At) -> Result<f64, SuiteError> {
    let ms = *value.get_ref();
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(at(
            value.span().start,
            format!("slower_floor_ms = {ms} must be a number of milliseconds, 0 or more"),
        ));
    }
    Ok(ms)
}

fn bounded(
    value: &Spanned<Count>,
    key: &str,
    min: i64,
    max: i64,
    at: &At,
) -> Result<i64, SuiteError> {
    let v = value.get_ref().0;
    if v < min || v > max {
        return Err(at(
            value.span().start,
            format!("{key} = {v} is out of range; use a whole number from {min} to {max}"),
        ));
    }
    Ok(v)
}

fn duration(value: &Spanned<RawDuration>, at: &At) -> Result<std::time::Duration, SuiteError> {
    let parsed = match value.get_ref() {
        RawDuration::Text(t) => parse_duration(t),
        RawDuration::Millis(ms) if *ms >= 0 => Ok(std::time::Duration::from_millis(*ms as u64)),
        RawDuration::Millis(ms) => Err(format!(
            "{ms} is negative; write e.g. \"30s\" (0 = no limit)"
        )),
    };
    parsed
        .and_then(server_timeout)
        .map_err(|m| at(value.span().start, m))
}

/// PostgreSQL's timeouts are whole milliseconds up to 2^31 - 1; 0 turns them off.
fn server_timeout(d: std::time::Duration) -> Result<std::time::Duration, String> {
    const MAX_MS: u128 = i32::MAX as u128;
    match d.as_nanos() {
        0 => Ok(d),
        ns if ns < 1_000_000 => Err("a timeout under 1ms would mean no limit at all (PostgreSQL counts whole milliseconds); write at least \"1ms\", or 0 for no limit".into()),
        _ if d.as_millis() > MAX_MS => Err(format!("PostgreSQL's timeouts stop at {MAX_MS} ms (about 24 days); write a shorter one, or 0 for no limit")),
        _ => Ok(d),
    }
}

fn non_empty(value: String, key: &str, offset: usize, at: &At) -> Result<String, SuiteError> {
    if value.trim().is_empty() {
        return Err(at(offset, format!("{key} is empty")));
    }
    Ok(value)
}

fn index(raw: RawIndex, settings: &Settings, at: &At) -> Result<ExpectedIndex, SuiteError> {
    let offset = raw.name.span().start;
    let name = non_empty(raw.name.into_inner(), "index name", offset, at)?;
    let table_offset = raw.table.span().start;
    let written = non_empty(
        raw.table.into_inner(),
        &format!("table of index {name}"),
        table_offset,
        at,
    )?;
    let table = super::relation::qualified_name(&written)
        .map_err(|e| at(table_offset, format!("table of index {name}: {e}")))?;
    let schema = match (table.schema, raw.schema) {
        (Some(from_table), Some(key)) if from_table != *key.get_ref() => {
            return Err(at(
                key.span().start,
                format!(
                    "index {name} has table = \"{written}\" and schema = \"{}\"; they name different schemas: keep one",
                    key.get_ref()
                ),
            ));
        }
        (Some(from_table), _) => from_table,
        (None, Some(key)) => key.into_inner(),
        (None, None) => settings.schema.clone(),
    };
    let table = table.name;
    let shaped = raw.columns.is_some()
        || raw.unique
        || raw.predicate.is_some()
        || raw.method.is_some()
        || raw.include.is_some();
    if raw.absent && shaped {
        return Err(at(
            offset,
            format!(
                "index {name} is `absent = true` and also describes its shape (columns, unique, where, method or include); an absent index has no shape to check — drop those keys"
            ),
        ));
    }
    let predicate = raw
        .predicate
        .map(|p| non_empty_at(p, &format!("where of index {name}"), at))
        .transpose()?;
    let method = raw
        .method
        .map(|m| non_empty_at(m, &format!("method of index {name}"), at))
        .transpose()?;
    let columns = match raw.columns {
        Some(c) if c.get_ref().is_empty() => {
            return Err(at(
                c.span().start,
                format!(
                    "columns of index {name} is empty; list the key columns in order, or leave the key out"
                ),
            ));
        }
        c => c.map(Spanned::into_inner),
    };
    Ok(ExpectedIndex {
        name,
        table,
        schema,
        columns,
        unique: raw.unique,
        predicate,
        method,
        include: raw.include,
        absent: raw.absent,
        checklist: raw.checklist,
    })
}

/// [`non_empty`] for a spanned value: the error points at it.
fn non_empty_at(value: Spanned<String>, key: &str, at: &At) -> Result<String, SuiteError> {
    let offset = value.span().start;
    non_empty(value.into_inner(), key, offset, at)
}

fn query(raw: RawQuery, suite: (&Path, &str), at: &At) -> Result<Query, SuiteError> {
    let suite_path = suite.0;
    let offset = raw.name.span().start;
    let name = non_empty(raw.name.into_inner(), "query name", offset, at)?;
    let mut sql_offset = offset;
    let (sql_text, source) = match (raw.file, raw.sql) {
        (Some(_), Some(s)) => {
            return Err(at(
                s.span().start,
                format!("query \"{name}\" has both `file` and `sql`; keep one"),
            ));
        }
        (None, None) => {
            return Err(at(
                offset,
                format!(
                    "query \"{name}\" has no SQL; add `file = \"query.sql\"` (relative to the suite file) or `sql = \"SELECT …\"`"
                ),
            ));
        }
        (Some(file), None) => {
            let path = suite_path
                .parent()
                .unwrap_or(Path::new("."))
                .join(file.get_ref());
            let text = read_text(&path).map_err(|e| match e.problem {
                // A position inside the query file is more use than the `file =` key.
                crate::input::Problem::NotUtf8 { .. } => SuiteError::Input(e),
                problem => at(
                    file.span().start,
                    format!("query file {}: {problem}", path.display()),
                ),
            })?;
            (text, path)
        }
        (None, Some(s)) => {
            sql_offset = s.span().start;
            (s.into_inner(), suite_path.to_path_buf())
        }
    };
    let sql = single_statement(
        &format!("query \"{name}\""),
        &sql_text,
        &source,
        suite,
        sql_offset,
        at,
    )?;
    if let Err(statement) = sql::explainable(&sql) {
        let statement = format!("a {statement} statement");
        return Err(at(
            sql_offset,
            format!(
                "query \"{name}\" is {statement}, which EXPLAIN cannot run; a [[query]] is a SELECT, WITH, VALUES, TABLE, INSERT, UPDATE, DELETE, MERGE, EXECUTE, DECLARE or CREATE TABLE … AS (to check that an index exists, write an [[index]] entry)"
            ),
        ));
    }
    let baseline_ms = time_target(raw.baseline_ms.as_ref(), "baseline_ms", &name, at)?;
    let target_ms = time_target(raw.target_ms.as_ref(), "target_ms", &name, at)?;
    let target_offset = raw.target_improvement.as_ref().map(|t| t.span().start);
    let target_improvement = raw
        .target_improvement
        .map(|t| percent(&t, &name, at))
        .transpose()?;
    let allow_seq_scan = raw
        .allow_seq_scan
        .map(|r| r.0)
        .unwrap_or_default()
        .iter()
        .map(|entry| {
            super::RelationPattern::parse(entry.get_ref().trim()).map_err(|e| {
                at(
                    entry.span().start,
                    format!("allow_seq_scan of query \"{name}\": {e}"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let used = sql::parameters(&sql);
    let params_offset = raw.params.as_ref().map_or(offset, |p| p.span().start);
    let params_at = format!(
        "{}:{}",
        suite_path.display(),
        super::line_column(suite.1, params_offset).0
    );
    let params = query_params(raw.params, &name, &used, at)?;
    if params.is_none() && !used.is_empty() {
        let target = raw
            .target_ms
            .as_ref()
            .map(|t| ("target_ms", t.span().start));
        let improvement = target_offset.map(|o| ("target_improvement", o));
        if let Some((key, offset)) = target.or(improvement) {
            return Err(at(
                offset,
                format!(
                    "query \"{name}\" uses {} and has no params, so pgvet cannot time it and its {key} cannot be judged; add `params = [...]` with one value per parameter",
                    params::span(used.len())
                ),
            ));
        }
    }
    Ok(Query {
        name,
        sql,
        source,
        expect: raw.expect,
        allow_seq_scan,
        writes: raw.writes,
        metric: raw.metric.map(Spanned::into_inner),
        baseline_ms,
        target_ms,
        target_improvement,
        params,
        params_at,
        checklist: raw.checklist,
    })
}

/// `target_ms = 20`, `"20ms"`, `"1.5s"`: a positive time in milliseconds.
fn time_target(
    value: Option<&Spanned<RawMillis>>,
    key: &str,
    name: &str,
    at: &At,
) -> Result<Option<f64>, SuiteError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let (millis, shown) = match value.get_ref() {
        RawMillis::Number(ms) => (Some(*ms).filter(|ms| *ms <= 1e12), ms.to_string()),
        RawMillis::Text(text) => (super::parse_millis(text), format!("\"{}\"", text.trim())),
    };
    match millis {
        Some(ms) if ms > 0.0 && ms.is_finite() => Ok(Some(ms)),
        _ => Err(at(
            value.span().start,
            format!(
                "{key} of query \"{name}\" is {shown}; write a positive time: a number of milliseconds (20) or a duration (\"20ms\", \"1.5s\")"
            ),
        )),
    }
}

/// A query's `params`: each value a number, string, boolean, date or array, one per `$n` of
/// its SQL (`used`). None when the key is absent, or empty for SQL without parameters.
fn query_params(
    raw: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    name: &str,
    used: &[u32],
    at: &At,
) -> Result<Option<Vec<params::Param>>, SuiteError> {
    let Some(raw) = raw else { return Ok(None) };
    let offset = raw.span().start;
    let raw = raw.into_inner();
    if raw.is_empty() && used.is_empty() {
        return Ok(None);
    }
    let mut values = Vec::with_capacity(raw.len());
    for (i, value) in raw.into_iter().enumerate() {
        let start = value.span().start;
        let value = params::Param::from_toml(value.into_inner()).map_err(|kind| {
            at(
                start,
                format!(
                    "value {} of params of query \"{name}\" is {kind}; a parameter takes a number, a string, a boolean, a date or an array of those",
                    i + 1
                ),
            )
        })?;
        values.push(value);
    }
    params::check_count(name, values.len(), used).map_err(|m| at(offset, m))?;
    Ok(Some(values))
}

fn metric(raw: RawMetric, suite: (&Path, &str), at: &At) -> Result<Metric, SuiteError> {
    let suite_path = suite.0;
    let offset = raw.label.span().start;
    let label = non_empty(raw.label.into_inner(), "metric label", offset, at)?;
    let sql_offset = raw.sql.span().start;
    let sql = single_statement(
        &format!("metric \"{label}\""),
        raw.sql.get_ref(),
        suite_path,
        suite,
        sql_offset,
        at,
    )?;
    let keyword = sql::first_keyword(&sql);
    if !sql::QUERY_KEYWORDS.contains(&keyword.as_str()) {
        return Err(at(
            sql_offset,
            format!(
                "metric \"{label}\" must be a query that returns one number (SELECT, WITH, VALUES or TABLE), not {}; pgvet measures metrics READ ONLY and never runs other statements",
                if keyword.is_empty() {
                    "this".to_string()
                } else {
                    format!("a {keyword} statement")
                }
            ),
        ));
    }
    Ok(Metric {
        label,
        sql,
        unit: raw.unit,
        better: raw.better,
        baseline: raw.baseline,
        target: raw.target,
        checklist: raw.checklist,
    })
}

/// `"50%"` → 50.
fn parse_percent(text: &str) -> Option<f64> {
    text.trim()
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
}

/// `"50%"`: a percentage from 0 (exclusive) to 100 (exclusive).
fn percent(value: &Spanned<Percent>, name: &str, at: &At) -> Result<f64, SuiteError> {
    let text = value.get_ref().0.trim();
    match parse_percent(text) {
        Some(p) if p > 0.0 && p < 100.0 => Ok(p),
        _ => Err(at(
            value.span().start,
            format!(
                "target_improvement of query \"{name}\" is `{text}`; write a percentage such as \"50%\" (how much faster than the --baseline run)"
            ),
        )),
    }
}

/// The one statement of a query; a second one is refused where it starts: its line in the
/// query file, or in the suite file for inline SQL (`toml` is the suite's text).
/// `what` names the entry in messages: `query "name"` or `metric "label"`.
fn single_statement(
    what: &str,
    text: &str,
    source: &Path,
    suite: (&Path, &str),
    offset: usize,
    at: &At,
) -> Result<String, SuiteError> {
    let (suite_path, toml) = suite;
    let mut statements = sql::statements(text).into_iter();
    let Some(first) = statements.next() else {
        return Err(at(offset, format!("{what} holds no SQL statement")));
    };
    if let Some(second) = statements.next() {
        let message = format!(
            "{what} holds more than one statement (the second starts on this line); pgvet runs one statement per entry — split it into separate entries"
        );
        return Err(if source == suite_path {
            at(inline_line(toml, offset, second.line), message)
        } else {
            SuiteError::Invalid {
                path: source.to_path_buf(),
                line: second.line,
                column: 1,
                message,
            }
        });
    }
    Ok(first.text)
}

/// The byte offset in the suite file of line `line` (1-based) of the string whose opening quote
/// is at `start`. A multi-line string drops a newline right after its opening quotes, as TOML
/// does; an escaped newline (`\n`) is not counted.
fn inline_line(toml: &str, start: usize, line: usize) -> usize {
    let raw = &toml[start..];
    let mut at = start;
    if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        at += 3;
        if toml[at..].starts_with("\r\n") {
            at += 2;
        } else if toml[at..].starts_with('\n') {
            at += 1;
        }
    }
    for _ in 1..line {
        match toml[at..].find('\n') {
            Some(n) => at += n + 1,
            None => break,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Suite, SuiteError> {
        parse(Path::new("suite/pgvet.toml"), text)
    }

    fn err(text: &str) -> String {
        parse_str(text).unwrap_err().to_string()
    }

    #[test]
    fn defaults_fill_what_is_not_written() {
        let suite = parse_str("[[index]]\nname = \"ix_a\"\ntable = \"t\"\n[[query]]\nname = \"q\"\nsql = \"SELECT 1;\"\n").unwrap();
        assert_eq!(suite.settings, Settings::default());
        assert_eq!(suite.indexes[0].schema, "public");
        let q = &suite.queries[0];
        assert_eq!(
            (q.sql.as_str(), q.expect, q.writes),
            ("SELECT 1", Expect::Index, false)
        );
        assert_eq!(q.metric_label(), "q");
        assert!(!q.has_metric());
    }

    #[test]
    fn settings_are_read_with_durations() {
        let suite = parse_str(
            "[settings]\nschema = \"app\"\nmin_rows = 10\nruns = 3\nwarmup = 0\nstatement_timeout = \"2min\"\nlock_timeout = 100\n[[index]]\nname = \"i\"\ntable = \"t\"\n",
        )
        .unwrap();
        let s = suite.settings;
        assert_eq!(
            (s.schema.as_str(), s.min_rows, s.runs, s.warmup),
            ("app", 10, 3, 0)
        );
        assert_eq!(s.statement_timeout.as_secs(), 120);
        assert_eq!(s.lock_timeout.as_millis(), 100);
        assert_eq!(suite.indexes[0].schema, "app");
    }

    #[test]
    fn an_unknown_key_is_an_error_with_its_position() {
        let e = err("[[index]]\nname = \"i\"\ntable = \"t\"\ncolums = [\"a\"]\n");
        assert!(
            e.starts_with("suite/pgvet.toml:4:1: unknown field `colums`"),
            "{e}"
        );
    }

    #[test]
    fn a_syntax_error_names_line_and_column() {
        let e = err("[settings]\nruns = = 3\n");
        assert!(e.starts_with("suite/pgvet.toml:2:"), "{e}");
    }

    #[test]
    fn absurd_runs_are_refused() {
        let e = err("[settings]\nruns = 1000000000\n[[index]]\nname = \"i\"\ntable = \"t\"\n");
        assert!(
            e.contains("suite/pgvet.toml:2:8: runs = 1000000000 is out of range"),
            "{e}"
        );
        assert!(
            err("[settings]\nruns = 0\n[[index]]\nname = \"i\"\ntable = \"t\"\n")
                .contains("out of range")
        );
    }

    #[test]
    fn timeouts_fit_what_the_server_accepts() {
        let suite = |t: &str| {
            parse_str(&format!(
                "[settings]\nstatement_timeout = \"{t}\"\n[[index]]\nname = \"i\"\ntable = \"t\"\n"
            ))
        };
        assert!(
            suite("30d")
                .unwrap_err()
                .to_string()
                .contains("stop at 2147483647 ms")
        );
        assert!(suite("0.5").unwrap_err().to_string().contains("under 1ms"));
        // 0.4 µs rounded to 0 µs, which passed as "no limit".
        for tiny in ["0.0004ms", "0.0004", "0.000001s", "0.9ms"] {
            let e = suite(tiny).unwrap_err().to_string();
            assert!(e.contains("under 1ms would mean no limit"), "{tiny}: {e}");
        }
        assert!(
            suite("0.0004ms")
                .unwrap_err()
                .to_string()
                .contains(":2:21: a timeout under 1ms")
        );
        assert_eq!(
            suite("0").unwrap().settings.statement_timeout.as_millis(),
            0
        );
        assert_eq!(
            suite("24d").unwrap().settings.statement_timeout.as_secs(),
            24 * 86400
        );
    }

    #[test]
    fn the_slower_rule_s_minimum_change_is_read_and_checked() {
        let suite = |settings: &str| {
            parse_str(&format!(
                "[settings]\n{settings}\n[[index]]\nname = \"i\"\ntable = \"t\"\n"
            ))
        };
        let s = suite("slower_threshold = \"25%\"\nslower_floor_ms = 0.5")
            .unwrap()
            .settings;
        assert_eq!((s.slower_threshold_pct, s.slower_floor_ms), (25.0, 0.5));
        let s = suite("slower_threshold = \"0%\"\nslower_floor_ms = 0")
            .unwrap()
            .settings;
        assert_eq!((s.slower_threshold_pct, s.slower_floor_ms), (0.0, 0.0));
        for bad in ["25", "-5%", "2000%", "a lot"] {
            let e = suite(&format!("slower_threshold = \"{bad}\""))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("suite/pgvet.toml:2:20: slower_threshold is `")
                    && e.contains("write a percentage from \"0%\" to \"1000%\""),
                "{e}"
            );
        }
        let e = suite("slower_floor_ms = -0.1").unwrap_err().to_string();
        assert!(
            e.contains(":2:19: slower_floor_ms = -0.1 must be a number of milliseconds, 0 or more"),
            "{e}"
        );
        let e = suite("slower_floor = 0.1").unwrap_err().to_string();
        assert!(e.contains("unknown field `slower_floor`"), "{e}");
    }

    #[test]
    fn a_bad_duration_says_what_to_write() {
        let e = err(
            "[settings]\nstatement_timeout = \"soon\"\n[[index]]\nname = \"i\"\ntable = \"t\"\n",
        );
        assert!(e.contains(":2:21: `soon` is not a duration"), "{e}");
    }

    #[test]
    fn hostile_suite_files_get_clear_errors() {
        let deep_array = format!("a = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let deep_table = format!("a = {}1{}\n", "{b = ".repeat(50_000), "}".repeat(50_000));
        for text in [deep_array, deep_table] {
            let e = err(&text);
            assert!(e.starts_with("suite/pgvet.toml:1:"), "{e}");
        }
        assert!(err("").contains("the suite checks nothing"));
        let e = err(
            "[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\n[[query]]\nname = \"\"\nsql = \"SELECT 2\"\n",
        );
        assert!(e.contains("query name is empty"), "{e}");
    }

    #[test]
    fn an_empty_suite_checks_nothing() {
        assert!(err("[settings]\nruns = 2\n").contains("the suite checks nothing"));
    }

    #[test]
    fn query_needs_exactly_one_source() {
        assert!(err("[[query]]\nname = \"q\"\n").contains("has no SQL"));
        assert!(
            err("[[query]]\nname = \"q\"\nfile = \"a.sql\"\nsql = \"SELECT 1\"\n")
                .contains("has both `file` and `sql`")
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_says_what_to_write() {
        let q = |line: &str| {
            err(&format!(
                "[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\n{line}\n"
            ))
        };
        assert!(q("target_improvement = 50").contains(
            "4:22: invalid type: integer `50`, expected a percentage in quotes, such as \"50%\""
        ));
        assert!(
            q("allow_seq_scan = \"film\"")
                .contains("expected a list of relations in brackets, such as [\"film\"]")
        );
        let s = |line: &str| {
            err(&format!(
                "[settings]\n{line}\n[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\n"
            ))
        };
        assert!(s("min_rows = \"1000\"").contains(
            "2:12: invalid type: string \"1000\", expected a whole number without quotes"
        ));
        assert!(s("slower_threshold = 40").contains("expected a percentage in quotes"));
        assert!(s("runs = 5.5").contains("expected a whole number without quotes"));
    }

    #[test]
    fn a_statement_explain_cannot_run_is_refused_at_load() {
        let e = err("[[query]]\nname = \"q\"\nsql = \"CREATE INDEX i ON t (a)\"\n");
        assert!(e.starts_with("suite/pgvet.toml:3:7: query \"q\" is a CREATE INDEX statement, which EXPLAIN cannot run"), "{e}");
        assert!(e.contains("write an [[index]] entry"), "{e}");
    }

    #[test]
    fn inline_sql_with_two_statements_is_refused() {
        let e = err("[[query]]\nname = \"q\"\nsql = \"SELECT 1; DELETE FROM t\"\n");
        assert!(e.contains("holds more than one statement"), "{e}");
        // The second statement's line in the suite file, not in the string.
        let e = err("[[query]]\nname = \"q\"\nsql = \"\"\"\nSELECT 1;\n\nSELECT 2\n\"\"\"\n");
        assert!(
            e.starts_with("suite/pgvet.toml:6:1: query \"q\" holds more than one statement"),
            "{e}"
        );
        let e = err("[[query]]\nname = \"q\"\nsql = \'\'\'SELECT 1;\r\n  SELECT 2\'\'\'\n");
        assert!(e.starts_with("suite/pgvet.toml:4:1: query"), "{e}");
    }

    #[test]
    fn a_trailing_vertical_tab_is_white_space_not_a_statement() {
        // Found by fuzzing (suite_parser): "\v" after the `;` made a second, empty statement.
        let suite = parse_str("[[query]]\nname = \"q\"\nsql = \"SELECT 1;\\u000b\"\n").unwrap();
        assert_eq!(suite.queries[0].sql, "SELECT 1");
        let e = err("[[query]]\nname = \"q\"\nsql = \"\\u000b\"\n");
        assert!(e.contains("query \"q\" holds no SQL statement"), "{e}");
    }

    #[test]
    fn a_missing_query_file_is_reported_at_the_file_key() {
        let e = err("[[query]]\nname = \"q\"\nfile = \"nope.sql\"\n");
        assert!(
            e.starts_with("suite/pgvet.toml:3:8: query file suite/nope.sql:"),
            "{e}"
        );
    }

    #[test]
    fn a_multi_statement_query_file_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("two.sql"),
            "SELECT 1;\n-- and then\nDELETE FROM t;\n",
        )
        .unwrap();
        let suite = dir.path().join("pgvet.toml");
        let e = parse(&suite, "[[query]]\nname = \"q\"\nfile = \"two.sql\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("two.sql:3:1: query \"q\" holds more than one statement"),
            "{e}"
        );
    }

    #[test]
    fn a_duplicate_is_refused_at_its_own_line_naming_the_first() {
        let e = err(
            "[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\n[[query]]\nname = \"q\"\nsql = \"SELECT 2\"\n",
        );
        assert!(
            e.starts_with(
                "suite/pgvet.toml:5:8: a query named \"q\" is already listed (on line 2)"
            ),
            "{e}"
        );
        let e = err(
            "[[index]]\nname = \"i\"\ntable = \"t\"\n\n[[index]]\ntable = \"u\"\n  name = \"i\"\n",
        );
        assert!(
            e.starts_with(
                "suite/pgvet.toml:7:10: index public.i is listed twice (first on line 2)"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_key_or_table_written_twice_is_named_at_the_second() {
        let e = err("[settings]\nruns = 2\nwarmup = 0\nruns = 3\n");
        assert_eq!(
            e,
            "suite/pgvet.toml:4:1: `runs` is set a second time in this table (first on line 2); keep one"
        );
        let e = err(
            "[[index]]\nname = \"a\"\ntable = \"t\"\n\n[[query]]\nname = \"q\"\nname = \"r\"\n",
        );
        assert_eq!(
            e,
            "suite/pgvet.toml:7:1: `name` is set a second time in this table (first on line 6); keep one"
        );
        let e = err("[settings]\nruns = 2\n\n[settings]\nwarmup = 1\n");
        assert_eq!(
            e,
            "suite/pgvet.toml:4:2: the table [settings] is written a second time (first on line 1); write each table once (for a list of entries, write [[settings]] each time)"
        );
        let e = err(
            "[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\nallow_seq_scan = [\"a\"]\nwrites = {a = 1, a = 2}\n",
        );
        assert!(e.starts_with("suite/pgvet.toml:5:"), "{e}");
        assert!(
            e.contains("`a` is set a second time in this table; keep one"),
            "{e}"
        );
    }

    #[test]
    fn a_metric_label_is_used_once() {
        let metric = |label: &str| format!("[[metric]]\nlabel = \"{label}\"\nsql = \"SELECT 1\"\n");
        // Two [[metric]] entries with one label were refused at 1:1; two queries with one
        // `metric` label were accepted.
        let e = err(&format!("{}{}", metric("pool"), metric("pool")));
        assert!(
            e.starts_with(
                "suite/pgvet.toml:5:9: the metric label \"pool\" is already used (on line 2)"
            ),
            "{e}"
        );
        let query = |name: &str, extra: &str| {
            format!("[[query]]\nname = \"{name}\"\nsql = \"SELECT 1\"\n{extra}")
        };
        let e = err(&format!(
            "{}{}",
            query("a", "metric = \"Avg\"\n"),
            query("b", "metric = \"Avg\"\n")
        ));
        assert!(
            e.starts_with("suite/pgvet.toml:8:10: the metric label \"Avg\""),
            "{e}"
        );
        let e = err(&format!("{}{}", query("a", "target_ms = 5\n"), metric("a")));
        assert!(
            e.starts_with(
                "suite/pgvet.toml:6:9: the metric label \"a\" is already used (on line 2)"
            ),
            "{e}"
        );
        // A query without a metrics-table row leaves its name free as a label.
        assert!(parse_str(&format!("{}{}", query("a", ""), metric("a"))).is_ok());
    }

    #[test]
    fn a_metric_must_be_a_query() {
        for sql in [
            "COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'",
            "COPY t TO '/tmp/x'",
            "PREPARE TRANSACTION 'g'",
            "DELETE FROM t",
            "SET work_mem = '1GB'",
        ] {
            let e = err(&format!("[[metric]]\nlabel = \"m\"\nsql = \"{sql}\"\n"));
            assert!(
                e.starts_with("suite/pgvet.toml:3:7: metric \"m\" must be a query"),
                "{e}"
            );
        }
        for sql in [
            "SELECT 1",
            "(VALUES (1))",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "TABLE t",
        ] {
            let text = format!("[[metric]]\nlabel = \"m\"\nsql = \"{sql}\"\n");
            assert!(parse_str(&text).is_ok(), "{sql}");
        }
    }

    #[test]
    fn absent_with_a_shape_is_contradictory() {
        let e = err("[[index]]\nname = \"i\"\ntable = \"t\"\nabsent = true\nunique = true\n");
        assert!(e.contains("absent = true"), "{e}");
        for shape in ["where = \"a > 1\"", "method = \"gin\"", "include = []"] {
            let e = err(&format!(
                "[[index]]\nname = \"i\"\ntable = \"t\"\nabsent = true\n{shape}\n"
            ));
            assert!(e.contains("also describes its shape"), "{shape}: {e}");
        }
    }

    #[test]
    fn where_method_and_include_are_read() {
        let suite = parse_str(
            "[[index]]\nname = \"i\"\ntable = \"t\"\nwhere = \"status = 'active'::text\"\nmethod = \"gin\"\ninclude = [\"a\", \"b\"]\n\n[[index]]\nname = \"j\"\ntable = \"t\"\ninclude = []\n",
        )
        .unwrap();
        let (i, j) = (&suite.indexes[0], &suite.indexes[1]);
        assert_eq!(i.predicate.as_deref(), Some("status = 'active'::text"));
        assert_eq!(i.method.as_deref(), Some("gin"));
        assert_eq!(i.include, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!((&j.predicate, &j.method), (&None, &None));
        assert_eq!(j.include, Some(vec![]));
        let e = err("[[index]]\nname = \"i\"\ntable = \"t\"\nwhere = \" \"\n");
        assert!(
            e.ends_with("suite/pgvet.toml:4:9: where of index i is empty"),
            "{e}"
        );
        let e = err("[[index]]\nname = \"i\"\ntable = \"t\"\nmethod = \"\"\n");
        assert!(e.ends_with("method of index i is empty"), "{e}");
    }

    #[test]
    fn expect_takes_index_or_any_only() {
        let e = err("[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\nexpect = \"seq\"\n");
        assert!(e.contains("unknown variant `seq`"), "{e}");
    }

    #[test]
    fn target_improvement_is_a_percentage() {
        let q = |v: &str| {
            parse_str(&format!(
                "[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\ntarget_improvement = \"{v}\"\n"
            ))
        };
        assert_eq!(q("50%").unwrap().queries[0].target_improvement, Some(50.0));
        assert!(q("50%").unwrap().queries[0].has_metric());
        for bad in ["50", "150%", "-5%", "half"] {
            assert!(
                q(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("write a percentage"),
                "{bad}"
            );
        }
    }

    #[test]
    fn params_are_read_and_counted_against_the_sql() {
        let q = |sql: &str, params: &str| {
            parse_str(&format!(
                "[[query]]\nname = \"q\"\nsql = \"{sql}\"\n{params}\n"
            ))
        };
        let suite = q(
            "SELECT * FROM t WHERE a = $1 AND b = $2 AND c >= $3",
            "params = [3, 'dhl', 2026-01-01]",
        )
        .unwrap();
        use params::Param;
        assert_eq!(
            suite.queries[0].params,
            Some(vec![
                Param::Integer(3),
                Param::Text("dhl".into()),
                Param::Text("2026-01-01".into())
            ])
        );
        assert_eq!(q("SELECT 1", "").unwrap().queries[0].params, None);
        assert_eq!(
            q("SELECT 1", "params = []").unwrap().queries[0].params,
            None
        );
        // Without params, $n is left to the server (a generic plan on PostgreSQL 16+).
        assert_eq!(q("SELECT $1::int", "").unwrap().queries[0].params, None);

        let e = q("SELECT $1, $2, $3", "params = [3, 'dhl']")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "suite/pgvet.toml:4:10: query \"q\" has 2 values in params for 3 parameters in its SQL ($1…$3); give one value per parameter, in order"
        );
        let e = q("SELECT '$1'", "params = [1]").unwrap_err().to_string();
        assert!(
            e.starts_with("suite/pgvet.toml:4:10: query \"q\" has params but its SQL uses no"),
            "{e}"
        );
        let e = q("SELECT $1", "params = [1, { a = 1 }]")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("suite/pgvet.toml:4:14: value 2 of params of query \"q\" is a table"),
            "{e}"
        );
    }

    #[test]
    fn a_wrong_count_in_a_query_file_is_reported_at_the_params_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("q.sql"),
            "-- by carrier\nSELECT * FROM shipment\nWHERE carrier = $1 AND shipped_at >= $2;\n",
        )
        .unwrap();
        let suite = dir.path().join("pgvet.toml");
        let text = "[[query]]\nname = \"q\"\nfile = \"q.sql\"\n\nparams = [\"dhl\"]\n";
        let e = parse(&suite, text).unwrap_err().to_string();
        assert!(
            e.contains("pgvet.toml:5:10: query \"q\" has 1 value in params for 2 parameters in its SQL ($1 and $2)"),
            "{e}"
        );
    }

    #[test]
    fn a_target_needs_params_when_the_sql_has_parameters() {
        let e = err("[[query]]\nname = \"q\"\nsql = \"SELECT $1::int\"\ntarget_ms = 5\n");
        assert_eq!(
            e,
            "suite/pgvet.toml:4:13: query \"q\" uses $1 and has no params, so pgvet cannot time it and its target_ms cannot be judged; add `params = [...]` with one value per parameter"
        );
        let e =
            err("[[query]]\nname = \"q\"\nsql = \"SELECT $1, $2\"\ntarget_improvement = \"50%\"\n");
        assert!(e.contains("uses $1 and $2 and has no params"), "{e}");
        assert!(
            parse_str(
                "[[query]]\nname = \"q\"\nsql = \"SELECT $1::int\"\ntarget_ms = 5\nparams = [1]\n"
            )
            .is_ok()
        );
    }

    #[test]
    fn targets_must_be_positive() {
        let e = err("[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\ntarget_ms = -5\n");
        assert!(
            e.contains(":4:13: target_ms of query \"q\" is -5; write a positive time"),
            "{e}"
        );
    }

    #[test]
    fn time_targets_take_durations_and_bare_milliseconds() {
        let q = |line: &str| {
            parse_str(&format!(
                "[[query]]\nname = \"q\"\nsql = \"SELECT 1\"\n{line}\n"
            ))
        };
        let times = |line: &str| {
            let suite = q(line).unwrap();
            (suite.queries[0].baseline_ms, suite.queries[0].target_ms)
        };
        assert_eq!(times("target_ms = \"5ms\""), (None, Some(5.0)));
        assert_eq!(times("target_ms = \"1.5s\""), (None, Some(1500.0)));
        assert_eq!(times("target_ms = 20"), (None, Some(20.0)));
        assert_eq!(times("target_ms = 0.000001"), (None, Some(0.000001)));
        assert_eq!(times("baseline_ms = \"2min\""), (Some(120_000.0), None));
        assert_eq!(times("baseline_ms = \"150\""), (Some(150.0), None));
        for bad in ["\"fast\"", "\"0ms\"", "0", "\"-1s\"", "\"5 parsecs\""] {
            let e = q(&format!("baseline_ms = {bad}")).unwrap_err().to_string();
            assert!(
                e.contains(":4:15: baseline_ms of query \"q\" is ")
                    && e.contains("write a positive time: a number of milliseconds (20) or a duration (\"20ms\", \"1.5s\")"),
                "{bad}: {e}"
            );
        }
        let e = q("target_ms = true").unwrap_err().to_string();
        assert!(
            e.starts_with("suite/pgvet.toml:4:13: invalid type: boolean `true`, expected a number of milliseconds (20) or a duration"),
            "{e}"
        );
    }
}
