//! `get_all_views` and `get_view_definition` on a sync connection.

use diesel::prelude::*;
use pgview::{Error, MaterializedView, View, ViewFilter};

use crate::support::conn;

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

    let all = pgview::get_all_views(conn, &ViewFilter::new().schema("cat_a")).unwrap();
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

    let plain = pgview::get_all_views(
        conn,
        &ViewFilter::new()
            .schema("cat_a")
            .include_materialized(false),
    )
    .unwrap();
    assert_eq!(plain.len(), 1);
    let like = pgview::get_all_views(conn, &ViewFilter::new().name_like("cat\\_m%")).unwrap();
    assert_eq!(like.len(), 1);
    let everything = pgview::get_all_views(conn, &ViewFilter::new()).unwrap();
    assert!(everything
        .iter()
        .all(|v| v.schema != "pg_catalog" && v.schema != "information_schema"));
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
    let by_view = pgview::get_view_definition(conn, &v).unwrap();
    let by_text = pgview::get_view_definition(conn, "\"cat.b\".\"cat def\"").unwrap();
    let unqualified = pgview::get_view_definition(conn, "cat def").unwrap();
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
    let err = pgview::get_view_definition(conn, "cat_twice").unwrap_err();
    match err {
        Error::Ambiguous { candidates, .. } => {
            assert_eq!(candidates, vec!["cat_x.cat_twice", "cat_y.cat_twice"]);
        }
        other => panic!("{other}"),
    }
    assert!(pgview::get_view_definition(conn, "cat_x.cat_twice").is_ok());
}
