use diesel::prelude::*;
use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

#[derive(PgView)]
#[pgview(name = "v", sql = "SELECT 1 AS id", materialised)]
struct V {
    id: i32,
}

fn main() {
    // The one mistake gives one error: the derive still generates the table and a `PgView`
    // impl, so these uses add none.
    let conn = &mut PgConnection::establish("").unwrap();
    V::create().unwrap().execute(conn).unwrap();
    let _: Vec<i32> = v::table.select(v::id).filter(v::id.gt(0)).load(conn).unwrap();
}
