//! Privilege checks: the role exists, the table or schema exists, and the role holds every
//! expected privilege on it as PostgreSQL decides it (`has_table_privilege`,
//! `has_schema_privilege`): through ownership, a grant to the role, to a role it inherits from,
//! or to PUBLIC; a superuser holds them all.

use crate::check::contract::{and_list, sql_name, sql_relation, verdict};
use crate::db::contract::FoundPrivileges;
use crate::report::model::{PrivilegeObjectKind, PrivilegeProblem, PrivilegeResult, Status};
use crate::suite::{ExpectedPrivilege, PrivilegeObject};

/// Judges one expected entry against the server's answers.
pub fn judge(expected: &ExpectedPrivilege, found: &FoundPrivileges) -> PrivilegeResult {
    let mut result = empty(expected, Status::Pass, None);
    let object = expected.object.described();
    let mut problems = Vec::new();
    if !found.role_exists {
        problems.push((
            PrivilegeProblem::RoleMissing,
            format!(
                "no role {} exists (create it, or check `role`)",
                expected.role
            ),
        ));
    }
    if !found.object_exists {
        problems.push((PrivilegeProblem::Missing, format!("no {object} exists")));
    }
    if problems.is_empty() {
        let held = |p: &String| {
            found
                .held
                .iter()
                .find(|(name, _)| name == p)
                .and_then(|(_, held)| *held)
        };
        let missing: Vec<String> = expected
            .privileges
            .iter()
            .filter(|p| held(p) != Some(true))
            .cloned()
            .collect();
        if !missing.is_empty() {
            problems.push((
                PrivilegeProblem::PrivilegeMissing,
                lacking(expected, &missing, found),
            ));
        }
        result.missing_privileges = missing;
    }
    let v = verdict(problems);
    (
        result.status,
        result.problem,
        result.problems,
        result.message,
    ) = (v.status, v.problem, v.problems, v.message);
    result
}

/// A privilege check that could not be made: the catalog query failed or never ran.
pub fn error(expected: &ExpectedPrivilege, message: String) -> PrivilegeResult {
    empty(expected, Status::Error, Some(message))
}

fn empty(expected: &ExpectedPrivilege, status: Status, message: Option<String>) -> PrivilegeResult {
    let (object, schema, table) = match &expected.object {
        PrivilegeObject::Table { schema, name } => (
            PrivilegeObjectKind::Table,
            schema.clone(),
            Some(name.clone()),
        ),
        PrivilegeObject::Sequence { schema, name } => (
            PrivilegeObjectKind::Sequence,
            schema.clone(),
            Some(name.clone()),
        ),
        PrivilegeObject::Schema { name } => (PrivilegeObjectKind::Schema, name.clone(), None),
    };
    PrivilegeResult {
        role: expected.role.clone(),
        object,
        schema,
        table,
        privileges: expected.privileges.clone(),
        missing_privileges: Vec::new(),
        status,
        problem: None,
        problems: Vec::new(),
        message,
        checklist: expected.checklist.clone(),
    }
}

/// "role app lacks INSERT and UPDATE on table public.t (GRANT INSERT, UPDATE ON TABLE public.t TO app)".
fn lacking(expected: &ExpectedPrivilege, missing: &[String], found: &FoundPrivileges) -> String {
    let target = match &expected.object {
        PrivilegeObject::Table { schema, name } => format!("TABLE {}", sql_relation(schema, name)),
        PrivilegeObject::Sequence { schema, name } => {
            format!("SEQUENCE {}", sql_relation(schema, name))
        }
        PrivilegeObject::Schema { name } => format!("SCHEMA {}", sql_name(name)),
    };
    let grantee = match expected.role.eq_ignore_ascii_case("public") {
        true => "PUBLIC".to_string(),
        false => sql_name(&expected.role),
    };
    let (unknown, grantable): (Vec<&String>, Vec<&String>) = missing
        .iter()
        .partition(|p| found.held.iter().any(|(n, held)| n == *p && held.is_none()));
    let grant = match grantable.is_empty() {
        true => String::new(),
        false => {
            let names: Vec<&str> = grantable.iter().map(|p| p.as_str()).collect();
            format!(" (GRANT {} ON {target} TO {grantee})", names.join(", "))
        }
    };
    let mut message = format!(
        "role {} lacks {} on {}{grant}",
        expected.role,
        and_list(missing),
        expected.object.described(),
    );
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(|p| p.as_str()).collect();
        message.push_str(&format!(
            "; this server has no {} privilege (PostgreSQL 17 and later have MAINTAIN)",
            names.join(", ")
        ));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(object: PrivilegeObject, privileges: &[&str]) -> ExpectedPrivilege {
        ExpectedPrivilege {
            role: "app".into(),
            object,
            privileges: privileges.iter().map(|p| p.to_string()).collect(),
            checklist: None,
        }
    }

    fn table() -> PrivilegeObject {
        PrivilegeObject::Table {
            schema: "public".into(),
            name: "prediction_history".into(),
        }
    }

    fn found(held: &[(&str, Option<bool>)]) -> FoundPrivileges {
        FoundPrivileges {
            role_exists: true,
            object_exists: true,
            held: held.iter().map(|(p, h)| (p.to_string(), *h)).collect(),
        }
    }

    #[test]
    fn every_privilege_held_passes() {
        let e = expected(table(), &["SELECT", "INSERT"]);
        let r = judge(
            &e,
            &found(&[("SELECT", Some(true)), ("INSERT", Some(true))]),
        );
        assert_eq!((r.status, r.problem, r.message), (Status::Pass, None, None));
        assert_eq!(
            (r.object, r.table.as_deref()),
            (PrivilegeObjectKind::Table, Some("prediction_history"))
        );
    }

    #[test]
    fn each_missing_privilege_is_named_with_the_grant_that_gives_it() {
        let e = expected(table(), &["SELECT", "INSERT", "UPDATE"]);
        let r = judge(
            &e,
            &found(&[
                ("SELECT", Some(true)),
                ("INSERT", Some(false)),
                ("UPDATE", Some(false)),
            ]),
        );
        assert_eq!(r.problems, [PrivilegeProblem::PrivilegeMissing]);
        assert_eq!(r.missing_privileges, ["INSERT", "UPDATE"]);
        assert_eq!(
            r.message.as_deref(),
            Some(
                "role app lacks INSERT and UPDATE on table public.prediction_history (GRANT INSERT, UPDATE ON TABLE public.prediction_history TO app)"
            )
        );
        let schema = expected(
            PrivilegeObject::Schema {
                name: "Audit".into(),
            },
            &["USAGE"],
        );
        let r = judge(&schema, &found(&[("USAGE", Some(false))]));
        assert_eq!(
            r.message.as_deref(),
            Some("role app lacks USAGE on schema Audit (GRANT USAGE ON SCHEMA \"Audit\" TO app)")
        );
        assert_eq!(
            (r.object, r.schema.as_str(), r.table),
            (PrivilegeObjectKind::Schema, "Audit", None)
        );
        let maintain = expected(table(), &["SELECT", "MAINTAIN"]);
        let r = judge(
            &maintain,
            &found(&[("SELECT", Some(false)), ("MAINTAIN", None)]),
        );
        assert_eq!(
            r.message.as_deref(),
            Some(
                "role app lacks SELECT and MAINTAIN on table public.prediction_history (GRANT SELECT ON TABLE public.prediction_history TO app); this server has no MAINTAIN privilege (PostgreSQL 17 and later have MAINTAIN)"
            )
        );
        let r = judge(
            &expected(table(), &["MAINTAIN"]),
            &found(&[("MAINTAIN", None)]),
        );
        assert_eq!(
            r.message.as_deref(),
            Some(
                "role app lacks MAINTAIN on table public.prediction_history; this server has no MAINTAIN privilege (PostgreSQL 17 and later have MAINTAIN)"
            )
        );
    }

    #[test]
    fn a_missing_role_or_object_is_said_before_privileges() {
        let e = expected(table(), &["SELECT"]);
        let mut f = found(&[("SELECT", None)]);
        f.role_exists = false;
        let r = judge(&e, &f);
        assert_eq!(r.problems, [PrivilegeProblem::RoleMissing]);
        assert_eq!(
            r.message.as_deref(),
            Some("no role app exists (create it, or check `role`)")
        );
        f.object_exists = false;
        let r = judge(&e, &f);
        assert_eq!(
            r.problems,
            [PrivilegeProblem::RoleMissing, PrivilegeProblem::Missing]
        );
        f.role_exists = true;
        let r = judge(&e, &f);
        assert_eq!(
            r.message.as_deref(),
            Some("no table public.prediction_history exists")
        );
        assert!(r.missing_privileges.is_empty());
    }
}
