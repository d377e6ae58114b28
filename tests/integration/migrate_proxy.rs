//! Declared materialized views are compared as the server makes them, whether the comparison
//! creates them as such or as a cheaper stand-in (a plain view with its indexes on a
//! temporary table): views reading one by a system column, with `TABLESAMPLE` or with a check
//! option get what a materialized view gives them, and indexes with the same name in two
//! schemas are both compared.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use pgview::{
    ddl::{CheckOption, Index},
    diff::{DiffScope, ViewSet},
    MaterializedView, View,
};

use crate::migrate_support::apply;

fn totals(schema: &str) -> MaterializedView {
    MaterializedView::from_sql(
        "totals",
        "SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id",
    )
    .unwrap()
    .schema(schema)
    .unwrap()
    .index(Index::unique(["user_id"]).unwrap())
    .unwrap()
    .index(
        Index::new(["total"])
            .unwrap()
            .where_sql("total > 0")
            .unwrap(),
    )
    .unwrap()
    .comment("per user")
    .unwrap()
}

/// Compares, applies, and compares again: nothing left to do.
fn applies_cleanly(conn: &mut PgConnection, set: &ViewSet) {
    let diff = pgview::diff::diff(conn, set, &DiffScope::declared_schemas()).unwrap();
    apply(conn, &diff.plan().unwrap().up_sql()).unwrap();
    let again = pgview::diff::diff(conn, set, &DiffScope::declared_schemas()).unwrap();
    assert!(again.is_empty(), "{again}");
}

#[test]
fn readers_of_a_materialized_view_see_a_materialized_view() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute("CREATE SCHEMA px").unwrap();
    let with_reader = |name: &str, sql: &str| {
        ViewSet::new()
            .with_materialized(totals("px"))
            .with_view(View::from_sql(name, sql).unwrap().schema("px").unwrap())
    };
    // A system column and a sample: a plain view has neither.
    applies_cleanly(
        conn,
        &with_reader("by_row", "SELECT ctid AS row_id, user_id FROM px.totals"),
    );
    applies_cleanly(
        conn,
        &with_reader(
            "sampled",
            "SELECT user_id FROM px.totals TABLESAMPLE SYSTEM (50)",
        ),
    );
    // A view with a check option must be updatable: one reading a materialized view is not
    // (one reading a plain view of one table would be).
    let checked = ViewSet::new()
        .with_materialized(
            MaterializedView::from_sql("names", "SELECT id, name FROM users")
                .unwrap()
                .schema("px")
                .unwrap(),
        )
        .with_view(
            View::from_sql("checked", "SELECT id, name FROM px.names WHERE id > 0")
                .unwrap()
                .schema("px")
                .unwrap()
                .check_option(CheckOption::Local),
        );
    match pgview::diff::diff(conn, &checked, &DiffScope::declared_schemas()) {
        Err(pgview::Error::DeclaredViewsRejected { views }) => {
            assert_eq!(views.len(), 1, "{views:?}");
            assert_eq!(views[0].0, "px.checked");
            assert!(views[0].1.contains("updatable"), "{views:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn indexes_of_the_same_name_in_two_schemas() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute("CREATE SCHEMA px_a; CREATE SCHEMA px_b; CREATE TEMPORARY TABLE pgview_proxy_0 (a int); CREATE INDEX totals_user_id_idx ON pgview_proxy_0 (a)")
        .unwrap();
    let set = ViewSet::new()
        .with_materialized(totals("px_a"))
        .with_materialized(totals("px_b"));
    applies_cleanly(conn, &set);
    // A changed one: compared through the server against the live one, same indexes.
    let changed = ViewSet::new()
        .with_materialized(totals("px_a").comment("changed").unwrap())
        .with_materialized(totals("px_b"));
    let diff = pgview::diff::diff(conn, &changed, &DiffScope::declared_schemas()).unwrap();
    let text = diff.to_string();
    assert!(
        text.contains("px_a.totals") && !text.contains("px_b.totals"),
        "{text}"
    );
    assert!(!text.contains("index"), "{text}");
    // Of the session's temporary objects, only the caller's own are left.
    assert_eq!(
        crate::migrate_support::query_text(
            conn,
            "(SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class \
             WHERE relnamespace = pg_my_temp_schema())"
        ),
        "pgview_proxy_0 totals_user_id_idx"
    );
}

/// A role that may not create temporary tables compares materialized views all the same
/// (created as such).
#[test]
fn a_role_without_temporary_tables() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    // Everything undone at the end, the role too.
    conn.begin_test_transaction().unwrap();
    let database = crate::migrate_support::query_text(conn, "current_database()");
    conn.batch_execute(&format!(
        "CREATE SCHEMA px_r; CREATE ROLE px_r_user;
         GRANT USAGE, CREATE ON SCHEMA px_r TO px_r_user; GRANT SELECT ON orders TO px_r_user;
         REVOKE TEMPORARY ON DATABASE \"{database}\" FROM PUBLIC;
         SET LOCAL ROLE px_r_user;"
    ))
    .unwrap();
    let set = ViewSet::new().with_materialized(totals("px_r"));
    let diff = pgview::diff::diff(conn, &set, &DiffScope::declared_schemas()).unwrap();
    assert!(diff.to_string().contains("px_r.totals"), "{diff}");
}
