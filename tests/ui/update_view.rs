use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

#[derive(PgView)]
#[pgview(name = "v", materialized, sql = "SELECT 1 AS id")]
struct V {
    id: i32,
}

fn main() {
    let _ = diesel::update(v::table);
}
