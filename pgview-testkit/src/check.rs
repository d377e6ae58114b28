//! Checks of a database's state shared by the tests and the benchmarks.

use diesel::sql_types::{Array, BigInt, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

#[derive(QueryableByName)]
struct Matview {
    #[diesel(sql_type = Text)]
    name: String,
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
/// # Panics
/// When a query fails (a test or benchmark helper).
pub fn stale_materialized_views(conn: &mut PgConnection, schemas: &[&str]) -> Vec<String> {
    let views = diesel::sql_query(
        "SELECT format('%I.%I', n.nspname, c.relname) AS name, pg_get_viewdef(c.oid) AS definition
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'm' AND c.relispopulated AND n.nspname = ANY ($1)
         ORDER BY 1",
    )
    .bind::<Array<Text>, _>(schemas)
    .load::<Matview>(conn)
    .expect("the materialized views");
    let mut stale = Vec::new();
    for view in views {
        let query = view.definition.trim().trim_end_matches(';');
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
