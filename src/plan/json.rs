//! A small pull reader that turns JSON text into a flat stream of events without recursion.
//!
//! EXPLAIN output nests two JSON levels per plan node, so a deep plan (or a hostile one)
//! would exhaust serde_json's recursion limit or the thread's stack. This reader keeps the
//! open containers on a heap `Vec`, so nesting depth is bounded only by memory. It checks
//! the JSON grammar as it goes; decoding of escaped strings and of numbers is delegated to
//! serde_json, which does not recurse for scalars.

use std::borrow::Cow;

use super::PlanError;

/// One step through a JSON document, in document order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Event<'a> {
    BeginObject,
    EndObject,
    BeginArray,
    EndArray,
    /// An object member's name; the member's value is the next event.
    Key(Cow<'a, str>),
    Value(Scalar<'a>),
}

/// A JSON value that is not a container.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar<'a> {
    Str(Cow<'a, str>),
    Number(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Container {
    Object,
    Array,
}

/// What the grammar allows next.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Value,
    ValueOrArrayEnd,
    KeyOrObjectEnd,
    Key,
    CommaOrEnd,
    EndOfInput,
}

/// Pull reader over one JSON document; call [`JsonReader::next_event`] until it yields `None`.
pub(super) struct JsonReader<'a> {
    text: &'a str,
    pos: usize,
    open: Vec<Container>,
    expect: Expect,
}

impl<'a> JsonReader<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        JsonReader {
            text,
            pos: 0,
            open: Vec::new(),
            expect: Expect::Value,
        }
    }

    /// The next event, `Ok(None)` once the document is complete, or a syntax error.
    pub(super) fn next_event(&mut self) -> Result<Option<Event<'a>>, PlanError> {
        loop {
            self.skip_whitespace();
            let next = self.peek();
            match (self.expect, next) {
                (Expect::EndOfInput, None) => return Ok(None),
                (Expect::EndOfInput, Some(_)) => {
                    return Err(self.error("unexpected text after the end of the JSON document"));
                }
                (_, None) => return Err(self.error("unexpected end of input")),
                (Expect::KeyOrObjectEnd, Some(b'}')) | (Expect::ValueOrArrayEnd, Some(b']')) => {
                    return self.close().map(Some);
                }
                (Expect::KeyOrObjectEnd | Expect::Key, Some(_)) => return self.key().map(Some),
                (Expect::Value | Expect::ValueOrArrayEnd, Some(_)) => {
                    return self.value().map(Some);
                }
                (Expect::CommaOrEnd, Some(b',')) => {
                    self.pos += 1;
                    self.expect = match self.open.last() {
                        Some(Container::Object) => Expect::Key,
                        _ => Expect::Value,
                    };
                }
                (Expect::CommaOrEnd, Some(b'}' | b']')) => return self.close().map(Some),
                (Expect::CommaOrEnd, Some(_)) => {
                    return Err(self.error("expected ',' or the end of the object or array"));
                }
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Closes the innermost container at `}` or `]`, checking that the bracket matches.
    fn close(&mut self) -> Result<Event<'a>, PlanError> {
        let (expected, event) = match self.peek() {
            Some(b'}') => (Container::Object, Event::EndObject),
            _ => (Container::Array, Event::EndArray),
        };
        if self.open.last() != Some(&expected) {
            return Err(self.error("closing bracket does not match the open object or array"));
        }
        self.open.pop();
        self.pos += 1;
        self.value_done();
        Ok(event)
    }

    fn value_done(&mut self) {
        self.expect = if self.open.is_empty() {
            Expect::EndOfInput
        } else {
            Expect::CommaOrEnd
        };
    }

    fn key(&mut self) -> Result<Event<'a>, PlanError> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a quoted member name"));
        }
        let name = self.string()?;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return Err(self.error("expected ':' after the member name"));
        }
        self.pos += 1;
        self.expect = Expect::Value;
        Ok(Event::Key(name))
    }

    fn value(&mut self) -> Result<Event<'a>, PlanError> {
        let scalar = match self.peek() {
            Some(b'{') => return Ok(self.open(Container::Object)),
            Some(b'[') => return Ok(self.open(Container::Array)),
            Some(b'"') => Scalar::Str(self.string()?),
            Some(b'-' | b'0'..=b'9') => Scalar::Number(self.number()?),
            _ => self.literal()?,
        };
        self.value_done();
        Ok(Event::Value(scalar))
    }

    /// Opens an object or array at its `{` or `[`.
    fn open(&mut self, container: Container) -> Event<'a> {
        self.pos += 1;
        self.open.push(container);
        match container {
            Container::Object => {
                self.expect = Expect::KeyOrObjectEnd;
                Event::BeginObject
            }
            Container::Array => {
                self.expect = Expect::ValueOrArrayEnd;
                Event::BeginArray
            }
        }
    }

    /// Reads a string starting at its opening quote; borrows it when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, PlanError> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut end = start + 1;
        let mut escaped = false;
        loop {
            match bytes.get(end) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    end += 2;
                }
                Some(&byte) if byte < 0x20 => {
                    self.pos = end;
                    return Err(self.error("control character inside a string"));
                }
                Some(_) => end += 1,
            }
        }
        let quoted = &self.text[start..=end];
        let decoded = if escaped {
            let owned: String = serde_json::from_str(quoted)
                .map_err(|e| self.error(&format!("invalid string escape ({e})")))?;
            Cow::Owned(owned)
        } else {
            Cow::Borrowed(&self.text[start + 1..end])
        };
        self.pos = end + 1;
        Ok(decoded)
    }

    fn number(&mut self) -> Result<f64, PlanError> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut end = start;
        while matches!(
            bytes.get(end),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            end += 1;
        }
        let number: f64 = serde_json::from_str(&self.text[start..end])
            .map_err(|_| self.error("invalid number"))?;
        self.pos = end;
        Ok(number)
    }

    fn literal(&mut self) -> Result<Scalar<'a>, PlanError> {
        let rest = &self.text[self.pos..];
        let (scalar, len) = if rest.starts_with("true") {
            (Scalar::Bool(true), 4)
        } else if rest.starts_with("false") {
            (Scalar::Bool(false), 5)
        } else if rest.starts_with("null") {
            (Scalar::Null, 4)
        } else {
            return Err(self.error("expected a JSON value"));
        };
        self.pos += len;
        Ok(scalar)
    }

    /// A syntax error at the current position, with a 1-based line and column.
    fn error(&self, reason: &str) -> PlanError {
        let before = &self.text.as_bytes()[..self.pos.min(self.text.len())];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = 1 + String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count();
        PlanError::Syntax {
            line,
            column,
            reason: reason.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Result<Vec<Event<'_>>, PlanError> {
        let mut reader = JsonReader::new(text);
        let mut out = Vec::new();
        while let Some(event) = reader.next_event()? {
            out.push(event);
        }
        Ok(out)
    }

    fn syntax_error(text: &str) -> (usize, usize, String) {
        match events(text) {
            Err(PlanError::Syntax {
                line,
                column,
                reason,
            }) => (line, column, reason),
            other => panic!("expected a syntax error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn reads_nested_document_in_order() {
        let got = events(r#" [ {"a": 1.5, "b": [true, null], "c": {}}, "x" ] "#).unwrap();
        let want = vec![
            Event::BeginArray,
            Event::BeginObject,
            Event::Key("a".into()),
            Event::Value(Scalar::Number(1.5)),
            Event::Key("b".into()),
            Event::BeginArray,
            Event::Value(Scalar::Bool(true)),
            Event::Value(Scalar::Null),
            Event::EndArray,
            Event::Key("c".into()),
            Event::BeginObject,
            Event::EndObject,
            Event::EndObject,
            Event::Value(Scalar::Str("x".into())),
            Event::EndArray,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn decodes_escapes_and_numbers() {
        let got =
            events(r#"["a\"b\\c\u00e9\n", -0.25e2, 0, 18446744073709551616, false]"#).unwrap();
        assert_eq!(got[1], Event::Value(Scalar::Str("a\"b\\c\u{e9}\n".into())));
        assert_eq!(got[2], Event::Value(Scalar::Number(-25.0)));
        assert_eq!(got[3], Event::Value(Scalar::Number(0.0)));
        assert_eq!(got[4], Event::Value(Scalar::Number(18446744073709551616.0)));
        assert_eq!(got[5], Event::Value(Scalar::Bool(false)));
    }

    #[test]
    fn keeps_non_ascii_text_intact() {
        let got = events(r#"{"Alias": "métrique_😀"}"#).unwrap();
        assert_eq!(got[2], Event::Value(Scalar::Str("métrique_😀".into())));
    }

    #[test]
    fn rejects_malformed_documents_with_a_position() {
        assert_eq!(syntax_error("").2, "unexpected end of input");
        assert_eq!(syntax_error("[1,]").2, "expected a JSON value");
        assert_eq!(
            syntax_error("[1 2]").2,
            "expected ',' or the end of the object or array"
        );
        assert_eq!(
            syntax_error("{\"a\" 1}").2,
            "expected ':' after the member name"
        );
        assert_eq!(syntax_error("{1: 2}").2, "expected a quoted member name");
        assert_eq!(
            syntax_error("[1}").2,
            "closing bracket does not match the open object or array"
        );
        assert_eq!(syntax_error("[\"abc").2, "unterminated string");
        assert_eq!(
            syntax_error("[\"a\tb\"]").2,
            "control character inside a string"
        );
        assert!(
            syntax_error(r#"["\q"]"#)
                .2
                .starts_with("invalid string escape")
        );
        assert_eq!(syntax_error("[01]").2, "invalid number");
        assert_eq!(syntax_error("[tru]").2, "expected a JSON value");
        assert_eq!(
            syntax_error("[] []").2,
            "unexpected text after the end of the JSON document"
        );
        assert_eq!(syntax_error("QUERY PLAN\n---").2, "expected a JSON value");
        let (line, column, _) = syntax_error("[\n  {\"a\": nul}\n]");
        assert_eq!((line, column), (2, 9));
    }

    #[test]
    fn unclosed_deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(200_000);
        assert_eq!(syntax_error(&text).2, "unexpected end of input");
    }
}
