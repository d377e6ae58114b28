//! pgview quickstart: the "Complete Example" of sqlalchemy-pgview's async guide, in Rust.
//!
//! Declares a view (users with their order count, through an outer join) and a materialized
//! view (total revenue) with `#[derive(PgView)]` from typed Diesel queries (checked against
//! the structs at compile time), then creates, queries, refreshes and drops them: once on an
//! async connection from a bb8 pool, once on a sync `PgConnection`. It also builds one view at
//! run time with `View::new`, for dynamic cases, and lists the views with `get_all_views`.
//!
//! It works in a throwaway database with the workspace migrations applied: on the server of
//! `DATABASE_URL` when set, otherwise on a private PostgreSQL cluster started from the local
//! binaries and removed at exit.
//!
//! Run it with `cargo run --example quickstart`.

use bigdecimal::BigDecimal;
use diesel::dsl::{count, sum};
// The type of `sum(…)`, for `#[auto_type]`.
use diesel::helper_types::sum;
use diesel::sql_types::{Integer, Text};
use diesel::{
    Connection, ExpressionMethods, NullableExpressionMethods, PgConnection, QueryDsl, Queryable,
    SelectableHelper,
};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use pgview::{catalog::ViewFilter, PgView, View};

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

/// Users with their number of orders, users without orders included.
#[diesel::dsl::auto_type]
fn user_summary_query() -> _ {
    users::table
        .left_join(orders::table)
        .group_by((users::id, users::name))
        .select((users::id, users::name, count(orders::id.nullable())))
}

/// A row of the view `user_summary`.
#[derive(PgView, Queryable, diesel::Selectable, Debug)]
#[diesel(table_name = user_summary)]
#[pgview(name = "user_summary", query = user_summary_query)]
struct UserSummary {
    id: i32,
    name: String,
    order_count: i64,
}

/// The revenue of all orders.
#[diesel::dsl::auto_type]
fn revenue_query() -> _ {
    orders::table.select(sum(orders::total))
}

/// The row of the materialized view `revenue_summary`.
#[derive(PgView, Queryable, Debug)]
#[pgview(name = "revenue_summary", materialized, query = revenue_query)]
#[pgview(unique_index(total_revenue))]
struct RevenueSummary {
    total_revenue: Option<BigDecimal>,
}

fn print_summary(rows: &[UserSummary]) {
    println!("  User summary:");
    for row in rows {
        println!(
            "    #{} {:<6} {} order(s)",
            row.id, row.name, row.order_count
        );
    }
}

fn print_revenue(revenue: &RevenueSummary) {
    match &revenue.total_revenue {
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

    UserSummary::create()?
        .or_replace()
        .execute(&mut conn)
        .await?;
    RevenueSummary::create()?.execute(&mut conn).await?;
    println!("  created user_summary and revenue_summary");

    // Query the view: a typed Diesel table, checked against the struct at compile time.
    let rows: Vec<UserSummary> = user_summary::table
        .order_by(user_summary::id)
        .select(UserSummary::as_select())
        .load(&mut conn)
        .await?;
    print_summary(&rows);
    let revenue: RevenueSummary = revenue_summary::table.first(&mut conn).await?;
    print_revenue(&revenue);

    // Refreshing is native on async connections: no `run_sync`.
    RevenueSummary::refresh()?.execute(&mut conn).await?;
    println!("  refreshed revenue_summary");
    let listed = pgview::aio::get_all_views(&mut conn, &ViewFilter::new()).await?;
    println!("  get_all_views (async) sees {} view(s)", listed.len());

    RevenueSummary::drop()?
        .if_exists()
        .execute(&mut conn)
        .await?;
    UserSummary::drop()?.if_exists().execute(&mut conn).await?;
    println!("  dropped both");
    Ok(())
}

fn run_sync(url: &str) -> Result<(), Error> {
    use diesel::RunQueryDsl;

    println!("== sync: PgConnection");
    let mut conn = PgConnection::establish(url)?;

    UserSummary::create()?.or_replace().execute(&mut conn)?;
    RevenueSummary::create()?.execute(&mut conn)?;
    println!("  created user_summary and revenue_summary");

    let busy: Vec<UserSummary> = user_summary::table
        .filter(user_summary::order_count.gt(0))
        .order_by(user_summary::id)
        .select(UserSummary::as_select())
        .load(&mut conn)?;
    print_summary(&busy);

    let carol: i32 = users::table
        .filter(users::name.eq("Carol"))
        .select(users::id)
        .first(&mut conn)?;
    diesel::insert_into(orders::table)
        .values((
            orders::user_id.eq(carol),
            orders::total.eq(BigDecimal::from(7)),
        ))
        .execute(&mut conn)?;
    println!("  Carol ordered for 7");
    RevenueSummary::refresh()?
        .concurrently()
        .execute(&mut conn)?;
    println!("  after a concurrent refresh:");
    print_revenue(&revenue_summary::table.first(&mut conn)?);

    // A view built at run time, for dynamic cases, read through `as_table()`.
    let min_total = BigDecimal::from(8);
    let big = View::new(
        "big_orders",
        orders::table
            .inner_join(users::table)
            .filter(orders::total.ge(min_total))
            .select((orders::id, users::name)),
    )?;
    big.create().execute(&mut conn)?;
    let table = big.as_table();
    let names: Vec<(i32, String)> = table
        .clone()
        .select((
            table.column::<Integer, _>("id"),
            table.column::<Text, _>("name"),
        ))
        .load(&mut conn)?;
    println!("  big_orders (built at run time): {names:?}");

    println!("== get_all_views");
    for view in pgview::catalog::get_all_views(&mut conn, &ViewFilter::new())? {
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

    big.drop().execute(&mut conn)?;
    RevenueSummary::drop()?.execute(&mut conn)?;
    UserSummary::drop()?.execute(&mut conn)?;
    println!("  dropped all three");
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
