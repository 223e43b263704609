//! What the schema-contract verdicts (`table`, `foreign_key`, `privilege`) share: problems in
//! the order found turned into a status and one message, and names written as SQL for the
//! statements a message suggests.

use crate::report::model::Status;

/// A check's outcome from the problems found, in order: fail with the first one leading, or
/// pass when there are none. The messages are joined by "; ".
pub(crate) struct Verdict<P> {
    pub status: Status,
    pub problem: Option<P>,
    pub problems: Vec<P>,
    pub message: Option<String>,
}

pub(crate) fn verdict<P: Copy>(found: Vec<(P, String)>) -> Verdict<P> {
    if found.is_empty() {
        return Verdict {
            status: Status::Pass,
            problem: None,
            problems: Vec::new(),
            message: None,
        };
    }
    let problems: Vec<P> = found.iter().map(|p| p.0).collect();
    let message = found
        .into_iter()
        .map(|p| p.1)
        .collect::<Vec<_>>()
        .join("; ");
    Verdict {
        status: Status::Fail,
        problem: problems.first().copied(),
        problems,
        message: Some(message),
    }
}

/// PostgreSQL's reserved key words, and those that can only name a function or type: a
/// table or column of one of these names must be quoted.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// A name as SQL text: as it is when it is a plain lower-case identifier that is no reserved
/// key word, else quoted.
pub(crate) fn sql_name(name: &str) -> String {
    let plain = !RESERVED.contains(&name)
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `schema.name` as SQL text.
pub(crate) fn sql_relation(schema: &str, name: &str) -> String {
    format!("{}.{}", sql_name(schema), sql_name(name))
}

/// "a, b and c".
pub(crate) fn and_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_only_when_they_need_it() {
        assert_eq!(sql_relation("public", "t_1"), "public.t_1");
        assert_eq!(sql_relation("App", "a\"b"), "\"App\".\"a\"\"b\"");
        assert_eq!(sql_relation("public", "user"), "public.\"user\"");
        assert_eq!(sql_name("order"), "\"order\"");
        assert_eq!(sql_name("timestamp"), "timestamp");
        assert_eq!(
            and_list(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
        assert_eq!(and_list(&["a".into()]), "a");
    }

    #[test]
    fn the_first_problem_leads() {
        let v = verdict(vec![(1, "one".to_string()), (2, "two".to_string())]);
        assert_eq!(
            (v.status, v.problem, v.problems),
            (Status::Fail, Some(1), vec![1, 2])
        );
        assert_eq!(v.message.as_deref(), Some("one; two"));
        let v = verdict::<u8>(vec![]);
        assert_eq!((v.status, v.problem, v.message), (Status::Pass, None, None));
    }
}
