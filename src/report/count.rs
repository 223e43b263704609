//! Counts in the JSON report: rows, loops, pages, buffers and batches are whole numbers, so
//! they are written as JSON integers (`616044`, not `616044.0`). The model keeps them as `f64`,
//! as EXPLAIN gives them: a total over loops is a per-loop figure times the loops, and
//! PostgreSQL 18 gives rows per loop with two decimals (`"Actual Rows": 0.50`). So a total is
//! written rounded to the nearest whole number, and a per-loop figure (`scans[].rows_actual`)
//! as an integer when it is whole and with its fraction when it has one. Reading accepts both
//! (runs saved before this wrote `616044.0`), and a count once written reads back the same.

use serde::Serializer;

/// The largest count written as an integer; above it (no run counts so far) the number is
/// written as it is.
const LARGEST: f64 = u64::MAX as f64;

/// A count: the nearest whole number, as a JSON integer. A value no run can produce (negative,
/// not finite, too large) is written as it is, for the saved-run reader to refuse.
pub fn count<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    let rounded = value.round();
    if (0.0..LARGEST).contains(&rounded) {
        serializer.serialize_u64(rounded as u64)
    } else {
        serializer.serialize_f64(*value)
    }
}

/// [`count`] of an optional value (null stays null).
pub fn count_opt<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => count(v, serializer),
        None => serializer.serialize_none(),
    }
}

/// A figure per loop that is a count when it is whole (PostgreSQL 17 and before always; 18
/// when the rows divide evenly among the loops) and keeps its fraction when it has one.
pub fn per_loop_opt<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) if v.fract() == 0.0 => count(v, serializer),
        Some(v) => serializer.serialize_f64(*v),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    #[derive(Serialize)]
    struct Figures {
        #[serde(serialize_with = "super::count")]
        rows: f64,
        #[serde(serialize_with = "super::count_opt")]
        relation_rows: Option<f64>,
        #[serde(serialize_with = "super::per_loop_opt")]
        rows_actual: Option<f64>,
    }

    fn json(rows: f64, relation_rows: Option<f64>, rows_actual: Option<f64>) -> String {
        serde_json::to_string(&Figures {
            rows,
            relation_rows,
            rows_actual,
        })
        .unwrap()
    }

    #[test]
    fn counts_are_integers_and_per_loop_rows_keep_a_fraction() {
        assert_eq!(
            json(616044.0, Some(616044.0), Some(12.0)),
            r#"{"rows":616044,"relation_rows":616044,"rows_actual":12}"#
        );
        // A total from PostgreSQL 18's rounded per-loop rows is rounded; per loop it is kept.
        assert_eq!(
            json(4999.999999, None, Some(0.5)),
            r#"{"rows":5000,"relation_rows":null,"rows_actual":0.5}"#
        );
        assert_eq!(
            json(1e300, Some(-1.0), None),
            r#"{"rows":1e+300,"relation_rows":-1.0,"rows_actual":null}"#
        );
        assert_eq!(
            json(9007199254740993.0, None, None),
            r#"{"rows":9007199254740992,"relation_rows":null,"rows_actual":null}"#
        );
    }
}
