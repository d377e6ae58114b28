//! `write_migration`: the folder diesel runs unchanged, through `MigrationHarness`.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use pgview::{
    ddl::Index,
    diff::{DiffScope, ViewSet},
    MaterializedView, View,
};

use crate::migrate_support::{query_text, snapshot};

/// A generated migration runs and reverts with diesel's harness (each in one transaction), on
/// a database of its own: the harness commits.
#[test]
fn diesel_runs_and_reverts_the_written_folder() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE SCHEMA mw;
         CREATE VIEW mw.base AS SELECT id, name, email FROM users;
         CREATE MATERIALIZED VIEW mw.names AS SELECT id, name FROM mw.base;
         CREATE UNIQUE INDEX names_id_idx ON mw.names (id);
         COMMENT ON MATERIALIZED VIEW mw.names IS 'names';",
    )
    .unwrap();
    let before = snapshot(conn, &["mw"]);
    let declared = ViewSet::new()
        .with_view(
            View::from_sql("base", "SELECT id, name FROM users")
                .unwrap()
                .schema("mw")
                .unwrap(),
        )
        .with_materialized(
            MaterializedView::from_sql("names", "SELECT id, name FROM mw.base")
                .unwrap()
                .schema("mw")
                .unwrap()
                .index(Index::unique(["id"]).unwrap())
                .unwrap()
                .comment("names")
                .unwrap(),
        )
        .with_view(
            View::from_sql("emails", "SELECT id, email FROM users")
                .unwrap()
                .schema("mw")
                .unwrap(),
        );
    let scope = DiffScope::declared_schemas();
    let plan = pgview::diff::diff(conn, &declared, &scope)
        .unwrap()
        .plan()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("pgview-migrate-write-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let folder = pgview::migration::write_migration(&dir, "update_views", &plan).unwrap();
    let name = folder.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("_update_views"), "{name}");
    let version = name.split('_').next().unwrap().replace('-', "");
    assert_eq!(version.len(), 14, "{name}");

    let source = FileBasedMigrations::from_path(&dir).unwrap();
    let applied = conn.run_pending_migrations(source.clone()).unwrap();
    assert_eq!(applied.len(), 1);
    assert!(pgview::diff::diff(conn, &declared, &scope)
        .unwrap()
        .is_empty());
    assert_eq!(query_text(conn, "SELECT count(*) FROM mw.emails"), "0");

    conn.revert_last_migration(source).unwrap();
    assert_eq!(snapshot(conn, &["mw"]), before);
    std::fs::remove_dir_all(&dir).unwrap();
}
