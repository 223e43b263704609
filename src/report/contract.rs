//! The schema-contract results (tables, foreign keys, grants) as every output format shows
//! them: one section per kind, one entry per check with its subject in words, status, problem
//! names and message. The formats lay these out; none of them reads the result types itself.

use super::model::{ForeignKeyResult, PrivilegeResult, Report, Status, Summary, TableResult};

/// A kind of contract check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tables,
    ForeignKeys,
    Privileges,
}

impl Kind {
    /// The section's heading: "Tables".
    pub fn title(self) -> &'static str {
        match self {
            Kind::Tables => "Tables",
            Kind::ForeignKeys => "Foreign keys",
            Kind::Privileges => "Grants",
        }
    }

    /// The heading of the column that names the subject: "Table".
    pub fn column(self) -> &'static str {
        match self {
            Kind::Tables => "Table",
            Kind::ForeignKeys => "Foreign key",
            Kind::Privileges => "Grant",
        }
    }

    /// The noun for one and for several: ("table", "tables").
    pub fn nouns(self) -> (&'static str, &'static str) {
        match self {
            Kind::Tables => ("table", "tables"),
            Kind::ForeignKeys => ("foreign key", "foreign keys"),
            Kind::Privileges => ("grant", "grants"),
        }
    }

    /// The name the JSON report gives the list: "foreign_keys" (JUnit's classname too).
    pub fn key(self) -> &'static str {
        match self {
            Kind::Tables => "tables",
            Kind::ForeignKeys => "foreign_keys",
            Kind::Privileges => "privileges",
        }
    }

    /// (total, failed, errored) as the summary counts them.
    pub fn counts(self, s: &Summary) -> (usize, usize, usize) {
        match self {
            Kind::Tables => (s.tables_total, s.tables_failed, s.tables_errored),
            Kind::ForeignKeys => (
                s.foreign_keys_total,
                s.foreign_keys_failed,
                s.foreign_keys_errored,
            ),
            Kind::Privileges => (
                s.privileges_total,
                s.privileges_failed,
                s.privileges_errored,
            ),
        }
    }
}

/// Every kind, in report order.
pub const KINDS: [Kind; 3] = [Kind::Tables, Kind::ForeignKeys, Kind::Privileges];

/// One check as the formats show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// What was checked, in words: "public.t", "public.t (a) → public.u", "app: SELECT on table public.t".
    pub subject: String,
    pub status: Status,
    /// The problems as the JSON names them: "missing", "not_indexed".
    pub problems: Vec<String>,
    pub message: Option<String>,
    /// For a passing check that deserves a word: "absent, as expected".
    pub note: Option<&'static str>,
    /// What the catalog showed, a line each (JUnit's system-out).
    pub details: Vec<String>,
}

/// A kind with its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub kind: Kind,
    pub entries: Vec<Entry>,
}

/// The kinds the report has checks of, each with its entries.
pub fn sections(report: &Report) -> Vec<Section> {
    let all = [
        (Kind::Tables, report.tables.iter().map(table).collect()),
        (
            Kind::ForeignKeys,
            report.foreign_keys.iter().map(foreign_key).collect(),
        ),
        (
            Kind::Privileges,
            report.privileges.iter().map(privilege).collect(),
        ),
    ];
    all.into_iter()
        .filter(|(_, entries): &(Kind, Vec<Entry>)| !entries.is_empty())
        .map(|(kind, entries)| Section { kind, entries })
        .collect()
}

/// The problems as the JSON report names them (snake_case).
fn names<P: serde::Serialize>(problems: &[P]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let name = serde_json::to_value(p).expect("a unit variant serialises");
            name.as_str().unwrap_or_default().to_string()
        })
        .collect()
}

fn checklist(item: &Option<String>) -> Option<String> {
    item.as_ref().map(|c| format!("checklist: {c}"))
}

fn table(t: &TableResult) -> Entry {
    let mut details: Vec<String> = checklist(&t.checklist).into_iter().collect();
    if let Some(s) = &t.statistics {
        let when = s.last_analyzed.as_deref().unwrap_or("never");
        details.push(format!(
            "statistics: last analyzed {when}, {} rows changed since (stale after {})",
            s.modified_since_analyze, s.stale_after
        ));
    }
    Entry {
        subject: format!("{}.{}", t.schema, t.name),
        status: t.status,
        problems: names(&t.problems),
        message: t.message.clone(),
        note: match (
            &t.statistics_not_judged,
            t.absent && t.status == Status::Pass,
        ) {
            (_, true) => Some("absent, as expected"),
            (Some(_), false) => Some(crate::check::table::STATISTICS_BY_PGVET),
            (None, false) => None,
        },
        details,
    }
}

fn foreign_key(k: &ForeignKeyResult) -> Entry {
    let mut subject = format!("{}.{} ({})", k.schema, k.table, k.columns.join(", "));
    if let Some(references) = &k.references {
        subject.push_str(&format!(" → {references}"));
        if let Some(columns) = &k.ref_columns {
            subject.push_str(&format!(" ({})", columns.join(", ")));
        }
    }
    let mut details: Vec<String> = checklist(&k.checklist).into_iter().collect();
    if let Some(name) = &k.actual_name {
        details.push(format!("constraint: {name}"));
    }
    if let Some(index) = &k.covering_index {
        details.push(format!("index: {index}"));
    }
    Entry {
        subject,
        status: k.status,
        problems: names(&k.problems),
        message: k.message.clone(),
        note: None,
        details,
    }
}

fn privilege(p: &PrivilegeResult) -> Entry {
    let mut details: Vec<String> = checklist(&p.checklist).into_iter().collect();
    if !p.missing_privileges.is_empty() {
        details.push(format!("missing: {}", p.missing_privileges.join(", ")));
    }
    Entry {
        subject: format!(
            "{}: {} on {}",
            p.role,
            p.privileges.join(", "),
            p.object_described()
        ),
        status: p.status,
        problems: names(&p.problems),
        message: p.message.clone(),
        note: None,
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    #[test]
    fn each_kind_is_a_section_with_its_subjects_in_words() {
        let report = samples::contract();
        let sections = sections(&report);
        let kinds: Vec<Kind> = sections.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, KINDS);
        let subjects: Vec<Vec<&str>> = sections
            .iter()
            .map(|s| s.entries.iter().map(|e| e.subject.as_str()).collect())
            .collect();
        assert_eq!(
            subjects,
            [
                vec!["public.prediction_history", "public.model_backup"],
                vec!["public.prediction_history (model_id) → public.predictive_models"],
                vec![
                    "app: SELECT, INSERT, UPDATE on table public.prediction_history",
                    "app: USAGE on schema public"
                ],
            ]
        );
        let failed = &sections[0].entries[0];
        assert_eq!(failed.problems, ["columns_differ", "statistics_stale"]);
        assert_eq!(sections[0].entries[1].note, Some("absent, as expected"));
        assert!(
            sections[1].entries[0]
                .details
                .contains(&"checklist: 3.2 foreign key".to_string())
        );
        assert!(super::sections(&samples::after()).is_empty());
    }
}
