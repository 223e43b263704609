//! Reading an "Index Cond" as EXPLAIN VERBOSE prints it, far enough to tell which index key
//! each clause constrains: `(t.carrier = 'ups'::text)`, `((tm.config_id = 5) AND (tm.epoch >
//! 3))`, `(col = ANY ('{1,2}'::integer[]))`, `(col IS NULL)`, `(ROW(a, b) > ROW(1, 2))`.
//! PostgreSQL always prints the indexed column (or expression) on the left of each index
//! clause's operator, so the left operand of each clause is the key it constrains.
//!
//! Pure text work on ASCII delimiters: quotes (`'…'`, `"…"`, with doubled quotes inside),
//! parentheses and brackets. Any input, however malformed, gives an answer and never a panic.

/// The left operand of each clause of an index condition, in order: the index keys it
/// constrains. A clause that is not `key operator …` (an OR, something unreadable) gives none.
pub fn constrained_keys(cond: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    let mut pending = vec![cond];
    while let Some(text) = pending.pop() {
        let clause = strip_outer_parens(text);
        let conjuncts = split_top_level(clause, " AND ");
        if conjuncts.len() > 1 {
            pending.extend(conjuncts.into_iter().rev());
        } else if split_top_level(clause, " OR ").len() == 1
            && let Some(key) = left_operand(clause)
        {
            keys.push(key);
        }
    }
    keys
}

/// The left operands of the clauses of a Filter that compare them with a value: `=`, `<`,
/// `<=`, `>` or `>=` against a literal or a parameter (`(model_id = 42)`, `(at >= $2)`,
/// `(carrier = 'ups'::text)`). Clauses under an OR, comparisons with another column and other
/// operators give none: only these could serve as a btree index condition as written.
pub fn compared_with_values(filter: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    let mut pending = vec![filter];
    while let Some(text) = pending.pop() {
        let clause = strip_outer_parens(text);
        let conjuncts = split_top_level(clause, " AND ");
        if conjuncts.len() > 1 {
            pending.extend(conjuncts.into_iter().rev());
            continue;
        }
        if split_top_level(clause, " OR ").len() > 1 {
            continue;
        }
        let Some(key) = left_operand(clause) else {
            continue;
        };
        let rest = clause[key.len()..].trim_start();
        let rest = rest.trim_start_matches(')');
        let Some(value) = ["<=", ">=", "=", "<", ">"]
            .iter()
            .find_map(|op| rest.trim_start().strip_prefix(op))
        else {
            continue;
        };
        let value = value.trim_start().trim_start_matches('(');
        let is_value =
            value.starts_with(['\'', '$', '-']) || value.starts_with(|c: char| c.is_ascii_digit());
        if is_value {
            keys.push(key);
        }
    }
    keys
}

/// Whether an operand from a plan and an index key column (as `pg_get_indexdef(index, n,
/// false)` prints it) are the same key: compared without white space, without qualifiers
/// (`t.col` and `col`; `public.f(x)` and `f(x)`) and without enclosing parentheses. A cast
/// around the operand may go (`(t.model_type)::text` for a `varchar` column): the planner
/// matches an index key through a binary-compatible cast, and no other cast can stand on the
/// left of an index condition on that key.
pub fn same_key(operand: &str, key: &str) -> bool {
    let key = normalize(key);
    let mut operand = operand;
    loop {
        let a = normalize(operand);
        if !a.is_empty() && a == key {
            return true;
        }
        match uncast(operand) {
            Some(inner) => operand = inner,
            None => return false,
        }
    }
}

/// `x` for `(x)::type`: the operand inside a cast EXPLAIN prints around it.
pub(super) fn uncast(operand: &str) -> Option<&str> {
    let operand = operand.trim();
    if !operand.starts_with('(') {
        return None;
    }
    let mut scanner = Scanner::new(operand);
    scanner.step();
    while !scanner.done() && scanner.depth > 0 {
        scanner.step();
    }
    let close = scanner.pos.checked_sub(1)?;
    if scanner.depth > 0 || !operand.as_bytes()[scanner.pos..].starts_with(b"::") {
        return None;
    }
    operand.get(1..close)
}

/// Byte-level scanner state: inside a quoted literal or identifier, and nesting depth.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner {
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    /// Moves past the token at `pos` (a whole quoted run, a bracket, or one byte) and returns
    /// the depth it was found at, before any change it makes.
    fn step(&mut self) -> usize {
        let depth = self.depth;
        match self.bytes[self.pos] {
            quote @ (b'\'' | b'"') => self.pos = end_of_quoted(self.bytes, self.pos, quote),
            b'(' | b'[' => {
                self.depth += 1;
                self.pos += 1;
            }
            b')' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                self.pos += 1;
            }
            _ => self.pos += 1,
        }
        depth
    }

    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

/// The position just past a quoted run starting at `start`; a doubled quote stays inside.
pub(super) fn end_of_quoted(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// `text` without white space around it and without parentheses enclosing all of it.
pub(super) fn strip_outer_parens(mut text: &str) -> &str {
    loop {
        text = text.trim();
        if !text.starts_with('(') || !text.ends_with(')') {
            return text;
        }
        // The opening parenthesis must close at the very end, not earlier: "(a) = (b)".
        let mut scanner = Scanner::new(text);
        scanner.step();
        while !scanner.done() && scanner.depth > 0 {
            scanner.step();
        }
        if scanner.pos != text.len() {
            return text;
        }
        match text.get(1..text.len() - 1) {
            Some(inner) => text = inner,
            None => return text,
        }
    }
}

/// `text` split at each `separator` that is outside quotes and parentheses.
pub(super) fn split_top_level<'a>(text: &'a str, separator: &str) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut scanner = Scanner::new(text);
    let mut start = 0;
    while !scanner.done() {
        let at = scanner.pos;
        if scanner.depth == 0 && text.as_bytes()[at..].starts_with(separator.as_bytes()) {
            parts.extend(text.get(start..at));
            start = at + separator.len();
            scanner.pos = start;
            continue;
        }
        scanner.step();
    }
    parts.extend(text.get(start..));
    parts
}

/// Characters PostgreSQL operators are made of.
pub(super) fn is_operator_byte(b: u8) -> bool {
    b"+-*/<>=~!@#%^&|`?".contains(&b)
}

/// The text before a clause's operator (the first operator character, or ` IS `, outside
/// quotes and parentheses; `::` is a cast, not an operator). For a row comparison
/// `ROW(a, b) > …`, the row's first column.
pub(super) fn left_operand(clause: &str) -> Option<&str> {
    let bytes = clause.as_bytes();
    let mut scanner = Scanner::new(clause);
    let mut end = None;
    while !scanner.done() {
        let at = scanner.pos;
        let top = scanner.depth == 0;
        if top && (bytes[at..].starts_with(b" IS ") || is_operator_byte(bytes[at])) {
            end = Some(at);
            break;
        }
        if top && bytes[at..].starts_with(b"::") {
            scanner.pos += 2;
            continue;
        }
        scanner.step();
    }
    let operand = clause.get(..end?)?.trim();
    match operand
        .strip_prefix("ROW(")
        .and_then(|r| r.strip_suffix(')'))
    {
        Some(columns) => split_top_level(columns, ",").first().map(|c| c.trim()),
        None => Some(operand),
    }
    .filter(|operand| !operand.is_empty())
}

pub(super) fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// The comparable form of a key: no white space outside quotes, no `qualifier.` before a
/// name, no enclosing parentheses.
fn normalize(text: &str) -> String {
    let bytes = strip_outer_parens(text).as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let name_end = match b {
            b'"' => end_of_quoted(bytes, i, b'"'),
            b'\'' => {
                let end = end_of_quoted(bytes, i, b'\'');
                out.extend_from_slice(&bytes[i..end]);
                i = end;
                continue;
            }
            _ if is_identifier_byte(b) && !b.is_ascii_digit() => {
                let mut end = i;
                while end < bytes.len() && is_identifier_byte(bytes[end]) {
                    end += 1;
                }
                end
            }
            _ => {
                if !b.is_ascii_whitespace() {
                    out.push(b);
                }
                i += 1;
                continue;
            }
        };
        let qualifies = bytes.get(name_end) == Some(&b'.')
            && bytes
                .get(name_end + 1)
                .is_some_and(|&n| n == b'"' || (is_identifier_byte(n) && !n.is_ascii_digit()));
        if qualifies {
            i = name_end + 1;
        } else {
            out.extend_from_slice(&bytes[i..name_end]);
            i = name_end;
        }
    }
    let joined = String::from_utf8_lossy(&out).into_owned();
    strip_outer_parens(&joined).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_s_comparisons_with_values_are_read() {
        assert_eq!(compared_with_values("(model_id = 42)"), ["model_id"]);
        assert_eq!(
            compared_with_values(
                "((ph.model_id = $1) AND (ph.at >= '2025-01-01 00:00:00+00'::timestamp with time zone))"
            ),
            ["ph.model_id", "ph.at"]
        );
        assert_eq!(
            compared_with_values("((t.carrier)::text = 'ups'::text)"),
            ["(t.carrier)::text"]
        );
        assert!(compared_with_values("(a = b)").is_empty(), "another column");
        assert!(
            compared_with_values("((a = 1) OR (b = 2))").is_empty(),
            "an OR"
        );
        assert!(
            compared_with_values("(note ~~ 'x%'::text)").is_empty(),
            "LIKE"
        );
        assert!(compared_with_values("(a <> 1)").is_empty(), "not equal");
        assert!(compared_with_values("(a IS NULL)").is_empty());
        assert_eq!(compared_with_values("(n > -1)"), ["n"]);
    }

    #[test]
    fn finds_the_key_of_each_clause() {
        let cases: [(&str, &[&str]); 10] = [
            ("(t.carrier = 'ups'::text)", &["t.carrier"]),
            (
                "((tm.config_id = 5) AND (tm.epoch > 3))",
                &["tm.config_id", "tm.epoch"],
            ),
            ("(col = ANY ('{1,2}'::integer[]))", &["col"]),
            ("(s.warehouse_id IS NULL)", &["s.warehouse_id"]),
            ("(s.warehouse_id IS NOT NULL)", &["s.warehouse_id"]),
            (
                "(ROW(s.warehouse_id, s.carrier) > ROW(3, 'x'::text))",
                &["s.warehouse_id"],
            ),
            (
                "(lower((s.email)::text) = 'x'::text)",
                &["lower((s.email)::text)"],
            ),
            ("(tm.config_id = tc.id)", &["tm.config_id"]),
            (
                "(training_metric.\"timestamp\" > '2024-01-03 00:00:00'::timestamp without time zone)",
                &["training_metric.\"timestamp\""],
            ),
            ("((t.a + t.b) = 5)", &["(t.a + t.b)"]),
        ];
        for (cond, keys) in cases {
            assert_eq!(constrained_keys(cond), keys, "{cond}");
        }
    }

    #[test]
    fn quotes_and_parentheses_hide_operators_and_keywords() {
        // An AND inside a literal or a quoted name is not a clause boundary.
        assert_eq!(
            constrained_keys("(t.note = 'a AND b = c'::text)"),
            ["t.note"]
        );
        assert_eq!(
            constrained_keys("(t.\"we=ird \"\" AND x\" = 1)"),
            ["t.\"we=ird \"\" AND x\""]
        );
        assert_eq!(
            constrained_keys("((t.a)::text = 'it''s = 1'::text)"),
            ["(t.a)::text"]
        );
        // An OR is not a narrowing clause of one key.
        assert!(constrained_keys("((t.a = 1) OR (t.b = 2))").is_empty());
    }

    #[test]
    fn compares_keys_without_qualifiers_spaces_or_outer_parentheses() {
        assert!(same_key("t.carrier", "carrier"));
        assert!(same_key("shipments.warehouse_id", "warehouse_id"));
        assert!(same_key("m.\"timestamp\"", "\"timestamp\""));
        assert!(same_key("lower((s.email)::text)", "lower((email)::text)"));
        assert!(same_key("(t.a + t.b)", "((a + b))"));
        assert!(same_key("public.f(t.x)", "f(x)"));
        assert!(same_key("t.x", "x"));
        // A varchar column compared with text: the index key is the column itself.
        assert!(same_key("(tc.model_type)::text", "model_type"));
        assert!(same_key("((t.a)::text)::character varying", "a"));
        assert!(!same_key("(tc.model_type)::text", "dataset_name"));
        assert!(!same_key("(a)", "b") && !same_key("(a)::", "b") && !same_key("(", ")"));
        assert!(!same_key("t.carrier", "warehouse_id"));
        assert!(!same_key("t.carrier_id", "carrier"));
        assert!(!same_key("lower((s.email)::text)", "email"));
        // A literal keeps its spaces and dots; a number is not a qualifier.
        assert!(!same_key("f(t.x, 'a b')", "f(x, 'ab')"));
        assert!(same_key("(t.x * 1.5)", "(x * 1.5)"));
        assert!(!same_key("", ""));
    }

    #[test]
    fn any_input_gives_an_answer() {
        for text in [
            "",
            "(",
            ")",
            "((((",
            "))))",
            "'",
            "\"",
            "(a = 'x",
            "a ::",
            "::",
            "ROW(",
            "ROW()",
            "( AND )",
            " AND ",
            "(é = 1) AND (ü",
            "\u{1F600}.\u{1F600} = 1",
            "a.",
            ".a",
            "x IS",
        ] {
            let _ = constrained_keys(text);
            let _ = same_key(text, text);
            let _ = normalize(text);
        }
        assert_eq!(constrained_keys("(é.ü = 1)"), ["é.ü"]);
        assert!(same_key("é.ü", "ü"));
    }

    #[test]
    fn random_mixes_of_the_delimiters_give_an_answer() {
        // A fixed-seed generator over the characters the reader treats specially.
        let pieces = [
            "(",
            ")",
            "[",
            "]",
            "'",
            "\"",
            "''",
            ".",
            "::",
            " AND ",
            " OR ",
            " IS ",
            "=",
            "<",
            "ROW(",
            ",",
            " ",
            "a",
            "t.b",
            "é",
            "1.5",
            "ANY ",
            "\u{1F600}",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..(state % 24) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                text.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            for key in constrained_keys(&text) {
                assert!(!key.is_empty() && text.contains(key), "{text:?}: {key:?}");
                let _ = same_key(key, &text);
            }
            state = state.rotate_left(7) ^ text.len() as u64;
        }
    }
}
