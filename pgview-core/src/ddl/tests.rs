//! Unit tests of the SQL the statements render.

use diesel::pg::Pg;

use crate::definition::{CheckOption, Index, MaterializedView, View};
use crate::ident::QualifiedName;
use crate::{CommentOn, CommentTarget, DropView, RefreshMaterializedView};

fn sql<T: diesel::query_builder::QueryFragment<Pg>>(statement: &T) -> String {
    diesel::debug_query::<Pg, _>(statement)
        .to_string()
        .trim_end_matches(" -- binds: []")
        .to_owned()
}

#[test]
fn create_view_variants() {
    let temp = View::from_sql("t", "SELECT 1 AS x")
        .unwrap()
        .temporary()
        .unwrap();
    assert_eq!(
        sql(&temp.create()),
        r#"CREATE TEMPORARY VIEW "t" AS SELECT 1 AS x"#
    );

    let recursive = View::from_sql(
        "r",
        "SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3;",
    )
    .unwrap()
    .columns(["n"])
    .unwrap()
    .recursive()
    .unwrap();
    assert_eq!(
        sql(&recursive.create().or_replace()),
        r#"CREATE OR REPLACE RECURSIVE VIEW "r" ("n") AS SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3"#
    );

    let options = View::from_sql("o", "SELECT 1 AS x")
        .unwrap()
        .check_option(CheckOption::Local)
        .security_barrier(false)
        .security_invoker(true);
    assert_eq!(
        sql(&options.create()),
        r#"CREATE VIEW "o" WITH (check_option = local, security_barrier = false, security_invoker = true) AS SELECT 1 AS x"#
    );
}

#[test]
fn comments_and_column_comments_make_one_do_block() {
    let view = View::from_sql("c", "SELECT 1 AS x")
        .unwrap()
        .column_comment("x", "a\\b")
        .unwrap();
    assert_eq!(
        sql(&view.create()),
        r#"DO $pgview$BEGIN EXECUTE 'CREATE VIEW "c" AS SELECT 1 AS x'; EXECUTE E'COMMENT ON COLUMN "c"."x" IS E''a\\\\b'''; END$pgview$"#
    );
}

#[test]
fn a_body_holding_the_dollar_tag_gets_another_tag() {
    let view = View::from_sql("d", "SELECT '$pgview$'::text AS x")
        .unwrap()
        .comment("c")
        .unwrap();
    let text = sql(&view.create());
    assert!(text.starts_with("DO $pgview1$BEGIN"), "{text}");
    assert!(text.ends_with("END$pgview1$"), "{text}");
}

#[test]
fn materialized_view_with_everything() {
    let mv = MaterializedView::from_sql("m", "SELECT 1 AS id, 2 AS v")
        .unwrap()
        .schema("s")
        .unwrap()
        .columns(["id", "v"])
        .unwrap()
        .storage_parameter("toast.autovacuum_enabled", "false")
        .unwrap()
        .index(Index::unique(["id"]).unwrap())
        .unwrap()
        .index(Index::new(["v", "id"]).unwrap().named("m_v").unwrap())
        .unwrap()
        .with_data(false);
    assert_eq!(
        sql(&mv.create().if_not_exists()),
        concat!(
            r#"DO $pgview$BEGIN EXECUTE 'CREATE MATERIALIZED VIEW IF NOT EXISTS "s"."m" ("id", "v") WITH ("toast"."autovacuum_enabled" = ''false'') AS SELECT 1 AS id, 2 AS v WITH NO DATA'; "#,
            r#"EXECUTE 'CREATE UNIQUE INDEX IF NOT EXISTS "m_id_idx" ON "s"."m" ("id")'; "#,
            r#"EXECUTE 'CREATE INDEX IF NOT EXISTS "m_v" ON "s"."m" ("v", "id")'; END$pgview$"#
        )
    );
}

#[test]
fn refresh_and_drop_and_comment_statements() {
    let name = QualifiedName::new(Some("a\"b"), "c").unwrap();
    assert_eq!(
        sql(&RefreshMaterializedView::named(name.clone()).concurrently()),
        r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "a""b"."c""#
    );
    assert_eq!(sql(&DropView::new(name.clone())), r#"DROP VIEW "a""b"."c""#);
    assert_eq!(
        sql(&CommentOn::new(CommentTarget::MaterializedView(name), None)),
        r#"COMMENT ON MATERIALIZED VIEW "a""b"."c" IS NULL"#
    );
}

#[test]
fn a_concurrent_refresh_without_unique_index_is_refused_when_rendered() {
    let mv = MaterializedView::from_sql("m", "SELECT 1 AS id").unwrap();
    let refresh = mv.refresh().concurrently();
    let error = diesel::query_builder::QueryFragment::<Pg>::to_sql(
        &refresh,
        &mut diesel::pg::PgQueryBuilder::default(),
        &Pg,
    )
    .unwrap_err();
    assert!(error.to_string().contains("unique index"), "{error}");
}

#[test]
fn a_trailing_line_comment_does_not_swallow_with_data() {
    let mv = MaterializedView::from_sql("m", "SELECT 1 AS id -- the id").unwrap();
    assert_eq!(
        sql(&mv.create()),
        "CREATE MATERIALIZED VIEW \"m\" AS SELECT 1 AS id -- the id\n WITH DATA"
    );
}
