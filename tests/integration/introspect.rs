//! `get_view_columns` (types and inferred nullability) and `PgView::verify`.

use diesel::RunQueryDsl;
use pgview::{Error, PgView};

#[cfg(feature = "async")]
use crate::support::async_conn;
use crate::support::{conn, sql};

/// The varied schema of these tests and of `pgview print-schema`'s.
const SCHEMA: &str = include_str!("../fixtures/introspect_schema.sql");

/// The columns of `view` proven NOT NULL, in order.
fn proven(conn: &mut diesel::PgConnection, view: &str) -> Vec<String> {
    let view = pgview::catalog::get_view_columns(
        conn,
        &pgview::ddl::QualifiedName::new(Some("intro Spect"), view).unwrap(),
    )
    .unwrap_or_else(|e| panic!("{view}: {e}"));
    view.columns
        .into_iter()
        .filter(|c| c.not_null)
        .map(|c| c.name)
        .collect()
}

#[test]
fn nullability_is_proven_exactly() {
    let conn = &mut conn();
    sql(conn, SCHEMA);
    // Inner join: the NOT NULL columns of both tables.
    assert_eq!(
        proven(conn, "owners \"and\" pets"),
        ["id", "Full Name", "pet"]
    );
    // Left join: the right side's columns are nullable; counts are not, sum and max are.
    assert_eq!(
        proven(conn, "pet_counts"),
        ["id", "feeling", "pets", "all_rows"]
    );
    assert_eq!(
        proven(conn, "exprs"),
        [
            "id",
            "pet_or_none",
            "one",
            "x",
            "big_id",
            "sign",
            "no_pet",
            "tags",
            "score",
            "type",
            "doc",
            "raw",
            "span",
            "uid",
            "at",
            "at_tz",
            "bytes",
            "f",
            "small",
            "yes",
            "spot",
            "feelings",
            "nums",
        ]
    );
    assert_eq!(
        proven(conn, "more_exprs"),
        ["has_pets", "g", "b", "rn", "r", "id_text"]
    );
    // A view over views: traced through both.
    assert_eq!(proven(conn, "Type"), ["id", "pet", "pet_or_none"]);
    // UNION ALL: proven in every branch.
    assert_eq!(proven(conn, "unioned"), ["id"]);
    assert!(proven(conn, "full_join").is_empty());
    assert_eq!(proven(conn, "right_join"), ["pet"]);
    // ROLLUP: the grouped column is NULL in the total row.
    assert_eq!(proven(conn, "rolled"), ["n"]);
    assert_eq!(
        proven(conn, "Busy Owners"),
        ["owner id", "zip code", "pets"]
    );
    // Over a materialized view, with a subquery in FROM.
    assert_eq!(proven(conn, "from_matview"), ["owner id", "pets", "n"]);
    // A CTE and a scalar subquery are not traced.
    assert!(proven(conn, "cte").is_empty());
}

#[test]
fn nullability_follows_the_tables_constraints() {
    let conn = &mut conn();
    sql(conn, SCHEMA);
    sql(
        conn,
        r#"ALTER TABLE "intro Spect".pets ALTER COLUMN name DROP NOT NULL"#,
    );
    assert_eq!(proven(conn, "owners \"and\" pets"), ["id", "Full Name"]);
    assert_eq!(proven(conn, "Type"), ["id", "pet_or_none"]);
}

#[test]
fn columns_have_their_types() {
    let conn = &mut conn();
    sql(conn, SCHEMA);
    let view = pgview::catalog::get_view_columns(conn, "\"intro Spect\".exprs").unwrap();
    let column = |name: &str| view.columns.iter().find(|c| c.name == name).unwrap();
    let feeling = column("type");
    assert!(feeling.type_name.is_enum);
    assert_eq!(
        (
            feeling.type_name.schema.as_str(),
            feeling.type_name.name.as_str()
        ),
        ("intro Spect", "Feeling")
    );
    let feelings = column("feelings").element.as_ref().unwrap();
    assert!(feelings.is_enum);
    assert_eq!(feelings.name, "Feeling");
    assert_eq!(column("tags").element.as_ref().unwrap().name, "text");
    assert_eq!(column("score").type_modifier, (10 << 16) + 2 + 4);
    assert_eq!(column("shout").type_name.oid, 25);
    assert!(column("score").element.is_none());
    let all = pgview::catalog::get_all_view_columns(
        conn,
        &pgview::catalog::ViewFilter::new().schema("intro Spect"),
    )
    .unwrap();
    let names: Vec<&str> = all.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Busy Owners",
            "Type",
            "cte",
            "exprs",
            "from_matview",
            "full_join",
            "more_exprs",
            "owners \"and\" pets",
            "pet_counts",
            "right_join",
            "rolled",
            "unioned",
        ]
    );
    let busy = &all[0];
    assert!(busy.is_materialized);
    assert_eq!(busy.columns[2].comment.as_deref(), Some("how many"));
}

#[derive(diesel::sql_types::SqlType)]
#[diesel(postgres_type(name = "mood"))]
struct Mood;

#[derive(PgView)]
#[allow(dead_code)]
#[pgview(
    name = "verify_ok",
    sql = "SELECT u.id, u.name, u.email, 'happy'::mood AS mood, count(*) OVER () AS n, \
           ARRAY['a'] AS tags FROM users u"
)]
struct VerifyOk {
    id: i32,
    name: String,
    email: Option<String>,
    #[pgview(sql_type = Mood)]
    mood: String,
    /// `Option` over a NOT NULL column is fine.
    n: Option<i64>,
    tags: Vec<Option<String>>,
}

#[derive(PgView)]
#[allow(dead_code)]
#[pgview(name = "verify_bad", sql = "SELECT 1")]
struct VerifyBad {
    sid: i64,
    email: String,
    mood: String,
    missing: Option<i32>,
}

const BAD_VIEW: &str = "CREATE VIEW verify_bad AS \
    SELECT u.id AS sid, u.email, 'happy'::mood AS mood, u.name FROM users u";

const BAD_MESSAGE: &str = "public.verify_bad does not match its struct: \
    field `sid` is `BigInt` but column \"sid\" is integer; \
    field `email` is not `Option` but column \"email\" (text) is not proven NOT NULL; \
    field `mood` is `Text` but column \"mood\" is mood; \
    field `missing`: the view has no column \"missing\"; \
    column \"name\" (character varying(100)) has no field";

#[test]
fn verify_accepts_a_matching_struct_and_lists_every_mismatch() {
    let conn = &mut conn();
    VerifyOk::create().unwrap().execute(conn).unwrap();
    VerifyOk::verify(conn).unwrap();
    sql(conn, BAD_VIEW);
    let error = VerifyBad::verify(conn).unwrap_err();
    let Error::ViewMismatch { mismatches, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(mismatches.len(), 5);
    assert_eq!(error.to_string(), BAD_MESSAGE);
}

#[test]
fn verify_of_a_missing_view_is_not_found() {
    let conn = &mut conn();
    let error = VerifyOk::verify(conn).unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
}

#[cfg(feature = "async")]
#[tokio::test]
async fn verify_async() {
    let conn = &mut async_conn().await;
    let error = pgview::aio::verify::<VerifyOk, _>(conn).await.unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    diesel_async::RunQueryDsl::execute(VerifyOk::create().unwrap(), conn)
        .await
        .unwrap();
    pgview::aio::verify::<VerifyOk, _>(conn).await.unwrap();
    diesel_async::RunQueryDsl::execute(diesel::sql_query(BAD_VIEW), conn)
        .await
        .unwrap();
    let error = pgview::aio::verify::<VerifyBad, _>(conn).await.unwrap_err();
    assert_eq!(error.to_string(), BAD_MESSAGE);
    let view = pgview::aio::get_view_columns(conn, "verify_bad")
        .await
        .unwrap();
    assert_eq!(view.columns.len(), 4);
}
