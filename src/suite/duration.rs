//! Durations as PostgreSQL writes them in settings: `500us`, `30s`, `500ms`, `2min`, `1h`; a bare number
//! means milliseconds, as for `statement_timeout`. The timeouts and the time targets
//! (`target_ms`, `baseline_ms`) are read alike.

use std::time::Duration;

/// The longest duration pgvet reads (31.7 years): anything longer is a typo.
const MAX_MS: f64 = 1e12;

/// A duration in milliseconds: `250us`, `500ms`, `1.5s`, `2min`, `1h`, `1d`, or a bare number of
/// milliseconds; None for anything else (a negative number, an unknown unit, over 10¹² ms).
pub fn parse_millis(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let millis = match unit.trim() {
        "us" => value / 1e3,
        "" | "ms" => value,
        "s" => value * 1e3,
        "min" => value * 60e3,
        "h" => value * 3600e3,
        "d" => value * 86_400e3,
        _ => return None,
    };
    (millis.is_finite() && millis <= MAX_MS).then_some(millis)
}

/// Parses a duration; the error says what forms are accepted.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let millis = parse_millis(text).ok_or_else(|| bad(text))?;
    let duration = Duration::from_secs_f64(millis / 1e3);
    // Only 0 itself means "no limit": a positive duration must not round down to it.
    if duration.is_zero() && millis > 0.0 {
        return Err(format!(
            "`{text}` is shorter than a nanosecond and would round to 0, which means no limit; write 0 for no limit, or at least \"1ms\""
        ));
    }
    Ok(duration)
}

fn bad(text: &str) -> String {
    format!(
        "`{text}` is not a duration; write e.g. \"30s\", \"500ms\", \"2min\" or \"1h\" (0 = no limit)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_postgres_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5 s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5000us"), Ok(Duration::from_millis(5)));
        assert_eq!(parse_millis("500 us"), Some(0.5));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0.0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0.0004ms"), Ok(Duration::from_nanos(400)));
    }

    #[test]
    fn a_positive_duration_never_rounds_to_zero() {
        let err = parse_duration("0.0000001ms").unwrap_err();
        assert!(
            err.contains("would round to 0, which means no limit"),
            "{err}"
        );
    }

    #[test]
    fn milliseconds_keep_their_fraction() {
        assert_eq!(parse_millis("5ms"), Some(5.0));
        assert_eq!(parse_millis("1.5s"), Some(1500.0));
        assert_eq!(parse_millis(" 20 "), Some(20.0));
        assert_eq!(parse_millis("0.000001ms"), Some(0.000001));
        assert_eq!(parse_millis("2min"), Some(120_000.0));
        for bad in ["", "5 parsecs", "-5ms", "fast", "1e13", "ms"] {
            assert_eq!(parse_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn rejects_other_text_with_a_hint() {
        for bad in ["", "fast", "10 parsecs", "-1s", "1e400s"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("is not a duration"), "{bad}: {err}");
        }
    }
}
