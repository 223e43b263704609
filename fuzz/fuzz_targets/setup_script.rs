//! Setup-file text -> `pgvet::db::setup::script::parse` (what `--setup` files and the demo's
//! fixtures go through: statements, COPY data, psql meta-commands and variables). A refusal is
//! fine; a panic, hang or stack overflow is a finding, and so is a step that does not hold
//! together.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgvet::db::setup::script::{Step, copy_row_line, parse};
use pgvet::suite::sql;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').count();
    let line_ok = |line: usize| (1..=lines).contains(&line);
    let space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c' | '\x0b');
    let boundary = |range: &std::ops::Range<usize>| {
        range.start <= range.end
            && range.end <= text.len()
            && text.is_char_boundary(range.start)
            && text.is_char_boundary(range.end)
    };
    // The file never switches how strings read: every statement is one to the suite's lexer.
    let standard = !text.to_ascii_lowercase().contains("standard_conforming_strings");
    let steps = match parse(&text, "postgres") {
        Ok(steps) => steps,
        Err(refusal) => {
            assert!(line_ok(refusal.line), "refusal line {}", refusal.line);
            return;
        }
    };
    let mut after = 0;
    for step in &steps {
        match step {
            Step::Sql { text: range, line } | Step::CopyOut { text: range, line } => {
                assert!(boundary(range) && range.start >= after, "{step:?}");
                assert!(line_ok(*line), "{step:?}");
                let statement = &text[range.clone()];
                assert!(!statement.is_empty());
                assert_eq!(statement, statement.trim_matches(space));
                if standard && matches!(step, Step::Sql { .. }) {
                    let found = sql::statements(statement);
                    assert_eq!(found.len(), 1, "{statement:?}: {found:?}");
                    assert_eq!(found[0].text, statement);
                }
                after = range.end;
            }
            Step::CopyIn {
                text: range,
                line,
                data,
                data_line,
                csv,
            } => {
                assert!(boundary(range) && boundary(data), "{step:?}");
                assert!(range.start >= after && data.start >= range.end, "{step:?}");
                assert!(line_ok(*line) && line_ok(*data_line), "{step:?}");
                // The data starts a line (or is empty at the end of the file).
                assert!(
                    data.start == text.len() || text[..data.start].ends_with('\n'),
                    "{step:?}"
                );
                let rows = &text[data.clone()];
                let row_line = copy_row_line(rows, *data_line, rows.len() + 2, *csv);
                assert!(row_line >= *data_line);
                after = data.end;
            }
            Step::NewSession { line } => assert!(line_ok(*line), "{step:?}"),
        }
    }
});
