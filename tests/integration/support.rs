//! Connections for the tests: each inside a transaction that is rolled back.

use diesel::{Connection, PgConnection, RunQueryDsl};
#[cfg(feature = "async")]
use diesel_async::{AsyncConnection, AsyncPgConnection};

/// A connection to the shared test database inside a transaction that is never committed.
pub(crate) fn conn() -> PgConnection {
    let mut conn = PgConnection::establish(pgview_testkit::shared_database_url())
        .expect("cannot connect to the test database");
    conn.begin_test_transaction()
        .expect("cannot begin the test transaction");
    conn
}

/// The async counterpart of [`conn`].
#[cfg(feature = "async")]
pub(crate) async fn async_conn() -> AsyncPgConnection {
    let mut conn = AsyncPgConnection::establish(pgview_testkit::shared_database_url())
        .await
        .expect("cannot connect to the test database");
    conn.begin_test_transaction()
        .await
        .expect("cannot begin the test transaction");
    conn
}

/// Inserts the users and orders the view tests read.
pub(crate) fn seed(conn: &mut PgConnection) {
    diesel::sql_query(SEED).execute(conn).expect("seed data");
}

/// Users Alice (2 orders, 30.00), Bob (1 order, 5.50) and Carol (no order).
pub(crate) const SEED: &str = "WITH u AS (
    INSERT INTO users (name, email) VALUES ('Alice', 'a@x'), ('Bob', NULL), ('Carol', 'c@x')
    RETURNING id, name)
  INSERT INTO orders (user_id, total, status)
  SELECT u.id, o.total, o.status FROM u JOIN (VALUES ('Alice', 10.00, 'paid'), ('Alice', 20.00, 'new'),
    ('Bob', 5.50, 'paid')) AS o(name, total, status) ON o.name = u.name";

diesel::table! {
    users (id) {
        id -> Integer,
        name -> Varchar,
        email -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    orders (id) {
        id -> Integer,
        user_id -> Integer,
        total -> Numeric,
        status -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(orders -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, orders);

/// `relkind` of a relation (`v`, `m`, …), or `None` when it does not exist.
pub(crate) fn relkind(conn: &mut PgConnection, schema: &str, name: &str) -> Option<String> {
    use diesel::sql_types::Text;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        relkind: String,
    }
    diesel::sql_query(
        "SELECT c.relkind::text AS relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = $2",
    )
    .bind::<Text, _>(schema)
    .bind::<Text, _>(name)
    .get_result::<Row>(conn)
    .ok()
    .map(|r| r.relkind)
}

/// Runs statements separated by `;` and a line break, one by one.
pub(crate) fn sql(conn: &mut PgConnection, statements: &str) {
    for statement in statements.split(";\n").filter(|s| !s.trim().is_empty()) {
        diesel::sql_query(statement)
            .execute(conn)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// The `n` column of a one-row query.
pub(crate) fn count(conn: &mut PgConnection, query: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(query).get_result::<Row>(conn).unwrap().n
}

/// The test server's major version (`server_version_num / 10000`), for the few behaviours that
/// differ between versions (`security_invoker` exists from 15; PostgreSQL 13 and 14 read the
/// numbers of an interval's text as 32-bit integers). Read once.
pub(crate) fn server_major() -> i32 {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        major: i32,
    }
    static MAJOR: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    *MAJOR.get_or_init(|| {
        let mut conn = PgConnection::establish(pgview_testkit::shared_database_url())
            .expect("cannot connect to the test database");
        diesel::sql_query("SELECT current_setting('server_version_num')::int / 10000 AS major")
            .get_result::<Row>(&mut conn)
            .expect("the server version")
            .major
    })
}

/// Whether the test server has the view option `security_invoker` (PostgreSQL 15 and later).
pub(crate) fn has_security_invoker() -> bool {
    server_major() >= 15
}
