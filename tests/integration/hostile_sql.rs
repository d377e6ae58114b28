//! Hostile text: a view's query is exactly one query (text holding a second statement is
//! refused when the definition is built, through every door), and the text pgview embeds in
//! dynamic SQL (the `DO` blocks of a view with comments or indexes, the comparison of `diff`,
//! the restore of dependent views from the catalog, the auto-refresh trigger functions) stays
//! text, with `standard_conforming_strings` on and off. Each test has a `victim` table that
//! must survive and a `junk` table that must never appear.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use pgview::{
    ddl::{Index, QualifiedName},
    diff::{DiffScope, ViewSet},
    Error, MaterializedView, PgView, View,
};

use crate::support::{conn, relkind};

/// A connection inside its test transaction, with a `victim` table, and
/// `standard_conforming_strings` as given.
fn conn_with_victim(standard_conforming_strings: bool) -> PgConnection {
    let mut conn = conn();
    let setting = if standard_conforming_strings {
        "on"
    } else {
        "off"
    };
    conn.batch_execute(&format!(
        "CREATE TABLE victim (x int); SET standard_conforming_strings = {setting}; \
         SET escape_string_warning = off"
    ))
    .unwrap();
    conn
}

fn assert_unharmed(conn: &mut PgConnection) {
    assert_eq!(relkind(conn, "public", "victim").as_deref(), Some("r"));
    assert_eq!(relkind(conn, "public", "junk"), None);
}

/// Texts that hold a second statement, and the start of what follows the first one.
const MULTI: &[(&str, &str)] = &[
    (
        "SELECT 1 AS a; DROP TABLE victim; CREATE TABLE junk AS SELECT 1",
        "DROP TABLE victim; …",
    ),
    ("SELECT 1 AS a;\nDROP TABLE victim", "DROP TABLE victim"),
    // The tag `$€$` is a dollar quote for the server.
    (
        "SELECT $€$x$€$ AS a; DROP TABLE victim",
        "DROP TABLE victim",
    ),
    // Nested comments: the `*/` of the inner one does not end the outer one.
    (
        "SELECT 1 AS a /* /* */ ; */; DROP TABLE victim -- ;",
        "DROP TABLE victim -- ;",
    ),
    // An escape string: `\'` is a quote inside it.
    (
        "SELECT E'\\';' AS a; DROP TABLE victim",
        "DROP TABLE victim",
    ),
    // With standard_conforming_strings off, `'a\'` does not end at its second quote.
    (
        "SELECT 'a\\' AS a, ';DROP TABLE victim;--' AS b",
        "DROP TABLE victim;",
    ),
];

#[test]
fn a_second_statement_is_refused_when_the_definition_is_built() {
    let conn = &mut conn_with_victim(true);
    for (sql, following) in MULTI {
        let error = MaterializedView::from_sql("m", sql).unwrap_err();
        assert!(
            matches!(&error, Error::MultipleStatements { following: f, .. } if f == following),
            "{sql}: {error:?}"
        );
        assert!(
            error.to_string().contains("more than one statement"),
            "{error}"
        );
        let error = View::from_sql("v", sql).unwrap_err();
        assert!(
            matches!(error, Error::MultipleStatements { .. }),
            "{sql}: {error:?}"
        );
        // A raw Diesel query is SQL text like any other.
        let error = View::new("v", diesel::sql_query(*sql)).unwrap_err();
        assert!(
            matches!(error, Error::MultipleStatements { .. }),
            "{sql}: {error:?}"
        );
    }
    let error = MaterializedView::from_sql("m", MULTI[0].0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the query of materialized view m holds more than one statement: \
         `DROP TABLE victim; …` follows the end of the first; a view's query is exactly one \
         SELECT, VALUES, WITH … SELECT or TABLE statement"
    );
    // Not a query at all.
    for sql in ["DROP TABLE victim", "", "-- nothing\n;", "SELECT 'open"] {
        let error = View::from_sql("v", sql).unwrap_err();
        assert!(
            matches!(error, Error::InvalidDefinition { .. }),
            "{sql}: {error:?}"
        );
    }
    assert_unharmed(conn);
}

/// Without the check, the issue's definitions ran their second statement: a `DO` block's
/// `EXECUTE` runs every statement of its string, and so does a session with
/// `standard_conforming_strings` off for the text that only splits so.
#[test]
fn the_refused_texts_would_have_run_their_second_statement() {
    let conn = &mut conn_with_victim(false);
    conn.batch_execute(
        "SAVEPOINT s; DO $$BEGIN EXECUTE 'CREATE MATERIALIZED VIEW m AS SELECT 1 AS a; \
         DROP TABLE victim; CREATE TABLE junk AS SELECT 1'; END$$;",
    )
    .unwrap();
    assert_eq!(relkind(conn, "public", "victim"), None);
    conn.batch_execute("ROLLBACK TO SAVEPOINT s").unwrap();
    conn.batch_execute(&format!("SAVEPOINT s; CREATE VIEW v AS {}", MULTI[5].0))
        .unwrap();
    assert_eq!(relkind(conn, "public", "victim"), None);
    conn.batch_execute("ROLLBACK TO SAVEPOINT s").unwrap();
    assert_unharmed(conn);
}

#[derive(PgView, Queryable, Debug)]
#[pgview(
    name = "hostile_derived",
    materialized,
    unique_index(a),
    comment = "c",
    sql = "SELECT 1 AS a; DROP TABLE victim; CREATE TABLE junk AS SELECT 1"
)]
#[allow(dead_code, reason = "never loaded: its definition is refused")]
struct HostileDerived {
    a: i32,
}

#[test]
fn a_derived_definition_with_a_second_statement_is_refused() {
    let conn = &mut conn_with_victim(true);
    let error = HostileDerived::definition().unwrap_err();
    assert!(
        matches!(&error, Error::MultipleStatements { name, .. } if name == "hostile_derived"),
        "{error:?}"
    );
    assert!(HostileDerived::create().is_err());
    assert_unharmed(conn);
}

/// Comments, names and strings that look like SQL: as text in every block.
const HOSTILE: &[&str] = &[
    "'; DROP TABLE victim; --",
    "$pgview$; DROP TABLE victim; --",
    "$pgview$ END $pgview$; DROP TABLE victim; --",
    "\\'; DROP TABLE victim; --",
    "\\",
    "*/ DROP TABLE victim; /*",
    "$€$; DROP TABLE victim; $€$",
    "\"; DROP TABLE victim; --",
];

/// A query whose strings hold `text`: an escape string and a dollar-quoted one.
fn hostile_select(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('\'', "''");
    format!("SELECT E'{escaped}'::text AS a, $x${text}$x$::text AS b")
}

/// [`hostile_select`] followed by a block comment and a line comment holding `text`.
fn hostile_query(text: &str) -> String {
    format!(
        "{} /* {} */ -- {}\n",
        hostile_select(text),
        text.replace("*/", "* /").replace("/*", "/ *"),
        text.replace('\n', " ")
    )
}

fn comment_of(conn: &mut PgConnection, relation: &str) -> Option<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        comment: Option<String>,
    }
    diesel::sql_query("SELECT pg_catalog.obj_description($1::regclass, 'pg_class') AS comment")
        .bind::<Text, _>(relation)
        .get_result::<Row>(conn)
        .unwrap()
        .comment
}

#[test]
fn comments_names_and_strings_stay_text_in_do_blocks() {
    for standard in [true, false] {
        let conn = &mut conn_with_victim(standard);
        for (i, text) in HOSTILE.iter().enumerate() {
            let name = format!("v{i}{text}");
            let view = View::from_sql(&name, &hostile_query(text))
                .unwrap()
                .comment(text)
                .unwrap()
                .column_comment("a", text)
                .unwrap();
            view.create().execute(conn).unwrap();
            let quoted = view.name().to_string();
            assert_eq!(comment_of(conn, &quoted).as_deref(), Some(*text));
            let a = view.as_table().column::<Text, _>("a");
            let values: Vec<String> = view.as_table().select(a).load(conn).unwrap();
            assert_eq!(values, [*text]);

            let mv = MaterializedView::from_sql(&format!("m{i}{text}"), &hostile_query(text))
                .unwrap()
                .index(
                    Index::unique(["a"])
                        .unwrap()
                        .named(&format!("i{i}{text}"))
                        .unwrap(),
                )
                .unwrap()
                .storage_parameter("fillfactor", "70")
                .unwrap()
                .comment(text)
                .unwrap();
            mv.create().execute(conn).unwrap();
            mv.refresh().concurrently().execute(conn).unwrap();
            assert_eq!(
                comment_of(conn, &mv.name().to_string()).as_deref(),
                Some(*text)
            );
        }
        assert_unharmed(conn);
    }
}

#[test]
fn the_comparison_creates_hostile_definitions_as_text() {
    for standard in [true, false] {
        let conn = &mut conn_with_victim(standard);
        conn.batch_execute("CREATE SCHEMA hostile_diff").unwrap();
        let mut set = ViewSet::new();
        for (i, text) in HOSTILE.iter().enumerate() {
            // One live with another comment, one new.
            let live = View::from_sql(&format!("live{i}"), &hostile_query(text))
                .unwrap()
                .schema("hostile_diff")
                .unwrap();
            live.create().execute(conn).unwrap();
            set.add(live.comment(text).unwrap());
            set.add(
                MaterializedView::from_sql(&format!("new{i}{text}"), &hostile_query(text))
                    .unwrap()
                    .schema("hostile_diff")
                    .unwrap()
                    .index(Index::new(["b"]).unwrap())
                    .unwrap()
                    .comment(text)
                    .unwrap(),
            );
        }
        let scope = DiffScope::schemas(["hostile_diff"]).unwrap();
        let diff = pgview::diff::diff(conn, &set, &scope).unwrap();
        assert!(!diff.is_empty(), "{diff}");
        assert_unharmed(conn);
    }
}

#[test]
fn catalog_definitions_are_restored_as_text() {
    for standard in [true, false] {
        let conn = &mut conn_with_victim(standard);
        conn.batch_execute("CREATE TABLE hostile_base (id int)")
            .unwrap();
        for (i, text) in HOSTILE.iter().enumerate() {
            let view = View::from_sql(
                &format!("r{i}{text}"),
                &format!("{} FROM hostile_base", hostile_select(text)),
            )
            .unwrap()
            .comment(text)
            .unwrap();
            view.create().execute(conn).unwrap();
        }
        pgview::migration::with_dependent_views(conn, "hostile_base", |conn| {
            conn.batch_execute("ALTER TABLE hostile_base ALTER COLUMN id TYPE bigint")
                .map_err(Error::from)
        })
        .unwrap();
        for (i, text) in HOSTILE.iter().enumerate() {
            let name = QualifiedName::new(Some("public"), &format!("r{i}{text}")).unwrap();
            assert_eq!(comment_of(conn, &name.to_string()).as_deref(), Some(*text));
        }
        assert_unharmed(conn);
    }
}

#[test]
fn auto_refresh_trigger_functions_quote_hostile_names() {
    let conn = &mut conn_with_victim(true);
    for (i, text) in HOSTILE.iter().enumerate() {
        let table = QualifiedName::new(Some("public"), &format!("t{i}{text}")).unwrap();
        conn.batch_execute(&format!("CREATE TABLE {table} (a text)"))
            .unwrap();
        let mv =
            MaterializedView::from_sql(&format!("a{i}{text}"), &format!("SELECT a FROM {table}"))
                .unwrap();
        mv.create().execute(conn).unwrap();
        let info = pgview::refresh::install_auto_refresh(conn, mv.name()).unwrap();
        assert_eq!(info.tables.len(), 1);
        // The trigger fires (a notification is queued) without running anything else.
        conn.batch_execute(&format!("INSERT INTO {table} VALUES ('x')"))
            .unwrap();
        assert!(pgview::refresh::uninstall_auto_refresh(conn, mv.name()).unwrap());
    }
    assert_unharmed(conn);
}

/// A generated migration holds catalog definitions (the down direction restores the views as
/// they were): text the server made with `standard_conforming_strings` on is written so that
/// it reads the same when the migration runs with it off.
#[test]
fn migration_files_hold_catalog_text_that_reads_the_same_either_way() {
    let conn = &mut conn_with_victim(true);
    conn.batch_execute("CREATE SCHEMA hostile_mig").unwrap();
    let mut set = ViewSet::new();
    for (i, text) in HOSTILE.iter().enumerate() {
        let view = View::from_sql(&format!("w{i}"), &hostile_select(text))
            .unwrap()
            .schema("hostile_mig")
            .unwrap();
        view.create().execute(conn).unwrap();
        // Declared with another column: the down migration re-creates the live one.
        set.add(
            View::from_sql(&format!("w{i}"), "SELECT 1 AS other")
                .unwrap()
                .schema("hostile_mig")
                .unwrap(),
        );
    }
    // Printed extras and indexes are the server's text too: a view's column default, a
    // partial index's predicate.
    conn.batch_execute(
        "CREATE VIEW hostile_mig.wd AS SELECT 'x'::text AS a, 'x'::text AS b; \
         ALTER VIEW hostile_mig.wd ALTER COLUMN a SET DEFAULT E'\\\\'; \
         ALTER VIEW hostile_mig.wd ALTER COLUMN b SET DEFAULT '; DROP TABLE victim; --'; \
         CREATE MATERIALIZED VIEW hostile_mig.wm AS SELECT 'x'::text AS a; \
         CREATE INDEX wm_a ON hostile_mig.wm (a) \
           WHERE a <> E'\\\\' AND a <> '; DROP TABLE victim; --'",
    )
    .unwrap();
    set.add(
        View::from_sql("wd", "SELECT 'y'::text AS a, 'y'::text AS b")
            .unwrap()
            .schema("hostile_mig")
            .unwrap(),
    );
    set.add(
        MaterializedView::from_sql("wm", "SELECT 'y'::text AS a")
            .unwrap()
            .schema("hostile_mig")
            .unwrap(),
    );
    let scope = DiffScope::schemas(["hostile_mig"]).unwrap();
    let plan = pgview::diff::diff(conn, &set, &scope)
        .unwrap()
        .plan()
        .unwrap();
    let (up, down) = (plan.up_sql(), plan.down_sql());
    conn.batch_execute(&up).unwrap();
    conn.batch_execute("SET standard_conforming_strings = off")
        .unwrap();
    conn.batch_execute(&down).unwrap();
    conn.batch_execute("SET standard_conforming_strings = on")
        .unwrap();
    assert!(down.contains("E'\\\\'"), "{down}");
    assert_eq!(
        crate::support::count(
            conn,
            "SELECT count(*) AS n FROM pg_attrdef \
             WHERE adrelid = 'hostile_mig.wd'::regclass AND pg_get_expr(adbin, adrelid) \
             IN (E'\\'\\\\\\'::text', E'\\'; DROP TABLE victim; --\\'::text')"
        ),
        2
    );
    assert_eq!(
        crate::support::count(
            conn,
            "SELECT count(*) AS n FROM pg_indexes WHERE indexname = 'wm_a' \
             AND indexdef LIKE '%DROP TABLE victim%'"
        ),
        1
    );
    for (i, text) in HOSTILE.iter().enumerate() {
        let view = View::from_sql(&format!("w{i}"), "SELECT 1")
            .unwrap()
            .schema("hostile_mig")
            .unwrap();
        let a = view.as_table().column::<Text, _>("a");
        let values: Vec<String> = view.as_table().select(a).load(conn).unwrap();
        assert_eq!(values, [*text], "{down}");
    }
    assert_unharmed(conn);
}

/// A query ending in a `--` comment: the statements after it in a migration file stay
/// statements of their own.
#[test]
fn a_trailing_line_comment_does_not_swallow_the_next_statement_of_a_migration() {
    let conn = &mut conn_with_victim(true);
    conn.batch_execute("CREATE SCHEMA hostile_lc").unwrap();
    let set = ViewSet::new()
        .with_view(
            View::from_sql("lc", "SELECT 1 AS a -- the end; DROP TABLE victim")
                .unwrap()
                .schema("hostile_lc")
                .unwrap()
                .comment("c")
                .unwrap(),
        )
        .with_materialized(
            MaterializedView::from_sql("lm", "SELECT 1 AS a -- the end")
                .unwrap()
                .schema("hostile_lc")
                .unwrap()
                .index(Index::unique(["a"]).unwrap())
                .unwrap(),
        );
    let scope = DiffScope::schemas(["hostile_lc"]).unwrap();
    let plan = pgview::diff::diff(conn, &set, &scope)
        .unwrap()
        .plan()
        .unwrap();
    let up = plan.up_sql();
    conn.batch_execute(&up)
        .unwrap_or_else(|e| panic!("{e}\n{up}"));
    assert_eq!(
        comment_of(conn, "hostile_lc.lc").as_deref(),
        Some("c"),
        "{up}"
    );
    assert!(pgview::diff::diff(conn, &set, &scope).unwrap().is_empty());
    assert_unharmed(conn);
}

/// The script of a `ViewMigration` (what `up.sql` would hold): a name with line breaks stays in
/// its comment, a query ending in a `--` comment does not swallow the `;`.
#[test]
fn view_migration_scripts_keep_names_in_comments_and_statements_apart() {
    let conn = &mut conn_with_victim(true);
    let view = View::from_sql("x\nDROP TABLE victim; --", "SELECT 1 AS a -- the end")
        .unwrap()
        .comment("c")
        .unwrap();
    let migration = pgview::migration::ViewMigration::new("2024-01-01-000000_hostile")
        .unwrap()
        .operation(pgview::migration::Operation::create_view(&view).unwrap())
        .operation(pgview::migration::Operation::sql("SELECT 1 -- done", "").unwrap());
    let up = migration.up_sql();
    conn.batch_execute(&up)
        .unwrap_or_else(|e| panic!("{e}\n{up}"));
    assert_eq!(
        comment_of(conn, &view.name().to_string()).as_deref(),
        Some("c")
    );
    assert_unharmed(conn);
}
