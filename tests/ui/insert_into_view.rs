use diesel::ExpressionMethods;
use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

#[derive(PgView)]
#[pgview(name = "v", materialized, sql = "SELECT 1 AS id")]
struct V {
    id: i32,
}

fn main() {
    let _ = diesel::insert_into(v::table).values(v::id.eq(1));
}
