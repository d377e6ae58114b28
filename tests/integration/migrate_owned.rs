//! The ownership record (`pgview.managed_views`) across generated migrations, on databases of
//! their own (diesel's `MigrationHarness` commits): what the default (managed) scope drops and
//! what it leaves alone, how up and down keep the record, adopting a hand-made view, the
//! explicit scopes, and the refusal to drop a hand-made view that reads a view pgview drops
//! (through `write_migration` files, `ViewMigration::from_plan` and its async form).
//!
//! Every name is hostile: a schema with a space and double quotes, views with quotes, spaces
//! and commas.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use pgview::{
    ddl::QualifiedName,
    diff::{DiffScope, DiffStatus, ViewDiff, ViewSet},
    migration::{MigrationPlan, PlanOptions, ViewMigration},
    Error, View,
};

use crate::migrate_support::{oid, query_text, snapshot, step_lines};

/// The schema of the declared views.
const S: &str = "own \"s\" 1";
/// Views pgview creates.
const A: &str = "a 'one'";
const B: &str = "b \"two\"";
/// A view a teammate made by hand.
const H: &str = "h, by hand";

/// `"schema"."name"`, quoted as SQL and as `DiffScope::views` / `PlanOptions::allow_drop` take.
fn qn(schema: &str, name: &str) -> String {
    QualifiedName::new(Some(schema), name).unwrap().to_string()
}

/// `schema.name`, unquoted, as the diff and the errors print names.
fn full(schema: &str, name: &str) -> String {
    format!("{schema}.{name}")
}

/// A plain view of `S`.
fn view(name: &str, sql: &str) -> View {
    View::from_sql(name, sql).unwrap().schema(S).unwrap()
}

fn set(views: &[&View]) -> ViewSet {
    views
        .iter()
        .fold(ViewSet::new(), |set, view| set.with_view((*view).clone()))
}

/// The status of a view in a diff (`None`: not reported).
fn status(diff: &ViewDiff, schema: &str, name: &str) -> Option<DiffStatus> {
    diff.get(schema, name).map(|e| e.status.clone())
}

fn unmanaged(diff: &ViewDiff) -> Vec<String> {
    diff.unmanaged()
        .map(pgview::diff::DiffEntry::fullname)
        .collect()
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// The views and materialized views of a schema, by name.
fn views_in(conn: &mut PgConnection, schema: &str) -> Vec<String> {
    diesel::sql_query(
        "SELECT c.relname::text AS line FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') ORDER BY 1",
    )
    .bind::<Text, _>(schema)
    .load::<Line>(conn)
    .unwrap()
    .into_iter()
    .map(|l| l.line)
    .collect()
}

/// The record, one `schema.name | kind | recorded_at (UTC, microseconds)` line per view
/// (empty when the table does not exist).
fn record(conn: &mut PgConnection) -> Vec<String> {
    if query_text(conn, "to_regclass('pgview.managed_views') IS NOT NULL") != "true" {
        return Vec::new();
    }
    diesel::sql_query(
        "SELECT concat_ws(' | ', schema_name || '.' || view_name, kind,
                 to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')) AS line
         FROM pgview.managed_views ORDER BY schema_name, view_name",
    )
    .load::<Line>(conn)
    .unwrap()
    .into_iter()
    .map(|l| l.line)
    .collect()
}

/// The views recorded, `schema.name`.
fn recorded(conn: &mut PgConnection) -> Vec<String> {
    record(conn)
        .into_iter()
        .map(|line| line.split(" | ").next().unwrap().to_owned())
        .collect()
}

/// Whether every row of the record names the view of that name as it is now (`view_oid`), as
/// `true`/`false`.
fn record_matches_catalog(conn: &mut PgConnection) -> String {
    query_text(
        conn,
        "SELECT bool_and(view_oid = to_regclass(quote_ident(schema_name) || '.' \
         || quote_ident(view_name))::oid) FROM pgview.managed_views",
    )
}

/// The catalog line of one view of a snapshot.
fn line_of(snapshot: &[String], schema: &str, name: &str) -> String {
    let prefix = format!("{schema}.{name} |");
    snapshot
        .iter()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{prefix} not in {snapshot:#?}"))
        .clone()
}

/// A migrations folder of its own, removed when dropped.
struct Folder(PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn folder(test: &str) -> Folder {
    let dir = std::env::temp_dir().join(format!(
        "pgview-migrate-owned-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    Folder(dir)
}

/// Writes the plan as a migration (as `pgview generate` does) and applies it with diesel's
/// harness.
fn generate_and_migrate(conn: &mut PgConnection, dir: &Path, name: &str, plan: &MigrationPlan) {
    pgview::migration::write_migration(dir, name, plan).unwrap();
    let source = FileBasedMigrations::from_path(dir).unwrap();
    let applied = conn.run_pending_migrations(source).unwrap();
    assert_eq!(applied.len(), 1, "{name}");
}

/// Reverts the last migration with diesel's harness.
fn revert(conn: &mut PgConnection, dir: &Path) {
    let source = FileBasedMigrations::from_path(dir).unwrap();
    conn.revert_last_migration(source).unwrap();
}

fn database() -> (pgview_testkit::TestDatabase, PgConnection) {
    let db = pgview_testkit::fresh_database();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(&format!("CREATE SCHEMA \"{}\"", S.replace('"', "\"\"")))
        .unwrap();
    (db, conn)
}

/// Migration 1 creates `a` and `b` beside a teammate's view `h` (unmanaged, untouched);
/// migration 2, `b` no longer declared, drops `b` (recorded) and leaves `h`. Reverting 2 gives
/// `b` back with its record row as it was (same `recorded_at`); reverting 1 leaves no view of
/// pgview's and an empty record.
#[test]
fn ownership_follows_two_generated_migrations_and_their_reverts() {
    let (_db, mut conn) = database();
    let conn = &mut conn;
    conn.batch_execute(&format!(
        "CREATE VIEW {} AS SELECT id, name FROM public.users",
        qn(S, H)
    ))
    .unwrap();
    let start = snapshot(conn, &[S]);
    let dir = folder("two");
    let a = view(A, "SELECT id, name FROM public.users WHERE id > 0");
    let b = view(B, &format!("SELECT id FROM {}", qn(S, A)));
    let scope = DiffScope::managed();
    assert_eq!(scope, DiffScope::default());

    // Migration 1.
    let diff = pgview::diff::diff(conn, &set(&[&a, &b]), &scope).unwrap();
    assert_eq!(status(&diff, S, A), Some(DiffStatus::Created), "{diff}");
    assert_eq!(status(&diff, S, B), Some(DiffStatus::Created), "{diff}");
    assert_eq!(status(&diff, S, H), Some(DiffStatus::Unmanaged), "{diff}");
    assert_eq!(unmanaged(&diff), [full(S, H)]);
    assert!(
        diff.to_string()
            .contains(&format!("? view {}: unmanaged", full(S, H))),
        "{diff}"
    );
    let plan = diff.plan().unwrap();
    assert_eq!(
        step_lines(&plan),
        [
            format!("create (declared) {}", full(S, A)),
            format!("create (declared) {}", full(S, B))
        ]
    );
    generate_and_migrate(conn, &dir.0, "own_first", &plan);
    assert_eq!(views_in(conn, S), [A, B, H]);
    let first = snapshot(conn, &[S]);
    assert_eq!(line_of(&first, S, H), line_of(&start, S, H));
    let record_first = record(conn);
    assert_eq!(recorded(conn), [full(S, A), full(S, B)]);
    assert!(record_first.iter().all(|l| l.contains(" | view | ")));
    let again = pgview::diff::diff(conn, &set(&[&a, &b]), &scope).unwrap();
    assert!(again.is_empty(), "{again}");
    assert_eq!(unmanaged(&again), [full(S, H)]);

    // Migration 2: `b` is no longer declared.
    let diff = pgview::diff::diff(conn, &set(&[&a]), &scope).unwrap();
    assert_eq!(status(&diff, S, A), Some(DiffStatus::Unchanged), "{diff}");
    assert_eq!(status(&diff, S, B), Some(DiffStatus::Dropped), "{diff}");
    assert_eq!(status(&diff, S, H), Some(DiffStatus::Unmanaged), "{diff}");
    let plan = diff.plan().unwrap();
    assert_eq!(step_lines(&plan), [format!("drop {}", full(S, B))]);
    generate_and_migrate(conn, &dir.0, "own_second", &plan);
    assert_eq!(views_in(conn, S), [A, H]);
    assert_eq!(line_of(&snapshot(conn, &[S]), S, H), line_of(&start, S, H));
    assert_eq!(record(conn), record_first[..1], "a keeps its row as it was");
    let again = pgview::diff::diff(conn, &set(&[&a]), &scope).unwrap();
    assert!(again.is_empty(), "{again}");
    assert_eq!(unmanaged(&again), [full(S, H)]);

    // Reverting migration 2 gives `b` back, and its row with its original time.
    revert(conn, &dir.0);
    assert_eq!(views_in(conn, S), [A, B, H]);
    assert_eq!(snapshot(conn, &[S]), first);
    assert_eq!(record(conn), record_first);
    assert_eq!(
        record_matches_catalog(conn),
        "true",
        "the re-created b is recorded"
    );
    let again = pgview::diff::diff(conn, &set(&[&a, &b]), &scope).unwrap();
    assert!(again.is_empty(), "{again}");
    assert_eq!(unmanaged(&again), [full(S, H)]);
    let without_b = pgview::diff::diff(conn, &set(&[&a]), &scope).unwrap();
    assert_eq!(
        status(&without_b, S, B),
        Some(DiffStatus::Dropped),
        "{without_b}"
    );

    // Reverting migration 1 leaves the teammate's view only, and an empty record.
    revert(conn, &dir.0);
    assert_eq!(views_in(conn, S), [H]);
    assert_eq!(snapshot(conn, &[S]), start);
    assert_eq!(record(conn), Vec::<String>::new());
}

/// A recorded view whose schema holds no declared view any more is still in the managed scope:
/// dropped once no longer declared, the record forgetting it.
#[test]
fn a_recorded_view_in_a_schema_without_declared_views_is_dropped() {
    let (_db, mut conn) = database();
    let conn = &mut conn;
    let elsewhere = "else \"where\"";
    conn.batch_execute(&format!(
        "CREATE SCHEMA \"{}\"",
        elsewhere.replace('"', "\"\"")
    ))
    .unwrap();
    let dir = folder("elsewhere");
    let there = View::from_sql(B, "SELECT id FROM public.users")
        .unwrap()
        .schema(elsewhere)
        .unwrap();
    let a = view(A, "SELECT id FROM public.users");
    let plan = pgview::diff::diff(conn, &set(&[&a, &there]), &DiffScope::managed())
        .unwrap()
        .plan()
        .unwrap();
    generate_and_migrate(conn, &dir.0, "both", &plan);
    assert_eq!(recorded(conn), [full(elsewhere, B), full(S, A)]);

    let diff = pgview::diff::diff(conn, &set(&[&a]), &DiffScope::managed()).unwrap();
    assert_eq!(
        status(&diff, elsewhere, B),
        Some(DiffStatus::Dropped),
        "{diff}"
    );
    let plan = diff.plan().unwrap();
    assert_eq!(step_lines(&plan), [format!("drop {}", full(elsewhere, B))]);
    generate_and_migrate(conn, &dir.0, "drop_elsewhere", &plan);
    assert!(views_in(conn, elsewhere).is_empty());
    assert_eq!(recorded(conn), [full(S, A)]);
}

/// A recorded view dropped by hand (outside pgview) leaves a row naming a view that no
/// longer exists: the next generated migration forgets it, and a view a teammate later makes
/// by hand under that name is theirs (reported unmanaged, left alone), not pgview's.
#[test]
fn a_recorded_view_dropped_by_hand_is_forgotten_by_the_next_migration() {
    let (_db, mut conn) = database();
    let conn = &mut conn;
    let dir = folder("stale");
    let a = view(A, "SELECT id FROM public.users");
    let keep = view(B, "SELECT id FROM public.users");
    let plan = pgview::diff::diff(conn, &set(&[&a, &keep]), &DiffScope::managed())
        .unwrap()
        .plan()
        .unwrap();
    generate_and_migrate(conn, &dir.0, "both", &plan);
    conn.batch_execute(&format!("DROP VIEW {}", qn(S, A)))
        .unwrap();

    // The next migration (it creates another view) no longer declares `a`.
    let other = view(H, "SELECT id FROM public.users");
    let plan = pgview::diff::diff(conn, &set(&[&keep, &other]), &DiffScope::managed())
        .unwrap()
        .plan()
        .unwrap();
    generate_and_migrate(conn, &dir.0, "other", &plan);
    assert_eq!(recorded(conn), [full(S, B), full(S, H)], "a forgotten");

    // A teammate's view under the old name is theirs.
    conn.batch_execute(&format!(
        "CREATE VIEW {} AS SELECT id, name FROM public.users",
        qn(S, A)
    ))
    .unwrap();
    let diff = pgview::diff::diff(conn, &set(&[&keep, &other]), &DiffScope::managed()).unwrap();
    assert_eq!(status(&diff, S, A), Some(DiffStatus::Unmanaged), "{diff}");
}

/// A hand-made view the application starts declaring is recorded by the next generated
/// migration (kept as it is, not re-created), and dropped by a later one once no longer
/// declared; another hand-made view stays unmanaged throughout.
#[test]
fn a_hand_made_view_once_declared_is_adopted_and_dropped_when_undeclared() {
    let (_db, mut conn) = database();
    let conn = &mut conn;
    let x = "x \"adopted\"";
    let y = "y 'theirs'";
    conn.batch_execute(&format!(
        "CREATE VIEW {} AS SELECT id, name FROM public.users;
         CREATE VIEW {} AS SELECT id FROM public.users;",
        qn(S, x),
        qn(S, y)
    ))
    .unwrap();
    let dir = folder("adopt");
    let x_oid = oid(conn, &qn(S, x).replace('\'', "''"));
    let adopted = view(x, "SELECT id, name FROM public.users");
    let n = view(A, "SELECT id FROM public.users");

    let diff = pgview::diff::diff(conn, &set(&[&adopted, &n]), &DiffScope::managed()).unwrap();
    assert_eq!(status(&diff, S, x), Some(DiffStatus::Unchanged), "{diff}");
    assert_eq!(status(&diff, S, A), Some(DiffStatus::Created), "{diff}");
    assert_eq!(unmanaged(&diff), [full(S, y)]);
    let plan = diff.plan().unwrap();
    assert_eq!(
        step_lines(&plan),
        [format!("create (declared) {}", full(S, A))]
    );
    generate_and_migrate(conn, &dir.0, "adopt", &plan);
    assert_eq!(recorded(conn), [full(S, A), full(S, x)]);
    assert_eq!(oid(conn, &qn(S, x).replace('\'', "''")), x_oid, "kept");

    // No longer declared: dropped, as pgview now owns it.
    let diff = pgview::diff::diff(conn, &set(&[&n]), &DiffScope::managed()).unwrap();
    assert_eq!(status(&diff, S, x), Some(DiffStatus::Dropped), "{diff}");
    assert_eq!(unmanaged(&diff), [full(S, y)]);
    let plan = diff.plan().unwrap();
    assert_eq!(step_lines(&plan), [format!("drop {}", full(S, x))]);
    generate_and_migrate(conn, &dir.0, "unadopt", &plan);
    assert_eq!(views_in(conn, S), [A, y]);
    assert_eq!(recorded(conn), [full(S, A)]);
}

/// Adopting a hand-made view with no other change: the plan has no step but records the view,
/// so it is not empty and a migration is written; once no longer declared, the view is dropped
/// like any other view the application owned.
#[test]
fn adopting_an_unchanged_view_alone_records_it() {
    let (_db, mut conn) = database();
    let conn = &mut conn;
    let x = "x \"adopted\"";
    conn.batch_execute(&format!(
        "CREATE VIEW {} AS SELECT id, name FROM public.users",
        qn(S, x)
    ))
    .unwrap();
    let dir = folder("adopt-alone");
    let adopted = view(x, "SELECT id, name FROM public.users");
    let plan = pgview::diff::diff(conn, &set(&[&adopted]), &DiffScope::managed())
        .unwrap()
        .plan()
        .unwrap();
    assert!(plan.steps.is_empty(), "{:?}", step_lines(&plan));
    assert!(!plan.is_empty(), "recording it is a change");
    generate_and_migrate(conn, &dir.0, "adopt", &plan);
    assert_eq!(recorded(conn), [full(S, x)], "declaring it adopts it");
    let other = view(A, "SELECT id FROM public.users");
    let diff = pgview::diff::diff(conn, &set(&[&other]), &DiffScope::managed()).unwrap();
    assert_eq!(status(&diff, S, x), Some(DiffStatus::Dropped), "{diff}");
}

/// `DiffScope::views` puts exactly the views named in scope (dropped when not declared); the
/// other views of the schema are neither dropped nor reported. A name without a schema is in
/// the schema of views declared without one (the current schema).
#[test]
fn an_explicit_list_of_views_puts_exactly_those_in_scope() {
    let (_db, mut conn) = database();
    let conn = &mut conn;
    let x = "x, \"named\"";
    let y = "y 'not named'";
    let public = "mo pub 'x'";
    conn.batch_execute(&format!(
        "CREATE VIEW {} AS SELECT id FROM public.users;
         CREATE VIEW {} AS SELECT id FROM public.users;
         CREATE VIEW {} AS SELECT id FROM public.users;",
        qn(S, x),
        qn(S, y),
        qn("public", public),
    ))
    .unwrap();
    let dir = folder("views");
    let a = view(A, "SELECT id FROM public.users");
    let scope = DiffScope::views([qn(S, x)]).unwrap();
    let diff = pgview::diff::diff(conn, &set(&[&a]), &scope).unwrap();
    assert_eq!(status(&diff, S, x), Some(DiffStatus::Dropped), "{diff}");
    assert_eq!(status(&diff, S, A), Some(DiffStatus::Created), "{diff}");
    assert_eq!(status(&diff, S, y), None, "{diff}");
    assert_eq!(status(&diff, "public", public), None, "{diff}");
    assert_eq!(diff.entries().len(), 2, "{diff}");
    let plan = diff.plan().unwrap();
    let mut steps = step_lines(&plan);
    steps.sort();
    assert_eq!(
        steps,
        [
            format!("create (declared) {}", full(S, A)),
            format!("drop {}", full(S, x))
        ]
    );
    generate_and_migrate(conn, &dir.0, "views", &plan);
    assert_eq!(views_in(conn, S), [A, y]);
    assert_eq!(recorded(conn), [full(S, A)]);
    assert!(views_in(conn, "public").contains(&public.to_owned()));

    // Without a schema: the current schema (`public`).
    let unqualified = format!("\"{}\"", public.replace('"', "\"\""));
    let scope = DiffScope::views([unqualified]).unwrap();
    let diff = pgview::diff::diff(conn, &set(&[&a]), &scope).unwrap();
    assert_eq!(
        status(&diff, "public", public),
        Some(DiffStatus::Dropped),
        "{diff}"
    );
    assert_eq!(status(&diff, S, y), None, "{diff}");
    assert_eq!(diff.entries().len(), 2, "{diff}");
}

/// `DiffScope::declared_schemas` keeps the behaviour it had before the record: every view of
/// the declared views' schemas is in scope (hand-made ones dropped, nothing unmanaged); the
/// other schemas are left alone. The migration still records the declared views; its revert
/// gives everything back.
#[test]
fn declared_schemas_keeps_every_view_of_the_schema_in_scope() {
    let (_db, mut conn) = database();
    let conn = &mut conn;
    let other = "other \"schema\"";
    let x = "x 'one'";
    let y = "y \"two\"";
    let z = "z, elsewhere";
    conn.batch_execute(&format!(
        "CREATE SCHEMA \"{}\";
         CREATE VIEW {} AS SELECT id FROM public.users;
         CREATE VIEW {} AS SELECT id FROM public.users;
         CREATE VIEW {} AS SELECT id FROM public.users;",
        other.replace('"', "\"\""),
        qn(S, x),
        qn(S, y),
        qn(other, z),
    ))
    .unwrap();
    let start = snapshot(conn, &[S, other]);
    let dir = folder("declared-schemas");
    let a = view(A, "SELECT id FROM public.users");
    let declared = set(&[&a]);

    // The default leaves them alone.
    let managed = pgview::diff::diff(conn, &declared, &DiffScope::managed()).unwrap();
    assert_eq!(unmanaged(&managed), [full(S, x), full(S, y)]);
    assert_eq!(status(&managed, other, z), None);

    let scope = DiffScope::declared_schemas();
    let diff = pgview::diff::diff(conn, &declared, &scope).unwrap();
    assert_eq!(status(&diff, S, x), Some(DiffStatus::Dropped), "{diff}");
    assert_eq!(status(&diff, S, y), Some(DiffStatus::Dropped), "{diff}");
    assert_eq!(status(&diff, S, A), Some(DiffStatus::Created), "{diff}");
    assert_eq!(status(&diff, other, z), None, "{diff}");
    assert!(unmanaged(&diff).is_empty(), "{diff}");
    let plan = diff.plan().unwrap();
    generate_and_migrate(conn, &dir.0, "declared_schemas", &plan);
    assert_eq!(views_in(conn, S), [A]);
    assert_eq!(views_in(conn, other), [z]);
    assert_eq!(recorded(conn), [full(S, A)]);
    assert!(pgview::diff::diff(conn, &declared, &scope)
        .unwrap()
        .is_empty());

    revert(conn, &dir.0);
    assert_eq!(snapshot(conn, &[S, other]), start);
    assert_eq!(record(conn), Vec::<String>::new());
}

/// The reader scenario: `a` and `keep` created by a migration pgview generated, then a
/// teammate's view `h` reading `a`. Returns the declared set without `a`.
fn reader_scenario(conn: &mut PgConnection, dir: &Path) -> ViewSet {
    let a = view(A, "SELECT id, name FROM public.users");
    let keep = view(B, "SELECT id FROM public.users");
    let plan = pgview::diff::diff(conn, &set(&[&a, &keep]), &DiffScope::managed())
        .unwrap()
        .plan()
        .unwrap();
    generate_and_migrate(conn, dir, "create_views", &plan);
    conn.batch_execute(&format!(
        "CREATE VIEW {} AS SELECT id FROM {}",
        qn(S, H),
        qn(S, A)
    ))
    .unwrap();
    set(&[&keep])
}

/// What a refused plan and an allowed one say about the reader scenario's diff.
fn check_refusal(diff: &ViewDiff) -> MigrationPlan {
    assert_eq!(status(diff, S, A), Some(DiffStatus::Dropped), "{diff}");
    assert_eq!(status(diff, S, H), Some(DiffStatus::Unmanaged), "{diff}");
    let err = diff.plan().unwrap_err();
    let message = err.to_string();
    let Error::UndeclaredViewsWouldBeDropped { views } = err else {
        panic!("{err:?}")
    };
    assert_eq!(views.len(), 1, "{views:?}");
    assert_eq!(views[0].0, full(S, H));
    assert!(views[0].1.contains(&full(S, A)), "{views:?}");
    assert!(message.contains(&full(S, H)), "{message}");
    assert!(message.contains("--allow-drop"), "{message}");
    // Allowing another view still refuses.
    let other = PlanOptions::new().allow_drop([qn(S, B)]).unwrap();
    assert!(matches!(
        diff.plan_with(&other),
        Err(Error::UndeclaredViewsWouldBeDropped { .. })
    ));
    assert!(diff.plan_with(&PlanOptions::new().allow_drop_any()).is_ok());
    let allowed = PlanOptions::new().allow_drop([qn(S, H)]).unwrap();
    let plan = diff.plan_with(&allowed).unwrap();
    assert_eq!(
        step_lines(&plan),
        [
            format!("drop {}", full(S, H)),
            format!("drop {}", full(S, A))
        ]
    );
    assert!(
        plan.warnings.iter().any(|w| w.contains(&full(S, H))),
        "{:?}",
        plan.warnings
    );
    plan
}

/// A hand-made view reading a view pgview created: removing that view from the declared set
/// makes planning refuse, naming the reader and why; allowed by name, the migration (files,
/// harness) drops both; its revert brings both back and the record as it was.
#[test]
fn a_hand_made_reader_of_a_dropped_view_is_refused_unless_allowed() {
    let (_db, mut conn) = database();
    let conn = &mut conn;
    let dir = folder("reader");
    let declared = reader_scenario(conn, &dir.0);
    let before = snapshot(conn, &[S]);
    let record_before = record(conn);
    assert_eq!(recorded(conn), [full(S, A), full(S, B)]);

    let diff = pgview::diff::diff(conn, &declared, &DiffScope::managed()).unwrap();
    let plan = check_refusal(&diff);
    generate_and_migrate(conn, &dir.0, "drop_a", &plan);
    assert_eq!(views_in(conn, S), [B]);
    assert_eq!(recorded(conn), [full(S, B)]);
    assert!(pgview::diff::diff(conn, &declared, &DiffScope::managed())
        .unwrap()
        .is_empty());

    revert(conn, &dir.0);
    assert_eq!(snapshot(conn, &[S]), before);
    assert_eq!(record(conn), record_before);
    assert_eq!(record_matches_catalog(conn), "true");
}

/// The same through `ViewMigration::from_plan`, `up` and `down`.
#[test]
fn a_hand_made_reader_is_refused_through_view_migration() {
    let (_db, mut conn) = database();
    let conn = &mut conn;
    let dir = folder("reader-vm");
    let declared = reader_scenario(conn, &dir.0);
    let before = snapshot(conn, &[S]);
    let record_before = record(conn);

    let diff = pgview::diff::diff(conn, &declared, &DiffScope::managed()).unwrap();
    let plan = check_refusal(&diff);
    let migration = ViewMigration::from_plan("2099-01-01-000000_drop_a", &plan).unwrap();
    migration.up(conn).unwrap();
    assert_eq!(views_in(conn, S), [B]);
    assert_eq!(recorded(conn), [full(S, B)]);
    migration.down(conn).unwrap();
    assert_eq!(snapshot(conn, &[S]), before);
    assert_eq!(record(conn), record_before);
    assert_eq!(record_matches_catalog(conn), "true");
}

/// The same on an `AsyncPgConnection`: `pgview::aio::diff`, `up_async`, `down_async`.
#[cfg(feature = "async")]
#[tokio::test]
async fn a_hand_made_reader_is_refused_through_view_migration_async() {
    use diesel_async::{AsyncConnection, AsyncPgConnection};

    let (db, mut conn) = database();
    let conn = &mut conn;
    let dir = folder("reader-async");
    let declared = reader_scenario(conn, &dir.0);
    let before = snapshot(conn, &[S]);
    let record_before = record(conn);

    let mut async_conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let diff = pgview::aio::diff(&mut async_conn, &declared, &DiffScope::managed())
        .await
        .unwrap();
    let plan = check_refusal(&diff);
    let migration = ViewMigration::from_plan("2099-01-01-000000_drop_a", &plan).unwrap();
    migration.up_async(&mut async_conn).await.unwrap();
    assert_eq!(views_in(conn, S), [B]);
    assert_eq!(recorded(conn), [full(S, B)]);
    let again = pgview::aio::diff(&mut async_conn, &declared, &DiffScope::managed())
        .await
        .unwrap();
    assert!(again.is_empty(), "{again}");
    migration.down_async(&mut async_conn).await.unwrap();
    assert_eq!(snapshot(conn, &[S]), before);
    assert_eq!(record(conn), record_before);
    assert_eq!(record_matches_catalog(conn), "true");
}
