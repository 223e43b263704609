//! How a query with parameters (`$1…$n`) is checked, decided from what the server inferred when
//! it prepared the query: with `params`, bound to those types and sent as a prepared statement;
//! without, on PostgreSQL 16+, planned as the generic plan and not timed; before 16, an error
//! that says to add `params`. A query without parameters is sent as text, as before.

use crate::db::bind::{self, Bindings};
use crate::db::session::{Prepared, Sent};
use crate::report::model::{ParamValue, PlanCache, PlanKind, QueryResult};
use crate::suite::Query;
use crate::suite::params::span;

/// How the query's checks send it.
pub enum Sending {
    Text,
    Bound(Bindings),
    Generic,
}

impl Sending {
    pub fn sent(&self) -> Sent<'_> {
        match self {
            Sending::Text => Sent::Text,
            Sending::Bound(bindings) => Sent::Bound(bindings),
            Sending::Generic => Sent::Generic,
        }
    }

    /// How it decides; the error says what to change.
    pub fn decide(query: &Query, prepared: &Prepared, server_major: u32) -> Result<Self, String> {
        match (&query.params, prepared.params.len()) {
            (Some(values), _) => bind::bind(values, &prepared.params)
                .map(Sending::Bound)
                .map_err(|e| format!("{}: {e}", query.params_at)),
            (None, 0) => Ok(Sending::Text),
            (None, _) if server_major >= 16 => Ok(Sending::Generic),
            (None, n) => Err(format!(
                "{}: the query uses {} and has no params; add `params = [...]` to its [[query]], one value per parameter, to check and time it with those values (PostgreSQL 16+ can check its generic plan without values; this server is PostgreSQL {server_major})",
                query.params_at,
                span(n)
            )),
        }
    }

    /// Which plan the check sees, for a query with parameters.
    pub fn plan_kind(&self) -> Option<PlanKind> {
        match self {
            Sending::Text => None,
            Sending::Bound(_) => Some(PlanKind::Custom),
            Sending::Generic => Some(PlanKind::Generic),
        }
    }
}

/// The types the server inferred, beside the values of `params` (also when a value then does
/// not fit its type: the message and the report show both).
pub fn record_types(result: &mut QueryResult, prepared: &Prepared) {
    if let Some(values) = &mut result.params {
        for (value, ty) in values.iter_mut().zip(&prepared.params) {
            value.type_name = Some(bind::type_name(ty));
        }
    }
}

/// The values of `params` before the server has inferred their types.
pub fn unbound(query: &Query) -> Option<Vec<ParamValue>> {
    query.params.as_ref().map(|values| {
        values
            .iter()
            .map(|value| ParamValue {
                type_name: None,
                value: value.clone(),
            })
            .collect()
    })
}

/// The note of a query checked by its generic plan.
pub fn generic_note(parameters: usize) -> String {
    format!(
        "generic plan (EXPLAIN (GENERIC_PLAN)); not timed: the query uses {} and has no params, add `params = [...]` to its [[query]] to time it",
        span(parameters)
    )
}

/// The note when the plan cache gave some of the prepared statement's executions a generic
/// plan: those ran a plan the check did not see.
pub fn plan_cache_note(cache: &PlanCache) -> Option<String> {
    let total = cache.custom_plans + cache.generic_plans;
    (cache.generic_plans > 0).then(|| {
        format!(
            "{} of {total} executions (warm-up included) ran the generic plan: PostgreSQL's plan cache switches to it after five custom plans when it costs no more; the plan checked is the custom plan for these params",
            cache.generic_plans
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::params::Param;
    use tokio_postgres::types::Type;

    fn query(params: Option<Vec<Param>>) -> Query {
        let suite = crate::suite::parse_str(
            std::path::Path::new("pgvet.toml"),
            "[[query]]\nname = \"q\"\nsql = \"SELECT $1::int\"\n",
        )
        .unwrap();
        Query {
            params,
            ..suite.queries[0].clone()
        }
    }

    fn prepared(params: Vec<Type>) -> Prepared {
        Prepared { columns: 1, params }
    }

    #[test]
    fn parameters_without_values_are_a_generic_plan_from_16_and_an_error_before() {
        assert!(matches!(
            Sending::decide(&query(None), &prepared(vec![Type::INT4]), 16),
            Ok(Sending::Generic)
        ));
        let e = Sending::decide(&query(None), &prepared(vec![Type::INT4, Type::TEXT]), 15)
            .err()
            .unwrap();
        assert!(
            e.starts_with(
                "pgvet.toml:2: the query uses $1 and $2 and has no params; add `params = [...]`"
            ) && e.ends_with("this server is PostgreSQL 15)"),
            "{e}"
        );
        assert!(matches!(
            Sending::decide(&query(None), &prepared(vec![]), 15),
            Ok(Sending::Text)
        ));
        let bound = Sending::decide(
            &query(Some(vec![Param::Integer(3)])),
            &prepared(vec![Type::INT4]),
            15,
        );
        let Ok(sending @ Sending::Bound(_)) = bound else {
            panic!("bound")
        };
        assert_eq!(sending.plan_kind(), Some(PlanKind::Custom));
        let mut result = super::super::query::empty_result(&query(Some(vec![Param::Integer(3)])));
        assert_eq!(result.params.as_ref().unwrap()[0].type_name, None);
        record_types(&mut result, &prepared(vec![Type::INT4]));
        assert_eq!(
            result.params.unwrap()[0].type_name.as_deref(),
            Some("integer")
        );
    }

    #[test]
    fn generic_plans_in_the_timed_runs_are_noted() {
        let none = PlanCache {
            custom_plans: 6,
            generic_plans: 0,
        };
        assert_eq!(plan_cache_note(&none), None);
        let some = PlanCache {
            custom_plans: 5,
            generic_plans: 3,
        };
        assert!(
            plan_cache_note(&some)
                .unwrap()
                .starts_with("3 of 8 executions (warm-up included) ran the generic plan")
        );
    }
}
