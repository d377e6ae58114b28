//! The drift guard and the pgview lock.
//!
//! A generated migration holds the definitions it was planned against. Every `up.sql` and
//! `down.sql` therefore starts with a guard that takes the pgview lock and checks that each
//! view the migration touches is still as planned (kind, definition, columns, options, the
//! views that read it; a view it creates must not exist): a change made by hand between
//! planning and applying makes it fail, naming each view and what differs, before anything is
//! changed. And comparisons and migrations on one database take turns
//! (`pg_advisory_xact_lock`), a bounded wait ending in `Error::Busy`.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use pgview::{
    ddl::Index,
    diff::{DiffScope, ViewSet},
    migration::{MigrationPlan, PlanOptions, ViewMigration},
    Error, MaterializedView, View,
};
use pgview::{
    diff::{diff_with, DiffOptions},
    migration::LOCK_KEY,
};

use crate::migrate_support::apply;
use crate::migration_support::{applied_versions, snapshot, text};
use crate::support::conn;

/// What the guard's error says before the problems.
const DRIFT: &str =
    "pgview: the database is no longer as this migration was planned against; nothing was changed:";

/// What the error of a busy lock starts with.
const BUSY: &str = "pgview: another pgview comparison or migration is running on this database";

/// The wait of the lock tests.
const WAIT: Duration = Duration::from_millis(200);

/// `"name"`, quoted for SQL.
fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"schema"."name"`, quoted for SQL (as the guard lists the views that read a view).
fn qn(schema: &str, name: &str) -> String {
    format!("{}.{}", q(schema), q(name))
}

/// `schema.name`, as the guard names a view.
fn shown(schema: &str, name: &str) -> String {
    format!("{schema}.{name}")
}

fn view(schema: &str, name: &str, sql: &str) -> View {
    View::from_sql(name, sql).unwrap().schema(schema).unwrap()
}

fn matview(schema: &str, name: &str, sql: &str) -> MaterializedView {
    MaterializedView::from_sql(name, sql)
        .unwrap()
        .schema(schema)
        .unwrap()
}

/// Everything that must stay as it is when a migration fails: the catalog of each schema with
/// OIDs (views, materialized views, indexes, tables), and the ownership record.
fn state(conn: &mut PgConnection, schemas: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = schemas
        .iter()
        .flat_map(|s| snapshot(conn, s, true))
        .collect();
    if text(conn, "to_regclass('pgview.managed_views') IS NOT NULL") == "true" {
        let record = "SELECT coalesce(string_agg(concat_ws(' ', schema_name, view_name, kind, \
                      recorded_at), ', ' ORDER BY schema_name, view_name), '-') \
                      FROM pgview.managed_views";
        lines.push(text(conn, record));
    }
    lines
}

/// Asserts that `error` is the guard's, listing exactly `problems`, in order.
fn assert_drift(error: &Error, problems: &[String]) {
    let Error::Drift { message } = error else {
        panic!("expected Error::Drift, got {error:?}: {error}");
    };
    assert_eq!(*message, format!("{DRIFT} {}", problems.join("; ")));
    assert_eq!(error.to_string(), *message);
}

/// Applies `sql` as diesel applies a migration file, expecting the guard to refuse it with
/// `problems`, and checks that nothing changed.
fn refused(conn: &mut PgConnection, sql: &str, schemas: &[&str], problems: &[String]) {
    let before = state(conn, schemas);
    let error = apply(conn, sql).expect_err("the guard must refuse the migration");
    assert_drift(&Error::from(error), problems);
    assert_eq!(
        state(conn, schemas),
        before,
        "a refused migration changed things"
    );
}

/// Runs `f` after the hand change `sql`, then undoes both (a savepoint rolled back).
fn after_change(conn: &mut PgConnection, sql: &str, f: impl FnOnce(&mut PgConnection)) {
    conn.transaction::<(), diesel::result::Error, _>(|conn| {
        conn.batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        f(conn);
        Err(diesel::result::Error::RollbackTransaction)
    })
    .unwrap_err();
}

/// The view every case declares unchanged (a comment on it by hand stops nothing).
const CALM: &str = "calm \"view\"";

/// One step kind: the starting state, the declared views, and the changes made by hand after
/// planning that the guard must catch, each with the problems it must list. In SQL, `{s}`
/// and `{o}` are the first and last schema and `{v}` the case's view, quoted.
struct Case {
    schemas: Vec<String>,
    /// The case's view: as the guard names it, and quoted.
    view: (String, String),
    setup: String,
    declared: ViewSet,
    scope: DiffScope,
    options: PlanOptions,
    /// A step of this kind must be in the up migration.
    kind: &'static str,
    changes: Vec<(String, Vec<String>)>,
}

impl Case {
    /// A case about the view `name` of the first of `schemas` (the scope); the schemas and
    /// the calm view are created first.
    fn new(kind: &'static str, schemas: &[&str], name: &str, setup: &str, set: ViewSet) -> Self {
        let s = schemas[0];
        let mut case = Case {
            schemas: schemas.iter().map(|s| (*s).to_owned()).collect(),
            view: (shown(s, name), qn(s, name)),
            setup: String::new(),
            declared: set.with_view(view(s, CALM, "SELECT 1 AS one")),
            scope: DiffScope::schemas([s]).unwrap(),
            options: PlanOptions::new(),
            kind,
            changes: Vec::new(),
        };
        let created: Vec<String> = schemas
            .iter()
            .map(|s| format!("CREATE SCHEMA {};", q(s)))
            .collect();
        let calm = format!("CREATE VIEW {} AS SELECT 1 AS one;", qn(s, CALM));
        case.setup = format!("{}\n{calm}\n{}", created.join("\n"), case.fill(setup));
        case
    }

    fn fill(&self, sql: &str) -> String {
        sql.replace("{v}", &self.view.1)
            .replace("{s}", &q(&self.schemas[0]))
            .replace("{o}", &q(self.schemas.last().unwrap()))
    }

    /// A hand change for which the guard lists one problem: the case's view, then `words`.
    fn hand(self, sql: &str, words: &str) -> Self {
        let view = self.view.0.clone();
        self.hand_at(&view, sql, words)
    }

    /// A hand change for which the guard lists one problem: `view`, then `words`.
    fn hand_at(self, view: &str, sql: &str, words: &str) -> Self {
        self.hand_on(sql, &[format!("{view} {words}")])
    }

    /// A hand change for which the guard lists `problems`.
    fn hand_on(mut self, sql: &str, problems: &[String]) -> Self {
        let sql = self.fill(sql);
        self.changes.push((sql, problems.to_vec()));
        self
    }
}

/// Plans `case`; checks that each hand change (alone) stops up.sql before it changes anything
/// with the guard's message; then that changes that do not matter (a new view, a comment on a
/// view the migration does not touch) let up.sql and down.sql run.
fn check(conn: &mut PgConnection, case: &Case) -> MigrationPlan {
    let schemas: Vec<&str> = case.schemas.iter().map(String::as_str).collect();
    conn.batch_execute(&case.setup).expect("setup");
    let plan = pgview::diff::diff(conn, &case.declared, &case.scope)
        .expect("diff")
        .plan_with(&case.options)
        .expect("plan");
    assert!(kinds(&plan).contains(&case.kind), "{}", plan.describe());
    let up = plan.up_sql();
    let guard = up.find("pg_advisory_xact_lock").expect("the guard");
    let mut statements = plan.steps.iter().flat_map(|s| &s.sql);
    assert!(
        statements.all(|sql| up.find(sql.as_str()) > Some(guard)),
        "{up}"
    );
    for (sql, problems) in &case.changes {
        after_change(conn, sql, |conn| refused(conn, &up, &schemas, problems));
    }
    let harmless = format!(
        "CREATE VIEW {{s}}.\"by.stander\" AS SELECT 1 AS one;
         COMMENT ON VIEW {} IS 'a hand comment';",
        qn(schemas[0], CALM)
    );
    conn.batch_execute(&case.fill(&harmless)).unwrap();
    apply(conn, &up).unwrap_or_else(|e| panic!("up.sql: {e}\n{up}"));
    apply(conn, &plan.down_sql()).unwrap_or_else(|e| panic!("down.sql: {e}"));
    plan
}

/// `<what> (planned: …; now: …)`, as the guard words a difference.
fn aspect(what: &str, planned: &str, now: &str) -> String {
    format!("{what} (planned: {planned}; now: {now})")
}

/// A view's only difference: `changed: ` and its [`aspect`].
fn changed(what: &str, planned: &str, now: &str) -> String {
    format!("changed: {}", aspect(what, planned, now))
}

/// The columns of the views reading `id, name` of `users`.
const ID_NAME: &str = "\"id\" integer, \"name\" character varying(100)";

const READERS: &str = "the views that read it";
const OPTIONS: &str = "its options";

/// A plain view dropped; a reader added outside the scope is seen too.
fn drop_case() -> Case {
    let (s, o) = ("d.drop \"1\"", "d drop'2");
    let setup = "CREATE VIEW {v} AS SELECT id, name FROM users;";
    let reader = qn(o, "reads \"gone\"");
    Case::new("drop", &[s, o], "gone.v \"1\"", setup, ViewSet::new())
        .hand(
            "CREATE OR REPLACE VIEW {v} AS SELECT id, name FROM users WHERE id > 7",
            "changed: its definition",
        )
        .hand(
            "CREATE VIEW {o}.\"reads \"\"gone\"\"\" AS SELECT name FROM {v}",
            &changed(READERS, "none", &reader),
        )
        .hand("DROP VIEW {v}", "no longer exists")
}

/// A view whose columns change (drop for rebuild, recreate) and its readers (rebuild): one
/// declared, one outside the scope, rebuilt from its catalog definition.
fn rebuild_case() -> Case {
    let (s, o) = ("d re\"build", "d.re out");
    let (r, out) = (shown(s, "the reader"), shown(o, "outside.r"));
    let reader_sql = "SELECT id, name FROM \"d re\"\"build\".base";
    let set = ViewSet::new()
        .with_view(view(s, "base", "SELECT id, name FROM users"))
        .with_view(view(s, "the reader", reader_sql));
    let setup = "CREATE VIEW {v} AS SELECT id, name, email FROM users;
        CREATE VIEW {s}.\"the reader\" AS SELECT id, name FROM {v};
        CREATE VIEW {o}.\"outside.r\" AS SELECT id FROM {v};";
    let barrier = changed(OPTIONS, "none", "security_barrier=true");
    let cascaded = changed(OPTIONS, "none", "check_option=cascaded");
    let extra = format!("{ID_NAME}, \"extra\" integer");
    Case::new("rebuild", &[s, o], "base", setup, set)
        .hand("ALTER VIEW {v} SET (security_barrier = true)", &barrier)
        .hand_on(
            "ALTER VIEW {v} SET (security_barrier = true);
             ALTER VIEW {s}.\"the reader\" SET (check_option = cascaded)",
            &[format!("{s}.base {barrier}"), format!("{r} {cascaded}")],
        )
        .hand_at(
            &r,
            "CREATE VIEW {s}.\"reader's reader\" AS SELECT id FROM {s}.\"the reader\"",
            &changed(READERS, "none", &qn(s, "reader's reader")),
        )
        .hand_at(
            &out,
            "ALTER VIEW {o}.\"outside.r\" SET (check_option = cascaded)",
            &changed(OPTIONS, "none", "check_option=cascaded"),
        )
        .hand_at(
            &out,
            "CREATE OR REPLACE VIEW {o}.\"outside.r\" AS SELECT id FROM {v} WHERE id > 4",
            "changed: its definition",
        )
        .hand_at(
            &r,
            "CREATE OR REPLACE VIEW {s}.\"the reader\" AS SELECT id, name, 1 AS extra FROM {v}",
            &changed("its definition, its columns", ID_NAME, &extra),
        )
}

/// A plain view replaced in place; its reader outside the scope stays.
fn replace_case() -> Case {
    let (s, o) = ("d.rep \"1\"", "d rep'2");
    let set = ViewSet::new().with_view(view(s, "base", "SELECT id, name FROM users WHERE id > 2"));
    let setup = "CREATE VIEW {v} AS SELECT id, name FROM users WHERE id > 1;
        CREATE VIEW {o}.reader AS SELECT name FROM {v};";
    let readers = format!("{}, {}", qn(o, "reader"), qn(o, "second reader"));
    let email = format!("{ID_NAME}, \"email\" text");
    Case::new("replace", &[s, o], "base", setup, set)
        .hand(
            "ALTER VIEW {v} SET (security_barrier = true)",
            &changed(OPTIONS, "none", "security_barrier=true"),
        )
        .hand(
            "CREATE VIEW {o}.\"second reader\" AS SELECT id FROM {v}",
            &changed(READERS, &qn(o, "reader"), &readers),
        )
        .hand("DROP VIEW {o}.reader; DROP VIEW {v}", "no longer exists")
        .hand(
            "CREATE OR REPLACE VIEW {v} AS SELECT id, name FROM users WHERE id > 9",
            "changed: its definition",
        )
        .hand(
            "CREATE OR REPLACE VIEW {v} AS SELECT id, name, email FROM users WHERE id > 1",
            &changed("its definition, its columns", ID_NAME, &email),
        )
}

/// Options set on a view (`ALTER VIEW … SET`).
fn options_case() -> Case {
    let (s, v) = ("d.opt", "opt \"v\" $$ \\n");
    let set =
        ViewSet::new().with_view(view(s, v, "SELECT id, name FROM users").security_barrier(true));
    let setup = "CREATE VIEW {v} AS SELECT id, name FROM users;";
    // Options every supported version has (`security_invoker` needs PostgreSQL 15).
    let now = "check_option=local, security_barrier=false";
    Case::new("alter options", &[s], v, setup, set)
        .hand(
            "ALTER VIEW {v} SET (check_option = local, security_barrier = false)",
            &changed(OPTIONS, "none", now),
        )
        .hand("DROP VIEW {v}", "no longer exists")
        .hand(
            "CREATE OR REPLACE VIEW {v} AS SELECT id, name FROM users WHERE id < 0",
            "changed: its definition",
        )
}

/// A comment set on a view.
fn comment_case() -> Case {
    let (s, v) = ("d comment's", "said.v");
    let declared = view(s, v, "SELECT id FROM users").comment("it's said");
    let (setup, set) = ("CREATE VIEW {v} AS SELECT id FROM users;", ViewSet::new());
    Case::new("comment", &[s], v, setup, set.with_view(declared.unwrap()))
        .hand(
            "CREATE VIEW {s}.x AS SELECT id FROM {v}",
            &changed(READERS, "none", &qn(s, "x")),
        )
        .hand("DROP VIEW {v}", "no longer exists")
}

/// An index added to a materialized view.
fn indexes_case() -> Case {
    let (s, v) = ("d \"idx\"", "m.v");
    let declared = matview(s, v, "SELECT id, name FROM users").index(Index::new(["name"]).unwrap());
    let setup = "CREATE MATERIALIZED VIEW {v} AS SELECT id, name FROM users;";
    let set = ViewSet::new().with_materialized(declared.unwrap());
    Case::new("indexes", &[s], v, setup, set)
        .hand(
            "ALTER MATERIALIZED VIEW {v} SET (fillfactor = 70)",
            &changed(OPTIONS, "none", "fillfactor=70"),
        )
        .hand(
            "CREATE VIEW {s}.\"on m\" AS SELECT id FROM {v}",
            &changed(READERS, "none", &qn(s, "on m")),
        )
        .hand(
            "DROP MATERIALIZED VIEW {v}; CREATE VIEW {v} AS SELECT id, name FROM users",
            "changed: its kind",
        )
}

/// A view moved to another schema (`SET SCHEMA`): the guard names it at its old place.
fn move_case() -> Case {
    let (s, t) = ("d mv.from", "d mv.to");
    let set = ViewSet::new().with_view(view(t, "MV", "SELECT id, name FROM users"));
    let setup = "CREATE VIEW {v} AS SELECT id, name FROM users;";
    let email = format!("{ID_NAME}, \"email\" text");
    let mut case = Case::new("move", &[s, t], "MV", setup, set)
        .hand(
            "ALTER VIEW {v} SET (security_barrier = true)",
            &changed(OPTIONS, "none", "security_barrier=true"),
        )
        .hand(
            "CREATE VIEW {o}.\"reads mv\" AS SELECT id FROM {v}",
            &changed(READERS, "none", &qn(t, "reads mv")),
        )
        .hand("DROP VIEW {v}", "no longer exists")
        .hand(
            "CREATE OR REPLACE VIEW {v} AS SELECT id, name, email FROM users",
            &changed("its definition, its columns", ID_NAME, &email),
        )
        // Where it goes must be free.
        .hand_on(
            "CREATE VIEW {o}.\"MV\" AS SELECT 1 AS x",
            &[format!("{t}.MV exists already (the migration creates it)")],
        );
    case.scope = DiffScope::schemas([s, t]).unwrap();
    case
}

/// A view created: it must not exist when the migration runs.
fn create_case() -> Case {
    let (s, v) = ("d new \"v\".s", "fresh \"1\"");
    let set = ViewSet::new().with_view(view(s, v, "SELECT id FROM users"));
    let exists = "exists already (the migration creates it)";
    Case::new("create", &[s], v, "", set)
        .hand("CREATE VIEW {v} AS SELECT id FROM users", exists)
        .hand("CREATE MATERIALIZED VIEW {v} AS SELECT 'x' AS y", exists)
}

/// What the guard says when comments, indexes, triggers, rules or defaults changed.
const EXTRAS: &str = "its comments, indexes, triggers, rules or column defaults";

/// A materialized view built beside the old one and swapped in.
fn swap_case() -> Case {
    let (s, v) = ("d swap; \"sw\"", "sw m %s");
    let declared = matview(s, v, "SELECT id, name FROM users WHERE id > 2")
        .index(Index::unique(["id"]).unwrap());
    let set = ViewSet::new().with_materialized(declared.unwrap());
    let setup = "CREATE MATERIALIZED VIEW {v} AS SELECT id, name FROM users WHERE id > 1;
        CREATE UNIQUE INDEX ON {v} (id);";
    let mut case = Case::new("swap", &[s], v, setup, set)
        .hand(
            "ALTER MATERIALIZED VIEW {v} SET (autovacuum_enabled = false)",
            &changed(OPTIONS, "none", "autovacuum_enabled=false"),
        )
        .hand(
            "CREATE VIEW {s}.\"reads sw\" AS SELECT id FROM {v}",
            &changed(READERS, "none", &qn(s, "reads sw")),
        )
        .hand(
            "DROP MATERIALIZED VIEW {v};
             CREATE MATERIALIZED VIEW {v} AS SELECT id, name FROM users WHERE id > 5",
            &format!("changed: its definition, {EXTRAS}"),
        )
        // What a rebuild would lose: a comment or an index made by hand.
        .hand(
            "COMMENT ON MATERIALIZED VIEW {v} IS 'kept by hand'",
            &format!("changed: {EXTRAS}"),
        )
        .hand(
            "CREATE INDEX \"by hand\" ON {v} (name)",
            &format!("changed: {EXTRAS}"),
        )
        // The temporary name it is built under must be free.
        .hand_on(
            "CREATE TABLE {s}.\"sw m %s__pgview_new\" (x int)",
            &[format!(
                "{s}.sw m %s__pgview_new exists already (the migration creates it)"
            )],
        );
    case.options = PlanOptions::new().side_by_side_materialized(true);
    case
}

/// The kinds of the up steps.
fn kinds(plan: &MigrationPlan) -> Vec<&'static str> {
    plan.steps.iter().map(|s| s.kind.name()).collect()
}

/// One test per step kind.
macro_rules! guarded {
    ($($test:ident: $case:ident),* $(,)?) => {$(
        #[test]
        fn $test() {
            check(&mut conn(), &$case());
        }
    )*};
}

guarded!(
    a_drop_is_guarded: drop_case,
    a_replace_is_guarded: replace_case,
    an_options_change_is_guarded: options_case,
    a_comment_is_guarded: comment_case,
    an_index_change_is_guarded: indexes_case,
    a_move_is_guarded: move_case,
    a_create_is_guarded: create_case,
    a_swap_is_guarded: swap_case,
);

#[test]
fn a_rebuild_is_guarded_with_its_dependents() {
    let plan = check(&mut conn(), &rebuild_case());
    let (mut kinds, described) = (kinds(&plan), plan.describe());
    kinds.sort_unstable();
    assert_eq!(kinds[..3], ["drop for rebuild"; 3], "{described}");
    assert_eq!(
        kinds[3..],
        ["rebuild", "rebuild", "recreate"],
        "{described}"
    );
}

/// The state of the tests below, in schema `s`: `base` (options set by the migration),
/// `gone 'v'` (dropped; reads base), `new "v"` (created; reads base).
fn small(s: &str) -> (String, ViewSet) {
    let base = qn(s, "base");
    let setup = format!(
        "CREATE SCHEMA {};
         CREATE VIEW {base} AS SELECT id, name FROM users;
         CREATE VIEW {} AS SELECT id FROM {base};",
        q(s),
        qn(s, "gone 'v'")
    );
    let declared = ViewSet::new()
        .with_view(view(s, "base", "SELECT id, name FROM users").security_barrier(true))
        .with_view(view(s, "new \"v\"", &format!("SELECT name FROM {base}")));
    (setup, declared)
}

fn small_plan(conn: &mut PgConnection, s: &str) -> MigrationPlan {
    let (setup, declared) = small(s);
    conn.batch_execute(&setup).unwrap();
    let scope = DiffScope::schemas([s]).unwrap();
    let plan = pgview::diff::diff(conn, &declared, &scope)
        .unwrap()
        .plan()
        .unwrap();
    let (mut kinds, described) = (kinds(&plan), plan.describe());
    kinds.sort_unstable();
    assert_eq!(kinds, ["alter options", "create", "drop"], "{described}");
    plan
}

/// Applying up.sql twice fails the second time, and down.sql too; the down guard catches
/// a change made after up.
#[test]
fn applying_twice_or_after_a_change_fails() {
    let conn = &mut conn();
    let s = "d twice \"x\"";
    let plan = small_plan(conn, s);
    let (up, down) = (plan.up_sql(), plan.down_sql());
    apply(conn, &up).unwrap();
    let barrier = "security_barrier=true";
    let (base, gone, new) = (qn(s, "base"), qn(s, "gone 'v'"), qn(s, "new \"v\""));
    let (options, readers) = (
        changed(OPTIONS, "none", barrier),
        aspect(READERS, &gone, &new),
    );
    let problems = [
        format!("{s}.base {options}, {readers}"),
        format!("{s}.gone 'v' no longer exists"),
        format!("{s}.new \"v\" exists already (the migration creates it)"),
    ];
    refused(conn, &up, &[s], &problems);

    let late = qn(s, "late reader");
    let reader = format!("CREATE VIEW {late} AS SELECT name FROM {new}");
    after_change(conn, &reader, |conn| {
        let readers = changed(READERS, "none", &late);
        refused(conn, &down, &[s], &[format!("{s}.new \"v\" {readers}")]);
    });
    let reset = format!("ALTER VIEW {base} RESET (security_barrier)");
    after_change(conn, &reset, |conn| {
        let options = changed(OPTIONS, barrier, "none");
        refused(conn, &down, &[s], &[format!("{s}.base {options}")]);
    });

    apply(conn, &down).unwrap();
    let (options, readers) = (
        changed(OPTIONS, barrier, "none"),
        aspect(READERS, &new, &gone),
    );
    let problems = [
        format!("{s}.base {options}, {readers}"),
        format!("{s}.gone 'v' exists already (the migration creates it)"),
        format!("{s}.new \"v\" no longer exists"),
    ];
    refused(conn, &down, &[s], &problems);
}

/// Asserts that `result` is the failure of the migration step starting with `failed` (its
/// number and description), caused by the guard listing `problems`.
fn failed_step(result: pgview::Result<()>, failed: &str, problems: &[String]) {
    let error = result.expect_err("the guard must stop it");
    let Error::MigrationStep { step, source, .. } = &error else {
        panic!("expected Error::MigrationStep, got {error:?}");
    };
    assert!(step.starts_with(failed), "{step}");
    assert_drift(source, problems);
    assert!(error.to_string().contains(DRIFT), "{error}");
}

#[test]
fn view_migration_up_and_down_report_the_drift_as_the_failed_step() {
    let conn = &mut conn();
    let s = "d vm \"sync\"";
    let plan = small_plan(conn, s);
    let migration = ViewMigration::from_plan("2031-01-01-000000_drift", &plan).unwrap();
    let options = format!("ALTER VIEW {} SET (security_barrier = true)", qn(s, "base"));
    after_change(conn, &options, |conn| {
        let before = state(conn, &[s]);
        let options = changed(OPTIONS, "none", "security_barrier=true");
        let problems = [format!("{s}.base {options}")];
        failed_step(
            migration.up(conn),
            "step 2 of 7 (takes the pgview lock",
            &problems,
        );
        assert_eq!(state(conn, &[s]), before);
    });
    migration.up(conn).unwrap();
    // Down runs as the reverse of the first step (the whole down.sql).
    let new = qn(s, "new \"v\"");
    after_change(conn, &format!("DROP VIEW {new}"), |conn| {
        let before = state(conn, &[s]);
        let readers = changed(READERS, &new, "none");
        let problems = [
            format!("{s}.base {readers}"),
            format!("{s}.new \"v\" no longer exists"),
        ];
        failed_step(migration.down(conn), "step 1 of 7 (undo", &problems);
        assert_eq!(state(conn, &[s]), before);
    });
    migration.down(conn).unwrap();
}

#[cfg(feature = "async")]
#[tokio::test]
async fn view_migration_up_async_reports_the_drift() {
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    let conn = &mut crate::support::async_conn().await;
    let s = "d vm \"async\"";
    let (setup, declared) = small(s);
    conn.batch_execute(&setup).await.unwrap();
    let scope = DiffScope::schemas([s]).unwrap();
    let diff = pgview::aio::diff(conn, &declared, &scope).await.unwrap();
    let migration = ViewMigration::from_plan("2031-01-02-000000_drift", &diff.plan().unwrap());
    let migration = migration.unwrap();
    let new = qn(s, "new \"v\"");
    let by_hand = format!("CREATE VIEW {new} AS SELECT 1 AS one");
    conn.batch_execute(&by_hand).await.unwrap();
    let error = migration
        .up_async(conn)
        .await
        .expect_err("the guard must stop it");
    let Error::MigrationStep { source, .. } = &error else {
        panic!("expected Error::MigrationStep, got {error:?}");
    };
    let problem = format!("{s}.new \"v\" exists already (the migration creates it)");
    assert_drift(source, &[problem]);
    // Nothing changed: `gone 'v'` is still there, `base` has no option.
    let untouched = format!(
        "SELECT 1 FROM pg_class WHERE oid IN ('{}'::regclass, '{}'::regclass) \
         AND reloptions IS NULL",
        qn(s, "gone 'v'").replace('\'', "''"),
        qn(s, "base")
    );
    let rows = diesel::sql_query(untouched).execute(conn).await.unwrap();
    assert_eq!(rows, 2);
    conn.batch_execute(&format!("DROP VIEW {new}"))
        .await
        .unwrap();
    migration.up_async(conn).await.unwrap();
    migration.down_async(conn).await.unwrap();
}

#[test]
fn diesel_refuses_the_written_files_after_a_change_and_records_nothing() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let s = "d files \"x\"";
    let plan = small_plan(conn, s);
    let dir = std::env::temp_dir().join(format!("pgview-drift-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    pgview::migration::write_migration(&dir, "views", &plan).unwrap();
    let files = FileBasedMigrations::from_path(&dir).unwrap();
    let (base, new, reader) = (qn(s, "base"), qn(s, "new \"v\""), qn(s, "reads base"));
    let versions = applied_versions(conn);
    let original = crate::migrate_support::snapshot(conn, &[s]);

    // Up, after a view it alters gained a reader.
    conn.batch_execute(&format!("CREATE VIEW {reader} AS SELECT id FROM {base}"))
        .unwrap();
    let before = state(conn, &[s]);
    let error = conn.run_pending_migrations(files.clone()).unwrap_err();
    let gone = qn(s, "gone 'v'");
    let readers = changed(READERS, &gone, &format!("{gone}, {reader}"));
    let problem = format!("{s}.base {readers}");
    assert!(
        error.to_string().contains(&format!("{DRIFT} {problem}")),
        "{error}"
    );
    assert_eq!(state(conn, &[s]), before);
    assert_eq!(applied_versions(conn), versions);
    conn.batch_execute(&format!("DROP VIEW {reader}")).unwrap();
    conn.run_pending_migrations(files.clone()).unwrap();
    assert_eq!(applied_versions(conn).len(), versions.len() + 1);

    // Down, after a view up created got an option.
    conn.batch_execute(&format!("ALTER VIEW {new} SET (security_barrier = true)"))
        .unwrap();
    let before = state(conn, &[s]);
    let error = conn.revert_last_migration(files.clone()).unwrap_err();
    let options = changed(OPTIONS, "none", "security_barrier=true");
    let problem = format!("{s}.new \"v\" {options}");
    assert!(
        error.to_string().contains(&format!("{DRIFT} {problem}")),
        "{error}"
    );
    assert_eq!(state(conn, &[s]), before);
    assert_eq!(applied_versions(conn).len(), versions.len() + 1);
    conn.batch_execute(&format!("ALTER VIEW {new} RESET (security_barrier)"))
        .unwrap();
    conn.revert_last_migration(files).unwrap();
    assert_eq!(applied_versions(conn), versions);
    assert_eq!(crate::migrate_support::snapshot(conn, &[s]), original);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A database of its own for the lock tests, with committed views in schema `lk "s".1`: `a`,
/// `b` and `m` (materialized) reading it. The declared set replaces `a` and adds `c`.
fn lock_database() -> (pgview_testkit::TestDatabase, ViewSet, DiffScope) {
    let db = pgview_testkit::fresh_database();
    let s = "lk \"s\".1";
    let a = qn(s, "a");
    let setup = format!(
        "CREATE SCHEMA {};
         CREATE VIEW {a} AS SELECT id, name FROM users;
         CREATE VIEW {} AS SELECT id FROM {a};
         CREATE MATERIALIZED VIEW {} AS SELECT name FROM {a};",
        q(s),
        qn(s, "b"),
        qn(s, "m")
    );
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(&setup).unwrap();
    let declared = ViewSet::new()
        .with_view(view(s, "a", "SELECT id, name FROM users WHERE id > 0"))
        .with_view(view(s, "b", &format!("SELECT id FROM {a}")))
        .with_materialized(matview(s, "m", &format!("SELECT name FROM {a}")))
        .with_view(view(s, "c", &format!("SELECT name FROM {a}")));
    (db, declared, DiffScope::schemas([s]).unwrap())
}

/// Asserts that `error` is `Error::Busy` after a wait of [`WAIT`].
fn assert_busy(error: &Error) {
    let Error::Busy { message } = error else {
        panic!("expected Error::Busy, got {error:?}: {error}");
    };
    assert_eq!(*message, format!("{BUSY} (waited 200 ms for it)"));
}

#[test]
fn two_comparisons_at_once_take_turns() {
    let (db, declared, scope) = lock_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let plan = pgview::diff::diff(conn, &declared, &scope)
        .unwrap()
        .plan()
        .unwrap();
    let (up, steps) = (plan.up_sql(), plan.steps.len());
    let rounds = 4;
    let barrier = Arc::new(Barrier::new(3));
    std::thread::scope(|threads| {
        for _ in 0..2 {
            let barrier = Arc::clone(&barrier);
            let (declared, scope, url) = (&declared, &scope, db.url());
            threads.spawn(move || {
                let conn = &mut PgConnection::establish(url).unwrap();
                for round in 0..rounds {
                    barrier.wait();
                    let diff = pgview::diff::diff(conn, declared, scope)
                        .unwrap_or_else(|e| panic!("round {round}: {e}"));
                    assert_eq!(diff.plan().unwrap().steps.len(), steps, "round {round}");
                }
            });
        }
        // And the migration applied (then rolled back) at the same time.
        let barrier = Arc::clone(&barrier);
        let (up, url) = (&up, db.url());
        threads.spawn(move || {
            let conn = &mut PgConnection::establish(url).unwrap();
            for round in 0..rounds {
                barrier.wait();
                conn.transaction::<(), diesel::result::Error, _>(|conn| {
                    conn.batch_execute(up)
                        .unwrap_or_else(|e| panic!("round {round}: {e}"));
                    Err(diesel::result::Error::RollbackTransaction)
                })
                .unwrap_err();
            }
        });
    });
}

#[test]
fn a_held_lock_makes_comparisons_and_migrations_busy() {
    let (db, declared, scope) = lock_database();
    let holder = &mut PgConnection::establish(db.url()).unwrap();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    assert_eq!(DiffOptions::new().lock_wait, Duration::from_secs(60));
    let options = DiffOptions::new().scope(scope).lock_wait(WAIT);
    let diff = diff_with(conn, &declared, &options).unwrap();
    assert!(diff.plan().unwrap().up_sql().contains("'60000ms'"));
    let up = diff
        .plan_with(&PlanOptions::new().lock_wait(WAIT))
        .unwrap()
        .up_sql();
    assert!(up.contains("'200ms'"), "{up}");
    let schema = ["lk \"s\".1"];
    let before = state(conn, &schema);
    conn.batch_execute("SET lock_timeout = '7s'").unwrap();

    // Held by an open transaction that ran the migration, then by a session.
    holder.batch_execute("BEGIN").unwrap();
    holder.batch_execute(&up).unwrap();
    let lock = format!("SELECT pg_advisory_lock({LOCK_KEY})");
    for (release, then) in [
        ("ROLLBACK", lock.as_str()),
        ("SELECT pg_advisory_unlock_all()", "SELECT 1"),
    ] {
        let started = Instant::now();
        assert_busy(&diff_with(conn, &declared, &options).unwrap_err());
        let waited = started.elapsed();
        assert!(
            waited >= WAIT && waited < Duration::from_secs(10),
            "{waited:?}"
        );
        assert_busy(&Error::from(apply(conn, &up).unwrap_err()));
        assert_eq!(text(conn, "current_setting('lock_timeout')"), "7s");
        holder.batch_execute(release).unwrap();
        assert_eq!(state(conn, &schema), before);
        holder.batch_execute(then).unwrap();
    }

    // Released: both run.
    assert!(!diff_with(conn, &declared, &options).unwrap().is_empty());
    apply(conn, &up).unwrap();
    assert!(diff_with(conn, &declared, &options).unwrap().is_empty());
    assert_eq!(text(conn, "current_setting('lock_timeout')"), "7s");
}

#[cfg(feature = "async")]
#[tokio::test]
async fn an_async_comparison_waits_for_the_lock_the_same_way() {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let (db, declared, scope) = lock_database();
    let holder = &mut PgConnection::establish(db.url()).unwrap();
    let conn = &mut AsyncPgConnection::establish(db.url()).await.unwrap();
    let options = DiffOptions::new().scope(scope).lock_wait(WAIT);
    let lock = format!("SELECT pg_advisory_lock({LOCK_KEY})");
    holder.batch_execute(&lock).unwrap();
    let started = Instant::now();
    let error = pgview::aio::diff_with(conn, &declared, &options).await;
    assert_busy(&error.unwrap_err());
    assert!(started.elapsed() >= WAIT);
    holder
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .unwrap();
    let diff = pgview::aio::diff_with(conn, &declared, &options).await;
    assert!(!diff.unwrap().is_empty());
}
