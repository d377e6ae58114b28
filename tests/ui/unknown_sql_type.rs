use diesel::prelude::*;
use pgview::PgView;

struct Money(i64);

// One error, on the field: the view and its table are generated all the same, so the uses
// below add none.
#[derive(PgView, Queryable)]
#[pgview(name = "v", materialized, sql = "SELECT 1::money AS amount, 1 AS id")]
struct V {
    amount: Money,
    id: i32,
}

fn main() {
    let conn = &mut PgConnection::establish("").unwrap();
    V::create().unwrap().execute(conn).unwrap();
    V::refresh().unwrap().execute(conn).unwrap();
    V::drop().unwrap().execute(conn).unwrap();
    let rows: Vec<V> = v::table.filter(v::id.eq(1)).load(conn).unwrap();
    let _ = rows.first().map(|row| (row.amount.0, row.id));
}
