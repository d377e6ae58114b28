//! What each direction does besides its steps: the drift guard first, the ownership record
//! last; and moved views, which the guard finds at their old place.

use std::time::Duration;

use super::*;
use crate::plan::types::Unit;
use crate::plan::Direction;

/// `s.v` replaced (read by the undeclared `s.w`), `s.n` created, `s.old` dropped, `s.u`
/// declared and unchanged.
fn mixed() -> Scenario {
    let live = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::view("s.v", "SELECT 2 AS a");
    let u = ViewState::view("s.u", "SELECT 3 AS a");
    Scenario::new()
        .live(live.clone())
        .live(u.clone())
        .live(ViewState::view("s.old", "SELECT 4 AS a").options(&["security_barrier=true"]))
        .live(
            ViewState::view("s.w", "SELECT v.a FROM s.v")
                .reading(&["s.v"])
                .out_of_scope(),
        )
        .declare(view("s.v", "SELECT 2 AS a"), new.clone())
        .declare(view("s.u", "SELECT 3 AS a"), u)
        .declare(
            view("s.n", "SELECT 5 AS a"),
            ViewState::view("s.n", "SELECT 5 AS a"),
        )
        .changed("s.v", vec![definition(&live, &new)])
}

/// The statements of `plan` in one direction, in the order its SQL text has them.
fn statements(plan: &MigrationPlan, direction: Direction) -> Vec<String> {
    let units = plan.units(direction);
    let text = match direction {
        Direction::Up => plan.up_sql(),
        Direction::Down => plan.down_sql(),
    };
    // The text is the units, each a comment and its statements.
    let mut at = 0;
    for unit in &units {
        for statement in &unit.statements {
            let found = text[at..]
                .find(statement.as_str())
                .unwrap_or_else(|| panic!("{statement} not in order in:\n{text}"));
            at += found + statement.len();
        }
    }
    units.into_iter().flat_map(|unit| unit.statements).collect()
}

/// The unit of `plan` that changes the ownership record in `direction`: the last one but the
/// runner's `search_path` back.
fn record_unit(plan: &MigrationPlan, direction: Direction) -> Unit {
    let mut units = plan.units(direction);
    if plan.search_path.is_some() {
        let restore = units.pop().unwrap();
        assert_eq!(restore.comment, "The runner's search_path back.");
    }
    let record = units.pop().unwrap();
    assert!(
        record.comment.starts_with("the ownership record"),
        "{record:?}"
    );
    record
}

#[test]
fn up_starts_with_the_guard() {
    let plan = mixed().plan();
    assert_eq!(
        outline(&plan.steps),
        ["drop s.old", "create s.n", "replace s.v"]
    );
    let up = statements(&plan, Direction::Up);
    assert!(up[0].starts_with("SELECT pg_catalog.set_config('pgview.search_path'"));
    let guard = &up[1];
    assert!(guard.starts_with("DO $pgview$"), "{guard}");
    assert_eq!(*guard, plan.up.guard);
    assert_has(
        guard,
        "PERFORM pg_catalog.pg_advisory_xact_lock(123589670561143);",
    );
    // Every view it touches with its fingerprint and the views reading it.
    assert_has(
        guard,
        r#"'s', 'v', true, ARRAY['v', 'md5 of SELECT 1 AS a', '"a" integer', '']::text[], ARRAY['"s"."w"']::text[])"#,
    );
    assert_has(
        guard,
        r#"'s', 'old', true, ARRAY['v', 'md5 of SELECT 4 AS a', '"a" integer', 'security_barrier=true']::text[], ARRAY[]::text[])"#,
    );
    // The views it creates must not exist.
    assert_has(guard, "'s', 'n', false, NULL::text[], NULL::text[])");
    // Nothing else.
    assert!(
        !guard.contains("'s', 'u'") && !guard.contains("'s', 'w'"),
        "{guard}"
    );
    assert_eq!(plan.up.guarded, 3);
    assert_has(
        &plan.up_sql(),
        "-- takes the pgview lock and checks that the 3 view(s) it changes are still as planned",
    );
    // The definition is compared on the server's major version only.
    assert_has(
        guard,
        "current_setting('server_version_num')::int / 10000 = 17",
    );
    assert!(up[2].starts_with("DROP VIEW \"s\".\"old\""));
}

#[test]
fn without_declared_sql_the_guard_is_first() {
    let plan = Scenario::new()
        .live(ViewState::view("s.old", "SELECT 1 AS a"))
        .plan();
    assert_eq!(plan.search_path, None);
    let up = statements(&plan, Direction::Up);
    assert!(up[0].starts_with("DO $pgview$"), "{}", up[0]);
    assert_eq!(up[1], "DROP VIEW \"s\".\"old\"");
}

#[test]
fn the_down_guard_checks_the_state_up_leaves() {
    let plan = mixed().plan();
    assert_eq!(
        outline(&plan.down_steps),
        ["drop s.n", "create s.old", "replace s.v"]
    );
    let guard = &statements(&plan, Direction::Down)[1];
    assert!(guard.starts_with("DO $pgview$"), "{guard}");
    assert_has(guard, "pg_advisory_xact_lock(123589670561143)");
    assert_has(
        guard,
        r#"'s', 'v', true, ARRAY['v', 'md5 of SELECT 2 AS a', '"a" integer', '']::text[], ARRAY['"s"."w"']::text[])"#,
    );
    assert_has(
        guard,
        r#"'s', 'n', true, ARRAY['v', 'md5 of SELECT 5 AS a', '"a" integer', '']::text[], ARRAY[]::text[])"#,
    );
    assert_has(guard, "'s', 'old', false, NULL::text[], NULL::text[])");
    assert!(!guard.contains("'s', 'u'"), "{guard}");
    assert_eq!(plan.down.guarded, 3);
}

#[test]
fn the_guard_waits_as_long_as_the_options_say() {
    let options = PlanOptions::new().lock_wait(Duration::from_millis(1500));
    let plan = mixed().plan_with(&options);
    assert_has(&plan.up.guard, "set_config('lock_timeout', '1500ms', true)");
    assert_has(
        &plan.down.guard,
        "set_config('lock_timeout', '1500ms', true)",
    );
}

/// `s.kept` unchanged, `s.kind` a view declared materialized, `s.new` created, `s.gone`
/// (recorded) and `s.stray` (not recorded) dropped.
fn recording() -> Scenario {
    let kept = ViewState::view("s.kept", "SELECT 1 AS a");
    let was = ViewState::view("s.kind", "SELECT 2 AS a");
    let is = ViewState::materialized("s.kind", "SELECT 2 AS a");
    Scenario::new()
        .live(kept.clone())
        .live(was.clone())
        .live(ViewState::materialized("s.gone", "SELECT 3 AS a"))
        .live(ViewState::view("s.stray", "SELECT 4 AS a"))
        .declare(view("s.kept", "SELECT 1 AS a"), kept)
        .declare(materialized("s.kind", "SELECT 2 AS a"), is)
        .declare(
            view("s.new", "SELECT 5 AS a"),
            ViewState::view("s.new", "SELECT 5 AS a"),
        )
        .changed(
            "s.kind",
            vec![Change::Kind {
                before: RelationKind::View,
                after: RelationKind::MaterializedView,
            }],
        )
        .recorded("s.kept", RelationKind::View, "1700000000")
        .recorded("s.kind", RelationKind::View, "1699999999")
        .recorded("s.gone", RelationKind::MaterializedView, "1700000100.5")
}

/// Asserts that a record `INSERT` writes exactly `rows` (each as its `VALUES` row).
#[track_caller]
fn assert_writes(insert: &str, rows: &[&str]) {
    assert!(
        insert.starts_with(
            "INSERT INTO pgview.managed_views \
             (schema_name, view_name, kind, view_oid, declared_hash, stamp, recorded_at) \
             SELECT v.s, v.n, v.k, coalesce(v.o, c.oid), v.h, coalesce(v.st, pg_catalog.md5("
        ),
        "{insert}"
    );
    assert_has(insert, &format!("FROM (VALUES {}) AS v", rows.join(", ")));
    assert_has(
        insert,
        "ON CONFLICT (schema_name, view_name) DO UPDATE SET kind = EXCLUDED.kind",
    );
}

#[test]
fn up_records_the_declared_views_and_forgets_the_dropped_ones_last() {
    let plan = recording().plan();
    assert_eq!(
        outline(&plan.steps),
        [
            "drop s.stray",
            "drop for rebuild s.kind",
            "drop s.gone",
            "recreate s.kind",
            "create s.new"
        ]
    );
    let record = record_unit(&plan, Direction::Up);
    assert_eq!(
        record.comment,
        "the ownership record (pgview.managed_views) records s.kind, s.new; forgets s.gone"
    );
    assert_eq!(record.statements[0], "CREATE SCHEMA IF NOT EXISTS pgview");
    assert_has(
        &record.statements[1],
        "CREATE TABLE IF NOT EXISTS pgview.managed_views (",
    );
    assert_eq!(record.statements.len(), 4);
    assert_eq!(
        record.statements[2],
        "DELETE FROM pgview.managed_views WHERE (schema_name, view_name) IN (VALUES ('s', 'gone'))"
    );
    // The OID and the stamp of each view when the migration ends; now, since its kind changed.
    assert_writes(
        &record.statements[3],
        &[
            "('s'::text, 'kind'::text, 'materialized view'::text, NULL::oid, 'hash of s.kind'::text, NULL::text, NULL::timestamptz)",
            "('s'::text, 'new'::text, 'view'::text, NULL::oid, 'hash of s.new'::text, NULL::text, NULL::timestamptz)",
        ],
    );
    // After the last step, before the runner's search_path back.
    let up = statements(&plan, Direction::Up);
    let insert = up
        .iter()
        .position(|s| s.starts_with("INSERT INTO pgview"))
        .unwrap();
    assert_eq!(insert, up.len() - 2, "{up:#?}");
    let last_step = up
        .iter()
        .position(|s| s.starts_with("CREATE VIEW \"s\".\"new\""))
        .unwrap();
    assert!(last_step < insert - 3);
    assert_has(
        &plan.describe(),
        "  last: the ownership record (pgview.managed_views) records s.kind, s.new; forgets s.gone\n",
    );
}

#[test]
fn down_undoes_exactly_the_change_of_the_record() {
    let plan = recording().plan();
    let record = record_unit(&plan, Direction::Down);
    assert_eq!(
        record.comment,
        "the ownership record (pgview.managed_views) records s.gone, s.kind; forgets s.new"
    );
    assert_eq!(record.statements.len(), 4);
    assert_eq!(
        record.statements[2],
        "DELETE FROM pgview.managed_views WHERE (schema_name, view_name) IN (VALUES ('s', 'new'))"
    );
    // The rows as they were: their time and hash; the OID and stamp of the views down leaves.
    assert_writes(
        &record.statements[3],
        &[
            "('s'::text, 'gone'::text, 'materialized view'::text, NULL::oid, 'hash of s.gone'::text, NULL::text, pg_catalog.to_timestamp('1700000100.5')::timestamptz)",
            "('s'::text, 'kind'::text, 'view'::text, NULL::oid, 'hash of s.kind'::text, NULL::text, pg_catalog.to_timestamp('1699999999')::timestamptz)",
        ],
    );
}

/// A recorded view the migration replaces gets its new stamp (and keeps its time); down writes
/// the row back as it was.
#[test]
fn a_changed_view_is_recorded_again() {
    let live = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::view("s.v", "SELECT 2 AS a");
    let plan = Scenario::new()
        .live(live.clone())
        .declare(view("s.v", "SELECT 2 AS a"), new.clone())
        .changed("s.v", vec![definition(&live, &new)])
        .recorded("s.v", RelationKind::View, "1700000000")
        .plan();
    let row = "('s'::text, 'v'::text, 'view'::text, NULL::oid, 'hash of s.v'::text, NULL::text, pg_catalog.to_timestamp('1700000000')::timestamptz)";
    assert_writes(&record_unit(&plan, Direction::Up).statements[2], &[row]);
    assert_writes(&record_unit(&plan, Direction::Down).statements[2], &[row]);
}

/// `s.v` moved to `t.v`, read by the undeclared `s.w`; recorded at its old place.
fn moving() -> Scenario {
    let old = ViewState::view("s.v", "SELECT 1 AS a");
    Scenario::new()
        .live(old)
        .live(
            ViewState::view("s.w", "SELECT v.a FROM s.v")
                .reading(&["s.v"])
                .out_of_scope(),
        )
        .declare(
            view("t.v", "SELECT 1 AS a"),
            ViewState::view("t.v", "SELECT 1 AS a"),
        )
        .moved("t.v", "s.v")
        .recorded("s.v", RelationKind::View, "1700000000")
}

#[test]
fn moved_views_are_guarded_at_their_old_place() {
    let plan = moving().plan();
    assert_eq!(outline(&plan.steps), ["move t.v"]);
    let fingerprint = r#"ARRAY['v', 'md5 of SELECT 1 AS a', '"a" integer', '']::text[]"#;
    assert_has(
        &plan.up.guard,
        &format!(r#"(0, 's', 'v', true, {fingerprint}, ARRAY['"s"."w"']::text[])"#),
    );
    // The place it goes must be free.
    assert_has(
        &plan.up.guard,
        "(1, 't', 'v', false, NULL::text[], NULL::text[])",
    );
    assert_eq!(plan.up.guarded, 2);
    // Down: where up put it; the view reading it reads it there.
    assert_eq!(outline(&plan.down_steps), ["move s.v"]);
    assert_has(
        &plan.down.guard,
        &format!(r#"(0, 't', 'v', true, {fingerprint}, ARRAY['"s"."w"']::text[])"#),
    );
    assert_has(
        &plan.down.guard,
        "(1, 's', 'v', false, NULL::text[], NULL::text[])",
    );
}

#[test]
fn moved_views_are_recorded_at_their_new_place() {
    let plan = moving().plan();
    assert_eq!(
        record_unit(&plan, Direction::Up).comment,
        "the ownership record (pgview.managed_views) records t.v; forgets s.v"
    );
    assert_eq!(
        record_unit(&plan, Direction::Down).comment,
        "the ownership record (pgview.managed_views) records s.v; forgets t.v"
    );
}

#[test]
fn a_moved_view_that_is_rebuilt_is_dropped_at_its_old_place() {
    // s.v loses a column (rebuilt); s.w, which reads it, moves to t.
    let live = ViewState::view("s.v", "SELECT 1 AS a, 2 AS b")
        .columns(&[("a", "integer"), ("b", "integer")]);
    let new = ViewState::view("s.v", "SELECT 1 AS a");
    let w = ViewState::view("s.w", "SELECT v.a FROM s.v").reading(&["s.v"]);
    let moved = ViewState::view("t.w", "SELECT v.a FROM s.v").reading(&["s.v"]);
    let plan = Scenario::new()
        .live(live.clone())
        .live(w)
        .declare(view("s.v", "SELECT 1 AS a"), new.clone())
        .declare(view("t.w", "SELECT a FROM s.v"), moved)
        .moved("t.w", "s.w")
        .changed("s.v", vec![columns(&live, &new), definition(&live, &new)])
        .plan();
    assert_eq!(
        outline(&plan.steps),
        [
            "drop for rebuild s.w",
            "drop for rebuild s.v",
            "recreate s.v",
            "rebuild t.w"
        ]
    );
    assert_eq!(plan.steps[0].sql, [r#"DROP VIEW "s"."w""#]);
    assert_eq!(
        plan.steps[3].sql,
        [r#"CREATE VIEW "t"."w" AS SELECT a FROM s.v"#]
    );
    assert_has(&plan.up.guard, "'s', 'w', true");
    // Where it goes must be free.
    assert_has(&plan.up.guard, "'t', 'w', false");
    // Down: moved back, and s.v gets its column back in place.
    assert_eq!(outline(&plan.down_steps), ["move s.w", "replace s.v"]);
}

#[test]
fn a_moved_materialized_view_is_refreshed_at_its_new_place() {
    let live = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::view("s.v", "SELECT 2 AS a");
    let m = ViewState::materialized("s.m", "SELECT v.a FROM s.v").reading(&["s.v"]);
    let moved = ViewState::materialized("t.m", "SELECT v.a FROM s.v").reading(&["s.v"]);
    let plan = Scenario::new()
        .live(live.clone())
        .live(m)
        .declare(view("s.v", "SELECT 2 AS a"), new.clone())
        .declare(materialized("t.m", "SELECT a FROM s.v"), moved)
        .moved("t.m", "s.m")
        .changed("s.v", vec![definition(&live, &new)])
        .plan();
    assert_eq!(
        outline(&plan.steps),
        ["move t.m", "replace s.v", "refresh t.m"]
    );
    assert_eq!(
        plan.steps[0].sql,
        [r#"ALTER MATERIALIZED VIEW "s"."m" SET SCHEMA "t""#]
    );
    assert_eq!(plan.steps[2].sql, [r#"REFRESH MATERIALIZED VIEW "t"."m""#]);
    assert_eq!(
        outline(&plan.down_steps),
        ["move s.m", "replace s.v", "refresh s.m"]
    );
}

#[test]
fn the_down_guard_expects_rebuilt_views_as_they_are_rebuilt() {
    // s.v's column becomes a bigint: s.w, which reads it, gets a bigint column when rebuilt.
    let live = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::view("s.v", "SELECT 1::bigint AS a").columns(&[("a", "bigint")]);
    let w = ViewState::view("s.w", "SELECT v.a FROM s.v")
        .reading(&["s.v"])
        .out_of_scope();
    let rebuilt = w.clone().columns(&[("a", "bigint")]);
    let plan = Scenario::new()
        .live(live.clone())
        .live(w)
        .rebuilt(rebuilt)
        .declare(view("s.v", "SELECT 1::bigint AS a"), new.clone())
        .changed("s.v", vec![columns(&live, &new), definition(&live, &new)])
        .plan();
    assert_eq!(
        outline(&plan.steps),
        [
            "drop for rebuild s.w",
            "drop for rebuild s.v",
            "recreate s.v",
            "rebuild s.w"
        ]
    );
    assert_has(
        &plan.up.guard,
        r#"'s', 'w', true, ARRAY['v', 'md5 of SELECT v.a FROM s.v', '"a" integer', '']"#,
    );
    assert_has(
        &plan.down.guard,
        r#"'s', 'w', true, ARRAY['v', 'md5 of SELECT v.a FROM s.v', '"a" bigint', '']"#,
    );
    assert_eq!(
        outline(&plan.down_steps),
        [
            "drop for rebuild s.w",
            "drop for rebuild s.v",
            "recreate s.v",
            "rebuild s.w"
        ]
    );
}
