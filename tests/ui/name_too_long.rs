use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

#[derive(PgView)]
#[pgview(name = "a_view_name_that_is_much_longer_than_the_sixty_three_bytes_postgres_keeps", module = v, sql = "SELECT 1 AS id")]
struct V {
    id: i32,
}

fn main() {}
