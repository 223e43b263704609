//! `sequence-near-overflow`: a sequence that has used 80% or more of the values it can give,
//! bounded by its own MINVALUE / MAXVALUE and, for a serial or identity column, by the
//! column's type (a `bigint` sequence feeding an `integer` column runs out at 2,147,483,647).
//! When it runs out, `nextval` fails and so does every INSERT that needs it. A CYCLE sequence
//! wraps by design and is left alone; one pgvet's role may not read is noted, not judged.
//! The last value is the one `nextval` last gave; a sequence restarted and not used since
//! counts from its START value (PostgreSQL shows no other without reading the sequence).

use super::words::{counted, thousands};
use super::{RuleId, finding};
use crate::db::health::SequenceFacts;
use crate::report::model::Finding;

/// The share of its values a sequence may use before it is a finding, in percent.
pub const THRESHOLD_PCT: f64 = 80.0;

/// The values an integer column's type holds: smallint, integer, bigint.
fn type_bounds(type_oid: u32) -> Option<(i64, i64)> {
    match type_oid {
        21 => Some((i16::MIN.into(), i16::MAX.into())),
        23 => Some((i32::MIN.into(), i32::MAX.into())),
        20 => Some((i64::MIN, i64::MAX)),
        _ => None,
    }
}

pub fn judge(sequences: &[SequenceFacts]) -> (Vec<Finding>, Vec<String>) {
    let unreadable: Vec<&SequenceFacts> = sequences.iter().filter(|s| !s.readable).collect();
    let findings = sequences
        .iter()
        .filter(|s| s.readable && !s.cycle)
        .filter_map(near_overflow)
        .collect();
    let notes = match unreadable.len() {
        0 => Vec::new(),
        n => vec![format!(
            "{} not judged: pgvet's role may not read {} (GRANT SELECT ON SEQUENCE {} TO …)",
            counted(n as i64, "sequence", "sequences"),
            if n == 1 { "it" } else { "them" },
            unreadable
                .iter()
                .map(|s| s.name.sql.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )],
    };
    (findings, notes)
}

fn near_overflow(s: &SequenceFacts) -> Option<Finding> {
    let current = s.last_value.unwrap_or(s.start);
    let column_bounds = s.column.as_ref().and_then(|c| type_bounds(c.type_oid));
    let ascending = s.increment > 0;
    // The end the sequence moves towards, and whether the column's type sets it.
    let (end, by_column) = match (ascending, column_bounds) {
        (true, Some((_, hi))) if hi <= s.max => (hi, true),
        (false, Some((lo, _))) if lo >= s.min => (lo, true),
        (true, _) => (s.max, false),
        (false, _) => (s.min, false),
    };
    let from = if ascending { s.min } else { s.max };
    let span = (i128::from(end) - i128::from(from)).abs() as f64;
    let used = (i128::from(current) - i128::from(from)).abs() as f64;
    let pct = if span > 0.0 {
        100.0 * used / span
    } else {
        100.0
    };
    if pct < THRESHOLD_PCT {
        return None;
    }
    let left = (i128::from(end) - i128::from(current)).unsigned_abs();
    let bound = match (&s.column, by_column) {
        (Some(c), true) => format!(
            "the {} limit of column {}.{}",
            c.type_name,
            c.table.shown(),
            c.column
        ),
        _ => format!("its {}", if ascending { "MAXVALUE" } else { "MINVALUE" }),
    };
    let message = format!(
        "sequence {} has used {pct:.0}% of its values: it is at {} and stops at {} ({bound}), {} left; then nextval fails, and so does every INSERT that needs it{}",
        s.name.shown(),
        thousands(current),
        thousands(end),
        thousands(left.min(i64::MAX as u128) as i64),
        if by_column && s.column.as_ref().is_some_and(|c| c.type_oid != 20) {
            " (changing the column's type rewrites the table: plan the lock)"
        } else {
            ""
        },
    );
    let table = s.column.as_ref().map(|c| c.table.shown());
    Some(finding(
        RuleId::SequenceNearOverflow,
        s.name.shown(),
        table,
        message,
        fix(s, by_column),
    ))
}

/// Widen what sets the end: the column (to bigint; an identity column's sequence follows it),
/// and the sequence itself unless it is already bigint with no bound of its own.
fn fix(s: &SequenceFacts, by_column: bool) -> String {
    let mut statements = Vec::new();
    let widen_sequence = match &s.column {
        Some(c) if by_column && c.type_oid != 20 => {
            statements.push(format!(
                "ALTER TABLE {} ALTER COLUMN {} TYPE bigint;",
                c.table.sql, c.column_sql
            ));
            !c.identity && s.type_name != "bigint"
        }
        _ => true,
    };
    if widen_sequence {
        let at_type_end = matches!(s.max, 32767 | 2147483647 | i64::MAX);
        let statement = match (s.type_name.as_str(), at_type_end) {
            ("bigint", true) => {
                "-- the sequence is bigint already: its values are nearly all used".to_string()
            }
            (_, true) => format!("ALTER SEQUENCE {} AS bigint;", s.name.sql),
            (_, false) => format!("ALTER SEQUENCE {} NO MAXVALUE;", s.name.sql),
        };
        statements.push(statement);
    }
    statements.join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{name, sequence};
    use crate::db::health::OwnedColumn;

    fn column(type_oid: u32, identity: bool) -> OwnedColumn {
        OwnedColumn {
            table: name("orders"),
            column: "id".into(),
            column_sql: "id".into(),
            type_oid,
            type_name: if type_oid == 23 { "integer" } else { "bigint" }.into(),
            identity,
        }
    }

    #[test]
    fn a_serial_column_near_the_end_of_integer_is_widened_with_its_sequence() {
        let mut s = sequence("orders_id_seq", Some(1_800_000_000));
        s.column = Some(column(23, false));
        let (found, notes) = super::judge(&[s.clone()]);
        assert!(notes.is_empty());
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "sequence public.orders_id_seq has used 84% of its values: it is at 1,800,000,000 and stops at 2,147,483,647 (the integer limit of column public.orders.id), 347,483,647 left; then nextval fails, and so does every INSERT that needs it (changing the column's type rewrites the table: plan the lock)"
        );
        assert_eq!(
            found[0].fix,
            "ALTER TABLE public.orders ALTER COLUMN id TYPE bigint; ALTER SEQUENCE public.orders_id_seq AS bigint;"
        );
        assert_eq!(found[0].table.as_deref(), Some("public.orders"));
        s.last_value = Some(1_700_000_000);
        assert!(super::judge(&[s]).0.is_empty(), "79% is not yet a finding");
    }

    #[test]
    fn a_bigint_sequence_feeding_an_integer_identity_column_is_bounded_by_the_column() {
        let mut s = sequence("orders_id_seq", Some(2_000_000_000));
        (s.type_name, s.max) = ("bigint".into(), i64::MAX);
        s.column = Some(column(23, true));
        let (found, _) = super::judge(&[s.clone()]);
        assert_eq!(
            found[0].fix,
            "ALTER TABLE public.orders ALTER COLUMN id TYPE bigint;"
        );
        s.column = Some(column(20, true));
        assert!(super::judge(&[s]).0.is_empty());
    }

    #[test]
    fn its_own_bounds_descending_sequences_cycles_and_unreadable_ones() {
        let mut capped = sequence("capped", Some(900));
        capped.max = 1000;
        let (found, _) = super::judge(&[capped.clone()]);
        assert!(found[0].message.contains("(its MAXVALUE)"), "{found:?}");
        assert_eq!(found[0].fix, "ALTER SEQUENCE public.capped NO MAXVALUE;");
        capped.cycle = true;
        assert!(super::judge(&[capped]).0.is_empty());
        let mut down = sequence("down", Some(-1_900_000_000));
        (down.increment, down.min, down.max, down.start) = (-1, i32::MIN.into(), -1, -1);
        let (found, _) = super::judge(&[down]);
        assert!(found[0].message.contains("has used 88%"), "{found:?}");
        let mut hidden = sequence("hidden", None);
        hidden.readable = false;
        let (found, notes) = super::judge(&[hidden]);
        assert!(found.is_empty());
        assert_eq!(
            notes,
            [
                "1 sequence not judged: pgvet's role may not read it (GRANT SELECT ON SEQUENCE public.hidden TO …)"
            ]
        );
        // Never used since created: at its start.
        assert!(super::judge(&[sequence("fresh", None)]).0.is_empty());
    }
}
