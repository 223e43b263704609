//! Reading conditions (a Filter, an Index Cond, a join's Hash Cond) and Sort Keys as EXPLAIN
//! VERBOSE prints them, far enough to derive index candidates from them: which expression
//! each clause compares, how (equality, range, IS NULL) and with what; which relations an
//! expression names (`u.email` names `u`); the expression without that name, as an index
//! definition writes it (`lower((email)::text)` from `lower((u.email)::text)`); and a sort
//! key without its direction.
//!
//! Pure text work with the same delimiters as [`super::cond`]; any input gives an answer.

use super::cond::{
    end_of_quoted, is_identifier_byte, is_operator_byte, left_operand, split_top_level,
    strip_outer_parens,
};

/// How a clause compares its two sides, as far as a B-tree index is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`, and `= ANY (…)` (an IN list).
    Equal,
    /// `<`, `<=`, `>`, `>=`.
    Range,
    /// `IS NULL`.
    IsNull,
    /// Anything a B-tree cannot search by (`<>`, `~~`, `@>`, `IS NOT NULL`…).
    Other,
}

/// One clause of a condition: `left op right`, each side as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparison<'a> {
    pub left: &'a str,
    pub op: Op,
    /// Empty for `IS NULL`.
    pub right: &'a str,
}

/// The clauses of a condition joined by AND, at any depth of parentheses. Clauses under an
/// OR, row comparisons and negations give none.
pub fn comparisons(text: &str) -> Vec<Comparison<'_>> {
    let mut found = Vec::new();
    let mut pending = vec![text];
    while let Some(text) = pending.pop() {
        let clause = strip_outer_parens(text);
        let conjuncts = split_top_level(clause, " AND ");
        if conjuncts.len() > 1 {
            pending.extend(conjuncts.into_iter().rev());
            continue;
        }
        let skipped = ["ROW(", "NOT "].iter().any(|p| clause.starts_with(p));
        if skipped || split_top_level(clause, " OR ").len() > 1 {
            continue;
        }
        let Some(left) = left_operand(clause) else {
            continue;
        };
        let end = left.as_ptr() as usize - clause.as_ptr() as usize + left.len();
        let (op, right) = operator(clause[end..].trim_start());
        found.push(Comparison { left, op, right });
    }
    found
}

/// The operator at the start of `rest` and what follows it.
fn operator(rest: &str) -> (Op, &str) {
    if rest == "IS NULL" {
        return (Op::IsNull, "");
    }
    let length = rest.bytes().take_while(|&b| is_operator_byte(b)).count();
    let right = rest[length..].trim();
    let op = match &rest[..length] {
        "=" => Op::Equal,
        "<" | "<=" | ">" | ">=" => Op::Range,
        _ => Op::Other,
    };
    (op, right)
}

/// The position of each qualifier in `expr`: the `t` of a column `t.col` (or `"T".col`), as
/// (start, end) byte offsets, the dot at `end`. The schema of a function call `s.f(…)` is
/// not one; string literals are skipped.
fn qualifier_spans(expr: &str) -> Vec<(usize, usize)> {
    let bytes = expr.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    let mut after_dot = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\'' {
            i = end_of_quoted(bytes, i, b'\'');
            after_dot = false;
            continue;
        }
        if b.is_ascii_digit() {
            while i < bytes.len() && (is_identifier_byte(bytes[i]) || bytes[i] == b'.') {
                i += 1;
            }
            after_dot = false;
            continue;
        }
        let Some(end) = name_end(bytes, i) else {
            after_dot = b == b'.';
            i += 1;
            continue;
        };
        let next = (bytes.get(end) == Some(&b'.'))
            .then(|| name_end(bytes, end + 1))
            .flatten();
        if let Some(next_end) = next
            && !after_dot
            && bytes.get(next_end) != Some(&b'(')
        {
            spans.push((i, end));
        }
        after_dot = false;
        i = end;
    }
    spans
}

/// The end of the name (a plain identifier or a quoted one) starting at `at`, if one does.
fn name_end(bytes: &[u8], at: usize) -> Option<usize> {
    let b = *bytes.get(at)?;
    if b == b'"' {
        return Some(end_of_quoted(bytes, at, b'"'));
    }
    if !is_identifier_byte(b) || b.is_ascii_digit() {
        return None;
    }
    Some(
        at + bytes[at..]
            .iter()
            .take_while(|&&c| is_identifier_byte(c))
            .count(),
    )
}

/// The qualifiers of the columns `expr` names, as printed (`u`, `"Order"`), in order.
pub fn qualifiers(expr: &str) -> Vec<&str> {
    qualifier_spans(expr)
        .into_iter()
        .map(|(start, end)| &expr[start..end])
        .collect()
}

/// Whether a qualifier as EXPLAIN prints it (quoted when it must be) is `alias`.
pub fn is_alias(qualifier: &str, alias: &str) -> bool {
    qualifier == alias || qualifier == format!("\"{}\"", alias.replace('"', "\"\""))
}

/// `expr` with the qualifier `alias.` removed from its columns: `lower((u.email)::text)` →
/// `lower((email)::text)`.
pub fn unqualified(expr: &str, alias: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut copied = 0;
    for (start, end) in qualifier_spans(expr) {
        if is_alias(&expr[start..end], alias) {
            out.push_str(&expr[copied..start]);
            copied = end + 1;
        }
    }
    out.push_str(&expr[copied..]);
    out
}

/// `expr` without the casts EXPLAIN prints around it: `x` for `((x)::text)::varchar`.
pub fn without_casts(expr: &str) -> &str {
    let mut expr = strip_outer_parens(expr);
    while let Some(inner) = super::cond::uncast(expr) {
        expr = strip_outer_parens(inner);
    }
    expr
}

/// Whether `expr` is one name (a column once unqualified): `email`, `"timestamp"`.
pub fn is_name(expr: &str) -> bool {
    let bytes = expr.as_bytes();
    !bytes.is_empty() && name_end(bytes, 0) == Some(bytes.len())
}

/// Whether `text` is one parenthesised whole: `(a, b)`, not `(a) + (b)` nor `(a)::text`.
pub fn encloses(text: &str) -> bool {
    text.starts_with('(') && strip_outer_parens(text).len() < text.trim().len()
}

/// A Sort Key as EXPLAIN prints it, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey<'a> {
    pub expr: &'a str,
    pub descending: bool,
    /// `NULLS FIRST` (true) or `NULLS LAST` (false) when printed: not the direction's default.
    pub nulls_first: Option<bool>,
    /// Sorted `USING` an operator of its own: no default index order gives it.
    pub using: bool,
}

/// `t.created_at DESC NULLS LAST` → (`t.created_at`, descending, nulls last).
pub fn sort_key(key: &str) -> SortKey<'_> {
    let key = key.trim();
    let (key, nulls_first) = match (
        key.strip_suffix(" NULLS FIRST"),
        key.strip_suffix(" NULLS LAST"),
    ) {
        (Some(k), _) => (k, Some(true)),
        (_, Some(k)) => (k, Some(false)),
        _ => (key, None),
    };
    let using = key
        .rsplit_once(" USING ")
        .filter(|(_, op)| !op.is_empty() && op.bytes().all(is_operator_byte));
    if let Some((expr, _)) = using {
        return SortKey {
            expr,
            descending: false,
            nulls_first,
            using: true,
        };
    }
    let (expr, descending) = match (key.strip_suffix(" DESC"), key.strip_suffix(" ASC")) {
        (Some(k), _) => (k, true),
        (_, Some(k)) => (k, false),
        _ => (key, false),
    };
    SortKey {
        expr,
        descending,
        nulls_first,
        using: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_read_with_their_operator_and_other_side() {
        let read = comparisons(
            "((o.status = 'shipped'::text) AND (o.created_at >= '2024-03-01 00:00:00'::timestamp without time zone) AND (o.note <> 'x'::text))",
        );
        let ops: Vec<_> = read.iter().map(|c| (c.left, c.op)).collect();
        assert_eq!(
            ops,
            [
                ("o.status", Op::Equal),
                ("o.created_at", Op::Range),
                ("o.note", Op::Other)
            ]
        );
        assert_eq!(read[0].right, "'shipped'::text");
        let any = comparisons("(o.id = ANY ('{1,2}'::integer[]))");
        assert_eq!(
            (any[0].op, any[0].right),
            (Op::Equal, "ANY ('{1,2}'::integer[])")
        );
        assert_eq!(comparisons("(o.shipped_at IS NULL)")[0].op, Op::IsNull);
        assert_eq!(comparisons("(o.shipped_at IS NOT NULL)")[0].op, Op::Other);
        assert_eq!(
            comparisons("(lower((c.email)::text) = 'u7@example.com'::text)")[0].left,
            "lower((c.email)::text)"
        );
        assert!(comparisons("((o.a = 1) OR (o.b = 2))").is_empty());
        assert!(comparisons("(ROW(o.a, o.b) > ROW(1, 2))").is_empty());
        assert!(comparisons("(NOT o.flag)").is_empty());
    }

    #[test]
    fn qualifiers_name_the_relations_of_columns_only() {
        assert_eq!(qualifiers("(tm.config_id = tc.id)"), ["tm", "tc"]);
        assert_eq!(qualifiers("lower((u.email)::text)"), ["u"]);
        assert_eq!(qualifiers("public.norm(u.email)"), ["u"]);
        assert_eq!(qualifiers("\"Order\".\"Total\" > 1.5"), ["\"Order\""]);
        assert!(qualifiers("'a.b'::text").is_empty());
        assert!(qualifiers("$1").is_empty());
        assert!(qualifiers("('2024-01-01'::date + 1.5)").is_empty());
        assert!(is_alias("\"Order\"", "Order") && is_alias("o", "o") && !is_alias("o", "p"));
    }

    #[test]
    fn unqualified_drops_only_the_scan_s_own_alias() {
        assert_eq!(
            unqualified("lower((u.email)::text)", "u"),
            "lower((email)::text)"
        );
        assert_eq!(unqualified("tm.\"timestamp\"", "tm"), "\"timestamp\"");
        assert_eq!(unqualified("(a.x + b.y)", "a"), "(x + b.y)");
        assert_eq!(unqualified("\"Order\".id", "Order"), "id");
        assert_eq!(unqualified("'u.x'::text", "u"), "'u.x'::text");
        assert_eq!(
            unqualified("public.norm(u.email)", "public"),
            "public.norm(u.email)"
        );
    }

    #[test]
    fn casts_and_names() {
        assert_eq!(without_casts("((tc.model_type)::text)"), "tc.model_type");
        assert_eq!(without_casts("(model_type)::text"), "model_type");
        assert_eq!(without_casts("lower(x)"), "lower(x)");
        assert!(is_name("email") && is_name("\"timestamp\"") && is_name("\"a\"\"b\""));
        assert!(encloses("((email)::text)") && encloses("(a, b)"));
        assert!(!encloses("(a) + (b)") && !encloses("(a)::text") && !encloses("a"));
        assert!(!is_name("lower(email)") && !is_name("t.a") && !is_name("") && !is_name("1"));
    }

    #[test]
    fn sort_keys_lose_their_direction() {
        let key = sort_key("tm.\"timestamp\" DESC");
        assert_eq!((key.expr, key.descending), ("tm.\"timestamp\"", true));
        let key = sort_key("t.a NULLS FIRST");
        assert_eq!(
            (key.expr, key.descending, key.nulls_first),
            ("t.a", false, Some(true))
        );
        let key = sort_key("t.a DESC NULLS LAST");
        assert_eq!((key.descending, key.nulls_first), (true, Some(false)));
        assert!(sort_key("t.a USING <").using);
        assert!(!sort_key("t.\"a USING b\"").using);
        assert_eq!(sort_key("\"x DESC\"").expr, "\"x DESC\"");
    }

    #[test]
    fn any_input_gives_an_answer() {
        for text in [
            "", "(", "'", "\"", "a.", ".a", "a..b", "\"a\".", "x IS", "= =", "1.a.b",
        ] {
            let _ = comparisons(text);
            let _ = qualifiers(text);
            let _ = unqualified(text, "a");
            let _ = without_casts(text);
            let _ = sort_key(text);
        }
    }
}
