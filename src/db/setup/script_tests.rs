use super::*;

fn steps(text: &str) -> Vec<Step> {
    parse(text, "postgres").unwrap_or_else(|r| panic!("refused: {r:?}"))
}

fn refusal(text: &str) -> Refusal {
    parse(text, "postgres").expect_err("refused")
}

/// The statements' texts and lines, and for COPY its data, as the file holds them.
fn shown(text: &str) -> Vec<String> {
    steps(text)
        .into_iter()
        .map(|step| match step {
            Step::Sql { text: t, line } => format!("{line}: {}", &text[t]),
            Step::CopyIn {
                text: t,
                line,
                data,
                data_line,
                csv,
            } => format!(
                "{line}: {} | data at {data_line}{}: {:?}",
                &text[t],
                if csv { " (csv)" } else { "" },
                &text[data]
            ),
            Step::CopyOut { text: t, line } => format!("{line}: {} | out", &text[t]),
            Step::NewSession { line } => format!("{line}: new session"),
        })
        .collect()
}

const DUMP: &str = "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc123\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nCREATE FUNCTION public.f() RETURNS integer\n    LANGUAGE plpgsql\n    AS $$ begin return 1; end; $$;\n\nCOPY public.t (id, s) FROM stdin;\n1\ta\\tb;\\nc\n2\t\\N\n3\tit's; \"q\" \\\\ x\n\\.\n\n\nALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n\n\\unrestrict abc123\n";

#[test]
fn a_pg_dump_file_splits_into_its_statements_and_copy_data() {
    assert_eq!(
        shown(DUMP),
        [
            "7: SET statement_timeout = 0",
            "8: SELECT pg_catalog.set_config('search_path', '', false)",
            "10: CREATE FUNCTION public.f() RETURNS integer\n    LANGUAGE plpgsql\n    AS $$ begin return 1; end; $$",
            "14: COPY public.t (id, s) FROM stdin | data at 15: \"1\\ta\\\\tb;\\\\nc\\n2\\t\\\\N\\n3\\tit's; \\\"q\\\" \\\\\\\\ x\\n\"",
            "21: ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id)",
        ]
    );
}

#[test]
fn copy_data_is_kept_byte_for_byte_and_may_end_without_its_terminator() {
    // Carriage returns, a `\.` that is not alone on its line, and quotes stay data.
    let text = "COPY t FROM STDIN;\r\na\r\nx\\.y\r\n'\r\n\\.\r\nSELECT 1;";
    let found = steps(text);
    let Step::CopyIn { data, .. } = &found[0] else {
        panic!("{found:?}")
    };
    assert_eq!(&text[data.clone()], "a\r\nx\\.y\r\n'\r\n");
    assert!(matches!(found[1], Step::Sql { line: 6, .. }), "{found:?}");
    // psql ends the data at the end of the file when no `\.` comes.
    assert_eq!(
        shown("copy t from stdin; -- rows follow\n1\n2"),
        ["1: copy t from stdin | data at 2: \"1\\n2\""]
    );
    assert_eq!(
        shown("COPY t FROM stdin"),
        ["1: COPY t FROM stdin | data at 1: \"\""]
    );
}

#[test]
fn copy_directions_and_csv_are_recognised() {
    assert_eq!(
        shown(
            "COPY t (a) FROM stdin WITH (FORMAT csv);\n\"x\ny\"\n\\.\nCOPY (SELECT 'from stdin') TO STDOUT;\nCOPY t FROM '/tmp/file';"
        ),
        [
            "1: COPY t (a) FROM stdin WITH (FORMAT csv) | data at 2 (csv): \"\\\"x\\ny\\\"\\n\"",
            "5: COPY (SELECT 'from stdin') TO STDOUT | out",
            "6: COPY t FROM '/tmp/file'",
        ]
    );
    assert!(matches!(
        steps("copy t from stdin csv header;\n\\.\n")[0],
        Step::CopyIn { csv: true, .. }
    ));
}

#[test]
fn text_after_a_copy_statement_on_its_line_is_refused() {
    let r = refusal("\nCOPY t FROM stdin; SELECT 1;\n1\n\\.\n");
    assert_eq!((r.line, r.problem), (2, Problem::AfterCopy));
}

#[test]
fn dollar_quotes_e_strings_and_comments_hide_semicolons_and_backslashes() {
    let text = "DO $body$ BEGIN RAISE NOTICE ';'; END $body$;\nSELECT E'\\';\\\\', '\\' /* ; \\gexec */;\n-- \\set x\nSELECT 2";
    assert_eq!(
        shown(text),
        [
            "1: DO $body$ BEGIN RAISE NOTICE ';'; END $body$",
            "2: SELECT E'\\';\\\\', '\\' /* ; \\gexec */",
            "4: SELECT 2",
        ]
    );
}

#[test]
fn standard_conforming_strings_off_makes_backslashes_escape() {
    let text =
        "SET standard_conforming_strings = off;\nSELECT 'a\\';b';\nRESET ALL;\nSELECT 'a\\';\n";
    assert_eq!(
        shown(text),
        [
            "1: SET standard_conforming_strings = off",
            "2: SELECT 'a\\';b'",
            "3: RESET ALL",
            "4: SELECT 'a\\'",
        ]
    );
    // A new session starts with the default again.
    let text =
        "SET SESSION standard_conforming_strings TO 'off';\n\\connect postgres\nSELECT 'a\\';\n";
    assert_eq!(shown(text).last().unwrap(), "3: SELECT 'a\\'");
}

#[test]
fn meta_commands_other_than_pg_dumps_are_refused_with_their_line() {
    for (text, line, command) in [
        ("SELECT 1;\n\\set x 1\n", 2, "\\set"),
        ("\\i other.sql", 1, "\\i"),
        ("SELECT 1\n\\gexec\n", 2, "\\gexec"),
        ("SELECT 1 \\g", 1, "\\g"),
        ("\n\n\\if :x\n\\endif", 3, "\\if"),
        ("\\.\n", 1, "\\."),
    ] {
        let r = refusal(text);
        assert_eq!(
            (r.line, r.problem),
            (
                line,
                Problem::MetaCommand {
                    command: command.into()
                }
            ),
            "{text:?}"
        );
    }
}

#[test]
fn psql_variables_psql_would_substitute_are_refused() {
    let r = refusal("SELECT 1;\nALTER DATABASE :\"DBNAME\" SET work_mem = '8MB';");
    assert_eq!(
        (r.line, r.problem),
        (
            2,
            Problem::Variable {
                reference: ":\"DBNAME\"".into()
            }
        )
    );
    assert!(matches!(
        refusal("SELECT :'USER'").problem,
        Problem::Variable { .. }
    ));
    // Casts, array slices with other names, named arguments and quoted text are not variables.
    assert_eq!(
        steps("SELECT a::text, b[1:n], f(x := 1), ':USER', $$:DBNAME$$ FROM t").len(),
        1
    );
}

#[test]
fn restrict_and_unrestrict_are_checked_as_psql_checks_them() {
    assert_eq!(
        shown("\\restrict k1\nSELECT 1;\n\\unrestrict k1\n").len(),
        1
    );
    let r = refusal("\\restrict k1\nSELECT 1;\n\\set x\n");
    assert_eq!(
        (r.line, r.problem),
        (
            3,
            Problem::Restricted {
                command: "\\set".into(),
                since: 1
            }
        )
    );
    assert_eq!(
        refusal("\\restrict k1\n\\unrestrict k2\n").problem,
        Problem::WrongKey { since: 1 }
    );
    assert_eq!(refusal("\\unrestrict k1\n").problem, Problem::NotRestricted);
    assert_eq!(
        refusal("\\restrict\n").problem,
        Problem::NoKey {
            command: "\\restrict".into()
        }
    );
}

#[test]
fn connect_to_the_same_database_opens_a_new_session() {
    for text in [
        "\\connect postgres",
        "\\c postgres",
        "\\connect",
        "\\connect -",
        "\\connect -reuse-previous=on \"dbname='postgres'\"",
        "\\connect \"postgres\" - -",
    ] {
        assert_eq!(steps(text), [Step::NewSession { line: 1 }], "{text}");
    }
    // pg_dump --create, with its \unrestrict / \restrict around the \connect.
    let text = "\\restrict k\nCREATE DATABASE postgres;\n\\unrestrict k\n\\connect postgres\n\\restrict k\nSELECT 1;\n\\unrestrict k\n";
    assert_eq!(
        shown(text),
        [
            "2: CREATE DATABASE postgres",
            "4: new session",
            "6: SELECT 1"
        ]
    );
}

#[test]
fn connect_elsewhere_is_refused() {
    let r = refusal("SELECT 1;\n\\connect dvdrental\n");
    assert_eq!(
        (r.line, r.problem),
        (
            2,
            Problem::OtherDatabase {
                database: "dvdrental".into()
            }
        )
    );
    // psql does not fold the case of a \connect argument.
    assert!(matches!(
        refusal("\\c Postgres").problem,
        Problem::OtherDatabase { .. }
    ));
    assert_eq!(
        refusal("\\connect -reuse-previous=on \"dbname='my db'\"").problem,
        Problem::OtherDatabase {
            database: "my db".into()
        }
    );
    for text in [
        "\\c postgres alice",
        "\\c \"dbname=postgres user=alice\"",
        "\\c \"dbname=postgres password=secret\"",
        "\\c postgresql://other/postgres",
    ] {
        assert_eq!(refusal(text).problem, Problem::ConnectArguments, "{text}");
    }
    assert!(matches!(
        refusal("\\c :DBNAME").problem,
        Problem::MetaCommand { .. }
    ));
}

#[test]
fn copy_rows_map_to_file_lines() {
    assert_eq!(copy_row_line("a\nb\nc\n", 10, 3, false), 12);
    assert_eq!(copy_row_line("\"x\ny\"\nz\n", 10, 2, true), 12);
    assert_eq!(copy_row_line("a\n", 10, 1, true), 10);
}

#[test]
fn line_numbers_are_counted_across_a_long_file() {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!("INSERT INTO t VALUES ({i});\n"));
    }
    text.push_str("COPY t FROM stdin;\n1\n\\.\n\\set oops\n");
    assert_eq!(refusal(&text).line, 2004);
}
