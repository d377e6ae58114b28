use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

#[derive(PgView)]
#[pgview(name = "v", materialized, sql = "SELECT 1 AS id", check_option = "local")]
struct V {
    id: i32,
}

fn main() {}
