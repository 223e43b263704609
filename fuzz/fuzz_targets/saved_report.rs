//! Arbitrary bytes as a saved run (`--baseline`, `pgvet compare`, `report`, `fill`) to
//! `pgvet::report::saved::parse`. An accepted report is rendered in every format, compared
//! with the fixture run both ways, and its metrics filled into a checklist, as the commands do.
//! Besides not panicking: what pgvet writes it reads back. The accepted report, and each
//! comparison of it (what `check --baseline --save` would write), re-serialised as JSON is
//! accepted again, and serialises to the same text a second time.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pgvet::check::baseline;
use pgvet::report::saved::parse;
use pgvet::report::{Format, Report, render};

const FORMATS: [Format; 5] = [
    Format::Text,
    Format::Json,
    Format::Markdown,
    Format::Junit,
    Format::Github,
];

/// The other side of every comparison: the run before the migration, as saved.
fn before() -> &'static Report {
    static BEFORE: OnceLock<Report> = OnceLock::new();
    BEFORE.get_or_init(|| {
        let text = include_str!("../../fixtures/reports/before.json");
        parse(text.as_bytes(), Path::new("before.json")).expect("the fixture is a saved run")
    })
}

/// The report as `--save` writes it must be read back, and be stable from then on.
fn reads_back(report: &Report, what: &str) {
    let saved = render(report, Format::Json);
    let again = match parse(saved.as_bytes(), Path::new("saved.json")) {
        Ok(again) => again,
        Err(e) => panic!("{what}: pgvet refuses the report it wrote: {e}\n{saved}"),
    };
    let resaved = render(&again, Format::Json);
    if let Some((line, (then, now))) = saved.lines().zip(resaved.lines()).enumerate().find(|(_, (a, b))| a != b) {
        panic!("{what}: reading the saved report back changed line {}: {then} -> {now}", line + 1);
    }
    assert_eq!(resaved, saved, "{what}: reading the saved report back changed it");
}

/// A checklist with one blank row per metric of the run, filled as `pgvet fill` does.
fn fill_checklist(report: &Report) {
    let mut document = String::from("| Metric | Baseline | Target | Actual |\n|---|---|---|---|\n");
    for metric in &report.metrics {
        document.push_str(&format!("| {} | | | |\n", metric.label));
    }
    let filled = pgvet::fill::fill(&document, &report.metrics);
    for unfilled in &filled.unfilled {
        let _ = unfilled.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let report = match parse(data, Path::new("run.json")) {
        Ok(report) => report,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    for format in FORMATS {
        assert!(!render(&report, format).is_empty());
    }
    reads_back(&report, "the report read");

    let mut compared = report.clone();
    baseline::apply(&mut compared, before(), "before.json");
    let mut reverse = before().clone();
    baseline::apply(&mut reverse, &report, "run.json");
    for (r, what) in [(&compared, "compared with before"), (&reverse, "before compared with it")] {
        for format in FORMATS {
            assert!(!render(r, format).is_empty());
        }
        reads_back(r, what);
        fill_checklist(r);
    }
    fill_checklist(&report);
});
