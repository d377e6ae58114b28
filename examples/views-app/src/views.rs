//! The views of the application: a view from a typed Diesel query, a materialized view, and a
//! view reading the materialized view.

use diesel::dsl::count;
use diesel::{NullableExpressionMethods, QueryDsl};
use pgview::PgView;

/// The tables (only the columns the views use).
mod schema {
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
        }
    }

    diesel::joinable!(orders -> users (user_id));
    diesel::allow_tables_to_appear_in_same_query!(users, orders);
}

use schema::{orders, users};

/// Users with their number of orders (users without orders included).
#[diesel::dsl::auto_type]
fn user_orders_query() -> _ {
    users::table
        .left_join(orders::table)
        .group_by((users::id, users::name))
        .select((users::id, users::name, count(orders::id.nullable())))
}

/// A plain view from a Diesel query (checked against the struct at compile time).
#[derive(PgView, Debug)]
#[pgview(name = "app_user_orders", query = user_orders_query)]
#[allow(dead_code, reason = "read through the generated table")]
pub(crate) struct UserOrders {
    user_id: i32,
    name: String,
    order_count: i64,
}

/// A materialized view with the unique index a concurrent refresh needs.
#[derive(PgView, Debug)]
#[pgview(
    name = "app_order_counts",
    materialized,
    unique_index(user_id),
    sql = "SELECT user_id, count(*) AS orders FROM orders GROUP BY user_id"
)]
#[allow(dead_code, reason = "read through the generated table")]
pub(crate) struct OrderCounts {
    user_id: i32,
    orders: i64,
}

/// A plain view reading the materialized view.
#[derive(PgView, Debug)]
#[pgview(
    name = "app_busy_users",
    sql = "SELECT user_id FROM app_order_counts WHERE orders > 3",
    comment = "users with more than three orders"
)]
#[allow(dead_code, reason = "read through the generated table")]
pub(crate) struct BusyUsers {
    user_id: i32,
}
