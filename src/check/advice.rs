//! Index advice, the pure part: the candidate indexes a scan that read a large relation whole
//! suggests, derived from its plan alone. From the scan's own conditions (its Filter, and the
//! Index Cond of a full index scan): the columns it compares by equality (`=`, `= ANY`, `IS
//! NULL`; a join's `o.customer_id = c.id` on the inner side of a nested loop too) first, then
//! one column it compares by range (`<`, `>=`…), or else the keys of a Sort under a LIMIT
//! above it (`ORDER BY … LIMIT`: an index in that order lets the scan stop early). The join
//! keys of the joins above it (`Hash Cond`, `Merge Cond`) give candidates of their own. An
//! expression (`lower(email) = …`) becomes an expression key. Candidates that an index the
//! table already has provides (the same leading columns) are left out.
//!
//! Whether the planner would use a candidate is for `db::advice` to prove with HypoPG; without
//! it the first candidate is the advice, unproven. The statement is the one to run:
//! `CREATE INDEX CONCURRENTLY ON public.orders (status, created_at)`.

use crate::plan::clause::{self, Op};
use crate::plan::cond::same_key;
use crate::plan::{Placement, Scan};

use super::contract::sql_relation;

/// At most this many equality columns lead a composite candidate.
const MAX_EQUALITY: usize = 3;
/// At most this many candidates are tried per scan.
const MAX_CANDIDATES: usize = 6;

/// One index that might let the scan read only the rows it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub schema: String,
    pub table: String,
    /// The key columns as the statement writes them: `customer_id`, `"timestamp"`,
    /// `lower((email)::text)`, `(amount * 2)`, `created_at DESC`.
    pub columns: Vec<String>,
}

impl Candidate {
    /// The statement to run: `CREATE INDEX CONCURRENTLY ON public.orders (customer_id)`.
    pub fn statement(&self) -> String {
        format!(
            "CREATE INDEX CONCURRENTLY ON {} ({})",
            sql_relation(&self.schema, &self.table),
            self.columns.join(", ")
        )
    }

    /// The statement HypoPG is given (it takes no CONCURRENTLY).
    pub fn hypothetical(&self) -> String {
        format!(
            "CREATE INDEX ON {} ({})",
            sql_relation(&self.schema, &self.table),
            self.columns.join(", ")
        )
    }

    /// The key columns without direction, as an index's key columns compare
    /// (`catalog::IndexKeys::columns`).
    pub fn keys(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| bare_key(c).to_string())
            .collect()
    }
}

/// A key column without the ` DESC` / ` NULLS …` a statement may give it.
fn bare_key(column: &str) -> &str {
    let sorted = clause::sort_key(column);
    sorted.expr
}

/// Whether a candidate's key column and an index key column (as `pg_get_indexdef` or a
/// suite's `columns` write it) are the same: quotes around a plain name aside
/// (`"timestamp"` and `timestamp`), and compared as [`same_key`] does.
pub fn same_column(candidate: &str, key: &str) -> bool {
    let unquote = |s: &str| {
        let s = s.trim();
        match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(inner) if clause::is_name(s) => inner.replace("\"\"", "\""),
            _ => s.to_string(),
        }
    };
    let (a, b) = (unquote(bare_key(candidate)), unquote(key));
    a == b || same_key(&a, &b)
}

/// What the scan's conditions and the nodes above it ask of an index, in order.
#[derive(Debug, Default)]
struct Wanted {
    equality: Vec<String>,
    range: Vec<String>,
    order: Vec<String>,
    join: Vec<String>,
}

impl Wanted {
    fn add(list: &mut Vec<String>, key: String) {
        if !list.contains(&key) {
            list.push(key);
        }
    }
}

/// The candidates for one scan, best first (see the module docs); none for a scan of no
/// relation or with nothing an index could search by. `default_schema` stands in for the
/// schema EXPLAIN did not print. `existing` holds the key columns of the table's usable,
/// non-partial B-tree indexes: a candidate one of them leads with is left out.
pub fn candidates(
    scan: &Scan,
    placement: &Placement,
    default_schema: &str,
    existing: &[Vec<String>],
) -> Vec<Candidate> {
    let Some(table) = scan.relation.clone() else {
        return Vec::new();
    };
    let alias = scan.alias.clone().unwrap_or_else(|| table.clone());
    let wanted = wanted(scan, placement, &alias);
    let equality: Vec<String> = wanted.equality.iter().take(MAX_EQUALITY).cloned().collect();
    let range = wanted.range.first().filter(|r| !equality.contains(r));
    let mut lists: Vec<Vec<String>> = Vec::new();
    let mut composite = equality.clone();
    match range {
        Some(range) => composite.push(range.clone()),
        None => composite.extend(wanted.order.iter().cloned()),
    }
    lists.push(composite);
    if range.is_some() && !wanted.order.is_empty() {
        lists.push(equality.iter().chain(&wanted.order).cloned().collect());
    }
    lists.extend(equality.iter().map(|e| vec![e.clone()]));
    lists.extend(range.map(|r| vec![r.clone()]));
    if !wanted.order.is_empty() {
        lists.push(wanted.order.clone());
    }
    lists.extend(wanted.join.iter().map(|j| vec![j.clone()]));

    let schema = scan
        .schema
        .clone()
        .unwrap_or_else(|| default_schema.to_string());
    let mut found: Vec<Candidate> = Vec::new();
    for columns in lists {
        let candidate = Candidate {
            schema: schema.clone(),
            table: table.clone(),
            columns,
        };
        let provided = existing.iter().any(|index| leads_with(index, &candidate));
        if !candidate.columns.is_empty() && !provided && !found.contains(&candidate) {
            found.push(candidate);
        }
    }
    found.truncate(MAX_CANDIDATES);
    found
}

/// Whether an index's key columns begin with the candidate's.
fn leads_with(index: &[String], candidate: &Candidate) -> bool {
    candidate.columns.len() <= index.len()
        && candidate
            .columns
            .iter()
            .zip(index)
            .all(|(c, k)| same_column(c, k))
}

fn wanted(scan: &Scan, placement: &Placement, alias: &str) -> Wanted {
    let mut wanted = Wanted::default();
    let conds = scan
        .filter
        .iter()
        .chain(scan.index_reads.iter().filter_map(|r| r.cond.as_ref()));
    for cond in conds {
        for comparison in clause::comparisons(cond) {
            let Some(key) = own_side(comparison.left, comparison.right, alias) else {
                continue;
            };
            match comparison.op {
                Op::Equal | Op::IsNull => Wanted::add(&mut wanted.equality, key),
                Op::Range => Wanted::add(&mut wanted.range, key),
                Op::Other => {}
            }
        }
    }
    for cond in &placement.join_conds {
        for comparison in clause::comparisons(cond) {
            if comparison.op == Op::Equal
                && let Some(key) = own_side(comparison.left, comparison.right, alias)
                && !wanted.equality.contains(&key)
            {
                Wanted::add(&mut wanted.join, key);
            }
        }
    }
    wanted.order = order(&placement.limit_order, alias, &wanted.equality);
    wanted
}

/// The side of a comparison that is an expression of the scan's relation alone, when the
/// other side does not name it, as an index key column: `customer_id`, `lower((email)::text)`.
fn own_side(left: &str, right: &str, alias: &str) -> Option<String> {
    let names = |side: &str| {
        clause::qualifiers(side)
            .iter()
            .any(|q| clause::is_alias(q, alias))
    };
    let only = |side: &str| {
        let qualifiers = clause::qualifiers(side);
        !qualifiers.is_empty() && qualifiers.iter().all(|q| clause::is_alias(q, alias))
    };
    let side = match (only(left), only(right)) {
        (true, _) if !names(right) => left,
        (_, true) if !names(left) && !right.is_empty() => right,
        _ => return None,
    };
    key_column(side, alias)
}

/// An expression of the scan's relation as an index key column: the column itself when it is
/// one under binary-compatible casts (`(c.email)::text`), else the expression, parenthesised
/// unless it is a function call.
fn key_column(expr: &str, alias: &str) -> Option<String> {
    let column = clause::unqualified(clause::without_casts(expr), alias);
    if clause::is_name(&column) {
        return Some(column);
    }
    let expr = clause::unqualified(expr.trim(), alias);
    if expr.is_empty() {
        return None;
    }
    Some(match is_call(&expr) {
        true => expr,
        false => format!("({expr})"),
    })
}

/// `f(…)` or `schema.f(…)`, its parentheses closing at the very end.
fn is_call(expr: &str) -> bool {
    let Some(open) = expr.find('(') else {
        return false;
    };
    let name = &expr[..open];
    let named = !name.is_empty()
        && name.split('.').all(clause::is_name)
        && !name.starts_with(|c: char| c.is_ascii_digit());
    // The argument list must close at the very end: `f(a)::text` is a cast of a call.
    named && clause::encloses(&expr[open..])
}

/// The sort keys as index key columns, when each is an expression of the scan's relation and
/// none sorts `USING` an operator; equality columns (constant in the result) are left out. One
/// direction throughout needs no direction in the index (it is read backward); mixed
/// directions keep theirs.
fn order(keys: &[String], alias: &str, equality: &[String]) -> Vec<String> {
    let sorted: Vec<_> = keys.iter().map(|k| clause::sort_key(k)).collect();
    let own = |expr: &str| {
        let qualifiers = clause::qualifiers(expr);
        !qualifiers.is_empty() && qualifiers.iter().all(|q| clause::is_alias(q, alias))
    };
    if sorted.is_empty() || sorted.iter().any(|k| k.using || !own(k.expr)) {
        return Vec::new();
    }
    let default_nulls = |k: &clause::SortKey| k.nulls_first.is_none_or(|f| f == k.descending);
    let uniform = sorted.iter().all(default_nulls)
        && sorted.iter().all(|k| k.descending == sorted[0].descending);
    let mut columns = Vec::new();
    for key in sorted {
        let Some(column) = key_column(key.expr, alias) else {
            return Vec::new();
        };
        if equality.contains(&column) {
            continue;
        }
        let mut column = column;
        if !uniform {
            if key.descending {
                column.push_str(" DESC");
            }
            match key.nulls_first {
                Some(true) if !key.descending => column.push_str(" NULLS FIRST"),
                Some(false) if key.descending => column.push_str(" NULLS LAST"),
                _ => {}
            }
        }
        columns.push(column);
    }
    columns
}

#[cfg(test)]
#[path = "advice_tests.rs"]
mod tests;
