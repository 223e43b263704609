//! Index advice on a query that read a large relation whole: the index to create, and whether
//! HypoPG proved that the planner would read the relation through it at a lower cost
//! (`check::advice` derives the candidates, `run::advice` proves them).

use serde::{Deserialize, Serialize};

/// One index pgvet advises for a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    /// The relation the plan read whole, and its schema.
    pub schema: String,
    pub relation: String,
    /// The index's key columns as the statement writes them (`customer_id`,
    /// `lower((email)::text)`, `created_at DESC`).
    pub columns: Vec<String>,
    /// The statement to run, as it is: `CREATE INDEX CONCURRENTLY ON public.orders (customer_id)`.
    pub statement: String,
    /// HypoPG created the index hypothetically, and the query's plan then read the relation
    /// through it (narrowing the rows) at a lower total cost.
    pub proven: bool,
    /// The plan's total cost (the planner's estimate) without the index, and with it when
    /// proven.
    pub cost_before: Option<f64>,
    pub cost_after: Option<f64>,
    /// For advice that is not proven: why, and how to prove it.
    pub note: Option<String>,
}

impl Advice {
    /// "advice: CREATE INDEX CONCURRENTLY ON public.orders (customer_id) (proven with HypoPG:
    /// cost 1007.00 → 8.45)", as every format shows it.
    pub fn line(&self) -> String {
        match (self.proven, self.cost_before, self.cost_after) {
            (true, Some(before), Some(after)) => format!(
                "advice: {} (proven with HypoPG: the planner reads {} through it, cost {before:.2} → {after:.2})",
                self.statement, self.relation
            ),
            _ => match &self.note {
                Some(note) => format!("advice (not proven): {}; {note}", self.statement),
                None => format!("advice (not proven): {}", self.statement),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Advice;

    #[test]
    fn a_line_says_whether_it_is_proven() {
        let mut advice = Advice {
            schema: "public".into(),
            relation: "orders".into(),
            columns: vec!["customer_id".into()],
            statement: "CREATE INDEX CONCURRENTLY ON public.orders (customer_id)".into(),
            proven: true,
            cost_before: Some(1007.0),
            cost_after: Some(8.4499),
            note: None,
        };
        assert_eq!(
            advice.line(),
            "advice: CREATE INDEX CONCURRENTLY ON public.orders (customer_id) (proven with HypoPG: the planner reads orders through it, cost 1007.00 → 8.45)"
        );
        advice.proven = false;
        advice.cost_after = None;
        advice.note = Some("HypoPG is not installed".into());
        assert_eq!(
            advice.line(),
            "advice (not proven): CREATE INDEX CONCURRENTLY ON public.orders (customer_id); HypoPG is not installed"
        );
    }
}
