//! The foreign key verdicts on catalog rows as `db::contract` reads them: each problem, its
//! message, and which indexes cover a key.

use super::*;

fn expected() -> ExpectedForeignKey {
    ExpectedForeignKey {
        schema: "public".into(),
        table: "prediction_history".into(),
        columns: vec!["model_id".into()],
        references: Some(("public".into(), "predictive_models".into())),
        ref_columns: None,
        name: None,
        indexed: true,
        validated: true,
        checklist: None,
    }
}

fn key(name: &str, columns: &[&str], references: &str) -> FoundForeignKey {
    FoundForeignKey {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        ref_schema: "public".into(),
        ref_table: references.into(),
        ref_columns: vec!["id".into()],
        validated: true,
    }
}

fn index(name: &str, columns: &[Option<&str>], unusable: Option<&str>) -> KeyIndex {
    KeyIndex {
        name: name.into(),
        columns: columns.iter().map(|c| c.map(String::from)).collect(),
        unusable: unusable.map(String::from),
    }
}

fn keys(foreign_keys: Vec<FoundForeignKey>, indexes: Vec<KeyIndex>) -> TableKeys {
    TableKeys {
        foreign_keys,
        indexes,
    }
}

#[test]
fn a_validated_indexed_key_passes() {
    let t = keys(
        vec![key("fk_model", &["model_id"], "predictive_models")],
        vec![index(
            "ix_model",
            &[Some("model_id"), Some("predicted_at")],
            None,
        )],
    );
    let r = judge(&expected(), Some(&t));
    assert_eq!((r.status, r.message.as_deref()), (Status::Pass, None));
    assert_eq!(r.actual_name.as_deref(), Some("fk_model"));
    assert_eq!(r.covering_index.as_deref(), Some("ix_model"));
}

#[test]
fn missing_table_and_missing_key() {
    let r = judge(&expected(), None);
    assert_eq!(r.problem, Some(ForeignKeyProblem::Missing));
    assert!(
        r.message
            .unwrap()
            .starts_with("no table public.prediction_history exists")
    );
    let t = keys(vec![key("fk_other", &["other_id"], "other")], vec![]);
    let mut e = expected();
    e.indexed = false;
    let r = judge(&e, Some(&t));
    assert_eq!(r.problems, [ForeignKeyProblem::Missing]);
    assert_eq!(
        r.message.as_deref(),
        Some(
            "no foreign key on public.prediction_history (model_id) exists; the foreign keys of public.prediction_history: fk_other on (other_id)"
        )
    );
    e.name = Some("fk_other".into());
    assert!(
        judge(&e, Some(&t))
            .message
            .unwrap()
            .ends_with("; fk_other on public.prediction_history is on (other_id) instead")
    );
}

#[test]
fn a_key_to_another_table_or_columns_is_a_wrong_reference() {
    let t = keys(
        vec![key("fk_model", &["model_id"], "models_old")],
        vec![index("ix", &[Some("model_id")], None)],
    );
    let r = judge(&expected(), Some(&t));
    assert_eq!(r.problems, [ForeignKeyProblem::WrongReference]);
    assert_eq!(
        r.message.as_deref(),
        Some(
            "the foreign key fk_model on public.prediction_history (model_id) references public.models_old (id), expected public.predictive_models"
        )
    );
    assert_eq!(r.actual_references.as_deref(), Some("public.models_old"));
    let mut e = expected();
    e.ref_columns = Some(vec!["model_key".into()]);
    let t = keys(
        vec![key("fk_model", &["model_id"], "predictive_models")],
        vec![index("ix", &[Some("model_id")], None)],
    );
    assert_eq!(
        judge(&e, Some(&t)).problems,
        [ForeignKeyProblem::WrongReference]
    );
    // Of two keys on the columns, the one that matches is taken.
    let t = keys(
        vec![
            key("fk_a", &["model_id"], "models_old"),
            key("fk_b", &["model_id"], "predictive_models"),
        ],
        vec![index("ix", &[Some("model_id")], None)],
    );
    assert_eq!(judge(&expected(), Some(&t)).status, Status::Pass);
}

#[test]
fn another_name_and_not_valid_are_named() {
    let mut found = key(
        "prediction_history_model_id_fkey",
        &["model_id"],
        "predictive_models",
    );
    found.validated = false;
    let t = keys(vec![found], vec![index("ix", &[Some("model_id")], None)]);
    let mut e = expected();
    e.name = Some("fk_model".into());
    let r = judge(&e, Some(&t));
    assert_eq!(
        r.problems,
        [
            ForeignKeyProblem::WrongName,
            ForeignKeyProblem::NotValidated
        ]
    );
    let message = r.message.unwrap();
    assert!(message.contains("is named prediction_history_model_id_fkey, expected fk_model (ALTER TABLE public.prediction_history RENAME CONSTRAINT prediction_history_model_id_fkey TO fk_model)"), "{message}");
    assert!(message.contains("is NOT VALID: the rows from before it was added were never checked (ALTER TABLE public.prediction_history VALIDATE CONSTRAINT prediction_history_model_id_fkey)"), "{message}");
    assert_eq!(r.validated, Some(false));
    // validated = false: the key may be NOT VALID (validated by a later migration).
    e.validated = false;
    let r = judge(&e, Some(&t));
    assert_eq!(r.problems, [ForeignKeyProblem::WrongName]);
}

#[test]
fn the_leading_columns_of_a_usable_index_cover_the_key_in_any_order() {
    let mut e = expected();
    e.columns = vec!["a".into(), "b".into()];
    let found = || vec![key("fk", &["a", "b"], "predictive_models")];
    let covered = |indexes: Vec<KeyIndex>| judge(&e, Some(&keys(found(), indexes))).covering_index;
    assert_eq!(
        covered(vec![index(
            "ix_bac",
            &[Some("b"), Some("a"), Some("c")],
            None
        )])
        .as_deref(),
        Some("ix_bac")
    );
    assert_eq!(
        covered(vec![index(
            "ix_acb",
            &[Some("a"), Some("c"), Some("b")],
            None
        )]),
        None
    );
    assert_eq!(covered(vec![index("ix_a", &[Some("a")], None)]), None);
    assert_eq!(
        covered(vec![index("ix_expr", &[None, Some("a"), Some("b")], None)]),
        None
    );
    let r = judge(
        &e,
        Some(&keys(
            found(),
            vec![index("ix_ab", &[Some("a"), Some("b")], Some("invalid"))],
        )),
    );
    assert_eq!(r.problems, [ForeignKeyProblem::NotIndexed]);
    assert_eq!(
        r.message.as_deref(),
        Some(
            "no valid index on public.prediction_history leads with (a, b): each DELETE, or key UPDATE, on public.predictive_models reads the whole table to find the rows that reference it (CREATE INDEX ON public.prediction_history (a, b), or indexed = false); ix_ab (invalid) would, but cannot serve the key's lookups"
        )
    );
    e.indexed = false;
    assert_eq!(judge(&e, Some(&keys(found(), vec![]))).status, Status::Pass);
}
