use diesel::prelude::*;
use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

fn q() -> diesel::dsl::Select<users::table, (users::id, users::email)> {
    users::table.select((users::id, users::email))
}

#[derive(PgView)]
#[pgview(name = "v", query = q)]
struct V {
    id: i32,
    email: String,
}

fn main() {}
