//! Checks of a database's state shared by the tests and the benchmarks.

use diesel::sql_types::{Array, BigInt, Oid, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

#[derive(QueryableByName)]
struct Matview {
    #[diesel(sql_type = Oid)]
    oid: u32,
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    definition: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The populated materialized views of `schemas` whose rows differ from what their own query
/// returns now, as `schema.name: n rows differ`: each is compared with its definition row by
/// row (rows as text, so that every type compares, duplicates counted), both ways. Empty when
/// every materialized view is fresh.
///
/// One view at a time (its definition, then the comparison): outside a transaction each
/// statement's locks end with it, so any number of views can be checked on a server with a
/// small lock table; inside one, the locks add up until it ends.
///
/// # Panics
/// When a query fails (a test or benchmark helper).
pub fn stale_materialized_views(conn: &mut PgConnection, schemas: &[&str]) -> Vec<String> {
    let views = diesel::sql_query(
        "SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'm' AND c.relispopulated AND n.nspname = ANY ($1)
         ORDER BY 1",
    )
    .bind::<Array<Text>, _>(schemas)
    .load::<Matview>(conn)
    .expect("the materialized views");
    let mut stale = Vec::new();
    for view in views {
        // Printing a definition locks the view: one at a time, not all in one statement.
        let definition = diesel::sql_query("SELECT pg_get_viewdef($1) AS definition")
            .bind::<Oid, _>(view.oid)
            .get_result::<Definition>(conn)
            .expect("a materialized view's definition")
            .definition;
        let query = definition.trim().trim_end_matches(';');
        let sql = format!(
            "SELECT count(*) AS n FROM ( \
               (SELECT m::text FROM {name} m EXCEPT ALL SELECT q::text FROM ({query}) q) \
               UNION ALL \
               (SELECT q::text FROM ({query}) q EXCEPT ALL SELECT m::text FROM {name} m)) d",
            name = view.name
        );
        let differing = diesel::sql_query(&sql)
            .get_result::<Count>(conn)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .n;
        if differing != 0 {
            stale.push(format!("{}: {differing} rows differ", view.name));
        }
    }
    stale
}
