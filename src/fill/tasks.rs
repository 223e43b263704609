//! Ticks a checklist's task items (`- [ ] …`) that the run verified, and only those:
//! - an item whose every backticked name is a table or an index the run checked and passed
//!   (`- [ ] \`prediction_history\``), matched by name or `schema.name`;
//! - an item that suite entries claim with `checklist = "…"` (its text after the box, matched
//!   exactly, else ignoring case, runs of white space and a trailing colon), when every entry
//!   claiming it passed.
//!
//! An item both names objects and is claimed needs both. A box that stays empty because an entry
//! failed is reported with the entries and why; so is a claim that no item reads. Items in code
//! fences and HTML comments, boxes already ticked and every other byte stay as they were. Pure:
//! text and the run's entries in, text and findings out.

use std::ops::Range;

use serde::Serialize;

use super::markdown::{self, Line};
use super::row::loose;
use crate::report::model::{Report, Status};

/// A table or index the run checked, by the name a checklist would write in backticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// How messages name the entry, e.g. `[[index]] "idx_a" on public.t`.
    pub entry: String,
    pub schema: String,
    pub name: String,
    /// Why it did not pass; None when it passed.
    pub failure: Option<String>,
}

/// A suite entry's `checklist = "…"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub item: String,
    pub entry: String,
    pub failure: Option<String>,
}

/// The document with the verified items ticked, and what was and was not ticked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ticks {
    pub document: String,
    pub ticked: Vec<Ticked>,
    pub left: Vec<Left>,
    /// Claims (`checklist = "…"`) that no unticked or ticked item of the document reads.
    pub claims_not_found: Vec<Claim>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticked {
    pub line: usize,
    pub item: String,
    /// The entries that verified it.
    pub by: Vec<String>,
}

/// An item left empty although the run knows something of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Left {
    pub line: usize,
    pub item: String,
    /// Each reason, e.g. `[[table]] public.t failed: missing`.
    pub reasons: Vec<String>,
}

/// One task item: where its box's blank is, and its text.
struct Task {
    /// The byte range of the space between `[` and `]`, in the document.
    blank: Option<Range<usize>>,
    /// The text after the box.
    text: Range<usize>,
}

/// A list item with a task box: `- [ ] text`, `* [x] text`, `1. [ ] text`, nested or quoted.
fn task(line: &Line<'_>) -> Option<Task> {
    let text = line.text;
    let mut at = text.len() - text.trim_start().len();
    let rest = &text[at..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let marker = if digits > 0 {
        rest[digits..]
            .starts_with(['.', ')'])
            .then_some(digits + 1)?
    } else {
        rest.starts_with(['-', '*', '+']).then_some(1)?
    };
    at += marker;
    let spaces = text[at..].bytes().take_while(|b| *b == b' ').count();
    if spaces == 0 {
        return None;
    }
    at += spaces;
    let state = text[at..].strip_prefix('[')?.as_bytes();
    let (mark, close) = (*state.first()?, *state.get(1)?);
    if close != b']' || !matches!(mark, b' ' | b'x' | b'X') {
        return None;
    }
    let after = at + 3;
    if !(text[after..].is_empty() || text[after..].starts_with([' ', '\t'])) {
        return None;
    }
    let start = line.start;
    Some(Task {
        blank: (mark == b' ').then_some(start + at + 1..start + at + 2),
        text: start + after..start + text.len(),
    })
}

/// The item's text as claims compare it: trimmed, without a trailing colon.
fn claim_key(text: &str) -> &str {
    let text = text.trim();
    text.strip_suffix(':').unwrap_or(text).trim_end()
}

/// The backticked names in an item's text.
fn names(text: &str) -> Vec<&str> {
    markdown::code_spans(text.as_bytes())
        .into_iter()
        .map(|span| text[span].trim_matches('`').trim())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Ticks every task item of `document` that `checked` objects and `claims` verify.
pub fn tick(document: &str, checked: &[Checked], claims: &[Claim]) -> Ticks {
    let lines = markdown::lines(document);
    let prose = markdown::prose(&lines);
    let mut claimed = vec![false; claims.len()];
    let mut ticks = Ticks::default();
    let mut edits = Vec::new();
    for (line, _) in lines.iter().zip(prose).filter(|(_, prose)| *prose) {
        let Some(task) = task(line) else { continue };
        let item = &document[task.text.clone()];
        let key = claim_key(item);
        let mut by = Vec::new();
        let mut reasons = Vec::new();
        for (n, claim) in claims.iter().enumerate() {
            let item = claim_key(&claim.item);
            if item == key || (!key.is_empty() && loose(item) == loose(key)) {
                claimed[n] = true;
                verdict(&claim.entry, &claim.failure, &mut by, &mut reasons);
            }
        }
        let mut unknown = Vec::new();
        for name in names(item) {
            let matching: Vec<&Checked> = checked.iter().filter(|c| names_it(c, name)).collect();
            if matching.is_empty() {
                unknown.push(name);
            }
            for c in matching {
                verdict(&c.entry, &c.failure, &mut by, &mut reasons);
            }
        }
        if by.is_empty() && reasons.is_empty() {
            continue;
        }
        for name in unknown {
            reasons.push(format!("`{name}` is not a table or index the run checked"));
        }
        let item = item.trim().to_string();
        match (task.blank, reasons.is_empty()) {
            (None, _) => {}
            (Some(blank), true) => {
                edits.push(blank);
                ticks.ticked.push(Ticked {
                    line: line.number,
                    item,
                    by,
                });
            }
            (Some(_), false) => ticks.left.push(Left {
                line: line.number,
                item,
                reasons,
            }),
        }
    }
    ticks.claims_not_found = claims
        .iter()
        .zip(claimed)
        .filter(|(_, found)| !found)
        .map(|(claim, _)| claim.clone())
        .collect();
    ticks.document = apply(document, &edits);
    ticks
}

fn names_it(checked: &Checked, name: &str) -> bool {
    checked.name == name
        || name
            .split_once('.')
            .is_some_and(|(schema, rest)| schema == checked.schema && rest == checked.name)
}

fn verdict(entry: &str, failure: &Option<String>, by: &mut Vec<String>, reasons: &mut Vec<String>) {
    match failure {
        None => by.push(entry.to_string()),
        Some(why) => reasons.push(format!("{entry} did not pass: {why}")),
    }
}

/// The tables and indexes a saved run checked, and its entries' claims (`checklist`): of
/// every index, table, foreign key, grant, query and `[[metric]]`.
pub fn of_report(report: &Report) -> (Vec<Checked>, Vec<Claim>) {
    let failure = |status: Status, message: &Option<String>| {
        (status != Status::Pass).then(|| match message {
            Some(message) => message.clone(),
            None => format!("{status:?}").to_lowercase(),
        })
    };
    // (entry, schema, name, why it did not pass, why its claim did not, its checklist item): a
    // table whose `analyzed` was not judged passes as a name but claims nothing for it.
    let indexes = report.indexes.iter().map(|i| {
        let entry = format!("[[index]] \"{}\" on {}.{}", i.name, i.schema, i.table);
        let failed = failure(i.status, &i.message);
        (
            entry,
            &i.schema,
            &i.name,
            failed.clone(),
            failed,
            &i.checklist,
        )
    });
    let tables = report.tables.iter().map(|t| {
        let entry = format!("[[table]] {}.{}", t.schema, t.name);
        let failed = failure(t.status, &t.message);
        let claim_failed = failed.clone().or_else(|| t.statistics_not_judged.clone());
        (
            entry,
            &t.schema,
            &t.name,
            failed,
            claim_failed,
            &t.checklist,
        )
    });
    let objects: Vec<_> = indexes.chain(tables).collect();
    let checked = objects
        .iter()
        .map(|(entry, schema, name, failure, _, _)| Checked {
            entry: entry.clone(),
            schema: schema.to_string(),
            name: name.to_string(),
            failure: failure.clone(),
        })
        .collect();
    let objects = objects
        .into_iter()
        .map(|(entry, _, _, _, claim_failed, c)| (entry, claim_failed, c));
    let keys = report.foreign_keys.iter().map(|k| {
        let entry = format!(
            "[[foreign_key]] {}.{} ({})",
            k.schema,
            k.table,
            k.columns.join(", ")
        );
        (entry, failure(k.status, &k.message), &k.checklist)
    });
    let grants = report.privileges.iter().map(|p| {
        let entry = format!("[[privilege]] {} on {}", p.role, p.object_described());
        (entry, failure(p.status, &p.message), &p.checklist)
    });
    let queries = report.queries.iter().map(|q| {
        let message = q.error.clone().or_else(|| q.problems.first().cloned());
        let entry = format!("[[query]] \"{}\"", q.name);
        (entry, failure(q.status, &message), &q.checklist)
    });
    // A query's time row carries the query's own claim: only [[metric]] rows add theirs.
    let metrics = report
        .metrics
        .iter()
        .filter(|m| m.query.is_none())
        .map(|m| {
            let missed = m.status == Some(crate::report::model::MetricStatus::Missed);
            let why = m
                .error
                .clone()
                .or_else(|| missed.then(|| "missed its target".to_string()));
            (format!("[[metric]] \"{}\"", m.label), why, &m.checklist)
        });
    let claims = objects
        .chain(keys)
        .chain(grants)
        .chain(queries)
        .chain(metrics)
        .filter_map(|(entry, failure, item)| {
            let item = item.clone()?;
            Some(Claim {
                item,
                entry,
                failure,
            })
        })
        .collect();
    (checked, claims)
}

/// The document with an `x` in each blank.
fn apply(document: &str, blanks: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(document.len());
    let mut at = 0;
    for blank in blanks {
        out.push_str(&document[at..blank.start]);
        out.push('x');
        at = blank.end;
    }
    out.push_str(&document[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(name: &str, failure: Option<&str>) -> Checked {
        Checked {
            entry: format!("[[table]] public.{name}"),
            schema: "public".into(),
            name: name.into(),
            failure: failure.map(str::to_string),
        }
    }

    fn claim(item: &str, entry: &str, failure: Option<&str>) -> Claim {
        Claim {
            item: item.into(),
            entry: entry.into(),
            failure: failure.map(str::to_string),
        }
    }

    #[test]
    fn items_naming_passed_tables_are_ticked_and_nothing_else_changes() {
        let document = "- [ ] New tables created:\r\n  - [ ] `models`\r\n  - [ ] `public.history`\r\n\
            \t* [ ] `missing_one`\r\n  - [ ] `DATABASE_URL` - connection\r\n1. [ ] `models` and `x`\r\n";
        let checked = [
            object("models", None),
            object("history", None),
            object("missing_one", Some("missing")),
        ];
        let ticks = tick(document, &checked, &[]);
        assert_eq!(
            ticks.document,
            "- [ ] New tables created:\r\n  - [x] `models`\r\n  - [x] `public.history`\r\n\
             \t* [ ] `missing_one`\r\n  - [ ] `DATABASE_URL` - connection\r\n1. [ ] `models` and `x`\r\n"
        );
        let lines: Vec<usize> = ticks.ticked.iter().map(|t| t.line).collect();
        assert_eq!(lines, [2, 3]);
        assert_eq!(ticks.ticked[0].by, ["[[table]] public.models"]);
        assert_eq!(
            ticks.left,
            [
                Left {
                    line: 4,
                    item: "`missing_one`".into(),
                    reasons: vec!["[[table]] public.missing_one did not pass: missing".into()],
                },
                Left {
                    line: 6,
                    item: "`models` and `x`".into(),
                    reasons: vec!["`x` is not a table or index the run checked".into()],
                },
            ]
        );
    }

    #[test]
    fn a_claimed_item_is_ticked_when_every_claim_passed() {
        let document = "- [ ] Foreign key constraints validated\n- [ ] database user permissions   configured:\n\
            - [x] Update database statistics\n";
        let claims = [
            claim(
                "Foreign key constraints validated",
                "[[foreign_key]] a",
                None,
            ),
            claim(
                "Foreign key constraints validated",
                "[[foreign_key]] b",
                None,
            ),
            claim(
                "Database user permissions configured",
                "[[privilege]] app",
                Some("privilege_missing: INSERT"),
            ),
            claim("Update database statistics", "[[table]] t", None),
            claim("Rollback tested", "[[query]] q", None),
        ];
        let ticks = tick(document, &[], &claims);
        assert_eq!(
            ticks.document,
            "- [x] Foreign key constraints validated\n- [ ] database user permissions   configured:\n\
             - [x] Update database statistics\n"
        );
        assert_eq!(ticks.ticked.len(), 1);
        assert_eq!(
            ticks.ticked[0].by,
            ["[[foreign_key]] a", "[[foreign_key]] b"]
        );
        assert_eq!(
            ticks.left[0].reasons,
            ["[[privilege]] app did not pass: privilege_missing: INSERT"]
        );
        let not_found: Vec<&str> = ticks
            .claims_not_found
            .iter()
            .map(|c| c.item.as_str())
            .collect();
        assert_eq!(not_found, ["Rollback tested"]);
    }

    #[test]
    fn one_failing_claim_of_several_leaves_the_box_empty() {
        let document = "- [ ] Indexes optimized\n";
        let claims = [
            claim("Indexes optimized", "[[index]] \"a\"", None),
            claim("Indexes optimized", "[[index]] \"b\"", Some("invalid")),
        ];
        let ticks = tick(document, &[], &claims);
        assert_eq!(ticks.document, document);
        assert!(ticks.ticked.is_empty());
        assert_eq!(
            ticks.left[0].reasons,
            ["[[index]] \"b\" did not pass: invalid"]
        );
    }

    #[test]
    fn a_run_s_tables_are_checked_objects_and_its_entries_claims_are_read() {
        let report = crate::report::samples::contract();
        let (checked, claims) = of_report(&report);
        let tables: Vec<(&str, bool)> = checked
            .iter()
            .filter(|c| c.entry.starts_with("[[table]]"))
            .map(|c| (c.name.as_str(), c.failure.is_none()))
            .collect();
        assert_eq!(
            tables,
            [("prediction_history", false), ("model_backup", true)]
        );
        let claimed: Vec<(&str, &str, bool)> = claims
            .iter()
            .map(|c| (c.item.as_str(), c.entry.as_str(), c.failure.is_none()))
            .collect();
        assert_eq!(
            claimed,
            [
                (
                    "3.1 history table",
                    "[[table]] public.prediction_history",
                    false
                ),
                (
                    "3.2 foreign key",
                    "[[foreign_key]] public.prediction_history (model_id)",
                    false
                ),
            ]
        );
        let ticks = tick(
            "- [ ] `model_backup`\n- [ ] 3.1 history table\n",
            &checked,
            &claims,
        );
        assert_eq!(
            ticks.document,
            "- [x] `model_backup`\n- [ ] 3.1 history table\n"
        );
        assert!(ticks.left[0].reasons[0].starts_with("[[table]] public.prediction_history did not pass: table public.prediction_history: column created_at is missing"));
    }

    #[test]
    fn fences_comments_and_non_tasks_are_left_alone() {
        let document = "```\n- [ ] `models`\n```\n<!--\n- [ ] `models`\n-->\n-[ ] `models`\n- [ ]`models`\n\
            - [y] `models`\n    - [ ] `models`\n> - [ ] `models`\n";
        let ticks = tick(document, &[object("models", None)], &[]);
        assert_eq!(
            ticks.document,
            "```\n- [ ] `models`\n```\n<!--\n- [ ] `models`\n-->\n-[ ] `models`\n- [ ]`models`\n\
             - [y] `models`\n    - [x] `models`\n> - [ ] `models`\n"
        );
    }

    #[test]
    fn text_without_names_or_claims_is_byte_for_byte_the_same() {
        let document = "Café ☕\n- [ ] Backup current production database\n- [ ]\n";
        let ticks = tick(document, &[object("models", None)], &[]);
        assert_eq!(ticks.document, document);
        assert_eq!(
            ticks,
            Ticks {
                document: document.into(),
                ..Ticks::default()
            }
        );
    }
}
