use diesel::prelude::*;
use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

fn q() -> diesel::dsl::Select<users::table, (users::id, users::name)> {
    users::table.select((users::id, users::name))
}

#[derive(PgView)]
#[pgview(name = "v", query = q)]
struct V {
    id: i64,
    name: String,
}

fn main() {}
