//! A view the application does not declare is never dropped as a side effect: when it reads a
//! dropped view and cannot be rebuilt, planning fails unless the options allow the drop.

use super::*;
use crate::error::Error;

const WHY: &str = "relation \"s.v\" does not exist";

/// A view reading `s.v`, outside the scope.
fn reads_v(name: &str) -> ViewState {
    ViewState::view(name, "SELECT v.a FROM s.v")
        .reading(&["s.v"])
        .out_of_scope()
}

/// `s.v` dropped (no longer declared); the undeclared `s.y` and `s.x` (out of scope) read it,
/// so they cannot be rebuilt.
fn dropping_v() -> Scenario {
    Scenario::new()
        .live(ViewState::view("s.v", "SELECT 1 AS a"))
        .live(reads_v("s.y"))
        .live(reads_v("s.x"))
        .unrebuildable("s.y", WHY)
        .unrebuildable("s.x", WHY)
}

fn refused(options: &PlanOptions) -> Vec<(String, String)> {
    match dropping_v().diff().plan_with(options) {
        Err(Error::UndeclaredViewsWouldBeDropped { views }) => views,
        Err(other) => panic!("another error: {other}"),
        Ok(plan) => panic!("planned:\n{}", plan.describe()),
    }
}

#[test]
fn undeclared_views_that_cannot_be_rebuilt_refuse_the_plan() {
    let reason = format!(
        "it reads s.v, which the migration drops, and cannot be rebuilt on the new definitions: {WHY}"
    );
    // Sorted by name, each with why.
    assert_eq!(
        refused(&PlanOptions::new()),
        [
            ("s.x".to_owned(), reason.clone()),
            ("s.y".to_owned(), reason)
        ]
    );
    // `plan()` is `plan_with` the defaults.
    let error = dropping_v().diff().plan().unwrap_err();
    assert_has(&error.to_string(), "s.x (it reads s.v");
}

#[test]
fn allow_drop_allows_only_the_views_it_names() {
    let options = PlanOptions::new().allow_drop(["s.x"]).unwrap();
    let views: Vec<String> = refused(&options).into_iter().map(|(v, _)| v).collect();
    assert_eq!(views, ["s.y"]);
    // A name without a schema names the view in any schema.
    let options = PlanOptions::new().allow_drop(["y"]).unwrap();
    let views: Vec<String> = refused(&options).into_iter().map(|(v, _)| v).collect();
    assert_eq!(views, ["s.x"]);
    // Another schema is another view.
    let options = PlanOptions::new().allow_drop(["t.x", "t.y"]).unwrap();
    assert_eq!(refused(&options).len(), 2);
}

/// Both allowed drops are planned: dropped before what they read, created again from the
/// catalog down, with a warning each.
fn assert_dropped_as_allowed(plan: &MigrationPlan) {
    assert_eq!(
        outline(&plan.steps),
        ["drop s.y", "drop s.x", "drop s.v"],
        "{}",
        plan.describe()
    );
    let drop = step(&plan.steps, "drop", "s.x");
    assert_eq!(drop.kind, StepKind::Drop);
    assert_eq!(drop.sql, [r#"DROP VIEW "s"."x""#]);
    assert!(drop
        .reason
        .starts_with("not declared, dropped as allowed: it reads s.v"));
    assert_eq!(
        outline(&plan.down_steps),
        ["create s.v", "create s.x", "create s.y"]
    );
    assert!(plan
        .down_steps
        .iter()
        .all(|s| s.kind.source() == Some(Source::Catalog)));
    for view in ["s.x", "s.y"] {
        let warning = format!(
            "{view} is not declared and is dropped, as allowed: it reads s.v, which the migration drops"
        );
        assert!(
            plan.warnings.iter().any(|w| w.starts_with(&warning)),
            "{:?}",
            plan.warnings
        );
        assert_has(&plan.up_sql(), &format!("-- WARNING: {warning}"));
    }
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
}

#[test]
fn allow_drop_of_every_one() {
    let options = PlanOptions::new().allow_drop(["s.x", "s.y"]).unwrap();
    assert_dropped_as_allowed(&dropping_v().plan_with(&options));
}

#[test]
fn allow_drop_any() {
    let options = PlanOptions::new()
        .allow_drop(["s.x"])
        .unwrap()
        .allow_drop_any();
    assert_dropped_as_allowed(&dropping_v().plan_with(&options));
}

#[test]
fn an_unrebuildable_view_that_nothing_drops_is_kept() {
    let plan = Scenario::new()
        .live(ViewState::view("s.x", "SELECT 1 AS a").out_of_scope())
        .unrebuildable("s.x", WHY)
        .declare(
            view("s.n", "SELECT 1 AS a"),
            ViewState::view("s.n", "SELECT 1 AS a"),
        )
        .plan();
    assert_eq!(outline(&plan.steps), ["create s.n"]);
    assert!(plan.warnings.is_empty());
}

#[test]
fn a_rebuilt_view_keeps_the_readers_that_can_be_rebuilt() {
    // s.v loses its column b: s.x reads it and cannot be rebuilt, s.z can.
    let live = ViewState::view("s.v", "SELECT 1 AS a, 2 AS b")
        .columns(&[("a", "integer"), ("b", "integer")]);
    let new = ViewState::view("s.v", "SELECT 1 AS a");
    let scenario = Scenario::new()
        .live(live.clone())
        .live(reads_v("s.x"))
        .live(reads_v("s.z"))
        .unrebuildable("s.x", "column v.b does not exist")
        .declare(view("s.v", "SELECT 1 AS a"), new.clone())
        .changed("s.v", vec![columns(&live, &new), definition(&live, &new)]);
    let Err(Error::UndeclaredViewsWouldBeDropped { views }) = scenario.diff().plan() else {
        panic!("planned");
    };
    assert_eq!(
        views,
        [(
            "s.x".to_owned(),
            "it reads s.v, which the migration drops, and cannot be rebuilt on the new definitions: column v.b does not exist".to_owned()
        )]
    );
    let plan = scenario.plan_with(&PlanOptions::new().allow_drop_any());
    assert_eq!(
        outline(&plan.steps),
        [
            "drop for rebuild s.z",
            "drop s.x",
            "drop for rebuild s.v",
            "recreate s.v",
            "rebuild s.z"
        ]
    );
    // Down: s.v gets its column back in place, s.x is created again.
    assert_eq!(outline(&plan.down_steps), ["replace s.v", "create s.x"]);
}
