//! Materialized views stay fresh: a populated materialized view the migration keeps but whose
//! inputs it changes in place is refreshed once, after the last of those changes.

use super::*;
use crate::definition::Index;
use crate::snapshot::fixtures::IndexState;

/// `s.v` replaced (`SELECT 1` → `SELECT 2`), with `others` in the database.
fn replacing_v(others: &[ViewState]) -> Scenario {
    let live = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::view("s.v", "SELECT 2 AS a");
    let mut scenario = Scenario::new()
        .live(live.clone())
        .declare(view("s.v", "SELECT 2 AS a"), new.clone())
        .changed("s.v", vec![definition(&live, &new)]);
    for other in others {
        scenario = scenario.live(other.clone());
    }
    scenario
}

/// An undeclared materialized view reading `reads`.
fn reader(name: &str, reads: &[&str]) -> ViewState {
    ViewState::materialized(name, "SELECT x.a FROM somewhere x")
        .reading(reads)
        .out_of_scope()
}

#[test]
fn refreshed_once_after_the_replace_up_and_down() {
    let plan = replacing_v(&[reader("s.m", &["s.v"])]).plan();
    assert_eq!(outline(&plan.steps), ["replace s.v", "refresh s.m"]);
    assert_eq!(plan.steps[1].reason, "reads s.v, which is replaced");
    // The down migration puts the old query back: the data changes again.
    assert_eq!(outline(&plan.down_steps), ["replace s.v", "refresh s.m"]);
    assert_eq!(plan.down_steps[1].reason, "reads s.v, which is replaced");
    assert_has(&plan.down_steps[0].sql[0], "SELECT 1 AS a");
}

#[test]
fn refreshed_through_plain_views() {
    let w1 = ViewState::view("s.w1", "SELECT v.a FROM s.v").reading(&["s.v"]);
    let w2 = ViewState::view("s.w2", "SELECT w1.a FROM s.w1")
        .reading(&["s.w1"])
        .out_of_scope();
    let plan = replacing_v(&[w1.clone(), w2, reader("s.m", &["s.w2"])])
        .declare(view("s.w1", "SELECT a FROM v"), w1)
        .plan();
    assert_eq!(outline(&plan.steps), ["replace s.v", "refresh s.m"]);
    assert_eq!(
        plan.steps[1].reason,
        "reads s.w2, which depends on s.v, which is replaced"
    );
    assert_eq!(outline(&plan.down_steps), ["replace s.v", "refresh s.m"]);
}

#[test]
fn a_chain_of_materialized_views_is_refreshed_in_order() {
    // Named so that the alphabetical order is the wrong one.
    let plan = replacing_v(&[reader("s.m2", &["s.v"]), reader("s.m1", &["s.m2"])]).plan();
    assert_eq!(
        outline(&plan.steps),
        ["replace s.v", "refresh s.m2", "refresh s.m1"]
    );
    assert_eq!(plan.steps[1].reason, "reads s.v, which is replaced");
    assert_eq!(plan.steps[2].reason, "reads s.m2, which is refreshed");
    assert_eq!(
        outline(&plan.down_steps),
        ["replace s.v", "refresh s.m2", "refresh s.m1"]
    );
}

/// A declared materialized view `s.m` reading `s.v` with `live` and `declared` indexes (and
/// the index change `compare` finds when they differ): whether its refresh is concurrent, up
/// and down.
fn concurrently(live: Option<IndexState>, declared: Option<(IndexState, Index)>) -> (bool, bool) {
    let mut live_m = ViewState::materialized("s.m", "SELECT v.a FROM s.v").reading(&["s.v"]);
    let mut new_m = live_m.clone();
    let mut def = materialized("s.m", "SELECT a FROM v");
    live_m.indexes.extend(live.clone());
    if let Some((state, index)) = declared.clone() {
        new_m = new_m.index(state);
        def = def.index(index).unwrap();
    }
    let mut scenario = replacing_v(&[live_m]).declare(def, new_m);
    let (old, new) = (live, declared.map(|(state, _)| state));
    if old != new {
        let names = |i: &Option<IndexState>| i.iter().map(|i| i.name.clone()).collect();
        let (old_names, new_names): (Vec<String>, Vec<String>) = (names(&old), names(&new));
        let same = old_names == new_names;
        scenario = scenario.changed(
            "s.m",
            vec![Change::Indexes {
                added: if same { vec![] } else { new_names.clone() },
                removed: if same { vec![] } else { old_names },
                changed: if same { new_names } else { vec![] },
            }],
        );
    }
    let plan = scenario.plan();
    let refresh = |steps: &[Step]| match step(steps, "refresh", "s.m") {
        Step {
            kind: StepKind::Refresh { concurrently },
            sql,
            ..
        } => {
            assert_eq!(sql[0].contains("CONCURRENTLY"), *concurrently, "{sql:?}");
            *concurrently
        }
        other => panic!("{other:?}"),
    };
    (refresh(&plan.steps), refresh(&plan.down_steps))
}

#[test]
fn concurrently_only_with_a_unique_index_kept_as_it_is() {
    let unique = || IndexState::unique("m_a", &["a"]);
    let declared_unique = || Index::unique(["a"]).and_then(|i| i.named("m_a")).unwrap();
    // Kept: concurrently both ways.
    assert_eq!(
        concurrently(Some(unique()), Some((unique(), declared_unique()))),
        (true, true)
    );
    // No index, a plain one, or a unique one it cannot use (WHERE): plain.
    assert_eq!(concurrently(None, None), (false, false));
    let plain = || IndexState::plain("m_a", &["a"]);
    let declared_plain = || Index::new(["a"]).and_then(|i| i.named("m_a")).unwrap();
    assert_eq!(
        concurrently(Some(plain()), Some((plain(), declared_plain()))),
        (false, false)
    );
    // (Only the states decide; a declared index has no WHERE clause.)
    let partial = || IndexState::unique_partial("m_a", &["a"]);
    assert_eq!(
        concurrently(Some(partial()), Some((partial(), declared_unique()))),
        (false, false)
    );
    // Created or dropped by the migration: only in one of the two states.
    assert_eq!(
        concurrently(None, Some((unique(), declared_unique()))),
        (false, false)
    );
    assert_eq!(concurrently(Some(unique()), None), (false, false));
    // Same name, another definition.
    let other = IndexState::unique("m_a", &["a", "b"]);
    let declared_other = Index::unique(["a", "b"])
        .and_then(|i| i.named("m_a"))
        .unwrap();
    assert_eq!(
        concurrently(Some(unique()), Some((other, declared_other))),
        (false, false)
    );
    // Another name, same definition.
    let renamed = IndexState::unique("m_a2", &["a"]);
    let declared_renamed = Index::unique(["a"]).and_then(|i| i.named("m_a2")).unwrap();
    assert_eq!(
        concurrently(Some(unique()), Some((renamed, declared_renamed))),
        (false, false)
    );
}

#[test]
fn a_materialized_view_kept_with_no_data_is_not_refreshed() {
    let m = reader("s.m", &["s.v"]).populated(false);
    let plan = replacing_v(&[m]).plan();
    assert_eq!(outline(&plan.steps), ["replace s.v"]);
    assert_eq!(outline(&plan.down_steps), ["replace s.v"]);
}

#[test]
fn a_materialized_view_that_is_recreated_is_not_refreshed() {
    let live_m = ViewState::materialized("s.m", "SELECT v.a FROM s.v").reading(&["s.v"]);
    let new_m = ViewState::materialized("s.m", "SELECT v.a + 1 AS a FROM s.v").reading(&["s.v"]);
    let plan = replacing_v(std::slice::from_ref(&live_m))
        .declare(
            materialized("s.m", "SELECT a + 1 AS a FROM v"),
            new_m.clone(),
        )
        .changed("s.m", vec![definition(&live_m, &new_m)])
        .plan();
    assert_eq!(
        outline(&plan.steps),
        ["drop for rebuild s.m", "replace s.v", "recreate s.m"]
    );
    assert_eq!(
        outline(&plan.down_steps),
        ["drop for rebuild s.m", "replace s.v", "recreate s.m"]
    );
}

#[test]
fn a_materialized_view_that_is_rebuilt_is_not_refreshed() {
    // s.v loses a column: rebuilt, and s.m with it.
    let live = ViewState::view("s.v", "SELECT 1 AS a, 2 AS b")
        .columns(&[("a", "integer"), ("b", "integer")]);
    let new = ViewState::view("s.v", "SELECT 1 AS a");
    let plan = Scenario::new()
        .live(live.clone())
        .live(reader("s.m", &["s.v"]))
        .live(reader("s.m2", &["s.m"]))
        .declare(view("s.v", "SELECT 1 AS a"), new.clone())
        .changed("s.v", vec![columns(&live, &new), definition(&live, &new)])
        .plan();
    assert_eq!(
        outline(&plan.steps),
        [
            "drop for rebuild s.m2",
            "drop for rebuild s.m",
            "drop for rebuild s.v",
            "recreate s.v",
            "rebuild s.m",
            "rebuild s.m2"
        ]
    );
}

/// A materialized view reading the table `s.t`, and one reading it through a plain view, with
/// the table SQL changing the tables `up` and `down`.
fn reading_a_table(up: &[&str], down: Option<&[&str]>) -> MigrationPlan {
    let w = ViewState::view("s.w", "SELECT t.a FROM s.t")
        .reading_tables(&["s.t"])
        .out_of_scope();
    Scenario::new()
        .live(reader("s.m", &[]).reading_tables(&["s.t"]))
        .live(w)
        .live(reader("s.n", &["s.w"]))
        .live(reader("s.other", &[]).reading_tables(&["s.u"]))
        .table_sql("UPDATE s.t SET a = a + 1", "UPDATE s.t SET a = a - 1")
        .tables_changed(up, down)
        .plan()
}

#[test]
fn a_table_changed_by_the_table_sql() {
    let plan = reading_a_table(&["s.t"], Some(&["s.t"]));
    assert_eq!(
        outline(&plan.steps),
        ["table sql", "refresh s.m", "refresh s.n"]
    );
    assert_eq!(
        plan.steps[1].reason,
        "reads table s.t, which is changed by the table SQL"
    );
    assert_eq!(
        plan.steps[2].reason,
        "reads s.w, which depends on table s.t, which is changed by the table SQL"
    );
    assert_eq!(
        outline(&plan.down_steps),
        ["table sql", "refresh s.m", "refresh s.n"]
    );
}

#[test]
fn each_direction_refreshes_for_the_tables_it_changes() {
    // The down SQL changes nothing the views read.
    let plan = reading_a_table(&["s.t"], Some(&[]));
    assert_eq!(
        outline(&plan.steps),
        ["table sql", "refresh s.m", "refresh s.n"]
    );
    assert_eq!(outline(&plan.down_steps), ["table sql"]);
    // Only the down SQL does.
    let plan = reading_a_table(&[], Some(&["s.t"]));
    assert_eq!(outline(&plan.steps), ["table sql"]);
    assert_eq!(
        outline(&plan.down_steps),
        ["table sql", "refresh s.m", "refresh s.n"]
    );
    // Unknown down (it failed in the comparison): the tables up changes.
    let plan = reading_a_table(&["s.t"], None);
    assert_eq!(
        outline(&plan.down_steps),
        ["table sql", "refresh s.m", "refresh s.n"]
    );
}

/// `s.v` with `before` and `after` options (and `SELECT 2` instead of `SELECT 1` when
/// `replaced`), read by the materialized view `s.m`.
fn v_options(before: &[&str], after: &[&str], replaced: bool) -> MigrationPlan {
    let live = ViewState::view("s.v", "SELECT 1 AS a").options(before);
    let query = if replaced {
        "SELECT 2 AS a"
    } else {
        "SELECT 1 AS a"
    };
    let new = ViewState::view("s.v", query).options(after);
    let mut def = view("s.v", query);
    for option in after {
        def = match *option {
            "security_invoker=true" => def.security_invoker(true),
            "security_barrier=true" => def.security_barrier(true),
            other => panic!("{other}"),
        };
    }
    let mut changes = vec![options(&live, &new)];
    if replaced {
        changes.insert(0, definition(&live, &new));
    }
    Scenario::new()
        .live(live)
        .live(reader("s.m", &["s.v"]))
        .declare(def, new)
        .changed("s.v", changes)
        .plan()
}

#[test]
fn a_replaced_view_whose_security_invoker_changes() {
    let plan = v_options(&[], &["security_invoker=true"], true);
    assert_eq!(outline(&plan.steps), ["replace s.v", "refresh s.m"]);
    assert_has(&plan.steps[0].sql[0], "security_invoker");
    assert_eq!(plan.steps[1].reason, "reads s.v, which is replaced");
    assert_eq!(outline(&plan.down_steps), ["replace s.v", "refresh s.m"]);
}

#[test]
fn security_barrier_alone_changes_no_data() {
    let plan = v_options(&[], &["security_barrier=true"], false);
    assert_eq!(outline(&plan.steps), ["alter options s.v"]);
    assert_eq!(outline(&plan.down_steps), ["alter options s.v"]);
}

#[test]
fn security_invoker_altered_in_place_then_refreshed() {
    let plan = v_options(&[], &["security_invoker=true"], false);
    let up = outline(&plan.steps);
    assert_eq!(
        step(&plan.steps, "refresh", "s.m").reason,
        "reads s.v, which has its security_invoker option changed"
    );
    assert_eq!(up, ["alter options s.v", "refresh s.m"]);
    assert_eq!(
        outline(&plan.down_steps),
        ["alter options s.v", "refresh s.m"]
    );
}

#[test]
fn describe_and_up_sql_show_the_refresh_and_why() {
    let m = ViewState::materialized("s.m", "SELECT v.a FROM s.v")
        .reading(&["s.v"])
        .index(IndexState::unique("m_a", &["a"]))
        .out_of_scope();
    let plan = replacing_v(&[m, reader("s.n", &["s.v"])]).plan();
    let describe = plan.describe();
    assert_has(
        &describe,
        "  2. refresh (concurrently) materialized view s.m: reads s.v, which is replaced\n",
    );
    assert_has(
        &describe,
        "  3. refresh materialized view s.n: reads s.v, which is replaced\n",
    );
    let up = plan.up_sql();
    assert_has(
        &up,
        "\n-- 2. refresh (concurrently) materialized view s.m: reads s.v, which is replaced\n\
         REFRESH MATERIALIZED VIEW CONCURRENTLY \"s\".\"m\";\n",
    );
    assert_has(
        &up,
        "\n-- 3. refresh materialized view s.n: reads s.v, which is replaced\n\
         REFRESH MATERIALIZED VIEW \"s\".\"n\";\n",
    );
    assert_has(
        &plan.down_sql(),
        "\n-- 3. refresh materialized view s.n: reads s.v, which is replaced\n",
    );
}
