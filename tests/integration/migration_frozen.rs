//! Migrations are frozen: a view of a derived struct is written once into a Diesel migration
//! folder, and migrating an empty database replays each definition as it was written, even
//! after the struct changed.

use std::fs;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use pgview::{
    migration::{MigrationFolder, Operation, ViewMigration, ViewMigrations},
    Error, PgView, View,
};

use crate::migration_support::{applied_versions, snapshot, text};
use crate::support::relkind;

/// The struct as it was when the first view migration was written.
mod v1 {
    #[derive(pgview::PgView, diesel::Queryable, Debug)]
    #[pgview(
        name = "paid_orders",
        schema = "frozen",
        sql = "SELECT id, total FROM frozen.orders WHERE paid"
    )]
    #[allow(dead_code)]
    pub(crate) struct PaidOrder {
        pub(crate) id: i32,
        pub(crate) total: i32,
    }
}

/// The same struct later: it reads `channel`, which a later table migration adds.
mod v2 {
    #[derive(pgview::PgView, diesel::Queryable, Debug)]
    #[pgview(
        name = "paid_orders",
        schema = "frozen",
        sql = "SELECT id, total, channel FROM frozen.orders WHERE paid"
    )]
    #[allow(dead_code)]
    pub(crate) struct PaidOrder {
        pub(crate) id: i32,
        pub(crate) total: i32,
        pub(crate) channel: Option<String>,
    }
}

/// A hand-written table migration, as `diesel migration generate` leaves it to be filled.
fn table_migration(dir: &Path, folder: &str, up: &str, down: &str) {
    let folder = dir.join(folder);
    fs::create_dir_all(&folder).unwrap();
    fs::write(folder.join("up.sql"), up).unwrap();
    fs::write(folder.join("down.sql"), down).unwrap();
}

/// The columns of `frozen.paid_orders` (name and type) as the catalog has them.
fn columns(conn: &mut PgConnection) -> String {
    text(
        conn,
        "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
         FROM pg_attribute WHERE attrelid = 'frozen.paid_orders'::regclass AND attnum > 0",
    )
}

/// `pg_get_viewdef` of `frozen.paid_orders` and of a reference view of `sql` made by the same
/// server (deparsed text differs between PostgreSQL versions: only compare the server's own).
fn definition_and_reference(conn: &mut PgConnection, sql: &str) -> (String, String) {
    let definition = text(conn, "pg_get_viewdef('frozen.paid_orders'::regclass)");
    conn.batch_execute(&format!("CREATE VIEW frozen.reference AS {sql}; SELECT 1"))
        .unwrap();
    let reference = text(conn, "pg_get_viewdef('frozen.reference'::regclass)");
    conn.batch_execute("DROP VIEW frozen.reference").unwrap();
    (definition, reference)
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The scenario: base table, a view written from struct v1, a column added later, the
/// struct changed to read it and a view update written from v2. An empty database migrates
/// from scratch, the old migration replaying the old definition.
#[test]
fn an_old_view_migration_replays_the_old_struct_definition() {
    let dir = TempDir(std::env::temp_dir().join(format!("pgview-frozen-{}", std::process::id())));
    let _ = fs::remove_dir_all(&dir.0);
    let dir = &dir.0;
    table_migration(
        dir,
        "2030-06-01-000000_create_orders",
        "CREATE SCHEMA frozen;\n\
         CREATE TABLE frozen.orders (id int PRIMARY KEY, total int NOT NULL, paid boolean NOT NULL);\n",
        "DROP TABLE frozen.orders;\nDROP SCHEMA frozen;\n",
    );
    // Written while the struct was v1.
    let created = MigrationFolder::new("paid_orders")
        .unwrap()
        .version("2030-06-02-000000")
        .unwrap()
        .operation(Operation::create::<v1::PaidOrder>().unwrap())
        .write(dir)
        .unwrap();
    let written_v1 = fs::read_to_string(created.join("up.sql")).unwrap();
    assert!(
        written_v1.contains(
            "CREATE VIEW \"frozen\".\"paid_orders\" (\"id\", \"total\") AS SELECT id, total FROM \
             frozen.orders WHERE paid;\n"
        ),
        "{written_v1}"
    );
    assert!(written_v1.contains("(from "), "{written_v1}");
    table_migration(
        dir,
        "2030-06-03-000000_order_channel",
        "ALTER TABLE frozen.orders ADD COLUMN channel text;\n",
        "ALTER TABLE frozen.orders DROP COLUMN channel;\n",
    );
    // The struct now reads `channel` (v2): its update is a new migration, a drop and a create
    // (the reverse of a replacement that appends columns would have to drop view columns).
    MigrationFolder::new("paid_orders_channel")
        .unwrap()
        .version("2030-06-04-000000")
        .unwrap()
        .operation(Operation::drop_view(v1::PaidOrder::definition().unwrap()).unwrap())
        .operation(Operation::create::<v2::PaidOrder>().unwrap())
        .write(dir)
        .unwrap();
    // Writing the old migration again from today's struct is refused: nothing is overwritten.
    let again = MigrationFolder::new("paid_orders")
        .unwrap()
        .version("2030-06-02-000000")
        .unwrap()
        .operation(Operation::create::<v2::PaidOrder>().unwrap())
        .write(dir)
        .unwrap_err();
    assert!(again.to_string().contains("never overwritten"), "{again}");
    assert_eq!(
        fs::read_to_string(created.join("up.sql")).unwrap(),
        written_v1
    );

    // An empty database (for these migrations), migrated from scratch one migration at a time.
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let before = applied_versions(conn);
    let source = || FileBasedMigrations::from_path(dir).unwrap();
    conn.run_next_migration(source()).unwrap();
    conn.run_next_migration(source()).unwrap();
    assert_eq!(relkind(conn, "frozen", "paid_orders").as_deref(), Some("v"));
    assert_eq!(columns(conn), "id integer, total integer");
    let (old, reference) =
        definition_and_reference(conn, "SELECT id, total FROM frozen.orders WHERE paid");
    assert_eq!(old, reference);

    let ran = conn.run_pending_migrations(source()).unwrap();
    let ran: Vec<String> = ran.iter().map(ToString::to_string).collect();
    assert_eq!(ran, ["20300603000000", "20300604000000"]);
    assert_eq!(columns(conn), "id integer, total integer, channel text");
    let (new, reference) = definition_and_reference(
        conn,
        "SELECT id, total, channel FROM frozen.orders WHERE paid",
    );
    assert_eq!(new, reference);
    assert_ne!(new, old);

    // And back: each written down.sql undoes its up.sql.
    conn.revert_last_migration(source()).unwrap();
    assert_eq!(columns(conn), "id integer, total integer");
    conn.revert_last_migration(source()).unwrap();
    conn.revert_last_migration(source()).unwrap();
    assert_eq!(relkind(conn, "frozen", "paid_orders"), None);
    conn.revert_last_migration(source()).unwrap();
    assert_eq!(applied_versions(conn), before);
    assert!(snapshot(conn, "frozen", false).is_empty());
}

#[derive(PgView, diesel::Queryable, Debug)]
#[pgview(
    name = "mig_derived",
    schema = "mig_derived",
    materialized,
    sql = "SELECT id, name FROM public.users"
)]
#[pgview(unique_index(id), comment = "derived")]
#[allow(dead_code)]
struct Derived {
    id: i32,
    name: String,
}

/// `create::<V>()` and `drop::<V>()` of a materialized view, written and run by the harness.
#[test]
fn derived_views_are_written_created_and_dropped() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("pgview-frozen-derived-{}", std::process::id())));
    let _ = fs::remove_dir_all(&dir.0);
    let create = Operation::create::<Derived>().unwrap();
    assert_eq!(
        create.description(),
        "create materialized view mig_derived.mig_derived"
    );
    assert!(create.source_type().ends_with("Derived"));
    table_migration(
        &dir.0,
        "2030-07-01-000000_schema",
        "CREATE SCHEMA mig_derived;\n",
        "DROP SCHEMA mig_derived;\n",
    );
    MigrationFolder::new("derived")
        .unwrap()
        .version("2030-07-02-000000")
        .unwrap()
        .operation(create)
        .write(&dir.0)
        .unwrap();
    MigrationFolder::new("drop_derived")
        .unwrap()
        .version("2030-07-03-000000")
        .unwrap()
        .operation(Operation::drop::<Derived>().unwrap())
        .write(&dir.0)
        .unwrap();

    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let source = || FileBasedMigrations::from_path(&dir.0).unwrap();
    conn.run_next_migration(source()).unwrap();
    conn.run_next_migration(source()).unwrap();
    assert_eq!(
        relkind(conn, "mig_derived", "mig_derived").as_deref(),
        Some("m")
    );
    let state = snapshot(conn, "mig_derived", false);
    assert!(
        state.iter().any(|l| l.contains("UNIQUE INDEX")),
        "{state:?}"
    );
    assert!(state.iter().any(|l| l.contains("| derived |")), "{state:?}");
    conn.run_next_migration(source()).unwrap();
    assert_eq!(relkind(conn, "mig_derived", "mig_derived"), None);
    conn.revert_last_migration(source()).unwrap();
    assert_eq!(snapshot(conn, "mig_derived", false), state);
}

/// An operation built from a derived struct's definition value has the type of any other; a
/// `ViewMigration` refuses to run it (directly or through the harness) before anything runs.
#[test]
fn a_view_migration_refuses_an_operation_built_from_a_struct_definition() {
    let derived = v2::PaidOrder::definition().unwrap();
    assert!(derived
        .source_type()
        .unwrap()
        .ends_with("migration_frozen::v2::PaidOrder"));
    // The mark is not part of the definition: the same definition stated in code is equal.
    let stated = View::from_sql(
        "paid_orders",
        "SELECT id, total, channel FROM frozen.orders WHERE paid",
    )
    .unwrap()
    .schema("frozen")
    .unwrap()
    .columns(["id", "total", "channel"])
    .unwrap();
    assert_eq!(&stated, derived);
    assert_eq!(stated.source_type(), None);

    let migration = ViewMigration::new("2030-08-01-000000_from_struct")
        .unwrap()
        .operation(
            Operation::sql("CREATE SCHEMA frozen_refused", "DROP SCHEMA frozen_refused").unwrap(),
        )
        .operation(Operation::create_view(derived).unwrap());
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let before = applied_versions(conn);
    let err = migration.up(conn).unwrap_err();
    assert!(matches!(err, Error::InvalidMigration { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("step 2 of 2 (create view frozen.paid_orders) was rendered from the current definition of")
            && message.contains("v2::PaidOrder")
            && message.contains("MigrationFolder"),
        "{message}"
    );
    assert_eq!(relkind(conn, "public", "frozen_refused"), None);
    assert_eq!(
        text(
            conn,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'frozen_refused'"
        ),
        "0"
    );
    let views = ViewMigrations::new().migration(migration).unwrap();
    let err = conn.run_pending_migrations(&views).unwrap_err();
    assert!(err.to_string().contains("v2::PaidOrder"), "{err}");
    assert_eq!(applied_versions(conn), before);
    // The same definition stated in code runs.
    let stated = ViewMigration::new("2030-08-01-000001_stated")
        .unwrap()
        .operation(Operation::sql("CREATE SCHEMA frozen; CREATE TABLE frozen.orders (id int, total int, paid bool, channel text)", "DROP SCHEMA frozen CASCADE").unwrap())
        .operation(Operation::create_view(&stated).unwrap());
    stated.up(conn).unwrap();
    assert_eq!(relkind(conn, "frozen", "paid_orders").as_deref(), Some("v"));
}
