//! The testkit hands out migrated databases and drops the fresh ones.

use std::thread;

use diesel::dsl::sql;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{select, Connection, PgConnection, RunQueryDsl};

fn connect(url: &str) -> PgConnection {
    PgConnection::establish(url).unwrap_or_else(|err| panic!("connecting to {url}: {err}"))
}

fn is_migrated(conn: &mut PgConnection) -> bool {
    select(sql::<Bool>(
        "to_regclass('public.users') IS NOT NULL \
         AND to_regclass('public.orders') IS NOT NULL \
         AND to_regtype('public.mood') IS NOT NULL \
         AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'reporting')",
    ))
    .get_result(conn)
    .unwrap()
}

fn database_exists(name: &str) -> bool {
    let mut conn = connect(pgview_testkit::server_url());
    select(
        sql::<Bool>("EXISTS (SELECT 1 FROM pg_database WHERE datname = ")
            .bind::<Text, _>(name)
            .sql(")"),
    )
    .get_result(&mut conn)
    .unwrap()
}

#[test]
fn shared_database_is_migrated() {
    let url = pgview_testkit::shared_database_url();
    assert_eq!(url, pgview_testkit::shared_database_url());
    let mut conn = connect(url);
    assert!(is_migrated(&mut conn));
    conn.test_transaction::<_, diesel::result::Error, _>(|conn| {
        diesel::sql_query("INSERT INTO users (name) VALUES ('shared')").execute(conn)?;
        Ok(())
    });
}

#[test]
fn fresh_databases_are_separate_and_dropped() {
    let databases: Vec<_> = (0..2)
        .map(|_| thread::spawn(pgview_testkit::fresh_database))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect();
    assert_ne!(databases[0].name(), databases[1].name());
    for (i, db) in (1_i64..).zip(&databases) {
        assert!(db.url().ends_with(db.name()), "{}", db.url());
        let mut conn = connect(db.url());
        assert!(is_migrated(&mut conn));
        for n in 0..i {
            diesel::sql_query("INSERT INTO users (name) VALUES ($1)")
                .bind::<Text, _>(format!("user {n}"))
                .execute(&mut conn)
                .unwrap();
        }
        let count: i64 = select(sql::<BigInt>("(SELECT count(*) FROM users)"))
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(count, i, "each fresh database has only its own rows");
        // `conn` stays open: dropping the database ends it.
        std::mem::forget(conn);
    }
    let names: Vec<String> = databases.iter().map(|db| db.name().to_owned()).collect();
    assert!(names.iter().all(|name| database_exists(name)));
    drop(databases);
    assert!(names.iter().all(|name| !database_exists(name)));
}
