//! `#[derive(PgView)]`: typed view tables, their definitions and statements.

use bigdecimal::BigDecimal;
use diesel::dsl::{count, count_star, sum};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Numeric};
use pgview::{MaterializedView, PgView, View};

use crate::support::{conn, orders, seed, users};

/// The query of [`UserStats`]: a left join with a count.
#[diesel::dsl::auto_type]
fn user_stats_query() -> _ {
    users::table
        .left_join(orders::table)
        .group_by((users::id, users::name))
        .select((users::id, users::name, count(orders::id.nullable())))
}

#[derive(PgView, Queryable, Selectable, Debug, PartialEq)]
#[diesel(table_name = derive_user_stats)]
#[pgview(name = "derive_user_stats", materialized, query = user_stats_query)]
#[pgview(unique_index(user_id), comment = "orders per user")]
struct UserStats {
    user_id: i32,
    #[pgview(comment = "the user's name")]
    name: String,
    order_count: i64,
}

/// The query of [`Revenue`], typed through `impl Trait`.
fn revenue_query() -> impl diesel::query_builder::Query<SqlType = (Integer, Nullable<Numeric>)>
       + diesel::query_builder::QueryFragment<diesel::pg::Pg> {
    orders::table
        .group_by(orders::user_id)
        .select((orders::user_id, sum(orders::total)))
}

#[derive(PgView, Queryable, Debug, PartialEq)]
#[pgview(name = "derive_revenue", query = revenue_query, security_barrier)]
struct Revenue {
    user_id: i32,
    total: Option<BigDecimal>,
}

/// A view reading another derived view's table.
#[diesel::dsl::auto_type]
fn top_query() -> _ {
    derive_user_stats::table
        .select((derive_user_stats::name, derive_user_stats::order_count))
        .filter(derive_user_stats::order_count.gt(0_i64))
}

#[derive(PgView, Queryable, Debug, PartialEq)]
#[pgview(name = "derive top buyers", module = derive_top, query = top_query)]
struct TopBuyer {
    #[pgview(column = "buyer name")]
    name: String,
    orders: i64,
}

#[derive(PgView, Queryable, Debug, PartialEq)]
#[pgview(
    name = "derive_big",
    sql = "SELECT user_id, total FROM derive_revenue WHERE total > 10"
)]
struct BigRevenue {
    user_id: i32,
    total: Option<BigDecimal>,
}

#[derive(PgView, Queryable, Debug, PartialEq)]
#[pgview(
    name = "derive_moods",
    schema = "reporting",
    sql = "SELECT 'happy'::mood AS mood, ARRAY['sad'::mood] AS past"
)]
struct Moods {
    #[pgview(sql_type = crate::literals::MoodType)]
    mood: crate::literals::Mood,
    #[pgview(sql_type = diesel::sql_types::Array<crate::literals::MoodType>)]
    past: Vec<crate::literals::Mood>,
}

diesel::allow_tables_to_appear_in_same_query!(derive_user_stats, derive_revenue);
diesel::allow_tables_to_appear_in_same_query!(derive_user_stats, orders);

fn create_all(conn: &mut PgConnection) {
    UserStats::create().unwrap().execute(conn).unwrap();
    Revenue::create().unwrap().execute(conn).unwrap();
    TopBuyer::create().unwrap().execute(conn).unwrap();
    BigRevenue::create().unwrap().execute(conn).unwrap();
}

#[test]
fn derived_views_are_queried_with_their_types() {
    let conn = &mut conn();
    seed(conn);
    create_all(conn);

    let busy: Vec<UserStats> = derive_user_stats::table
        .filter(derive_user_stats::order_count.gt(1))
        .select(UserStats::as_select())
        .load(conn)
        .unwrap();
    assert_eq!(busy.len(), 1);
    assert_eq!(busy[0].name, "Alice");
    assert_eq!(busy[0].order_count, 2);

    let revenue: Vec<Revenue> = derive_revenue::table
        .order_by(derive_revenue::user_id)
        .load(conn)
        .unwrap();
    assert_eq!(revenue[0].total, Some("30.00".parse().unwrap()));
    assert_eq!(revenue.len(), 2);

    let big: Vec<BigRevenue> = derive_big::table.load(conn).unwrap();
    assert_eq!(
        big,
        vec![BigRevenue {
            user_id: revenue[0].user_id,
            total: revenue[0].total.clone()
        }]
    );

    let top: Vec<TopBuyer> = derive_top::table
        .order_by(derive_top::name)
        .load(conn)
        .unwrap();
    assert_eq!(
        top,
        vec![
            TopBuyer {
                name: "Alice".into(),
                orders: 2
            },
            TopBuyer {
                name: "Bob".into(),
                orders: 1
            }
        ]
    );

    let joined: Vec<(String, Option<BigDecimal>)> = derive_user_stats::table
        .inner_join(
            derive_revenue::table.on(derive_revenue::user_id.eq(derive_user_stats::user_id)),
        )
        .select((derive_user_stats::name, derive_revenue::total))
        .order_by(derive_user_stats::name)
        .load(conn)
        .unwrap();
    assert_eq!(joined.len(), 2);

    // A view joined with a table.
    let with_orders: Vec<(String, BigDecimal)> = orders::table
        .inner_join(derive_user_stats::table.on(derive_user_stats::user_id.eq(orders::user_id)))
        .select((derive_user_stats::name, orders::total))
        .order_by(orders::total)
        .load(conn)
        .unwrap();
    assert_eq!(with_orders.len(), 3);
    assert_eq!(with_orders[0].0, "Bob");

    // Group, count, box and arithmetic.
    let per_count: Vec<(i64, i64)> = derive_user_stats::table
        .group_by(derive_user_stats::order_count)
        .select((derive_user_stats::order_count, count_star()))
        .order_by(derive_user_stats::order_count)
        .load(conn)
        .unwrap();
    assert_eq!(per_count, vec![(0, 1), (1, 1), (2, 1)]);
    let total: i64 = derive_user_stats::table.count().get_result(conn).unwrap();
    assert_eq!(total, 3);
    let boxed: Vec<i64> = derive_user_stats::table
        .select(derive_user_stats::order_count * 10)
        .filter(derive_user_stats::name.ne("Carol"))
        .order_by(derive_user_stats::order_count)
        .into_boxed()
        .load(conn)
        .unwrap();
    assert_eq!(boxed, vec![10, 20]);
}

#[test]
fn derived_definitions_carry_every_option() {
    let stats: &MaterializedView = UserStats::definition().unwrap();
    assert_eq!(stats.fullname(), "derive_user_stats");
    let columns: Vec<_> = stats
        .column_names()
        .iter()
        .map(pgview::ddl::Ident::as_str)
        .collect();
    assert_eq!(columns, ["user_id", "name", "order_count"]);
    assert!(stats.can_refresh_concurrently());
    assert_eq!(stats.comment_text(), Some("orders per user"));
    assert_eq!(stats.column_comments()[0].comment, "the user's name");

    let top: &View = TopBuyer::definition().unwrap();
    assert_eq!(top.fullname(), "derive top buyers");
    assert_eq!(top.column_names()[0].as_str(), "buyer name");
    assert!(
        top.query_sql()
            .contains(r#""derive_user_stats"."order_count" > '0'::int8"#),
        "{}",
        top.query_sql()
    );
    assert_eq!(
        Moods::qualified_name().unwrap().fullname(),
        "reporting.derive_moods"
    );
    assert_eq!(
        Revenue::definition().unwrap().options(),
        vec![("security_barrier", "true".to_string())]
    );
}

#[test]
fn custom_sql_types_and_schemas() {
    let conn = &mut conn();
    Moods::create().unwrap().execute(conn).unwrap();
    let moods: Vec<Moods> = derive_moods::table.load(conn).unwrap();
    assert_eq!(moods[0].mood, crate::literals::Mood::Happy);
    assert_eq!(moods[0].past, vec![crate::literals::Mood::Sad]);
}

#[cfg(feature = "async")]
mod on_async_connections {
    use diesel_async::RunQueryDsl;

    use super::*;
    use crate::support::{async_conn, SEED};

    #[tokio::test]
    async fn derived_views_on_async_connections() {
        let conn = &mut async_conn().await;
        diesel::sql_query(SEED).execute(conn).await.unwrap();
        UserStats::create().unwrap().execute(conn).await.unwrap();
        Revenue::create()
            .unwrap()
            .or_replace()
            .execute(conn)
            .await
            .unwrap();
        let rows: Vec<UserStats> = derive_user_stats::table
            .order_by(derive_user_stats::user_id)
            .select(UserStats::as_select())
            .load(conn)
            .await
            .unwrap();
        assert_eq!(rows.len(), 3);
        UserStats::refresh()
            .unwrap()
            .concurrently()
            .execute(conn)
            .await
            .unwrap();
        let revenue: Vec<Revenue> = derive_revenue::table.load(conn).await.unwrap();
        assert_eq!(revenue.len(), 2);
        Revenue::drop().unwrap().execute(conn).await.unwrap();
        UserStats::drop().unwrap().execute(conn).await.unwrap();
    }
}

/// A materialized view with every kind of index the attributes can declare.
// Clippy reads two `unique_index(…)` lists naming the same field as a duplicated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(PgView, Queryable, Debug, PartialEq)]
#[pgview(
    name = "derive_rental_category",
    materialized,
    sql = "SELECT u.id AS user_id, u.email, count(o.id) AS orders, array_agg(o.status) AS statuses \
           FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id"
)]
#[pgview(unique_index(expression = "user_id + 0", name = "rc_expr_unique"))]
#[pgview(unique_index(name = "rc_partial", user_id, include(e_mail), where = "orders > 0"))]
#[pgview(unique_index(user_id))]
#[pgview(index(
    name = "index_users_on_lower_email",
    expression("lower(email)", desc, nulls_last)
))]
#[pgview(index(
    e_mail(opclass = "text_pattern_ops", collate = "C", desc),
    user_id(nulls_first)
))]
#[pgview(index(statuses, using = "gin"))]
struct RentalCategory {
    user_id: i32,
    #[pgview(column = "email")]
    e_mail: Option<String>,
    orders: i64,
    statuses: Vec<Option<String>>,
}

#[test]
fn derived_indexes_are_those_the_builder_makes_and_the_server_takes() {
    use pgview::ddl::{Index, IndexPart};
    let mv: &MaterializedView = RentalCategory::definition().unwrap();
    let expected = [
        Index::unique_on([IndexPart::expression("user_id + 0").unwrap()])
            .unwrap()
            .named("rc_expr_unique")
            .unwrap(),
        Index::unique(["user_id"])
            .unwrap()
            .include(["email"])
            .unwrap()
            .where_sql("orders > 0")
            .unwrap()
            .named("rc_partial")
            .unwrap(),
        Index::unique(["user_id"])
            .unwrap()
            .named("derive_rental_category_user_id_idx")
            .unwrap(),
        Index::expression("lower(email)")
            .unwrap()
            .named("index_users_on_lower_email")
            .unwrap(),
        Index::on([
            IndexPart::column("email")
                .unwrap()
                .opclass("text_pattern_ops")
                .unwrap()
                .collate("C")
                .unwrap()
                .desc(),
            IndexPart::column("user_id").unwrap().nulls_first(),
        ])
        .unwrap()
        .named("derive_rental_category_email_user_id_idx")
        .unwrap(),
        Index::new(["statuses"])
            .unwrap()
            .using("gin")
            .unwrap()
            .named("derive_rental_category_statuses_idx")
            .unwrap(),
    ];
    assert_eq!(mv.indexes()[0], expected[0]);
    assert_eq!(mv.indexes()[1], expected[1]);
    assert_eq!(mv.indexes()[2], expected[2]);
    assert_eq!(mv.indexes()[4], expected[4]);
    assert_eq!(mv.indexes()[5], expected[5]);
    // `desc, nulls_last` of the expression part.
    assert!(mv.indexes()[3].parts()[0].is_descending());
    assert_eq!(mv.indexes().len(), 6);
    // Diesel's primary key is the first unique index on plain columns.
    let _: derive_rental_category::user_id =
        <derive_rental_category::table as Table>::primary_key(&derive_rental_category::table);
    let conn = &mut conn();
    RentalCategory::create().unwrap().execute(conn).unwrap();
    assert_eq!(
        crate::support::count(
            conn,
            "SELECT count(*) AS n FROM pg_index WHERE indrelid = 'derive_rental_category'::regclass"
        ),
        6
    );
}

#[test]
fn statements_from_the_attributes_are_the_definitions() {
    use diesel::debug_query;
    use diesel::pg::Pg;
    let sql = |statements: &[pgview::ddl::CommentOn]| -> Vec<String> {
        statements
            .iter()
            .map(|s| debug_query::<Pg, _>(s).to_string())
            .collect()
    };
    let definition = UserStats::definition().unwrap();
    let by_name = UserStats::comment_statements().unwrap();
    assert_eq!(by_name.len(), 2);
    assert_eq!(sql(&by_name), sql(&definition.comment_statements()));
    assert_eq!(
        debug_query::<Pg, _>(&UserStats::drop().unwrap()).to_string(),
        debug_query::<Pg, _>(&definition.drop()).to_string()
    );
    assert_eq!(
        debug_query::<Pg, _>(&UserStats::refresh().unwrap().concurrently()).to_string(),
        debug_query::<Pg, _>(&definition.refresh().concurrently()).to_string()
    );
    assert_eq!(UserStats::qualified_name().unwrap(), definition.name());
    assert!(Revenue::comment_statements().unwrap().is_empty());
}

/// An enum field without `sql_type`: its SQL type is the query's column's.
mod sql_type_from_the_query {
    use diesel::prelude::*;
    use pgview::{Error, PgView};

    use crate::literals::Mood;
    use crate::support::{conn, relkind, sql};

    diesel::table! {
        use diesel::sql_types::*;
        use crate::literals::MoodType;

        derive_people (id) {
            id -> Integer,
            mood -> MoodType,
            last_mood -> Nullable<MoodType>,
        }
    }

    /// The query fixes the SQL types of `mood` (`MoodType`) and `last_mood`
    /// (`Nullable<MoodType>`); `#[diesel::dsl::auto_type]` declares its type as
    /// `not_sad_people`, which the derive reads them from.
    #[diesel::dsl::auto_type]
    fn not_sad_people() -> _ {
        let sad: Mood = Mood::Sad;
        derive_people::table
            .filter(derive_people::mood.ne(sad))
            .select((
                derive_people::id,
                derive_people::mood,
                derive_people::last_mood,
            ))
    }

    #[derive(PgView, Queryable, Debug, PartialEq)]
    #[pgview(name = "derive_not_sad", materialized, query = not_sad_people)]
    #[pgview(unique_index(id, mood))]
    struct NotSad {
        id: i32,
        mood: Mood,
        last_mood: Option<Mood>,
    }

    #[test]
    fn an_enum_view_without_sql_type_works_end_to_end() {
        let conn = &mut conn();
        sql(
            conn,
            "CREATE TABLE derive_people (id int PRIMARY KEY, mood mood NOT NULL, last_mood mood)",
        );
        sql(
            conn,
            "INSERT INTO derive_people VALUES (1, 'happy', NULL), (2, 'sad', 'ok'), (3, 'ok', 'sad')",
        );
        assert_eq!(
            NotSad::definition().unwrap().query_sql(),
            r#"SELECT "derive_people"."id", "derive_people"."mood", "derive_people"."last_mood" FROM "derive_people" WHERE ("derive_people"."mood" != 'sad'::"mood")"#
        );
        NotSad::create().unwrap().execute(conn).unwrap();
        NotSad::verify(conn).unwrap();

        let all: Vec<NotSad> = derive_not_sad::table
            .order(derive_not_sad::id)
            .load(conn)
            .unwrap();
        assert_eq!(
            all,
            [
                NotSad {
                    id: 1,
                    mood: Mood::Happy,
                    last_mood: None
                },
                NotSad {
                    id: 3,
                    mood: Mood::Ok,
                    last_mood: Some(Mood::Sad)
                },
            ]
        );
        // Filters and `find` (the primary key is the unique index) take the enum's values.
        let happy: Vec<i32> = derive_not_sad::table
            .filter(derive_not_sad::mood.eq(Mood::Happy))
            .select(derive_not_sad::id)
            .load(conn)
            .unwrap();
        assert_eq!(happy, [1]);
        let found: NotSad = derive_not_sad::table
            .find((3, Mood::Ok))
            .first(conn)
            .unwrap();
        assert_eq!(found.last_mood, Some(Mood::Sad));
        let once_sad: i64 = derive_not_sad::table
            .filter(derive_not_sad::last_mood.eq(Mood::Sad))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(once_sad, 1);

        sql(conn, "UPDATE derive_people SET mood = 'happy' WHERE id = 2");
        NotSad::refresh()
            .unwrap()
            .concurrently()
            .execute(conn)
            .unwrap();
        let count: i64 = derive_not_sad::table.count().get_result(conn).unwrap();
        assert_eq!(count, 3);

        NotSad::drop().unwrap().execute(conn).unwrap();
        assert_eq!(relkind(conn, "public", "derive_not_sad"), None);
        // `verify` reads the view by name: it is gone.
        let err = NotSad::verify(conn).unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err}");
    }
}
