use diesel::prelude::*;
use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

struct Name(String);

#[diesel::dsl::auto_type]
fn users_query() -> _ {
    users::table.select((users::id,))
}

// The query has one column: `name` has none to take its SQL type from.
#[derive(PgView)]
#[pgview(name = "v", query = users_query)]
struct V {
    id: i32,
    name: Name,
}

fn main() {
    let _ = V::create();
    let _ = v::name;
    let _ = Name(String::new()).0;
}
