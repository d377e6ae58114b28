//! Everything on `diesel_async::AsyncPgConnection`, with no sync workaround.

use diesel::dsl::{count, sum};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use pgview::{catalog::ViewFilter, ddl::Index, Error, MaterializedView, View};

use crate::support::{async_conn, orders, users, SEED};

#[tokio::test]
async fn create_query_refresh_drop_and_introspect() {
    let conn = &mut async_conn().await;
    diesel::sql_query(SEED).execute(conn).await.unwrap();

    let summary = View::new(
        "async_user_summary",
        users::table
            .left_join(orders::table)
            .group_by((users::id, users::name))
            .select((users::id, users::name, count(orders::id.nullable()))),
    )
    .unwrap();
    let revenue = MaterializedView::new(
        "async_revenue",
        orders::table
            .group_by(orders::user_id)
            .select((orders::user_id, sum(orders::total))),
    )
    .unwrap()
    .index(Index::unique(["user_id"]).unwrap())
    .unwrap();

    summary.create().or_replace().execute(conn).await.unwrap();
    revenue.create().execute(conn).await.unwrap();

    let table = summary.as_table();
    let name = table.column::<Text, _>("name");
    let n = table.column::<BigInt, _>("count");
    let rows: Vec<(String, i64)> = table
        .select((name.clone(), n))
        .order_by(name)
        .load(conn)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], ("Alice".to_string(), 2));

    revenue.refresh().execute(conn).await.unwrap();
    revenue
        .refresh()
        .concurrently()
        .execute(conn)
        .await
        .unwrap();

    let views = pgview::aio::get_all_views(conn, &ViewFilter::new().name_like("async\\_%"))
        .await
        .unwrap();
    let names: Vec<_> = views
        .iter()
        .map(|v| (v.fullname(), v.is_materialized))
        .collect();
    assert_eq!(
        names,
        vec![
            ("public.async_revenue".into(), true),
            ("public.async_user_summary".into(), false)
        ]
    );
    let definition = pgview::aio::get_view_definition(conn, "public.async_user_summary")
        .await
        .unwrap();
    assert!(definition.contains("count(orders.id)"), "{definition}");

    let err = pgview::aio::get_view_definition(conn, "async_missing")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");

    revenue.drop().if_exists().execute(conn).await.unwrap();
    summary.drop().if_exists().execute(conn).await.unwrap();
    assert!(
        pgview::aio::get_all_views(conn, &ViewFilter::new().name_like("async\\_%"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn errors_are_the_same_as_on_sync_connections() {
    let conn = &mut async_conn().await;
    let mv = MaterializedView::from_sql("async_kind", "SELECT 1 AS id").unwrap();
    mv.create().execute(conn).await.unwrap();
    let err = Error::from(mv.refresh().concurrently().execute(conn).await.unwrap_err());
    assert!(matches!(err, Error::ConcurrentRefresh { .. }), "{err}");
    let err = Error::from(
        pgview::ddl::DropView::new(mv.name().clone())
            .execute(conn)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, Error::WrongKind { .. }), "{err}");
}
