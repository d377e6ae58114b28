//! Changing a table that views read: `with_dependent_views` drops the dependent views
//! (transitively, plain and materialized, across schemas) and restores them exactly, in one
//! transaction.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use pgview::{migration::DependentViews, Error};

use crate::migration_support::{snapshot, text};
use crate::support::conn;

/// Tables `users` and `orders` of the test's own (seeded), and views over them in two
/// schemas: a view with options, comments, a grant and an `INSTEAD OF` trigger; a
/// materialized view over it with two indexes (one partial), a storage parameter and
/// comments; a view joining it with `users`; an unpopulated materialized view; a view in a
/// schema whose name needs quoting; and an unrelated view that must not be touched. Each test
/// has its own schemas (`<prefix>` and `<prefix> 2`), so that tests running at once do not lock
/// each other's tables.
const SETUP: &str = r#"
CREATE SCHEMA mig_dep;
CREATE SCHEMA "mig_dep 2";
CREATE TABLE mig_dep.users (id int PRIMARY KEY, name varchar(100) NOT NULL);
CREATE TABLE mig_dep.orders (id int PRIMARY KEY, user_id int NOT NULL, total numeric(10,2) NOT NULL);
INSERT INTO mig_dep.users VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol');
INSERT INTO mig_dep.orders VALUES (1, 1, 10.00), (2, 1, 20.00), (3, 2, 5.50);
CREATE VIEW mig_dep.v1 WITH (security_barrier = true) AS
    SELECT id, user_id, total FROM mig_dep.orders WHERE total >= 0;
COMMENT ON VIEW mig_dep.v1 IS 'paid orders';
COMMENT ON COLUMN mig_dep.v1.total IS 'the total';
GRANT SELECT ON mig_dep.v1 TO PUBLIC;
CREATE FUNCTION mig_dep.ignore() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER ignore_insert INSTEAD OF INSERT ON mig_dep.v1
    FOR EACH ROW EXECUTE FUNCTION mig_dep.ignore();
CREATE MATERIALIZED VIEW mig_dep.m2 WITH (fillfactor = 70) AS
    SELECT user_id, sum(total) AS total, count(*) AS n FROM mig_dep.v1 GROUP BY user_id;
CREATE UNIQUE INDEX m2_user ON mig_dep.m2 (user_id);
CREATE INDEX m2_big ON mig_dep.m2 (total) WHERE n > 1;
COMMENT ON MATERIALIZED VIEW mig_dep.m2 IS 'per user';
COMMENT ON COLUMN mig_dep.m2.n IS 'orders';
CREATE VIEW mig_dep.v3 AS
    SELECT u.name, m.total FROM mig_dep.m2 m JOIN mig_dep.users u ON u.id = m.user_id;
CREATE MATERIALIZED VIEW mig_dep.m4 AS SELECT name FROM mig_dep.v3 WITH NO DATA;
CREATE VIEW "mig_dep 2"."Big Orders" AS SELECT id FROM mig_dep.v1 WHERE total > 10;
CREATE VIEW mig_dep.unrelated AS SELECT id, name FROM mig_dep.users;
"#;

/// [`SETUP`] in the schemas of `prefix`.
fn setup(prefix: &str) -> String {
    SETUP.replace("mig_dep", prefix)
}

/// Widens the `total` column that the views read.
fn widen(prefix: &str) -> String {
    format!("ALTER TABLE {prefix}.orders ALTER COLUMN total TYPE numeric(14, 2)")
}

fn all_snapshots(conn: &mut PgConnection, prefix: &str, with_oids: bool) -> Vec<String> {
    let mut lines = snapshot(conn, prefix, with_oids);
    lines.extend(snapshot(conn, &format!("{prefix} 2"), with_oids));
    lines
}

#[test]
fn a_column_type_change_keeps_every_dependent_view() {
    let conn = &mut conn();
    let p = "mig_dep_a";
    conn.batch_execute(&setup(p)).unwrap();
    let before = all_snapshots(conn, p, false);
    let unrelated_oid = text(conn, &format!("'{p}.unrelated'::regclass::oid"));

    // Without the helper, the server refuses.
    let refused = conn.transaction(|conn| diesel::sql_query(widen(p)).execute(conn));
    let message = refused.unwrap_err().to_string();
    assert!(
        message.contains("cannot alter type of a column used by a view or rule"),
        "{message}"
    );

    let value = pgview::migration::with_dependent_views(conn, &format!("{p}.orders"), |conn| {
        diesel::sql_query(widen(p)).execute(conn)?;
        Ok::<_, Error>(42)
    })
    .unwrap();
    assert_eq!(value, 42);

    // Everything is back, identical but for the widened column.
    let expected: Vec<String> = before
        .iter()
        .map(|line| line.replace("total numeric(10,2)", "total numeric(14,2)"))
        .collect();
    assert_ne!(expected, before);
    assert_eq!(all_snapshots(conn, p, false), expected);
    assert_eq!(
        text(conn, &format!("'{p}.unrelated'::regclass::oid")),
        unrelated_oid
    );
    // Data: the materialized view is filled again, the unpopulated one stays unpopulated.
    assert_eq!(text(conn, &format!("SELECT sum(n) FROM {p}.m2")), "3");
    assert_eq!(
        text(
            conn,
            &format!("SELECT relispopulated FROM pg_class WHERE oid = '{p}.m4'::regclass")
        ),
        "false"
    );
}

#[test]
fn a_failure_anywhere_changes_nothing() {
    let conn = &mut conn();
    let p = "mig_dep_b";
    conn.batch_execute(&setup(p)).unwrap();
    let before = all_snapshots(conn, p, true);
    let orders = format!("{p}.orders");

    // The change fails: its error comes back unchanged.
    let err = pgview::migration::with_dependent_views(conn, &orders, |conn| {
        diesel::sql_query(widen(p)).execute(conn)?;
        diesel::sql_query("SELECT 1/0").execute(conn)?;
        Ok::<_, Error>(())
    })
    .unwrap_err();
    assert!(err.to_string().contains("division by zero"), "{err}");
    assert_eq!(all_snapshots(conn, p, true), before);

    // The views cannot be restored (the column they read is gone).
    let err = pgview::migration::with_dependent_views(conn, &orders, |conn| {
        diesel::sql_query(format!("ALTER TABLE {orders} DROP COLUMN total")).execute(conn)?;
        Ok::<_, Error>(())
    })
    .unwrap_err();
    match &err {
        Error::MigrationStep {
            migration, step, ..
        } => {
            assert_eq!(migration, &format!("the views that depend on {orders}"));
            assert_eq!(step, "restore (5 views)");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("total"), "{err}");
    assert_eq!(all_snapshots(conn, p, true), before);
    assert_eq!(
        text(
            conn,
            &format!("SELECT count(*) FROM {orders} WHERE total > 0")
        ),
        "3"
    );

    // An unknown relation.
    let err =
        pgview::migration::with_dependent_views(conn, "no_such_table", |_| Ok::<_, Error>(()))
            .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[test]
fn captured_views_in_order_with_their_statements() {
    let conn = &mut conn();
    let p = "mig_dep_c";
    conn.batch_execute(&setup(p)).unwrap();
    let views = DependentViews::capture(conn, &format!("{p}.orders")).unwrap();
    let names: Vec<String> = views.views().map(|v| v.fullname()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    let at = |n: &str| names.iter().position(|x| x == n).unwrap();
    assert!(at("mig_dep_c.v1") < at("mig_dep_c.m2"));
    assert!(at("mig_dep_c.m2") < at("mig_dep_c.v3"));
    assert!(at("mig_dep_c.v3") < at("mig_dep_c.m4"));
    assert!(at("mig_dep_c.v1") < at("mig_dep_c 2.Big Orders"));

    let drops = views.drop_statements();
    assert_eq!(drops.len(), 5);
    assert_eq!(drops.last().unwrap(), r#"DROP VIEW "mig_dep_c"."v1""#);
    assert!(drops.contains(&r#"DROP MATERIALIZED VIEW "mig_dep_c"."m4""#.to_owned()));
    let restore = views.restore_statements().join(";\n");
    // The query as this server prints it (PostgreSQL 18 leaves out the `orders.` that 15
    // writes before each column): its first line names the first column only.
    let v1 = text(conn, "pg_get_viewdef('mig_dep_c.v1'::regclass)");
    let v1_create = format!(
        r#"CREATE VIEW "mig_dep_c"."v1" ("id", "user_id", "total") WITH (security_barrier = true) AS {}"#,
        v1.trim_start().lines().next().unwrap()
    );
    for expected in [
        v1_create.as_str(),
        "FROM mig_dep_c.orders",
        r#"COMMENT ON COLUMN "mig_dep_c"."v1"."total" IS 'the total'"#,
        r#"GRANT SELECT ON TABLE "mig_dep_c"."v1" TO PUBLIC"#,
        "CREATE TRIGGER ignore_insert INSTEAD OF INSERT ON mig_dep_c.v1",
        r#"WITH ("fillfactor" = '70')"#,
        r#"CREATE UNIQUE INDEX "m2_user" ON "mig_dep_c"."m2" USING btree (user_id)"#,
        "WHERE (n > 1)",
        "WITH NO DATA",
        r#"CREATE VIEW "mig_dep_c 2"."Big Orders""#,
    ] {
        assert!(restore.contains(expected), "{expected}\n{restore}");
    }
    let op = views.restore_operation().unwrap();
    assert_eq!(
        op.description(),
        "restore the views that depend on mig_dep_c.orders"
    );
    assert_eq!(op.down_sql(), [drops.join(";\n")]);

    // Nothing depends on a fresh table.
    diesel::sql_query(format!("CREATE TABLE {p}.lonely (x int)"))
        .execute(conn)
        .unwrap();
    let none = DependentViews::capture(conn, &format!("{p}.lonely")).unwrap();
    assert!(none.is_empty());
    assert!(none.restore_statements().is_empty());
}

#[test]
fn a_table_change_in_a_view_migration_run_by_the_harness() {
    use diesel_migrations::MigrationHarness;
    use pgview::migration::{Operation, ViewMigration, ViewMigrations};

    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let p = "mig_dep_h";
    conn.batch_execute(&setup(p)).unwrap();
    let before = all_snapshots(conn, p, false);
    let orders = format!("{p}.orders");
    let change = Operation::with_dependent_views(
        orders.as_str(),
        &widen(p),
        &format!("ALTER TABLE {orders} ALTER COLUMN total TYPE numeric(10, 2)"),
    )
    .unwrap();
    let migration = ViewMigration::new("2030-08-01-000000_widen_total")
        .unwrap()
        .operation(change);
    assert!(migration
        .up_sql()
        .contains("are dropped before and restored after"));
    let views = ViewMigrations::new().migration(migration).unwrap();

    conn.run_pending_migrations(&views).unwrap();
    let widened: Vec<String> = before
        .iter()
        .map(|line| line.replace("total numeric(10,2)", "total numeric(14,2)"))
        .collect();
    assert_eq!(all_snapshots(conn, p, false), widened);

    conn.revert_last_migration(&views).unwrap();
    assert_eq!(all_snapshots(conn, p, false), before);
}

/// Counts the queries a connection sends.
fn counting(conn: &mut PgConnection) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let instrumentation = move |event: InstrumentationEvent<'_>| {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    };
    conn.set_instrumentation(Box::new(instrumentation) as Box<dyn Instrumentation>);
    count
}

#[test]
fn the_number_of_queries_does_not_depend_on_the_number_of_views() {
    let mut queries = Vec::new();
    for n in [2, 12] {
        let conn = &mut conn();
        let mut sql = String::from("CREATE SCHEMA mig_count; CREATE TABLE mig_count.t (x int);");
        sql.push_str("CREATE VIEW mig_count.v0 AS SELECT x FROM mig_count.t;");
        for i in 1..n {
            let kind = if i % 3 == 0 {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            };
            let _ = write!(
                sql,
                "CREATE {kind} mig_count.v{i} AS SELECT x FROM mig_count.v{};",
                i - 1
            );
        }
        conn.batch_execute(&sql).unwrap();
        let count = counting(conn);
        pgview::migration::with_dependent_views(conn, "mig_count.t", |conn| {
            diesel::sql_query("ALTER TABLE mig_count.t ALTER COLUMN x TYPE bigint")
                .execute(conn)?;
            Ok::<_, Error>(())
        })
        .unwrap();
        queries.push(count.load(Ordering::SeqCst));
        let last = format!(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = 'mig_count.v{}'::regclass AND attname = 'x'",
            n - 1
        );
        assert_eq!(text(conn, &last), "bigint");
    }
    assert_eq!(queries[0], queries[1], "{queries:?}");
}

/// On an async connection (a module of its own: `diesel_async::RunQueryDsl` is imported).
#[cfg(feature = "async")]
mod on_async {
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    use pgview::{migration::DependentViews, Error};

    use super::{setup, widen};
    use crate::support::async_conn;

    #[tokio::test]
    async fn async_change_with_dependent_views() {
        let conn = &mut async_conn().await;
        let p = "mig_dep_async";
        conn.batch_execute(&setup(p)).await.unwrap();
        let orders = format!("{p}.orders");
        pgview::aio::with_dependent_views(conn, &orders, async |conn| {
            diesel::sql_query(widen(p)).execute(conn).await?;
            Ok::<_, Error>(())
        })
        .await
        .unwrap();
        let views = DependentViews::capture_async(conn, &orders).await.unwrap();
        assert_eq!(views.len(), 5);
        let v1 = views.views().next().unwrap();
        assert_eq!(v1.fullname(), "mig_dep_async.v1");
        let info = pgview::aio::get_view(conn, &v1.fullname()).await.unwrap();
        assert_eq!(info.columns[2].sql_type, "numeric(14,2)");

        // The same as an operation of a view migration run directly.
        let narrow = format!("ALTER TABLE {orders} ALTER COLUMN total TYPE numeric(12, 2)");
        let migration = pgview::migration::ViewMigration::new("2030-08-02-000000_narrow")
            .unwrap()
            .operation(
                pgview::migration::Operation::with_dependent_views(orders.as_str(), &narrow, "")
                    .unwrap(),
            );
        migration.up_async(conn).await.unwrap();
        let views = DependentViews::capture_async(conn, &orders).await.unwrap();
        assert_eq!(views.len(), 5);
        let info = pgview::aio::get_view(conn, "mig_dep_async.v1")
            .await
            .unwrap();
        assert_eq!(info.columns[2].sql_type, "numeric(12,2)");
    }
}

/// A dependent view with a column default and a privilege its owner gave up comes back with
/// both: `with_dependent_views` restores what a generated migration restores (one snapshot).
#[test]
fn a_view_with_a_column_default_and_a_self_revoked_privilege_is_restored() {
    let conn = &mut conn();
    let setup = r#"
        CREATE SCHEMA mig_dep_def;
        CREATE TABLE mig_dep_def.t (id int PRIMARY KEY, label varchar(10) NOT NULL);
        CREATE VIEW mig_dep_def."v default" AS SELECT id, label FROM mig_dep_def.t;
        ALTER VIEW mig_dep_def."v default" ALTER COLUMN label SET DEFAULT 'none';
        REVOKE TRUNCATE ON mig_dep_def."v default" FROM CURRENT_USER;
        GRANT SELECT, INSERT ON mig_dep_def."v default" TO PUBLIC;
        CREATE MATERIALIZED VIEW mig_dep_def.m AS SELECT label FROM mig_dep_def."v default";
    "#;
    conn.batch_execute(setup).unwrap();
    let before = crate::migrate_support::snapshot(conn, &["mig_dep_def"]);
    assert!(
        before[1].contains("label character varying(10) - default 'none'"),
        "{before:?}"
    );
    pgview::migration::with_dependent_views(conn, "mig_dep_def.t", |conn| {
        diesel::sql_query("ALTER TABLE mig_dep_def.t ALTER COLUMN id TYPE bigint").execute(conn)?;
        Ok::<_, Error>(())
    })
    .unwrap();
    let after: Vec<String> = crate::migrate_support::snapshot(conn, &["mig_dep_def"])
        .into_iter()
        .map(|line| line.replace("id bigint", "id integer"))
        .collect();
    assert_eq!(after, before);
    // The default works: an insert through the view takes it.
    diesel::sql_query(r#"INSERT INTO mig_dep_def."v default" (id) VALUES (1)"#)
        .execute(conn)
        .unwrap();
    assert_eq!(text(conn, "SELECT label FROM mig_dep_def.t"), "none");
}
