//! Creating, replacing, refreshing and dropping views on a sync connection.

use diesel::dsl::{count, sum};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Numeric, Text};
use pgview::{
    ddl::{CheckOption, Index},
    MaterializedView, View,
};

use crate::support::{conn, has_security_invoker, orders, relkind, seed, users};

#[derive(QueryableByName, Debug, PartialEq)]
struct Text1 {
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
}

fn scalar(conn: &mut PgConnection, sql: &str) -> Option<String> {
    diesel::sql_query(sql)
        .get_result::<Text1>(conn)
        .expect(sql)
        .value
}

fn user_summary() -> View {
    View::new(
        "ddl_user_summary",
        users::table
            .left_join(orders::table)
            .group_by((users::id, users::name))
            .select((users::id, users::name, count(orders::id.nullable())))
            .order_by(users::id),
    )
    .unwrap()
}

#[test]
fn view_from_a_diesel_query_is_created_queried_and_dropped() {
    let conn = &mut conn();
    seed(conn);
    let view = user_summary();
    view.create().execute(conn).unwrap();
    assert_eq!(
        relkind(conn, "public", "ddl_user_summary").as_deref(),
        Some("v")
    );

    let table = view.as_table();
    let name = table.column::<Text, _>("name");
    let order_count = table.column::<BigInt, _>("count");
    let rows: Vec<(String, i64)> = table
        .select((name.clone(), order_count))
        .order_by(name)
        .load(conn)
        .unwrap();
    assert_eq!(
        rows,
        vec![("Alice".into(), 2), ("Bob".into(), 1), ("Carol".into(), 0)]
    );

    view.drop().execute(conn).unwrap();
    assert_eq!(relkind(conn, "public", "ddl_user_summary"), None);
}

#[test]
fn literals_of_the_query_are_inlined() {
    let conn = &mut conn();
    seed(conn);
    let view = View::new(
        "ddl_paid",
        orders::table
            .filter(orders::status.eq("paid"))
            .filter(orders::total.gt(bigdecimal::BigDecimal::from(1)))
            .select(orders::total),
    )
    .unwrap();
    assert!(!view.query_sql().contains('$'), "{}", view.query_sql());
    view.create().execute(conn).unwrap();
    let total = view.as_table().column::<Numeric, _>("total");
    let totals: Vec<bigdecimal::BigDecimal> = view.as_table().select(total).load(conn).unwrap();
    assert_eq!(totals.len(), 2);
}

#[test]
fn subqueries_and_boxed_queries() {
    let conn = &mut conn();
    seed(conn);
    let big_spenders = orders::table
        .filter(orders::total.ge(bigdecimal::BigDecimal::from(10)))
        .select(orders::user_id);
    let boxed = users::table
        .filter(users::id.eq_any(big_spenders))
        .select(users::name)
        .into_boxed();
    let view = View::new("ddl_big_spenders", boxed).unwrap();
    view.create().execute(conn).unwrap();
    let name = view.as_table().column::<Text, _>("name");
    let names: Vec<String> = view.as_table().select(name).load(conn).unwrap();
    assert_eq!(names, vec!["Alice".to_string()]);
}

#[test]
fn or_replace_restates_options() {
    let conn = &mut conn();
    let view = View::from_sql("ddl_secure", "SELECT id, name FROM users")
        .unwrap()
        .security_barrier(true)
        .check_option(CheckOption::Local);
    view.create().execute(conn).unwrap();
    view.create().or_replace().execute(conn).unwrap();
    assert_eq!(
        scalar(
            conn,
            "SELECT array_to_string(reloptions, ',') AS value FROM pg_class WHERE relname = 'ddl_secure'"
        )
        .as_deref(),
        Some("check_option=local,security_barrier=true")
    );
    let invoker = View::from_sql("ddl_secure", "SELECT id, name FROM users")
        .unwrap()
        .security_invoker(true);
    let replaced = invoker.create().or_replace().execute(conn);
    if !has_security_invoker() {
        // Servers before 15 refuse the option; the error says since when it exists.
        let err = pgview::Error::from(replaced.unwrap_err());
        assert!(
            matches!(err, pgview::Error::UnsupportedByServer { since: 15, .. }),
            "{err:?}"
        );
        return;
    }
    replaced.unwrap();
    assert_eq!(
        scalar(
            conn,
            "SELECT array_to_string(reloptions, ',') AS value FROM pg_class WHERE relname = 'ddl_secure'"
        )
        .as_deref(),
        Some("security_invoker=true")
    );
}

#[test]
fn check_option_is_enforced() {
    let conn = &mut conn();
    seed(conn);
    let view = View::from_sql(
        "ddl_paid_orders",
        "SELECT * FROM orders WHERE status = 'paid'",
    )
    .unwrap()
    .check_option(CheckOption::Cascaded);
    view.create().execute(conn).unwrap();
    let err = diesel::sql_query(
        "INSERT INTO ddl_paid_orders (user_id, total, status) SELECT id, 1, 'new' FROM users LIMIT 1",
    )
    .execute(conn)
    .unwrap_err();
    assert!(err.to_string().contains("check option"), "{err}");
}

#[test]
fn schema_columns_and_comments() {
    let conn = &mut conn();
    diesel::sql_query("CREATE SCHEMA ddl_app")
        .execute(conn)
        .unwrap();
    let view = View::from_sql("named cols", "SELECT id, name FROM users")
        .unwrap()
        .schema("ddl_app")
        .unwrap()
        .columns(["user id", "user name"])
        .unwrap()
        .comment("Users' names\\with a backslash")
        .unwrap()
        .column_comment("user id", "the id")
        .unwrap();
    view.create().execute(conn).unwrap();
    assert_eq!(relkind(conn, "ddl_app", "named cols").as_deref(), Some("v"));
    assert_eq!(
        scalar(
            conn,
            "SELECT obj_description('ddl_app.\"named cols\"'::regclass, 'pg_class') AS value"
        )
        .as_deref(),
        Some("Users' names\\with a backslash")
    );
    assert_eq!(
        scalar(
            conn,
            "SELECT col_description('ddl_app.\"named cols\"'::regclass, 1) AS value"
        )
        .as_deref(),
        Some("the id")
    );
    let id = view.as_table().column::<Integer, _>("user id");
    let ids: Vec<i32> = view.as_table().select(id).load(conn).unwrap();
    assert!(ids.is_empty());
}

#[test]
fn recursive_and_temporary_views() {
    let conn = &mut conn();
    let countdown = View::from_sql(
        "ddl_countdown",
        "SELECT 3 AS n UNION ALL SELECT n - 1 FROM ddl_countdown WHERE n > 1",
    )
    .unwrap()
    .columns(["n"])
    .unwrap()
    .recursive()
    .unwrap();
    countdown.create().execute(conn).unwrap();
    let n = countdown.as_table().column::<Integer, _>("n");
    let values: Vec<i32> = countdown.as_table().select(n).load(conn).unwrap();
    assert_eq!(values, vec![3, 2, 1]);

    let temp = View::from_sql("ddl_temp", "SELECT 1 AS one")
        .unwrap()
        .temporary()
        .unwrap();
    temp.create().execute(conn).unwrap();
    assert_eq!(
        scalar(
            conn,
            "SELECT relpersistence::text AS value FROM pg_class WHERE relname = 'ddl_temp'"
        )
        .as_deref(),
        Some("t")
    );
}

#[test]
fn materialized_view_with_index_comment_and_refresh() {
    let conn = &mut conn();
    seed(conn);
    let revenue = MaterializedView::new(
        "ddl_revenue",
        orders::table
            .group_by(orders::user_id)
            .select((orders::user_id, sum(orders::total))),
    )
    .unwrap()
    .index(Index::unique(["user_id"]).unwrap())
    .unwrap()
    .index(
        Index::new(["sum"])
            .unwrap()
            .named("ddl_revenue_by_sum")
            .unwrap(),
    )
    .unwrap()
    .storage_parameter("fillfactor", "80")
    .unwrap()
    .tablespace("pg_default")
    .unwrap()
    .comment("revenue per user")
    .unwrap()
    .column_comment("sum", "sum of totals")
    .unwrap();
    revenue.create().execute(conn).unwrap();
    assert_eq!(relkind(conn, "public", "ddl_revenue").as_deref(), Some("m"));
    assert_eq!(
        scalar(
            conn,
            "SELECT string_agg(indexname, ',' ORDER BY indexname) AS value FROM pg_indexes WHERE tablename = 'ddl_revenue'"
        )
        .as_deref(),
        Some("ddl_revenue_by_sum,ddl_revenue_user_id_idx")
    );
    assert_eq!(
        scalar(
            conn,
            "SELECT obj_description('ddl_revenue'::regclass, 'pg_class') || '/' || col_description('ddl_revenue'::regclass, 2) AS value"
        )
        .as_deref(),
        Some("revenue per user/sum of totals")
    );
    assert_eq!(
        scalar(
            conn,
            "SELECT array_to_string(reloptions, ',') AS value FROM pg_class WHERE relname = 'ddl_revenue'"
        )
        .as_deref(),
        Some("fillfactor=80")
    );

    let count_rows = |conn: &mut PgConnection| -> i64 {
        diesel::select(diesel::dsl::sql::<BigInt>(
            "(SELECT count(*) FROM ddl_revenue)",
        ))
        .get_result(conn)
        .unwrap()
    };
    assert_eq!(count_rows(conn), 2);
    diesel::sql_query(
        "INSERT INTO orders (user_id, total) SELECT id, 1 FROM users WHERE name = 'Carol'",
    )
    .execute(conn)
    .unwrap();
    assert_eq!(count_rows(conn), 2, "a materialized view is a snapshot");
    revenue.refresh().execute(conn).unwrap();
    assert_eq!(count_rows(conn), 3);
    revenue.refresh().concurrently().execute(conn).unwrap();
    revenue.refresh().with_no_data().execute(conn).unwrap();
    assert_eq!(
        scalar(
            conn,
            "SELECT relispopulated::text AS value FROM pg_class WHERE relname = 'ddl_revenue'"
        )
        .as_deref(),
        Some("false")
    );
    revenue.drop().execute(conn).unwrap();
    assert_eq!(relkind(conn, "public", "ddl_revenue"), None);
}

#[test]
fn materialized_view_with_no_data_and_if_not_exists() {
    let conn = &mut conn();
    let mv = MaterializedView::from_sql("ddl_lazy", "SELECT 1 AS id")
        .unwrap()
        .with_data(false)
        .index(Index::unique(["id"]).unwrap())
        .unwrap();
    mv.create().execute(conn).unwrap();
    mv.create().if_not_exists().execute(conn).unwrap();
    let populated = |conn: &mut PgConnection| -> bool {
        diesel::select(diesel::dsl::sql::<Bool>(
            "(SELECT relispopulated FROM pg_class WHERE relname = 'ddl_lazy')",
        ))
        .get_result(conn)
        .unwrap()
    };
    assert!(!populated(conn));
    mv.refresh().execute(conn).unwrap();
    assert!(populated(conn));

    let overridden = MaterializedView::from_sql("ddl_eager", "SELECT 1 AS id")
        .unwrap()
        .with_data(false);
    overridden.create().with_data().execute(conn).unwrap();
    let id = overridden.as_table().column::<Integer, _>("id");
    assert_eq!(
        overridden.as_table().select(id).load::<i32>(conn).unwrap(),
        vec![1]
    );
}

#[test]
fn drop_if_exists_and_cascade() {
    let conn = &mut conn();
    let base = View::from_sql("ddl_base", "SELECT 1 AS x").unwrap();
    let top = View::from_sql("ddl_top", "SELECT x FROM ddl_base").unwrap();
    base.create().execute(conn).unwrap();
    top.create().execute(conn).unwrap();
    base.drop().if_exists().cascade().execute(conn).unwrap();
    assert_eq!(relkind(conn, "public", "ddl_top"), None);
    base.drop().if_exists().execute(conn).unwrap();
}
