//! `[[privilege]]`: what a role must be allowed to do on a table (SELECT, INSERT, …), a sequence
//! (USAGE, SELECT, UPDATE) or a schema (USAGE, CREATE), as PostgreSQL grants it. Privilege names are read case-insensitively and an
//! unknown one is refused here, with its position.

use serde::Deserialize;
use toml::Spanned;

use super::entry::{self, once, shown};
use super::unique::{At, Unique};
use super::{Settings, SuiteError};

/// The privileges a table takes (`has_table_privilege`; MAINTAIN from PostgreSQL 17).
pub const TABLE_PRIVILEGES: [&str; 8] = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "MAINTAIN",
];
/// The privileges a schema takes (`has_schema_privilege`).
pub const SCHEMA_PRIVILEGES: [&str; 2] = ["USAGE", "CREATE"];
/// The privileges a sequence takes (`has_sequence_privilege`): USAGE for nextval (what an
/// INSERT into a serial or identity column needs), SELECT for currval, UPDATE for setval.
pub const SEQUENCE_PRIVILEGES: [&str; 3] = ["USAGE", "SELECT", "UPDATE"];

/// What the privileges are on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PrivilegeObject {
    Table { schema: String, name: String },
    Sequence { schema: String, name: String },
    Schema { name: String },
}

impl PrivilegeObject {
    /// "table public.t" or "schema app".
    pub fn described(&self) -> String {
        match self {
            PrivilegeObject::Table { schema, name } => format!("table {}", shown(schema, name)),
            PrivilegeObject::Sequence { schema, name } => {
                format!("sequence {}", shown(schema, name))
            }
            PrivilegeObject::Schema { name } => format!("schema {name}"),
        }
    }
}

/// Privileges a role must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedPrivilege {
    pub role: String,
    pub object: PrivilegeObject,
    /// Upper case, each once, in the order written.
    pub privileges: Vec<String>,
    pub checklist: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrivilege {
    role: Spanned<String>,
    table: Option<Spanned<String>>,
    sequence: Option<Spanned<String>>,
    schema: Option<Spanned<String>>,
    privileges: Spanned<Vec<Spanned<String>>>,
    checklist: Option<String>,
}

/// Every `[[privilege]]`, each (role, object) listed once.
pub(super) fn privileges(
    raw: Vec<Spanned<RawPrivilege>>,
    settings: &Settings,
    text: &str,
    at: &At,
) -> Result<Vec<ExpectedPrivilege>, SuiteError> {
    let mut seen = Unique::new(text);
    let mut all = Vec::with_capacity(raw.len());
    for entry in raw {
        let offset = entry.get_ref().role.span().start;
        let expected = privilege(entry.into_inner(), settings, at)?;
        let key = (expected.role.clone(), expected.object.clone());
        let described = || {
            format!(
                "[[privilege]] for role {} on {}",
                expected.role,
                expected.object.described()
            )
        };
        once(&mut seen, key, offset, described, at)?;
        all.push(expected);
    }
    Ok(all)
}

fn privilege(
    raw: RawPrivilege,
    settings: &Settings,
    at: &At,
) -> Result<ExpectedPrivilege, SuiteError> {
    let offset = raw.role.span().start;
    let role = entry::non_empty(raw.role, "role of [[privilege]]", at)?;
    let what = format!("[[privilege]] for role {role}");
    let object = match (raw.table, raw.sequence, raw.schema) {
        (Some(_), Some(sequence), _) => {
            return Err(at(
                sequence.span().start,
                format!("{what} has both `table` and `sequence`; write one [[privilege]] for each"),
            ));
        }
        (Some(table), None, schema) => {
            let (schema, name) =
                entry::relation(("table", table), schema, &settings.schema, &what, at)?;
            PrivilegeObject::Table { schema, name }
        }
        (None, Some(sequence), schema) => {
            let (schema, name) =
                entry::relation(("sequence", sequence), schema, &settings.schema, &what, at)?;
            PrivilegeObject::Sequence { schema, name }
        }
        (None, None, Some(schema)) => PrivilegeObject::Schema {
            name: entry::non_empty(schema, &format!("schema of {what}"), at)?,
        },
        (None, None, None) => {
            return Err(at(
                offset,
                format!(
                    "{what} names no object; add `table = \"…\"` (table privileges), `sequence = \"…\"` (USAGE, SELECT, UPDATE on a sequence) or only `schema = \"…\"` (USAGE, CREATE on the schema)"
                ),
            ));
        }
    };
    let list_offset = raw.privileges.span().start;
    let written = raw.privileges.into_inner();
    if written.is_empty() {
        return Err(at(
            list_offset,
            format!("privileges of {what} is empty; list the privileges the role needs"),
        ));
    }
    let mut privileges: Vec<String> = Vec::with_capacity(written.len());
    for p in written {
        let name = known(p.get_ref(), &object).map_err(|m| at(p.span().start, m))?;
        if !privileges.contains(&name) {
            privileges.push(name);
        }
    }
    Ok(ExpectedPrivilege {
        role,
        object,
        privileges,
        checklist: raw.checklist,
    })
}

/// The privilege's standard name, upper case, when the object takes it.
fn known(written: &str, object: &PrivilegeObject) -> Result<String, String> {
    let name = written.trim().to_ascii_uppercase();
    let (accepted, kind): (&[&str], _) = match object {
        PrivilegeObject::Table { .. } => (&TABLE_PRIVILEGES, "table"),
        PrivilegeObject::Sequence { .. } => (&SEQUENCE_PRIVILEGES, "sequence"),
        PrivilegeObject::Schema { .. } => (&SCHEMA_PRIVILEGES, "schema"),
    };
    if accepted.contains(&name.as_str()) {
        return Ok(name);
    }
    let hint = if let PrivilegeObject::Table { .. } = object
        && name == "USAGE"
    {
        "USAGE is a privilege of a schema or a sequence: for the schema, write a [[privilege]] with only `schema = \"…\"`; for a serial or identity column's sequence, `sequence = \"…\"` (e.g. \"t_id_seq\")".to_string()
    } else if let PrivilegeObject::Table { .. } = object
        && SCHEMA_PRIVILEGES.contains(&name.as_str())
    {
        format!(
            "{name} is a schema privilege: for the schema, write a [[privilege]] with only `schema = \"…\"`"
        )
    } else if !matches!(object, PrivilegeObject::Table { .. })
        && TABLE_PRIVILEGES.contains(&name.as_str())
    {
        format!("{name} is a table privilege: write `table = \"…\"` for a table's privileges")
    } else {
        format!("`{}` is not a privilege PostgreSQL knows", written.trim())
    };
    Err(format!("{hint}; a {kind} takes {}", or_list(accepted)))
}

/// "A, B or C".
fn or_list(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::PrivilegeObject;

    use super::super::testing::{err, parse};

    #[test]
    fn privileges_are_read_case_insensitively_on_tables_and_schemas() {
        let suite = parse(
            "[[privilege]]\nrole = \"app\"\ntable = \"prediction_history\"\nprivileges = [\"select\", \"Insert\", \"UPDATE\", \"select\"]\nchecklist = \"grants\"\n\n[[privilege]]\nrole = \"app\"\nschema = \"audit\"\nprivileges = [\"usage\"]\n",
        )
        .unwrap();
        let p = &suite.privileges[0];
        assert_eq!(p.privileges, ["SELECT", "INSERT", "UPDATE"]);
        assert_eq!(
            p.object,
            PrivilegeObject::Table {
                schema: "public".into(),
                name: "prediction_history".into()
            }
        );
        assert_eq!(p.checklist.as_deref(), Some("grants"));
        let p = &suite.privileges[1];
        assert_eq!(
            p.object,
            PrivilegeObject::Schema {
                name: "audit".into()
            }
        );
        assert_eq!(p.privileges, ["USAGE"]);
    }

    #[test]
    fn an_unknown_privilege_is_refused_at_its_position() {
        let e = err(
            "[[privilege]]\nrole = \"app\"\ntable = \"t\"\nprivileges = [\"SELECT\", \"SELCT\"]\n",
        );
        assert_eq!(
            e,
            "suite/pgvet.toml:4:25: `SELCT` is not a privilege PostgreSQL knows; a table takes SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER or MAINTAIN"
        );
        let e = err("[[privilege]]\nrole = \"app\"\ntable = \"t\"\nprivileges = [\"usage\"]\n");
        assert!(e.contains(":4:15: USAGE is a privilege of a schema or a sequence: for the schema, write a [[privilege]] with only `schema = \"…\"`; for a serial or identity column's sequence, `sequence = \"…\"`"), "{e}");
        let e = err("[[privilege]]\nrole = \"app\"\ntable = \"t\"\nprivileges = [\"create\"]\n");
        assert!(e.contains(":4:15: CREATE is a schema privilege"), "{e}");
        let e = err("[[privilege]]\nrole = \"app\"\nschema = \"s\"\nprivileges = [\"select\"]\n");
        assert!(e.contains("SELECT is a table privilege: write `table = \"…\"` for a table's privileges; a schema takes USAGE or CREATE"), "{e}");
        let e = err(
            "[[privilege]]\nrole = \"app\"\nsequence = \"t_id_seq\"\nprivileges = [\"usage\", \"insert\"]\n",
        );
        assert!(e.contains("INSERT is a table privilege: write `table = \"…\"` for a table's privileges; a sequence takes USAGE, SELECT or UPDATE"), "{e}");
        let e = err(
            "[[privilege]]\nrole = \"app\"\ntable = \"t\"\nsequence = \"t_id_seq\"\nprivileges = [\"usage\"]\n",
        );
        assert!(e.contains("has both `table` and `sequence`"), "{e}");
        let e = err("[[privilege]]\nrole = \"app\"\nprivileges = [\"select\"]\n");
        assert!(
            e.starts_with("suite/pgvet.toml:2:8: [[privilege]] for role app names no object"),
            "{e}"
        );
        let e = err("[[privilege]]\nrole = \"app\"\ntable = \"t\"\nprivileges = []\n");
        assert!(
            e.contains(":4:14: privileges of [[privilege]] for role app is empty"),
            "{e}"
        );
        let e = err("[[privilege]]\nrole = \"app\"\ntable = \"t\"\nprivileges = \"SELECT\"\n");
        assert!(e.starts_with("suite/pgvet.toml:4:14: invalid type"), "{e}");
    }

    #[test]
    fn a_role_and_object_listed_twice_is_refused_at_the_second() {
        let one = "[[privilege]]\nrole = \"app\"\ntable = \"t\"\nprivileges = [\"SELECT\"]\n";
        let e = err(&format!("{one}{one}"));
        assert_eq!(
            e,
            "suite/pgvet.toml:6:8: [[privilege]] for role app on table public.t is listed twice (first on line 2); list each once"
        );
        let schema =
            "[[privilege]]\nrole = \"app\"\nschema = \"public\"\nprivileges = [\"USAGE\"]\n";
        assert!(parse(&format!("{one}{schema}")).is_ok());
    }
}
