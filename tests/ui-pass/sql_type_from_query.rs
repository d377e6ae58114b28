//! A field of a type pgview does not map (an enum of a PostgreSQL enum type) needs no
//! `sql_type` when the view's query is a function declared with `#[diesel::dsl::auto_type]`:
//! the column's SQL type is the query's, and the table, `Queryable`, filters and `find` work
//! with it.
#![deny(warnings, missing_docs)]

use diesel::prelude::*;
use pgview::PgView;

/// The SQL types of the schema.
pub mod sql_types {
    /// The `mood` enum.
    #[derive(Debug, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "mood"))]
    pub struct Mood;
}

/// A mood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = sql_types::Mood)]
pub enum Mood {
    /// Sad.
    Sad,
    /// Happy.
    Happy,
}

impl diesel::serialize::ToSql<sql_types::Mood, diesel::pg::Pg> for Mood {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
    ) -> diesel::serialize::Result {
        use std::io::Write;
        out.write_all(match self {
            Mood::Sad => b"sad",
            Mood::Happy => b"happy",
        })?;
        Ok(diesel::serialize::IsNull::No)
    }
}

impl diesel::deserialize::FromSql<sql_types::Mood, diesel::pg::Pg> for Mood {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        match bytes.as_bytes() {
            b"sad" => Ok(Mood::Sad),
            b"happy" => Ok(Mood::Happy),
            _ => Err("unknown mood".into()),
        }
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Mood;

    /// People and their moods.
    people (id) {
        /// The id.
        id -> Integer,
        /// The mood.
        mood -> Mood,
        /// The last mood, if any.
        last_mood -> Nullable<Mood>,
    }
}

#[diesel::dsl::auto_type]
fn happy_people() -> _ {
    let happy: Mood = Mood::Happy;
    people::table
        .filter(people::mood.eq(happy))
        .select((people::mood, people::id, people::last_mood))
}

/// Happy people: `mood` and `last_mood` take their SQL types from the query.
#[derive(PgView, Queryable, Debug)]
#[pgview(name = "happy", materialized, query = happy_people, unique_index(mood, id))]
pub struct Happy {
    /// `mood` (the table's primary key, for `find`).
    pub mood: Mood,
    /// `id`.
    pub id: i32,
    /// `last_mood`.
    pub last_mood: Option<Mood>,
}

#[allow(dead_code)]
fn uses(conn: &mut PgConnection) -> QueryResult<Vec<Happy>> {
    let _: Option<Happy> = happy::table.find((Mood::Happy, 1)).first(conn).optional()?;
    happy::table
        .filter(happy::mood.eq(Mood::Happy))
        .filter(happy::last_mood.is_null().or(happy::last_mood.ne(Mood::Sad)))
        .load(conn)
}

fn main() {
    let definition = Happy::definition().unwrap();
    assert_eq!(
        definition.query_sql(),
        r#"SELECT "people"."mood", "people"."id", "people"."last_mood" FROM "people" WHERE ("people"."mood" = 'happy'::"mood")"#
    );
}
