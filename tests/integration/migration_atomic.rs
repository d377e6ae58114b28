//! All or nothing: a migration that rebuilds a tree of 20 views (some materialized, with
//! indexes, comments and grants) fails at each step in turn, run through diesel's
//! `MigrationHarness` on a database of its own (the harness commits); after each failure the
//! catalog is exactly as before (same OIDs, options, comments, indexes, grants, data) and no
//! version is recorded. Then the whole rebuild succeeds, and reverting it restores the tree.
//!
//! Twice: with the rebuild written as operations (drop every view, create every new
//! definition), and with the engine's plan (`diff` + `plan`) written by `write_migration` and
//! run from its files, as `pgview generate` leaves it.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{
    embed_migrations, EmbeddedMigrations, FileBasedMigrations, MigrationHarness,
};
use pgview::{
    ddl::Index,
    diff::{DiffScope, ViewSet},
    migration::{Operation, ViewMigration, ViewMigrations},
    MaterializedView, View,
};

use crate::migration_support::{applied_versions, snapshot, text};

const TABLES: EmbeddedMigrations = embed_migrations!("migrations");

/// The number of views of the tree.
const VIEWS: usize = 20;

/// A view of the tree: `aon.vNN`, reading its parent `vNN/2` (the root reads `users`), every
/// third one materialized.
#[derive(Debug, Clone)]
enum Node {
    Plain(View),
    Materialized(MaterializedView),
}

/// The tree in creation order. `revision` 0 is the original tree; revision 1 adds a column
/// `rev` to every view and changes options and comments (what a rebuild would do).
fn tree(revision: u32) -> Vec<Node> {
    (1..=VIEWS)
        .map(|i| {
            let name = format!("v{i:02}");
            let source = if i == 1 {
                "public.users".to_owned()
            } else {
                format!("aon.v{:02}", i / 2)
            };
            let rev = if revision == 0 {
                String::new()
            } else {
                format!(", {revision} AS rev")
            };
            let sql = format!("SELECT id, name{rev} FROM {source} WHERE id > {}", i % 4);
            if i % 3 == 0 {
                let view = MaterializedView::from_sql(&name, &sql)
                    .unwrap()
                    .schema("aon")
                    .unwrap()
                    .index(Index::unique(["id"]).unwrap())
                    .unwrap()
                    .index(Index::new(["name"]).unwrap())
                    .unwrap()
                    .comment(&format!("materialized {i} r{revision}"))
                    .unwrap()
                    .column_comment("name", "the user's name")
                    .unwrap()
                    .storage_parameter("fillfactor", if revision == 0 { "90" } else { "80" })
                    .unwrap();
                Node::Materialized(view)
            } else {
                let mut view = View::from_sql(&name, &sql)
                    .unwrap()
                    .schema("aon")
                    .unwrap()
                    .security_barrier(i % 2 == 0);
                if i % 4 == 1 {
                    view = view.comment(&format!("plain {i} r{revision}")).unwrap();
                }
                Node::Plain(view)
            }
        })
        .collect()
}

fn create(node: &Node) -> Operation {
    match node {
        Node::Plain(view) => Operation::create_view(view).unwrap(),
        Node::Materialized(view) => Operation::create_materialized_view(view).unwrap(),
    }
}

fn drop(node: &Node) -> Operation {
    match node {
        Node::Plain(view) => Operation::drop_view(view).unwrap(),
        Node::Materialized(view) => Operation::drop_materialized_view(view).unwrap(),
    }
}

/// The rebuild of the tree from revision 0 to 1: drop every view (reverse creation order),
/// then create every new definition, then grant: 42 steps (the first one only acts on
/// revert: it grants again on the restored views, being the last reverse to run).
fn rebuild() -> Vec<Operation> {
    let old = tree(0);
    let new = tree(1);
    let mut steps = vec![grants().reversed().described("grant again when reverted")];
    steps.extend(old.iter().rev().map(drop));
    steps.extend(new.iter().map(create));
    steps.push(grants());
    steps
}

/// Grants on some views (as an application's migration would make them).
fn grants() -> Operation {
    let up: Vec<String> = (1..=VIEWS)
        .filter(|i| i % 5 == 0)
        .map(|i| format!("GRANT SELECT ON aon.v{i:02} TO PUBLIC"))
        .collect();
    Operation::sql(&up.join(";\n"), "")
        .unwrap()
        .described("grant select to public")
}

/// A step that fails: alternately at run time (division by zero after some work) and when
/// the server reads it (a relation that does not exist).
fn failing(k: usize) -> Operation {
    let sql = if k % 2 == 0 {
        "CREATE TABLE aon.scratch (x int); SELECT 1/0"
    } else {
        "CREATE VIEW aon.broken AS SELECT * FROM aon.no_such_relation"
    };
    Operation::sql(sql, "")
        .unwrap()
        .described("injected failure")
}

fn source(name: &str, steps: Vec<Operation>) -> ViewMigrations {
    ViewMigrations::new()
        .migration(ViewMigration::new(name).unwrap().operations(steps))
        .unwrap()
}

/// What must stay identical: the catalog of the schema with OIDs, and the rows of every view.
fn state(conn: &mut PgConnection) -> (Vec<String>, Vec<String>) {
    let rows = (1..=VIEWS)
        .map(|i| {
            text(
                conn,
                &format!("SELECT count(*) || '/' || coalesce(sum(id), 0) FROM aon.v{i:02}"),
            )
        })
        .collect();
    (snapshot(conn, "aon", true), rows)
}

/// A database of its own with the tree of revision 0, built by a migration through the
/// harness.
fn database_with_tree() -> (pgview_testkit::TestDatabase, PgConnection) {
    let db = pgview_testkit::fresh_database();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE SCHEMA aon;
         INSERT INTO users (name) SELECT 'user ' || n FROM generate_series(1, 50) AS n;",
    )
    .unwrap();
    let build: Vec<Operation> = tree(0).iter().map(create).chain([grants()]).collect();
    conn.run_pending_migrations(source("2030-06-01-000000_build_tree", build).chain(TABLES))
        .unwrap();
    (db, conn)
}

#[test]
fn a_failure_at_any_step_of_a_20_view_rebuild_changes_nothing() {
    let (_db, mut conn) = database_with_tree();
    let conn = &mut conn;

    let before = state(conn);
    let versions = applied_versions(conn);
    assert_eq!(before.0.len(), VIEWS + 2 * (VIEWS / 3), "{:#?}", before.0);
    assert!(before.1.iter().all(|rows| rows != "0/0"), "{:?}", before.1);

    let steps = rebuild();
    assert_eq!(steps.len(), 2 * VIEWS + 2);
    for k in 0..steps.len() {
        let mut broken = steps.clone();
        broken[k] = failing(k);
        let migrations = source("2030-06-02-000000_rebuild_tree", broken);
        let err = conn
            .run_pending_migrations(migrations.chain(TABLES))
            .expect_err("the injected failure must fail the migration");
        let message = err.to_string();
        assert!(
            message.contains(&format!("step {} of {}", k + 1, steps.len())),
            "step {k}: {message}"
        );
        assert_eq!(state(conn), before, "step {k} left changes behind");
        assert_eq!(applied_versions(conn), versions, "step {k}");
    }

    // The real rebuild succeeds…
    let migrations = source("2030-06-02-000000_rebuild_tree", steps);
    conn.run_pending_migrations(migrations.chain(TABLES))
        .unwrap();
    let after = snapshot(conn, "aon", false);
    assert!(after.iter().filter(|l| l.contains("rev integer")).count() == VIEWS);
    assert!(after.iter().any(|l| l.contains("materialized 3 r1")));
    assert_eq!(applied_versions(conn).len(), versions.len() + 1);

    // …and reverting it gives the original tree back (new OIDs, same everything else).
    conn.revert_last_migration(migrations.chain(TABLES))
        .unwrap();
    assert_eq!(
        snapshot(conn, "aon", false),
        snapshot_without_oids(&before.0)
    );
    assert_eq!(state(conn).1, before.1);
    assert_eq!(applied_versions(conn), versions);
}

/// `snapshot(…, true)` lines without their leading OID.
fn snapshot_without_oids(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            line.split_once(" | ")
                .map_or(line.clone(), |(_, rest)| rest.to_owned())
        })
        .collect()
}

/// A new empty folder for migration files.
fn scratch(k: usize) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pgview-atomic-{}-{k}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_failure_at_any_step_of_the_engine_rebuild_plan_changes_nothing() {
    let (_db, mut conn) = database_with_tree();
    let conn = &mut conn;
    let before = state(conn);
    let versions = applied_versions(conn);

    let mut declared = ViewSet::new();
    for node in tree(1) {
        declared = match node {
            Node::Plain(view) => declared.with_view(view),
            Node::Materialized(view) => declared.with_materialized(view),
        };
    }
    let scope = DiffScope::schemas(["aon"]).unwrap();
    let plan = pgview::diff::diff(conn, &declared, &scope)
        .unwrap()
        .plan()
        .unwrap();
    assert!(plan.steps.len() > VIEWS, "{}", plan.describe());
    assert!(plan.warnings.is_empty(), "{}", plan.describe());

    for k in 0..plan.steps.len() {
        let mut broken = plan.clone();
        broken.steps[k].sql = vec![if k % 2 == 0 {
            "SELECT 1/0".to_owned()
        } else {
            "CREATE VIEW aon.broken AS SELECT * FROM aon.no_such_relation".to_owned()
        }];
        let dir = scratch(k);
        pgview::migration::write_migration(&dir, "rebuild_tree", &broken).unwrap();
        let files = FileBasedMigrations::from_path(&dir).unwrap();
        let err = conn
            .run_pending_migrations(files)
            .expect_err("the injected failure must fail the migration");
        let message = err.to_string();
        assert!(
            message.contains("division by zero") || message.contains("no_such_relation"),
            "step {k}: {message}"
        );
        assert_eq!(state(conn), before, "step {k} left changes behind");
        assert_eq!(applied_versions(conn), versions, "step {k}");
        std::fs::remove_dir_all(&dir).unwrap();

        // The same plan as a view migration: the error names the step (after the ones that
        // set the search_path and guard the migration; before the record and the runner's
        // search_path).
        let migration = ViewMigration::from_plan("2030-07-01-000000_rebuild_tree", &broken);
        let migrations = ViewMigrations::new().migration(migration.unwrap()).unwrap();
        let err = conn
            .run_pending_migrations(migrations.chain(TABLES))
            .expect_err("the injected failure must fail the migration");
        let path = usize::from(plan.search_path.is_some());
        let total = plan.steps.len() + 2 + 2 * path;
        let step = format!("step {} of {total}", k + 2 + path);
        assert!(err.to_string().contains(&step), "{step}: {err}");
        assert_eq!(
            state(conn),
            before,
            "step {k} (view migration) left changes behind"
        );
        assert_eq!(applied_versions(conn), versions, "step {k}");
    }

    // The plan itself, as a view migration (no files): it succeeds, the database then matches
    // the declared tree, and reverting it gives the original tree back.
    let migration = ViewMigration::from_plan("2030-07-01-000000_rebuild_tree", &plan).unwrap();
    let migrations = ViewMigrations::new().migration(migration).unwrap();
    conn.run_pending_migrations(migrations.chain(TABLES))
        .unwrap();
    assert!(pgview::diff::diff(conn, &declared, &scope)
        .unwrap()
        .is_empty());
    conn.revert_last_migration(migrations.chain(TABLES))
        .unwrap();
    assert_eq!(
        snapshot(conn, "aon", false),
        snapshot_without_oids(&before.0)
    );
    assert_eq!(state(conn).1, before.1);
    assert_eq!(applied_versions(conn), versions);
}
