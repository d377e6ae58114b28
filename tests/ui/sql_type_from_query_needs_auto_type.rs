use diesel::prelude::*;
use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

struct Name(String);

// `Name` is no type pgview maps, so the derive takes the column's SQL type from the query's
// type, which it names `users_query`: only `#[diesel::dsl::auto_type]` declares a type of the
// function's name, and this function has a written return type.
fn users_query() -> diesel::dsl::Select<users::table, (users::id, users::name)> {
    users::table.select((users::id, users::name))
}

#[derive(PgView, Queryable)]
#[pgview(name = "v", query = users_query)]
struct V {
    id: i32,
    name: Name,
}

fn main() {
    let conn = &mut PgConnection::establish("").unwrap();
    V::create().unwrap().execute(conn).unwrap();
    let rows: Vec<V> = v::table.load(conn).unwrap();
    let _ = rows.first().map(|row| (row.id, &row.name.0));
}
