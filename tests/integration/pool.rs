//! A bb8 pool of async connections, on a database of its own (the work commits).

use diesel::prelude::*;
use diesel::sql_types::{Integer, Numeric};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pgview::{catalog::ViewFilter, ddl::Index, MaterializedView, View};

use crate::support::SEED;

#[tokio::test]
async fn views_through_a_bb8_pool() {
    let db = pgview_testkit::fresh_database();
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(db.url());
    let pool = Pool::builder().max_size(4).build(manager).await.unwrap();

    let mut conn = pool.get().await.unwrap();
    diesel::sql_query(SEED).execute(&mut conn).await.unwrap();
    let totals = MaterializedView::from_sql(
        "pool_totals",
        "SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id",
    )
    .unwrap()
    .index(Index::unique(["user_id"]).unwrap())
    .unwrap();
    let ids = View::from_sql("pool_ids", "SELECT user_id FROM pool_totals").unwrap();
    totals.create().execute(&mut conn).await.unwrap();
    ids.create().execute(&mut conn).await.unwrap();
    drop(conn);

    // Other pooled connections see the committed views, and refresh them concurrently.
    let mut handles = Vec::new();
    for _ in 0..4 {
        let pool = pool.clone();
        let totals = totals.clone();
        handles.push(tokio::spawn(async move {
            let mut conn = pool.get().await.unwrap();
            let table = totals.as_table();
            let total = table.column::<Numeric, _>("total");
            let values: Vec<bigdecimal::BigDecimal> =
                table.select(total).load(&mut conn).await.unwrap();
            assert_eq!(values.len(), 2);
            totals
                .refresh()
                .concurrently()
                .execute(&mut conn)
                .await
                .unwrap();
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }

    let mut conn = pool.get().await.unwrap();
    let user_id = ids.as_table().column::<Integer, _>("user_id");
    assert_eq!(
        ids.as_table()
            .select(user_id)
            .load::<i32>(&mut conn)
            .await
            .unwrap()
            .len(),
        2
    );
    let listed = pgview::aio::get_all_views(&mut conn, &ViewFilter::new())
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    ids.drop().execute(&mut conn).await.unwrap();
    totals.drop().execute(&mut conn).await.unwrap();
}
