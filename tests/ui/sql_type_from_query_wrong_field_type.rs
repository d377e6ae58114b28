use diesel::prelude::*;
use pgview::PgView;

diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }

/// A newtype that reads text, not integers.
struct Name(String);

impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for Name {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)
            .map(Name)
    }
}

#[diesel::dsl::auto_type]
fn users_query() -> _ {
    users::table.select((users::name, users::id))
}

// `id` takes its SQL type from the query (`Integer`), which `Name` cannot read: an error on
// the field (loading the view into `V` would be Diesel's error at the load).
#[derive(PgView)]
#[pgview(name = "v", query = users_query)]
struct V {
    name: Name,
    id: Name,
}

fn main() {
    let _ = V::create();
    let _ = V { name: Name(String::new()), id: Name(String::new()) }.id.0;
}
