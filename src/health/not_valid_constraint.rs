//! `not-valid-constraint`: a CHECK, foreign key (or, on PostgreSQL 18, NOT NULL) constraint
//! added `NOT VALID` and never validated. New rows are checked; the rows from before it were
//! not, so the constraint does not say what it seems to, and the planner cannot rely on it.
//! Adding it NOT VALID and validating it later is the safe way to add a constraint to a big
//! table: this rule reports the second step still to do (`VALIDATE CONSTRAINT` takes only a
//! SHARE UPDATE EXCLUSIVE lock, so reads and writes go on meanwhile).

use super::{RuleId, finding};
use crate::db::health::NotValidFacts;
use crate::report::model::Finding;

pub fn judge(constraints: &[NotValidFacts]) -> Vec<Finding> {
    constraints
        .iter()
        .map(|c| {
            let kind = match c.kind {
                'c' => "CHECK constraint",
                'f' => "foreign key",
                'n' => "NOT NULL constraint",
                _ => "constraint",
            };
            let (on, alter) = match c.domain {
                true => (format!("domain {}", c.on.shown()), "ALTER DOMAIN"),
                false => (c.on.shown(), "ALTER TABLE"),
            };
            finding(
                RuleId::NotValidConstraint,
                c.name.shown(),
                (!c.domain).then(|| c.on.shown()),
                format!(
                    "{kind} {} on {on} is NOT VALID: the rows from before it was added were never checked",
                    c.name.name
                ),
                format!(
                    "{alter} {} VALIDATE CONSTRAINT {};",
                    c.on.sql, c.name.sql
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::name;
    use crate::db::health::NotValidFacts;

    #[test]
    fn a_not_valid_constraint_is_validated_on_its_table_or_domain() {
        let check = NotValidFacts {
            name: crate::db::health::Name {
                sql: "positive_amount".into(),
                ..name("positive_amount")
            },
            kind: 'c',
            on: name("ledger"),
            domain: false,
        };
        let domain = NotValidFacts {
            kind: 'c',
            on: name("Positive"),
            domain: true,
            ..check.clone()
        };
        let found = super::judge(&[check, domain]);
        assert_eq!(
            found[0].message,
            "CHECK constraint positive_amount on public.ledger is NOT VALID: the rows from before it was added were never checked"
        );
        assert_eq!(
            found[0].fix,
            "ALTER TABLE public.ledger VALIDATE CONSTRAINT positive_amount;"
        );
        assert_eq!(found[0].table.as_deref(), Some("public.ledger"));
        assert_eq!(
            found[1].fix,
            "ALTER DOMAIN public.\"Positive\" VALIDATE CONSTRAINT positive_amount;"
        );
        assert_eq!(found[1].table, None);
    }
}
