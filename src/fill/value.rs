//! Numbers in a checklist row: reading what a cell already says (`100ms`, `2.5s`, `<0.1%`,
//! `80 lines`) and writing pgvet's values the way the row writes its own.
//!
//! The rules:
//! - A query time (unit `ms`) is written in seconds (`2.5s`) when the row's other value cells
//!   use seconds more often than milliseconds, else in milliseconds (`0.412ms`, `31.9ms`,
//!   `120ms`); with a space before the unit only when the row writes one there. About three
//!   significant figures, trailing zeros dropped; the integer part is never rounded (`1234ms`).
//!   A time always carries its unit, even in a row of bare numbers.
//! - Any other unit is written as the row writes it: with the unit (spaced or not, as a cell
//!   of the row that shows it) or as a bare number when the row's numbers carry no unit. With
//!   nothing to copy, `%` is attached (`0.05%`) and a word is spaced (`12 connections`). Four
//!   significant figures (`99.95%`).
//! - A change is a signed whole percentage, as checklists write it (`-69%`, `+12%`), with one
//!   decimal below 1% (`-0.4%`), and `0%` for no change.

/// A number as a cell writes it: `<0.1%` is 0.1, suffix `%`, qualified by `<`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity<'a> {
    pub value: f64,
    /// What follows the number, without the white space between: `ms`, `%`, `lines`, `+`.
    pub suffix: &'a str,
    /// White space between the number and its suffix.
    pub spaced: bool,
    /// A `<`, `>`, `~`, `≤`, `≥`, `≈` or `=` before the number: a bound, not a value.
    pub qualified: bool,
}

/// Reads a cell holding one number and an optional suffix; None for anything else.
pub fn parse(cell: &str) -> Option<Quantity<'_>> {
    let text = cell.trim();
    let rest = text.trim_start_matches(['<', '>', '~', '≤', '≥', '≈', '=']);
    let qualified = rest.len() != text.len();
    let rest = rest.trim_start();
    let sign = usize::from(rest.starts_with(['-', '+']));
    let end = rest[sign..]
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(rest.len(), |end| end + sign);
    if !rest[sign..end].bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: f64 = rest[..end].parse().ok()?;
    let after = &rest[end..];
    let suffix = after.trim_start();
    Some(Quantity {
        value,
        suffix,
        spaced: !suffix.is_empty() && suffix.len() != after.len(),
        qualified,
    })
}

/// How a row writes its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    unit: Written,
    spaced: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Written {
    Millis,
    Seconds,
    Unit(String),
    Bare,
}

impl Style {
    /// The style of a row whose other value cells are `siblings`, for a metric in `unit`.
    pub fn of(unit: &str, siblings: &[&str]) -> Style {
        let quantities: Vec<Quantity> = siblings.iter().filter_map(|s| parse(s)).collect();
        if is_time(unit) {
            return time_style(&quantities);
        }
        let spaced_default = unit.chars().next().is_some_and(char::is_alphabetic);
        if unit.is_empty() {
            return Style::bare();
        }
        if let Some(q) = quantities
            .iter()
            .find(|q| q.suffix.eq_ignore_ascii_case(unit))
        {
            return Style {
                unit: Written::Unit(unit.to_string()),
                spaced: q.spaced,
            };
        }
        if !quantities.is_empty() && quantities.iter().all(|q| q.suffix.is_empty()) {
            return Style::bare();
        }
        Style {
            unit: Written::Unit(unit.to_string()),
            spaced: spaced_default,
        }
    }

    fn bare() -> Style {
        Style {
            unit: Written::Bare,
            spaced: false,
        }
    }

    /// `value`, in the metric's unit, written in this style.
    pub fn write(&self, value: f64) -> String {
        let (number, unit) = match &self.unit {
            Written::Millis => (significant(value, 3), "ms"),
            Written::Seconds => (significant(value / 1000.0, 3), "s"),
            Written::Unit(unit) => (significant(value, 4), unit.as_str()),
            Written::Bare => (significant(value, 4), ""),
        };
        let space = if self.spaced && !unit.is_empty() {
            " "
        } else {
            ""
        };
        format!("{number}{space}{unit}")
    }
}

fn is_time(unit: &str) -> bool {
    unit == "ms"
}

fn time_style(quantities: &[Quantity]) -> Style {
    let in_unit = |seconds: bool| {
        quantities
            .iter()
            .filter(move |q| time_unit(q.suffix) == Some(seconds))
    };
    let seconds = in_unit(true).count() > in_unit(false).count();
    Style {
        unit: if seconds {
            Written::Seconds
        } else {
            Written::Millis
        },
        spaced: in_unit(seconds).next().is_some_and(|q| q.spaced),
    }
}

/// Some(true) for seconds, Some(false) for milliseconds.
fn time_unit(suffix: &str) -> Option<bool> {
    match suffix.to_ascii_lowercase().as_str() {
        "ms" | "msec" => Some(false),
        "s" | "sec" | "secs" => Some(true),
        _ => None,
    }
}

/// The value a cell states, in the metric's unit; None for a bound (`<0.1%`), another unit or
/// no number at all. A bare number is taken to be in the metric's unit.
pub fn read(cell: &str, unit: &str) -> Option<f64> {
    let q = parse(cell).filter(|q| !q.qualified)?;
    if q.suffix.is_empty() || q.suffix.eq_ignore_ascii_case(unit) {
        return Some(q.value);
    }
    match (is_time(unit), time_unit(q.suffix)) {
        (true, Some(true)) => Some(q.value * 1000.0),
        _ => None,
    }
}

/// The change from `before` to `after` in percent; None when `before` is zero.
pub fn change_pct(before: f64, after: f64) -> Option<f64> {
    let pct = (after - before) / before * 100.0;
    (before != 0.0 && pct.is_finite()).then_some(pct)
}

/// A change in percent as checklists write it: `-69%`, `+12%`, `-0.4%`, `0%`.
pub fn write_change(pct: f64) -> String {
    let decimals = if pct.abs() >= 1.0 { 0 } else { 1 };
    let text = trim_zeros(format!("{pct:.decimals$}"));
    match text.as_str() {
        "0" | "-0" => "0%".into(),
        t if t.starts_with('-') => format!("{t}%"),
        t => format!("+{t}%"),
    }
}

/// `value` to `figures` significant figures, trailing zeros dropped; the integer part is kept.
pub fn significant(value: f64, figures: i32) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (figures - 1 - magnitude).clamp(0, 15) as usize;
    let text = trim_zeros(format!("{value:.decimals$}"));
    if text == "-0" { "0".into() } else { text }
}

fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse_into_number_and_suffix() {
        let q = parse(" 100ms ").unwrap();
        assert_eq!(
            (q.value, q.suffix, q.spaced, q.qualified),
            (100.0, "ms", false, false)
        );
        let q = parse("80 lines").unwrap();
        assert_eq!((q.value, q.suffix, q.spaced), (80.0, "lines", true));
        let q = parse("<0.1%").unwrap();
        assert_eq!((q.value, q.suffix, q.qualified), (0.1, "%", true));
        assert_eq!(parse("-69%").unwrap().value, -69.0);
        assert_eq!(parse("15+").unwrap().suffix, "+");
        for text in ["", "___", "TBD", "-", ".", "ms", "v1.2.3"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn query_times_follow_the_rows_unit() {
        let ms = Style::of("ms", &["100ms", "20ms"]);
        assert_eq!(ms.write(0.4123), "0.412ms");
        assert_eq!(ms.write(31.94), "31.9ms");
        assert_eq!(ms.write(120.4), "120ms");
        assert_eq!(ms.write(1234.6), "1235ms");
        let s = Style::of("ms", &["2.5s", "0.8s"]);
        assert_eq!(s.write(412.0), "0.412s");
        assert_eq!(s.write(2500.0), "2.5s");
        assert_eq!(Style::of("ms", &["100 ms"]).write(3.7), "3.7 ms");
        assert_eq!(Style::of("ms", &[]).write(20.0), "20ms");
        assert_eq!(Style::of("ms", &["100", "20"]).write(20.0), "20ms");
        assert_eq!(
            Style::of("ms", &["1s", "500ms", "400ms"]).write(20.0),
            "20ms"
        );
    }

    #[test]
    fn other_units_follow_the_row_or_the_unit() {
        assert_eq!(Style::of("%", &["0.1%", "<0.1%"]).write(0.05), "0.05%");
        assert_eq!(Style::of("%", &["99.5%"]).write(99.951), "99.95%");
        assert_eq!(Style::of("%", &[]).write(2.0), "2%");
        assert_eq!(Style::of("lines", &["80 lines"]).write(25.0), "25 lines");
        assert_eq!(Style::of("lines", &["80lines"]).write(25.0), "25lines");
        assert_eq!(Style::of("count", &["20"]).write(8.0), "8");
        assert_eq!(Style::of("connections", &[]).write(12.0), "12 connections");
        assert_eq!(Style::of("", &["20 x"]).write(8.0), "8");
    }

    #[test]
    fn cells_read_in_the_metrics_unit() {
        assert_eq!(read("100ms", "ms"), Some(100.0));
        assert_eq!(read("2.5s", "ms"), Some(2500.0));
        assert_eq!(read("80 lines", "lines"), Some(80.0));
        assert_eq!(read("20", "count"), Some(20.0));
        assert_eq!(read("<0.1%", "%"), None);
        assert_eq!(read("15+", "count"), None);
        assert_eq!(read("2.5s", "%"), None);
    }

    #[test]
    fn changes_are_signed_percentages() {
        assert_eq!(write_change(change_pct(80.0, 25.0).unwrap()), "-69%");
        assert_eq!(write_change(change_pct(20.0, 8.0).unwrap()), "-60%");
        assert_eq!(write_change(12.4), "+12%");
        assert_eq!(write_change(-0.44), "-0.4%");
        assert_eq!(write_change(0.96), "+1%");
        assert_eq!(write_change(-0.01), "0%");
        assert_eq!(change_pct(0.0, 5.0), None);
    }

    #[test]
    fn significant_figures_drop_trailing_zeros() {
        assert_eq!(significant(2.696, 3), "2.7");
        assert_eq!(significant(9.996, 3), "10");
        assert_eq!(significant(0.000_412_3, 3), "0.000412");
        assert_eq!(significant(-0.0, 3), "0");
        assert_eq!(significant(-0.0001, 3), "-0.0001");
    }
}
