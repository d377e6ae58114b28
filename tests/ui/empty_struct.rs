use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

#[derive(PgView)]
#[pgview(name = "v", sql = "SELECT 1 AS id")]
struct V {}

fn main() {}
