//! Arbitrary text -> `pgvet::plan::Explain::parse`, then everything that reads the result
//! (the leading-column rule's reading of each "Index Cond" included).
//! Also checks the non-recursive JSON reader against serde_json: a document serde_json accepts
//! must not be a syntax error, and a document pgvet reads must be one serde_json accepts
//! (where serde_json's own nesting limit does not stop it, and pgvet read the whole text: a
//! field of the wrong type stops it early).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgvet::plan::cond::{constrained_keys, same_key};
use pgvet::plan::{Explain, PlanError};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = Explain::parse(&text);
    match &parsed {
        Ok(explain) => {
            let _ = explain.summary();
            for scan in &explain.scans {
                let _ = (scan.describe(), scan.is_seq_scan(), scan.uses_index());
                for cond in scan.index_reads.iter().filter_map(|r| r.cond.as_deref()) {
                    for key in constrained_keys(cond) {
                        assert!(cond.contains(key.trim()), "{key:?} not in {cond:?}");
                        let _ = same_key(key, cond);
                    }
                }
            }
            let _ = serde_json::to_string(explain);
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }

    let reference = serde_json::from_str::<serde_json::Value>(&text);
    let too_deep = matches!(&reference, Err(e) if e.to_string().contains("recursion limit"));
    if too_deep || matches!(parsed, Err(PlanError::FieldType { .. })) {
        return;
    }
    let syntax_error = matches!(parsed, Err(PlanError::Syntax { .. }));
    assert_eq!(
        syntax_error,
        reference.is_err(),
        "pgvet: {parsed:?}, serde_json: {reference:?}"
    );
});
