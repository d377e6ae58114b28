use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

struct Money(i64);

#[derive(PgView)]
#[pgview(name = "v", sql = "SELECT 1::money AS amount")]
struct V {
    amount: Money,
}

fn main() {}
