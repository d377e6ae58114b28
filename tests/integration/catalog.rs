//! `get_all_views`, `get_view` and `get_view_definition`, on sync and async connections.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
#[cfg(feature = "async")]
use diesel_async::SimpleAsyncConnection;
use pgview::{
    catalog::{RelationKind, ViewFilter, ViewInfo},
    ddl::{CheckOption, Index},
    Error, MaterializedView, View,
};

#[cfg(feature = "async")]
use crate::support::async_conn;
use crate::support::{conn, has_security_invoker};

#[test]
fn lists_views_and_materialized_views() {
    let conn = &mut conn();
    diesel::sql_query("CREATE SCHEMA cat_a")
        .execute(conn)
        .unwrap();
    let v = View::from_sql("cat_v", "SELECT id FROM users")
        .unwrap()
        .schema("cat_a")
        .unwrap();
    let m = MaterializedView::from_sql("cat_m", "SELECT count(*) AS n FROM orders")
        .unwrap()
        .schema("cat_a")
        .unwrap();
    v.create().execute(conn).unwrap();
    m.create().execute(conn).unwrap();

    let all = pgview::catalog::get_all_views(conn, &ViewFilter::new().schema("cat_a")).unwrap();
    let names: Vec<(String, bool)> = all
        .iter()
        .map(|v| (v.fullname(), v.is_materialized))
        .collect();
    assert_eq!(
        names,
        vec![("cat_a.cat_m".into(), true), ("cat_a.cat_v".into(), false)]
    );
    assert!(
        all[1].definition.contains("FROM users"),
        "{}",
        all[1].definition
    );
    assert_eq!(all[1].schema, "cat_a");
    assert_eq!(all[1].name, "cat_v");

    let plain = pgview::catalog::get_all_views(
        conn,
        &ViewFilter::new()
            .schema("cat_a")
            .include_materialized(false),
    )
    .unwrap();
    assert_eq!(plain.len(), 1);
    let like =
        pgview::catalog::get_all_views(conn, &ViewFilter::new().name_like("cat\\_m%")).unwrap();
    assert_eq!(like.len(), 1);
    let everything = pgview::catalog::get_all_views(conn, &ViewFilter::new()).unwrap();
    assert!(everything
        .iter()
        .all(|v| v.schema != "pg_catalog" && v.schema != "information_schema"));
}

/// Views with every kind of catalog detail, in `schema` (`invoker` with `security_invoker` on
/// servers that have it).
fn detailed_views_sql(schema: &str) -> String {
    let invoker = if has_security_invoker() {
        "WITH (security_invoker = on)"
    } else {
        ""
    };
    format!(
        r#"CREATE SCHEMA {schema};
        CREATE VIEW {schema}.plain WITH (check_option = cascaded, security_barrier) AS
            SELECT id, name, email FROM users WHERE id > 0;
        CREATE VIEW {schema}.invoker {invoker} AS SELECT 1::int2 AS one;
        COMMENT ON VIEW {schema}.plain IS 'users with an id';
        CREATE MATERIALIZED VIEW {schema}.totals WITH (fillfactor = 70) AS
            SELECT user_id, sum(total)::numeric(12, 2) AS total, max(status) AS "Last Status"
            FROM orders GROUP BY user_id WITH NO DATA;
        CREATE UNIQUE INDEX totals_user ON {schema}.totals (user_id);
        CREATE INDEX totals_expr ON {schema}.totals (lower("Last Status"), total) WHERE total > 0;"#
    )
}

/// What [`detailed_views_sql`] made, as `get_all_views` reports it.
fn check_detailed_views(schema: &str, owner: &str, views: &[ViewInfo]) {
    let names: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["invoker", "plain", "totals"]);
    let (invoker, plain, totals) = (&views[0], &views[1], &views[2]);

    assert_eq!(plain.fullname(), format!("{schema}.plain"));
    assert_eq!(plain.owner, owner);
    let columns: Vec<(&str, &str, bool)> = plain
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.sql_type.as_str(), c.nullable))
        .collect();
    // The catalog records no NOT NULL on view columns, even for `users.id`.
    assert_eq!(
        columns,
        [
            ("id", "integer", true),
            ("name", "character varying(100)", true),
            ("email", "text", true)
        ]
    );
    assert_eq!(plain.options.check_option, Some(CheckOption::Cascaded));
    assert!(plain.options.security_barrier);
    assert!(!plain.options.security_invoker);
    assert_eq!(plain.comment.as_deref(), Some("users with an id"));
    assert!(plain.is_populated);
    assert!(plain.indexes.is_empty());
    assert_eq!(invoker.options.security_invoker, has_security_invoker());
    assert_eq!(invoker.options.check_option, None);
    assert_eq!(invoker.columns[0].sql_type, "smallint");

    assert!(totals.is_materialized);
    assert!(!totals.is_populated, "created WITH NO DATA");
    assert_eq!(totals.tablespace, None);
    assert_eq!(
        totals.options.storage_parameters,
        [("fillfactor".to_owned(), "70".to_owned())]
    );
    let types: Vec<&str> = totals.columns.iter().map(|c| c.sql_type.as_str()).collect();
    assert_eq!(types, ["integer", "numeric(12,2)", "text"]);
    assert_eq!(totals.columns[2].name, "Last Status");
    let indexes: Vec<(&str, bool, bool, Vec<&str>)> = totals
        .indexes
        .iter()
        .map(|i| {
            let columns = i.columns.iter().map(String::as_str).collect();
            (i.name.as_str(), i.is_unique, i.is_partial, columns)
        })
        .collect();
    assert_eq!(
        indexes,
        [
            (
                "totals_expr",
                false,
                true,
                vec!["lower(\"Last Status\")", "total"]
            ),
            ("totals_user", true, false, vec!["user_id"]),
        ]
    );
    assert_eq!(
        totals.indexes[1].definition,
        format!("CREATE UNIQUE INDEX totals_user ON {schema}.totals USING btree (user_id)")
    );
}

#[derive(QueryableByName)]
struct User {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

const CURRENT_USER: &str = "SELECT current_user::text AS name";

fn current_user(conn: &mut PgConnection) -> String {
    diesel::sql_query(CURRENT_USER)
        .get_result::<User>(conn)
        .unwrap()
        .name
}

#[cfg(feature = "async")]
async fn current_user_async(conn: &mut diesel_async::AsyncPgConnection) -> String {
    diesel_async::RunQueryDsl::get_result::<User>(diesel::sql_query(CURRENT_USER), conn)
        .await
        .unwrap()
        .name
}

#[test]
fn columns_options_comments_and_indexes() {
    let conn = &mut conn();
    conn.batch_execute(&detailed_views_sql("cat_detail"))
        .unwrap();
    let views =
        pgview::catalog::get_all_views(conn, &ViewFilter::new().schema("cat_detail")).unwrap();
    check_detailed_views("cat_detail", &current_user(conn), &views);
    let one = pgview::catalog::get_view(conn, "cat_detail.totals").unwrap();
    assert_eq!(one, views[2]);
}

#[cfg(feature = "async")]
#[tokio::test]
async fn columns_options_comments_and_indexes_async() {
    let conn = &mut async_conn().await;
    conn.batch_execute(&detailed_views_sql("cat_detail_async"))
        .await
        .unwrap();
    let filter = ViewFilter::new().schema("cat_detail_async");
    let views = pgview::aio::get_all_views(conn, &filter).await.unwrap();
    check_detailed_views("cat_detail_async", &current_user_async(conn).await, &views);
    let one = pgview::aio::get_view(conn, "cat_detail_async.plain")
        .await
        .unwrap();
    assert_eq!(one, views[1]);
    let definition = pgview::aio::get_view_definition(conn, "cat_detail_async.plain")
        .await
        .unwrap();
    assert_eq!(definition, views[1].definition);
}

#[test]
fn definitions_by_plain_and_qualified_name() {
    let conn = &mut conn();
    diesel::sql_query("CREATE SCHEMA \"cat.b\"")
        .execute(conn)
        .unwrap();
    let v = View::from_sql("cat def", "SELECT name FROM users WHERE id IN (1, 2)")
        .unwrap()
        .schema("cat.b")
        .unwrap();
    v.create().execute(conn).unwrap();
    let by_view = pgview::catalog::get_view_definition(conn, &v).unwrap();
    let by_text = pgview::catalog::get_view_definition(conn, "\"cat.b\".\"cat def\"").unwrap();
    let unqualified = pgview::catalog::get_view_definition(conn, "cat def").unwrap();
    assert_eq!(by_view, by_text);
    assert_eq!(by_view, unqualified);
    assert!(by_view.contains("ANY (ARRAY[1, 2])"), "{by_view}");
}

#[test]
fn an_unqualified_name_in_two_schemas_is_ambiguous() {
    let conn = &mut conn();
    diesel::sql_query("CREATE SCHEMA IF NOT EXISTS cat_x")
        .execute(conn)
        .unwrap();
    diesel::sql_query("CREATE SCHEMA IF NOT EXISTS cat_y")
        .execute(conn)
        .unwrap();
    for schema in ["cat_x", "cat_y"] {
        View::from_sql("cat_twice", "SELECT 1 AS one")
            .unwrap()
            .schema(schema)
            .unwrap()
            .create()
            .execute(conn)
            .unwrap();
    }
    let err = pgview::catalog::get_view_definition(conn, "cat_twice").unwrap_err();
    match err {
        Error::Ambiguous { candidates, .. } => {
            assert_eq!(candidates, vec!["cat_x.cat_twice", "cat_y.cat_twice"]);
        }
        other => panic!("{other}"),
    }
    assert!(pgview::catalog::get_view_definition(conn, "cat_x.cat_twice").is_ok());
    let err = pgview::catalog::get_view(conn, "cat_twice").unwrap_err();
    assert!(matches!(err, Error::Ambiguous { .. }), "{err}");
}

#[test]
fn unknown_names_and_tables_are_errors_not_empty_results() {
    let conn = &mut conn();
    let err = pgview::catalog::get_view(conn, "cat_nowhere").unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { name, kind: RelationKind::View } if name == "cat_nowhere"),
        "{err}"
    );
    assert_eq!(err.to_string(), "view cat_nowhere not found");
    let err = pgview::catalog::get_view_definition(conn, "users").unwrap_err();
    assert!(
        matches!(
            &err,
            Error::WrongKind { name, actual: RelationKind::Table, .. } if name == "public.users"
        ),
        "{err}"
    );
    let err = pgview::catalog::get_all_views(
        conn,
        &ViewFilter::new().names(["cat_nowhere_either"]).unwrap(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

#[test]
fn a_given_set_of_names() {
    let conn = &mut conn();
    conn.batch_execute(
        "CREATE SCHEMA cat_set;
         CREATE VIEW cat_set.a AS SELECT 1 AS x;
         CREATE VIEW cat_set.b AS SELECT 2 AS x;
         CREATE VIEW cat_set.c AS SELECT 3 AS x;",
    )
    .unwrap();
    let mv = MaterializedView::from_sql("d", "SELECT 4 AS x")
        .unwrap()
        .schema("cat_set")
        .unwrap()
        .index(Index::unique(["x"]).unwrap())
        .unwrap();
    mv.create().execute(conn).unwrap();
    let filter = ViewFilter::new().names(["cat_set.c", "cat_set.a"]).unwrap();
    let views = pgview::catalog::get_all_views(conn, &filter).unwrap();
    let names: Vec<String> = views.iter().map(ViewInfo::fullname).collect();
    assert_eq!(names, ["cat_set.a", "cat_set.c"]);
    let with_mv = ViewFilter::new().names([mv.name()]).unwrap();
    let views = pgview::catalog::get_all_views(conn, &with_mv).unwrap();
    assert_eq!(views[0].indexes[0].columns, ["x"]);
    // A name filtered out by the other settings is not found.
    let err =
        pgview::catalog::get_all_views(conn, &with_mv.include_materialized(false)).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

#[derive(QueryableByName)]
struct Jit {
    #[diesel(sql_type = diesel::sql_types::Text)]
    jit: String,
}

fn jit(conn: &mut PgConnection) -> String {
    diesel::sql_query("SELECT current_setting('jit') AS jit")
        .get_result::<Jit>(conn)
        .unwrap()
        .jit
}

/// Catalog plans run with `jit` off (see `catalog/plan.rs`) and give the session its value
/// back: outside a transaction, inside one, and when it was off already.
#[test]
fn catalog_functions_leave_the_jit_setting_as_it_was() {
    let conn = &mut conn();
    let filter = ViewFilter::new().schema("public");
    conn.batch_execute("SET jit = on").unwrap();
    pgview::catalog::get_all_views(conn, &filter).unwrap();
    pgview::catalog::get_dependency_order(conn, &filter).unwrap();
    assert_eq!(jit(conn), "on");
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        pgview::catalog::get_all_views(conn, &filter).unwrap();
        assert_eq!(jit(conn), "on");
        Ok(())
    })
    .unwrap();
    assert_eq!(jit(conn), "on");
    conn.batch_execute("SET jit = off").unwrap();
    pgview::catalog::get_all_views(conn, &filter).unwrap();
    assert_eq!(jit(conn), "off");
}

#[cfg(feature = "async")]
#[tokio::test]
async fn catalog_functions_leave_the_jit_setting_as_it_was_async() {
    let conn = &mut async_conn().await;
    conn.batch_execute("SET jit = on").await.unwrap();
    pgview::aio::get_all_views(conn, &ViewFilter::new().schema("public"))
        .await
        .unwrap();
    let now = diesel_async::RunQueryDsl::get_result::<Jit>(
        diesel::sql_query("SELECT current_setting('jit') AS jit"),
        conn,
    )
    .await
    .unwrap();
    assert_eq!(now.jit, "on");
}
