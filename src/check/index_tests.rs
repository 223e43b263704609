//! The index verdicts on catalog rows as `db::catalog` reads them: problems, their messages,
//! and the hints of a missing index.

use super::*;

fn expected(columns: Option<&[&str]>) -> ExpectedIndex {
    ExpectedIndex {
        name: "ix_metric_config_epoch_step".into(),
        table: "training_metric".into(),
        schema: "public".into(),
        columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
        unique: false,
        predicate: None,
        method: None,
        include: None,
        absent: false,
        checklist: None,
    }
}

fn found(columns: &[&str]) -> FoundIndex {
    FoundIndex {
        table: "training_metric".into(),
        valid: true,
        ready: true,
        unique: false,
        method: "btree".into(),
        unattached_partitions: None,
        columns: columns.iter().map(|s| s.to_string()).collect(),
        include: Vec::new(),
        predicate: None,
        definition: "CREATE INDEX …".into(),
    }
}

fn predicate(pretty: &str, parenthesised: &str) -> Option<Predicate> {
    Some(Predicate {
        pretty: pretty.into(),
        parenthesised: parenthesised.into(),
    })
}

#[test]
fn a_predicate_compares_in_either_printing_without_outer_parentheses() {
    let actual = predicate(
        "status = 'active'::text AND score > 0",
        "((status = 'active'::text) AND (score > 0))",
    );
    for written in [
        "status = 'active'::text AND score > 0",
        "(status='active'::text AND score>0)",
        "((status = 'active'::text) AND (score > 0))",
    ] {
        assert!(predicate_matches(written, actual.as_ref()), "{written}");
    }
    for written in [
        "status = 'active' AND score > 0",
        "score > 0 AND status = 'active'::text",
        "status = 'active'::text",
    ] {
        assert!(!predicate_matches(written, actual.as_ref()), "{written}");
    }
    assert!(!predicate_matches("a > 1", None));
    // A cast's type with or without its schema, whichever the printing session's path gives.
    let enum_cast = predicate(
        "status = 'paid'::order_status",
        "(status = 'paid'::order_status)",
    );
    assert!(predicate_matches(
        "status = 'paid'::shop.order_status",
        enum_cast.as_ref()
    ));
    assert!(predicate_matches(
        "status = 'paid'::\"Shop\".order_status",
        enum_cast.as_ref()
    ));
    assert!(!predicate_matches(
        "status = 'paid'::shop.other_status",
        enum_cast.as_ref()
    ));
    let quoted = predicate("note = 'a::b.c'::text", "(note = 'a::b.c'::text)");
    assert!(
        !predicate_matches("note = 'a::c'::text", quoted.as_ref()),
        "not inside strings"
    );
    // Outer parentheses come off only when they enclose the whole.
    assert_eq!(unwrap_parentheses("((a > 1))"), "a > 1");
    assert_eq!(
        unwrap_parentheses("(a > 1) OR (b > 1)"),
        "(a > 1) OR (b > 1)"
    );
    assert_eq!(unwrap_parentheses("(a = ')(')"), "a = ')('");
    assert_eq!(
        unwrap_parentheses("(a = ')') OR (b = '(')"),
        "(a = ')') OR (b = '(')"
    );
    assert_eq!(unwrap_parentheses("(\"x)\" > 1)"), "\"x)\" > 1");
}

#[test]
fn where_method_and_include_differences_show_expected_and_actual() {
    let mut e = expected(Some(&["config_id"]));
    e.predicate = Some("epoch > 0".into());
    e.method = Some("gin".into());
    e.include = Some(vec!["step".into(), "epoch".into()]);
    let mut f = found(&["config_id"]);
    f.include = vec!["epoch".into(), "step".into()];
    let r = judge(&e, Some(&f), Some(&[]));
    assert_eq!(
        r.problems,
        vec![
            IndexProblem::PredicateDiffers,
            IndexProblem::MethodDiffers,
            IndexProblem::IncludeDiffers
        ]
    );
    assert_eq!(
        r.message.as_deref(),
        Some(
            "expected WHERE epoch > 0, actual no WHERE (not a partial index); expected method gin, actual btree; expected INCLUDE (step, epoch), actual (epoch, step)"
        )
    );
    f.predicate = predicate("epoch > 1", "(epoch > 1)");
    f.method = "gin".into();
    f.include = vec![];
    let r = judge(&e, Some(&f), Some(&[]));
    assert_eq!(
        r.message.as_deref(),
        Some(
            "expected WHERE epoch > 0, actual WHERE epoch > 1; expected INCLUDE (step, epoch), actual none"
        )
    );
    // Matching: the method in any case, the include columns as written.
    f.predicate = predicate("epoch > 0", "(epoch > 0)");
    f.include = vec!["step".into(), "\"epoch\"".into()];
    e.method = Some("GIN".into());
    let r = judge(&e, Some(&f), Some(&[]));
    assert_eq!((r.status, r.message), (Status::Pass, None));
    // `include = []`: none expected.
    e.include = Some(vec![]);
    let r = judge(&e, Some(&f), Some(&[]));
    assert_eq!(r.problems, vec![IndexProblem::IncludeDiffers]);
    assert!(
        r.message
            .unwrap()
            .contains("expected INCLUDE none, actual (step, \"epoch\")")
    );
    // Not asked: not checked.
    let r = judge(&expected(None), Some(&f), Some(&[]));
    assert_eq!(r.status, Status::Pass);
}

#[test]
fn a_matching_index_passes() {
    let r = judge(
        &expected(Some(&["config_id", "epoch", "step"])),
        Some(&found(&["config_id", "epoch", "step"])),
        Some(&[]),
    );
    assert_eq!((r.status, r.problem, r.message), (Status::Pass, None, None));
}

#[test]
fn missing_and_present() {
    let r = judge(&expected(None), None, Some(&[]));
    assert_eq!(
        (r.status, r.problem),
        (Status::Fail, Some(IndexProblem::Missing))
    );
    let mut absent = expected(None);
    absent.absent = true;
    assert_eq!(judge(&absent, None, Some(&[])).status, Status::Pass);
    assert_eq!(
        judge(&absent, Some(&found(&["a"])), Some(&[])).problem,
        Some(IndexProblem::Present)
    );
}

#[test]
fn columns_in_another_order_differ_and_show_both() {
    let r = judge(
        &expected(Some(&["config_id", "epoch", "step"])),
        Some(&found(&["epoch", "config_id", "step"])),
        Some(&[]),
    );
    assert_eq!(r.problem, Some(IndexProblem::ColumnsDiffer));
    let msg = r.message.unwrap();
    assert!(
        msg.contains("expected columns (config_id, epoch, step), actual (epoch, config_id, step)"),
        "{msg}"
    );
}

#[test]
fn quoted_names_and_expression_spacing_compare_equal() {
    assert!(columns_match(
        &["Timestamp".into()],
        &["\"Timestamp\"".into()]
    ));
    assert!(columns_match(
        &["lower( (email)::text )".into()],
        &["lower((email)::text)".into()]
    ));
    assert!(!columns_match(
        &["lower(email)".into()],
        &["lower((email)::text)".into()]
    ));
    assert!(!columns_match(&["a".into()], &["a".into(), "b".into()]));
}

#[test]
fn invalid_not_unique_and_wrong_table_are_all_named() {
    let mut e = expected(None);
    e.unique = true;
    let mut f = found(&["config_id"]);
    f.valid = false;
    f.table = "training_config".into();
    let r = judge(&e, Some(&f), Some(&[]));
    assert_eq!(r.problem, Some(IndexProblem::WrongTable));
    assert_eq!(
        r.problems,
        vec![
            IndexProblem::WrongTable,
            IndexProblem::Invalid,
            IndexProblem::NotUnique
        ]
    );
    assert!(
        r.message
            .unwrap()
            .contains("invalid (indisvalid = false, indisready = true")
    );
}

fn on_table(indexes: &[(&str, &[&str])]) -> Vec<TableIndex> {
    indexes
        .iter()
        .map(|(name, columns)| TableIndex {
            name: name.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        })
        .collect()
}

#[test]
fn a_missing_index_names_the_closest_names_on_its_table() {
    let table = on_table(&[
        ("ix_metric_config_epoch_stp", &["config_id"]),
        ("ix_training_metric_epoch", &["epoch"]),
        ("training_metric_pkey", &["id"]),
    ]);
    let r = judge(&expected(None), None, Some(&table));
    assert_eq!(r.closest_names, ["ix_metric_config_epoch_stp"]);
    assert_eq!(
        r.message.as_deref(),
        Some(
            "no index public.ix_metric_config_epoch_step exists; did you mean ix_metric_config_epoch_stp? It is the closest name on public.training_metric"
        )
    );
    // Case alone: named, with why it did not match.
    let table = on_table(&[("IX_Metric_Config_Epoch_Step", &["a"])]);
    let r = judge(&expected(None), None, Some(&table));
    assert!(
        r.message
            .unwrap()
            .ends_with("(names compare exactly; PostgreSQL folds unquoted names to lower case)")
    );
    // Nothing close: the table's indexes are listed instead, or their absence said.
    let table = on_table(&[("ix_a", &["a"]), ("ix_b", &["b"])]);
    let r = judge(&expected(None), None, Some(&table));
    assert!(r.closest_names.is_empty());
    assert!(
        r.message.unwrap().ends_with(
            "; none of the indexes on public.training_metric has a close name: ix_a, ix_b"
        )
    );
    let r = judge(&expected(None), None, Some(&[]));
    assert!(
        r.message
            .unwrap()
            .ends_with("; public.training_metric has no index")
    );
    let r = judge(&expected(None), None, None);
    assert!(r.message.unwrap().ends_with(
        ", and no table public.training_metric exists either (check `table` and `schema`)"
    ));
}

#[test]
fn an_index_with_the_expected_columns_under_another_name_is_named() {
    let table = on_table(&[
        ("ix_ces", &["config_id", "epoch", "step"]),
        ("ix_other", &["config_id", "step", "epoch"]),
    ]);
    let columns = ["config_id", "epoch", "step"];
    let r = judge(&expected(Some(&columns)), None, Some(&table));
    assert_eq!(r.same_columns_index.as_deref(), Some("ix_ces"));
    assert_eq!(
        r.message.as_deref(),
        Some(
            "no index public.ix_metric_config_epoch_step exists; ix_ces on public.training_metric has the expected columns: the index exists under another name (rename it, ALTER INDEX public.ix_ces RENAME TO ix_metric_config_epoch_step, or write its name in the suite)"
        )
    );
    // Also when the index of that name has other columns.
    let r = judge(
        &expected(Some(&columns)),
        Some(&found(&["epoch", "config_id", "step"])),
        Some(&table),
    );
    assert_eq!(r.problem, Some(IndexProblem::ColumnsDiffer));
    assert!(
        r.message
            .unwrap()
            .ends_with("; ix_ces on the same table has the expected columns")
    );
    // An absent index has no columns to look for.
    let mut absent = expected(None);
    absent.absent = true;
    assert_eq!(judge(&absent, None, Some(&table)).same_columns_index, None);
}

#[test]
fn closeness_is_a_typo_s_reach() {
    let names = |wanted: &str, names: &[&str]| {
        let table: Vec<TableIndex> = names
            .iter()
            .map(|n| TableIndex {
                name: n.to_string(),
                columns: vec![],
            })
            .collect();
        closest_names(wanted, &table)
    };
    assert_eq!(
        names("ix_ab", &["ix_ba", "ix_abc", "ix_xyz"]),
        ["ix_abc", "ix_ba"]
    );
    assert!(names("ix_training_metric_epoch", &["ix_training_metric_step"]).is_empty());
    assert_eq!(
        names(
            "ix_training_metric_timestmp",
            &["ix_training_metric_timestamp"]
        ),
        ["ix_training_metric_timestamp"]
    );
    assert_eq!(sql_name("ix_a1"), "ix_a1");
    assert_eq!(sql_name("Ix \"q\""), "\"Ix \"\"q\"\"\"");
}
