//! Reading views through `as_table()` with Diesel's query builder.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use pgview::View;

use crate::support::{conn, seed};

#[test]
fn as_table_filters_orders_and_joins() {
    let conn = &mut conn();
    seed(conn);
    let view = View::from_sql(
        "q_counts",
        "SELECT u.id AS user_id, count(o.id) AS n FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id",
    )
    .unwrap();
    view.create().execute(conn).unwrap();
    let t = view.as_table();
    let user_id = t.column::<Integer, _>("user_id");
    let n = t.column::<BigInt, _>("n");

    let busy: Vec<i32> = t
        .clone()
        .select(user_id)
        .filter(n.clone().gt(1))
        .load(conn)
        .unwrap();
    assert_eq!(busy.len(), 1);

    let ordered: Vec<i64> = t.select(n.clone()).order_by(n.desc()).load(conn).unwrap();
    assert_eq!(ordered, vec![2, 1, 0]);
}
