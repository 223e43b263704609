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

/// A name as SQL text: as it is when it is a plain lower-case identifier, else quoted.
pub(crate) fn sql_name(name: &str) -> String {
    let plain = name
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
