use diesel::prelude::*;
use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

fn q() -> diesel::dsl::Select<users::table, users::id> {
    users::table.select(users::id)
}

#[derive(PgView)]
#[pgview(name = "v", query = q, sql = "SELECT 1 AS id")]
struct V {
    id: i32,
}

fn main() {}
