//! Suite TOML text -> `pgvet::suite::parse_str`, and the same text through the SQL statement
//! lexer `pgvet::suite::sql::statements`. Errors are fine; a panic, hang or stack overflow is
//! a finding.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pgvet::suite::{parse_str, sql};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Query files (`file = "..."`) are looked up next to the suite: in a directory that does
    // not exist, so relative names never reach a real file.
    let path = Path::new("/nonexistent-pgvet-fuzz/suite/pgvet.toml");
    match parse_str(path, &text) {
        Ok(suite) => {
            for query in &suite.queries {
                let _ = (query.metric_label(), query.has_metric());
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }

    // PostgreSQL's white space; a no-break space is part of an identifier to it.
    let space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c' | '\x0b');
    let lines = text.split('\n').count();
    for statement in sql::statements(&text) {
        assert!(!statement.text.is_empty());
        assert_eq!(statement.text, statement.text.trim_matches(space));
        assert!(
            (1..=lines).contains(&statement.line),
            "line {}",
            statement.line
        );
    }
});
