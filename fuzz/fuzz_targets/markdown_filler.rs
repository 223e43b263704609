//! Arbitrary Markdown -> `pgvet::fill::fill` with fixed metrics whose labels appear in the seed
//! checklist. Besides not panicking: filling keeps the line count, and filling the filled
//! document again fills nothing more.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pgvet::fill::fill;
use pgvet::report::model::{Better, MetricRow};

fn metric(label: &str, unit: &str, values: [Option<f64>; 4]) -> MetricRow {
    let [baseline, target, actual, measured_baseline] = values;
    let ms = unit == "ms";
    MetricRow {
        label: label.into(),
        query: ms.then(|| label.into()),
        unit: unit.into(),
        better: Better::Lower,
        baseline,
        target,
        actual,
        measured_baseline,
        change_pct: None,
        status: None,
        error: None,
        baseline_ms: baseline.filter(|_| ms),
        target_ms: target.filter(|_| ms),
        actual_ms: actual.filter(|_| ms),
        checklist: None,
    }
}

fn metrics() -> &'static [MetricRow] {
    static METRICS: OnceLock<Vec<MetricRow>> = OnceLock::new();
    METRICS.get_or_init(|| {
        vec![
            metric(
                "Avg query time (experiments)",
                "ms",
                [Some(100.0), Some(20.0), Some(0.4123), None],
            ),
            metric(
                "Avg query time (metrics filter)",
                "ms",
                [Some(150.0), Some(40.0), Some(3.704), Some(180.0)],
            ),
            metric("Error rate", "%", [Some(0.1), Some(0.1), Some(0.05), None]),
            metric(
                "Avg function length",
                "lines",
                [Some(80.0), None, None, None],
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let document = String::from_utf8_lossy(data);
    let filled = fill(&document, metrics());
    for unfilled in &filled.unfilled {
        let _ = unfilled.to_string();
    }
    assert_eq!(
        filled.document.split('\n').count(),
        document.split('\n').count(),
        "filling changed the number of lines"
    );

    let again = fill(&filled.document, metrics());
    assert_eq!(again.rows, [], "a second fill filled more cells");
    assert_eq!(again.document, filled.document);
});
