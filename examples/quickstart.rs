//! pgview quickstart: the "Complete Example" of sqlalchemy-pgview's async guide, in Rust.
//!
//! Defines a view (users with their order count, through an outer join) and a materialized
//! view (total revenue) from typed Diesel queries, then creates, queries, refreshes and drops
//! them: once on an async connection from a bb8 pool, once on a sync `PgConnection`. Finally
//! it lists the views with `get_all_views`.
//!
//! It works in a throwaway database with the workspace migrations applied: on the server of
//! `DATABASE_URL` when set, otherwise on a private PostgreSQL cluster started from the local
//! binaries and removed at exit.
//!
//! Run it with `cargo run --example quickstart`.

use bigdecimal::BigDecimal;
use diesel::dsl::{count, sum};
use diesel::sql_types::{BigInt, Integer, Nullable, Numeric, Text};
use diesel::{Connection, ExpressionMethods, NullableExpressionMethods, PgConnection, QueryDsl};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use pgview::{Index, MaterializedView, View, ViewFilter};

/// The tables of the workspace migrations (only the columns the quickstart uses).
mod schema {
    #![allow(missing_docs)]

    diesel::table! {
        users (id) {
            id -> Integer,
            name -> Varchar,
        }
    }

    diesel::table! {
        orders (id) {
            id -> Integer,
            user_id -> Integer,
            total -> Numeric,
        }
    }

    diesel::joinable!(orders -> users (user_id));
    diesel::allow_tables_to_appear_in_same_query!(users, orders);
}

use schema::{orders, users};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The two definitions, from typed Diesel queries.
fn definitions() -> pgview::Result<(View, MaterializedView)> {
    let user_summary = View::new(
        "user_summary",
        users::table
            .left_join(orders::table)
            .group_by((users::id, users::name))
            .select((users::id, users::name, count(orders::id.nullable()))),
    )?
    // Diesel does not name computed columns; the view does.
    .columns(["id", "name", "order_count"])?;
    let revenue =
        MaterializedView::new("revenue_summary", orders::table.select(sum(orders::total)))?
            .columns(["total_revenue"])?
            .with_data(true);
    Ok((user_summary, revenue))
}

/// Columns of the view, for reading it through `as_table()`.
type SummaryRow = (i32, String, i64);

fn print_summary(rows: &[SummaryRow]) {
    println!("  User summary:");
    for (id, name, order_count) in rows {
        println!("    #{id} {name:<6} {order_count} order(s)");
    }
}

fn print_revenue(total: Option<&BigDecimal>) {
    match total {
        Some(total) => println!("  Revenue: {total}"),
        None => println!("  Revenue: (no orders)"),
    }
}

async fn run_async(url: &str) -> Result<(), Error> {
    use diesel_async::RunQueryDsl;

    println!("== async: AsyncPgConnection from a bb8 pool");
    let pool = Pool::builder()
        .max_size(2)
        .build(AsyncDieselConnectionManager::<AsyncPgConnection>::new(url))
        .await?;
    let mut conn = pool.get().await?;
    let (user_summary, revenue) = definitions()?;

    user_summary
        .create()
        .or_replace()
        .execute(&mut conn)
        .await?;
    revenue.create().execute(&mut conn).await?;
    println!(
        "  created {} and {}",
        user_summary.fullname(),
        revenue.fullname()
    );

    let summary = user_summary.as_table();
    let (id, name, order_count) = (
        summary.column::<Integer, _>("id"),
        summary.column::<Text, _>("name"),
        summary.column::<BigInt, _>("order_count"),
    );
    let rows: Vec<SummaryRow> = summary
        .select((id.clone(), name, order_count))
        .order_by(id)
        .load(&mut conn)
        .await?;
    print_summary(&rows);

    let revenue_table = revenue.as_table();
    let total = revenue_table.column::<Nullable<Numeric>, _>("total_revenue");
    let value: Option<BigDecimal> = revenue_table.select(total).get_result(&mut conn).await?;
    print_revenue(value.as_ref());

    // Refreshing is native on async connections: no `run_sync`.
    revenue.refresh().execute(&mut conn).await?;
    println!("  refreshed {}", revenue.fullname());
    let listed = pgview::aio::get_all_views(&mut conn, &ViewFilter::new()).await?;
    println!("  get_all_views (async) sees {} view(s)", listed.len());

    revenue.drop().if_exists().execute(&mut conn).await?;
    user_summary.drop().if_exists().execute(&mut conn).await?;
    println!("  dropped both");
    Ok(())
}

fn run_sync(url: &str) -> Result<(), Error> {
    use diesel::RunQueryDsl;

    println!("== sync: PgConnection");
    let mut conn = PgConnection::establish(url)?;
    let (user_summary, revenue) = definitions()?;
    let revenue = revenue.index(Index::unique(["total_revenue"])?)?;

    user_summary.create().or_replace().execute(&mut conn)?;
    revenue.create().execute(&mut conn)?;
    println!(
        "  created {} and {}",
        user_summary.fullname(),
        revenue.fullname()
    );

    let summary = user_summary.as_table();
    let (id, name, order_count) = (
        summary.column::<Integer, _>("id"),
        summary.column::<Text, _>("name"),
        summary.column::<BigInt, _>("order_count"),
    );
    let rows: Vec<SummaryRow> = summary
        .select((id.clone(), name, order_count))
        .order_by(id)
        .load(&mut conn)?;
    print_summary(&rows);

    diesel::insert_into(orders::table)
        .values((
            orders::user_id.eq(rows[2].0),
            orders::total.eq(BigDecimal::from(7)),
        ))
        .execute(&mut conn)?;
    println!("  {} ordered for 7.00", rows[2].1);
    revenue.refresh().concurrently().execute(&mut conn)?;
    let revenue_table = revenue.as_table();
    let total = revenue_table.column::<Nullable<Numeric>, _>("total_revenue");
    let value: Option<BigDecimal> = revenue_table.select(total).get_result(&mut conn)?;
    println!("  after a concurrent refresh:");
    print_revenue(value.as_ref());

    println!("== get_all_views");
    for view in pgview::get_all_views(&mut conn, &ViewFilter::new())? {
        let kind = if view.is_materialized {
            "materialized view"
        } else {
            "view"
        };
        println!("  {} ({kind}):", view.fullname());
        for line in view.definition.lines() {
            println!("      {line}");
        }
    }

    revenue.drop().execute(&mut conn)?;
    user_summary.drop().execute(&mut conn)?;
    println!("  dropped both");
    Ok(())
}

fn seed(url: &str) -> Result<(), Error> {
    use diesel::RunQueryDsl;

    let mut conn = PgConnection::establish(url)?;
    let ids: Vec<i32> = diesel::insert_into(users::table)
        .values(&vec![
            users::name.eq("Alice"),
            users::name.eq("Bob"),
            users::name.eq("Carol"),
        ])
        .returning(users::id)
        .get_results(&mut conn)?;
    diesel::insert_into(orders::table)
        .values(&vec![
            (
                orders::user_id.eq(ids[0]),
                orders::total.eq(BigDecimal::from(10)),
            ),
            (
                orders::user_id.eq(ids[0]),
                orders::total.eq(BigDecimal::from(20)),
            ),
            (
                orders::user_id.eq(ids[1]),
                orders::total.eq("5.50".parse::<BigDecimal>()?),
            ),
        ])
        .execute(&mut conn)?;
    Ok(())
}

fn main() -> Result<(), Error> {
    let database = pgview_testkit::fresh_database();
    println!(
        "pgview quickstart on a throwaway database ({})",
        database.name()
    );
    seed(database.url())?;
    tokio::runtime::Runtime::new()?.block_on(run_async(database.url()))?;
    run_sync(database.url())?;
    Ok(())
}
