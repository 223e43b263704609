//! Just enough Markdown structure for the filler: the document's lines with their byte offsets,
//! which lines sit inside a code fence or an HTML comment (never filled), GFM table blocks
//! (header row, delimiter row, body rows) and the byte ranges of one row's cells.
//!
//! Everything here is one pass over the text: a table of millions of rows or a line of a
//! hundred thousand pipes costs time in proportion to its length.

use std::collections::HashMap;
use std::ops::Range;

/// One line of the document, without its line ending (`\n` or `\r\n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based, for messages.
    pub number: usize,
    /// Byte offset of `text` in the document.
    pub start: usize,
    pub text: &'a str,
}

/// Splits the document into lines; their `start` offsets index the original text.
pub fn lines(document: &str) -> Vec<Line<'_>> {
    let mut start = 0;
    let mut lines = Vec::new();
    for (index, raw) in document.split_inclusive('\n').enumerate() {
        let text = raw.strip_suffix('\n').unwrap_or(raw);
        let text = text.strip_suffix('\r').unwrap_or(text);
        lines.push(Line {
            number: index + 1,
            start,
            text,
        });
        start += raw.len();
    }
    lines
}

/// A GFM table: `header` and `body` index the lines given to [`tables`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: usize,
    pub header_row: Row,
    pub body: Range<usize>,
}

/// The cells of one table row, as byte ranges of the line's text between the pipes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Range<usize>>,
    /// A cell-separating `|` sits inside inline code: GFM splits there, a reader may not.
    pub ambiguous: bool,
}

/// Where a line sits: in text, in a fenced code block (its marker and length) or in a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Text,
    Fence(u8, usize),
    Comment,
}

/// Every table outside code fences and HTML comments, in document order.
pub fn tables(lines: &[Line<'_>]) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut block = Block::Text;
    let mut index = 0;
    while index < lines.len() {
        if block == Block::Text
            && let Some(table) = table_at(lines, index)
        {
            index = table.body.end;
            tables.push(table);
            continue;
        }
        block = next_block(block, lines[index].text);
        index += 1;
    }
    tables
}

/// For each line, whether it is prose: outside code fences and HTML comments (a line that opens
/// or closes one is not prose either).
pub fn prose(lines: &[Line<'_>]) -> Vec<bool> {
    let mut block = Block::Text;
    lines
        .iter()
        .map(|line| {
            let next = next_block(block, line.text);
            let is_prose = block == Block::Text && next == Block::Text && !opens_block(line.text);
            block = next;
            is_prose
        })
        .collect()
}

/// A fence or comment that opens and closes on this one line is not prose either.
fn opens_block(text: &str) -> bool {
    opens_fence(text).is_some() || text.trim_start().starts_with("<!--")
}

fn next_block(block: Block, text: &str) -> Block {
    match block {
        Block::Fence(marker, len) if closes_fence(text, marker, len) => Block::Text,
        Block::Comment if text.contains("-->") => Block::Text,
        Block::Text => {
            if let Some((marker, len)) = opens_fence(text) {
                Block::Fence(marker, len)
            } else if opens_comment(text) {
                Block::Comment
            } else {
                Block::Text
            }
        }
        other => other,
    }
}

/// The table whose header row is `lines[index]`, if the next line is its delimiter row.
fn table_at(lines: &[Line<'_>], index: usize) -> Option<Table> {
    let header = lines[index].text;
    let delimiter = lines.get(index + 1)?.text;
    if indentation(header) > 3 || opens_fence(header).is_some() || opens_comment(header) {
        return None;
    }
    let header_row = split_row(header)?;
    let delimiter_row = split_row(delimiter)?;
    let is_delimiter = delimiter_row.cells.iter().all(|cell| {
        let dashes = delimiter[cell.clone()].trim();
        let dashes = dashes.strip_prefix(':').unwrap_or(dashes);
        let dashes = dashes.strip_suffix(':').unwrap_or(dashes);
        !dashes.is_empty() && dashes.bytes().all(|b| b == b'-')
    });
    if !is_delimiter || header_row.cells.len() != delimiter_row.cells.len() {
        return None;
    }
    let mut end = index + 2;
    while end < lines.len() && is_body_line(lines[end].text) {
        end += 1;
    }
    Some(Table {
        header: index,
        header_row,
        body: index + 2..end,
    })
}

/// A table goes on until a blank line, a line with no unescaped `|`, or another block.
fn is_body_line(text: &str) -> bool {
    let rest = text.trim_start();
    if rest.starts_with('|') {
        return true;
    }
    !rest.is_empty()
        && !rest.starts_with('>')
        && !is_heading(rest)
        && opens_fence(text).is_none()
        && !unescaped(text.as_bytes(), b'|').is_empty()
}

/// An ATX heading: one to six `#` and then white space or the end of the line.
fn is_heading(text: &str) -> bool {
    let hashes = text.bytes().take_while(|b| *b == b'#').count();
    (1..=6).contains(&hashes)
        && text[hashes..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

/// Splits a row into cells the way GFM does: at every `|` not escaped by a backslash, with an
/// optional leading and trailing pipe. None when the line has no unescaped `|`.
pub fn split_row(text: &str) -> Option<Row> {
    let bytes = text.as_bytes();
    let pipes = unescaped(bytes, b'|');
    let &first_pipe = pipes.first()?;
    let mut separators = &pipes[..];
    let mut start = 0;
    let mut end = text.len();
    if bytes.iter().position(|b| !b.is_ascii_whitespace()) == Some(first_pipe) {
        start = first_pipe + 1;
        separators = &separators[1..];
    }
    if let Some((&last_pipe, rest)) = separators.split_last()
        && bytes.iter().rposition(|b| !b.is_ascii_whitespace()) == Some(last_pipe)
    {
        end = last_pipe;
        separators = rest;
    }
    let mut cells = Vec::with_capacity(separators.len() + 1);
    let mut cell_start = start;
    for &pipe in separators {
        cells.push(cell_start..pipe);
        cell_start = pipe + 1;
    }
    cells.push(cell_start..end);
    let ambiguous = bytes.contains(&b'`') && any_inside(&pipes, &code_spans(bytes));
    Some(Row { cells, ambiguous })
}

/// Positions of `target` not escaped by a backslash (a backslash escapes the byte after it).
fn unescaped(bytes: &[u8], target: u8) -> Vec<usize> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b if b == target => found.push(i),
            _ => {}
        }
        i += 1;
    }
    found
}

/// Inline code spans: a run of backticks up to the next run of the same length.
pub fn code_spans(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for start in unescaped(bytes, b'`') {
        match runs.last_mut() {
            Some(run) if run.end == start => run.end += 1,
            _ => runs.push(start..start + 1),
        }
    }
    // For each run, the index of the next run of the same length: keeps matching linear.
    let mut next_same = vec![None; runs.len()];
    let mut last_seen: HashMap<usize, usize> = HashMap::new();
    for (index, run) in runs.iter().enumerate().rev() {
        next_same[index] = last_seen.insert(run.len(), index);
    }
    let mut spans = Vec::new();
    let mut index = 0;
    while index < runs.len() {
        match next_same[index] {
            Some(close) => {
                spans.push(runs[index].start..runs[close].end);
                index = close + 1;
            }
            None => index += 1,
        }
    }
    spans
}

/// Whether any of the sorted `positions` falls inside one of the sorted, disjoint `spans`.
fn any_inside(positions: &[usize], spans: &[Range<usize>]) -> bool {
    let mut spans = spans.iter().peekable();
    for &position in positions {
        while spans.next_if(|span| span.end <= position).is_some() {}
        match spans.peek() {
            Some(span) if span.contains(&position) => return true,
            Some(_) => {}
            None => return false,
        }
    }
    false
}

/// Leading columns of white space (a tab counts as 4).
fn indentation(text: &str) -> usize {
    text.bytes()
        .take_while(|b| *b == b' ' || *b == b'\t')
        .map(|b| if b == b'\t' { 4 } else { 1 })
        .sum()
}

/// A line's content after white space, blockquote markers and list markers: a fence may sit in
/// a list item or a quote, and a table inside it must still be left alone.
fn after_containers(text: &str) -> &str {
    let mut rest = text.trim_start();
    loop {
        let before = rest.len();
        rest = rest.trim_start_matches('>').trim_start();
        if let Some(after) = rest.strip_prefix(['-', '*', '+'])
            && after.starts_with([' ', '\t'])
        {
            rest = after.trim_start();
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0
            && let Some(after) = rest[digits..].strip_prefix(['.', ')'])
            && after.starts_with([' ', '\t'])
        {
            rest = after.trim_start();
        }
        if rest.len() == before {
            return rest;
        }
    }
}

/// A line opening a code fence: at least three backticks (with no backtick after them on the
/// line) or three tildes. Returns the marker and its length.
fn opens_fence(text: &str) -> Option<(u8, usize)> {
    let rest = after_containers(text);
    let marker = *rest.as_bytes().first()?;
    if marker != b'`' && marker != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|b| *b == marker).count();
    let info = &rest[len..];
    (len >= 3 && !(marker == b'`' && info.contains('`'))).then_some((marker, len))
}

fn closes_fence(text: &str, marker: u8, len: usize) -> bool {
    let rest = after_containers(text);
    let run = rest.bytes().take_while(|b| *b == marker).count();
    run >= len && rest[run..].trim().is_empty()
}

/// An HTML comment that does not end on the line it starts.
fn opens_comment(text: &str) -> bool {
    text.trim_start()
        .strip_prefix("<!--")
        .is_some_and(|rest| !rest.contains("-->"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(text: &str) -> Vec<&str> {
        let row = split_row(text).unwrap();
        row.cells.iter().map(|c| &text[c.clone()]).collect()
    }

    fn table_lines(document: &str) -> Vec<Vec<usize>> {
        let lines = lines(document);
        let tables = tables(&lines);
        let numbers = |t: &Table| {
            let mut n = vec![lines[t.header].number];
            n.extend(lines[t.body.clone()].iter().map(|l| l.number));
            n
        };
        tables.iter().map(numbers).collect()
    }

    #[test]
    fn lines_keep_offsets_and_drop_line_endings() {
        let doc = "a\r\nbc\n\nd";
        let lines = lines(doc);
        let texts: Vec<_> = lines.iter().map(|l| (l.start, l.text)).collect();
        assert_eq!(texts, [(0, "a"), (3, "bc"), (6, ""), (7, "d")]);
        assert!(super::lines("").is_empty());
    }

    #[test]
    fn rows_split_like_gfm() {
        assert_eq!(cells("| a | b |"), [" a ", " b "]);
        assert_eq!(cells("a | b"), ["a ", " b"]);
        assert_eq!(cells("  | a | b  "), [" a ", " b  "]);
        assert_eq!(cells("| a || c |"), [" a ", "", " c "]);
        assert_eq!(cells(r"| a \| b | c |"), [r" a \| b ", " c "]);
        assert_eq!(cells(r"| a \\| b |"), [r" a \\", " b "]);
        assert_eq!(cells("|"), [""]);
        assert_eq!(cells("| é | ü |"), [" é ", " ü "]);
        assert!(split_row("no pipes here").is_none());
        assert!(split_row(r"escaped \| only").is_none());
    }

    #[test]
    fn a_pipe_in_inline_code_makes_the_row_ambiguous() {
        assert!(split_row("| `a|b` | c |").unwrap().ambiguous);
        assert!(!split_row("| `a` | `b` |").unwrap().ambiguous);
        assert!(!split_row(r"| `a\|b` | c |").unwrap().ambiguous);
        assert!(!split_row("| `` a ` b `` | c |").unwrap().ambiguous);
        assert!(!split_row("| ` unclosed | c |").unwrap().ambiguous);
    }

    #[test]
    fn tables_need_a_matching_delimiter_row() {
        assert_eq!(
            table_lines("| a | b |\n|---|:-:|\n| 1 | 2 |\n"),
            [vec![1, 3]]
        );
        assert_eq!(table_lines("a | b\n--|--\n1 | 2"), [vec![1, 3]]);
        assert!(table_lines("| a | b |\n|---|\n| 1 | 2 |\n").is_empty());
        assert!(table_lines("| a | b |\n| x | y |\n").is_empty());
        assert!(table_lines("a | b\n---\n").is_empty());
    }

    #[test]
    fn tables_end_at_blank_lines_and_lines_without_pipes() {
        let doc = "| a |\n|---|\n| 1 |\n\n| 2 |\n|---|\nplain\n| 3 |\n";
        assert_eq!(table_lines(doc), [vec![1, 3], vec![5]]);
    }

    #[test]
    fn tables_in_fences_and_comments_are_not_tables() {
        let table = "| a | b |\n|---|---|\n| 1 | 2 |\n";
        for (open, close) in [
            ("```\n", "```\n"),
            ("~~~~ md\n", "~~~~\n"),
            ("- ```\n", "  ```\n"),
            ("> ```\n", "> ```\n"),
            ("<!--\n", "-->\n"),
        ] {
            let doc = format!("{open}{table}{close}{table}");
            assert_eq!(table_lines(&doc), [vec![6, 8]], "{open:?}");
        }
        assert!(table_lines(&format!("```\n{table}")).is_empty(), "unclosed");
        let inline = format!("```not a fence```\n{table}");
        assert_eq!(table_lines(&inline), [vec![2, 4]]);
        let short_close = format!("````\n``\n{table}````\n{table}");
        assert_eq!(table_lines(&short_close), [vec![7, 9]]);
    }

    #[test]
    fn an_indented_block_is_code_not_a_table() {
        assert!(table_lines("    | a | b |\n    |---|---|\n").is_empty());
        assert_eq!(table_lines("   | a |\n   |---|\n   | 1 |\n"), [vec![1, 3]]);
    }

    #[test]
    fn many_backtick_runs_stay_linear() {
        let line: String = (1..2000).map(|n| "`".repeat(n) + "|").collect();
        let row = split_row(&line).unwrap();
        assert_eq!(row.cells.len(), 1999);
        assert!(!row.ambiguous);
    }
}
