//! Unit tests of the planner, without a database: a comparison's result built by hand (the
//! live states, the declared views with the states the server would give them, the changes
//! `compare` would find), steps out.
//!
//! - `kinds.rs`, `alters.rs`: one test per [`StepKind`];
//! - `freshness.rs`: the refreshes of materialized views whose inputs change in place;
//! - `refusal.rs`: undeclared views that cannot be rebuilt, and [`PlanOptions::allow_drop`];
//! - `bookkeeping.rs`: the drift guard, the ownership record, moved views.

mod alters;
mod bookkeeping;
mod freshness;
mod kinds;
mod refusal;

use std::collections::{BTreeMap, BTreeSet};

use crate::definition::{AnyView, MaterializedView, View};
use crate::diff::{Change, Target, ViewDiff, ViewSet};
use crate::error::RelationKind;
use crate::record::{Declared, Record, Recorded};
use crate::snapshot::fixtures::{key, OWNER};
use crate::snapshot::{fullname, Blueprint, Key, Source, ViewState};

use super::{MigrationPlan, PlanOptions, Step, StepKind};

/// A comparison's result, built view by view (what `Comparison::finish` builds from the
/// catalog and the normalised declared views).
#[derive(Debug, Default)]
struct Scenario {
    /// The views of the database.
    live: Vec<ViewState>,
    /// The declared views, with their states as the server made them.
    declared: Vec<(AnyView, ViewState)>,
    changes: BTreeMap<Key, Vec<Change>>,
    unrebuildable: BTreeMap<Key, String>,
    /// Undeclared views with the state they get once rebuilt on the new definitions.
    rebuilt: BTreeMap<Key, ViewState>,
    /// New place → old place.
    moves: BTreeMap<Key, Key>,
    record: Record,
    table_sql: Option<(String, String)>,
    tables_up: BTreeSet<Key>,
    tables_down: Option<BTreeSet<Key>>,
}

impl Scenario {
    fn new() -> Self {
        Self::default()
    }

    /// A view of the database: dropped when it is in scope and not declared, kept when it is
    /// out of scope (see [`ViewState::out_of_scope`]).
    fn live(mut self, state: ViewState) -> Self {
        self.live.push(state);
        self
    }

    /// A declared view and the state the server gives it.
    fn declare(mut self, view: impl Into<AnyView>, state: ViewState) -> Self {
        self.declared.push((view.into(), state));
        self
    }

    /// What differs about `name` (as `compare` finds it).
    fn changed(mut self, name: &str, changes: Vec<Change>) -> Self {
        self.changes.insert(key(name), changes);
        self
    }

    /// An undeclared view kept by the comparison whose catalog definition the server refused.
    fn unrebuildable(mut self, name: &str, why: &str) -> Self {
        self.unrebuildable.insert(key(name), why.to_owned());
        self
    }

    /// The undeclared view `state.key` gets `state` once rebuilt on the new definitions.
    fn rebuilt(mut self, state: ViewState) -> Self {
        self.rebuilt.insert(state.key.clone(), state);
        self
    }

    /// The declared view `to` is the live view `from`, moved to another schema.
    fn moved(mut self, to: &str, from: &str) -> Self {
        self.moves.insert(key(to), key(from));
        self
    }

    /// A row of the ownership record.
    fn recorded(mut self, name: &str, kind: RelationKind, at: &str) -> Self {
        self.record.insert(
            key(name),
            Recorded {
                kind,
                at: Some(at.to_owned()),
                oid: Some(1),
                hash: Some(format!("hash of {name}")),
                stamp: Some(format!("stamp of {name}")),
            },
        );
        self
    }

    fn table_sql(mut self, up: &str, down: &str) -> Self {
        self.table_sql = Some((up.to_owned(), down.to_owned()));
        self
    }

    /// The tables the table SQL changes, up and (`None`: unknown) down.
    fn tables_changed(mut self, up: &[&str], down: Option<&[&str]>) -> Self {
        self.tables_up = up.iter().map(|t| key(t)).collect();
        self.tables_down = down.map(|down| down.iter().map(|t| key(t)).collect());
        self
    }

    /// The comparison's result, as `Comparison::finish` builds it.
    fn diff(&self) -> ViewDiff {
        let live: BTreeMap<Key, ViewState> = self
            .live
            .iter()
            .map(|s| (s.key.clone(), s.clone()))
            .collect();
        let before_blueprints: BTreeMap<Key, std::sync::Arc<Blueprint>> = live
            .iter()
            .map(|(k, s)| (k.clone(), std::sync::Arc::new(blueprint(s, None, Some(s)))))
            .collect();
        let mut after = BTreeMap::new();
        for (view, normalized) in &self.declared {
            let at = &normalized.key;
            let kept = live.get(self.moves.get(at).unwrap_or(at));
            let mut state = normalized.clone();
            state.populated = match (kept, view) {
                (Some(kept), _) => kept.populated,
                (None, AnyView::Materialized(mv)) => mv.is_with_data(),
                (None, AnyView::View(_)) => true,
            };
            let blueprint = blueprint(&state, Some(view), kept);
            after.insert(at.clone(), target(state, blueprint, None));
        }
        let declared: BTreeSet<Key> = after.keys().cloned().collect();
        for (k, state) in &live {
            if declared.contains(k) || state.in_scope {
                continue;
            }
            let unrebuildable = self.unrebuildable.get(k).cloned();
            let mut target = target(
                state.clone(),
                (*before_blueprints[k]).clone(),
                unrebuildable,
            );
            target.rebuilt = self.rebuilt.get(k).cloned().map(std::sync::Arc::new);
            after.insert(k.clone(), target);
        }
        for (to, from) in &self.moves {
            for target in after.values_mut() {
                for read in &mut std::sync::Arc::make_mut(&mut target.state).reads {
                    if read == from {
                        read.clone_from(to);
                    }
                }
            }
        }
        let table_sql = self
            .table_sql
            .as_ref()
            .and_then(|(up, down)| ViewSet::new().with_table_sql(up, down).table_sql().cloned());
        // Each declared view hashes, and each live view stamps, as the record says.
        let stamps = live
            .keys()
            .map(|k| (k.clone(), format!("stamp of {}", fullname(k))))
            .collect();
        let declared = declared
            .into_iter()
            .map(|k| {
                let kind = RelationKind::of_view(after[&k].state.materialized);
                let hash = format!("hash of {}", fullname(&k));
                (k, Declared { kind, hash })
            })
            .collect();
        let mut diff = ViewDiff {
            // The planner does not read the entries.
            entries: Vec::new(),
            declared,
            stamps,
            proven: 0,
            record: self.record.clone(),
            stale_record: Record::new(),
            before: live
                .into_iter()
                .map(|(k, state)| (k, std::sync::Arc::new(state)))
                .collect(),
            before_blueprints,
            after,
            changes: self.changes.clone(),
            moves: self.moves.clone(),
            search_path: "\"$user\", public".to_owned(),
            server_major: 17,
            table_sql,
            // `TableChanges` cannot be named outside `diff`; its fields are set below.
            #[allow(clippy::default_trait_access)]
            table_changes: Default::default(),
        };
        diff.table_changes.up.clone_from(&self.tables_up);
        diff.table_changes.down.clone_from(&self.tables_down);
        diff
    }

    /// The plan with the default options.
    fn plan(&self) -> MigrationPlan {
        self.plan_with(&PlanOptions::new())
    }

    fn plan_with(&self, options: &PlanOptions) -> MigrationPlan {
        self.diff()
            .plan_with(options)
            .unwrap_or_else(|e| panic!("planning failed: {e}"))
    }
}

fn blueprint(state: &ViewState, declared: Option<&AnyView>, keep: Option<&ViewState>) -> Blueprint {
    Blueprint::new(state, declared, keep, OWNER)
        .unwrap_or_else(|e| panic!("no blueprint for {:?}: {e}", state.key))
}

fn target(state: ViewState, blueprint: Blueprint, unrebuildable: Option<String>) -> Target {
    Target {
        state: std::sync::Arc::new(state),
        blueprint: std::sync::Arc::new(blueprint),
        unrebuildable,
        rebuilt: None,
    }
}

/// The declared plain view `schema.name`.
fn view(name: &str, sql: &str) -> View {
    let (schema, name) = key(name);
    View::from_sql(&name, sql)
        .and_then(|v| v.schema(&schema))
        .expect("a valid view")
}

/// The declared materialized view `schema.name`.
fn materialized(name: &str, sql: &str) -> MaterializedView {
    let (schema, name) = key(name);
    MaterializedView::from_sql(&name, sql)
        .and_then(|v| v.schema(&schema))
        .expect("a valid materialized view")
}

/// A changed definition.
fn definition(before: &ViewState, after: &ViewState) -> Change {
    Change::Definition {
        before: before.definition.clone(),
        after: after.definition.clone(),
    }
}

/// Changed columns.
fn columns(before: &ViewState, after: &ViewState) -> Change {
    let list = |s: &ViewState| {
        s.columns
            .iter()
            .map(|c| (c.name.clone(), c.sql_type.clone()))
            .collect()
    };
    Change::Columns {
        before: list(before),
        after: list(after),
    }
}

/// Changed options.
fn options(before: &ViewState, after: &ViewState) -> Change {
    Change::Options {
        before: before.options.clone(),
        after: after.options.clone(),
    }
}

/// Each step as `kind view`, e.g. `replace s.v` (`table sql` alone).
fn outline(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .map(|step| match &step.view {
            Some(view) => format!("{} {view}", step.kind.name()),
            None => step.kind.name().to_owned(),
        })
        .collect()
}

/// The only step of `steps` of this kind name on `view`.
fn step<'a>(steps: &'a [Step], kind: &str, view: &str) -> &'a Step {
    let found: Vec<&Step> = steps
        .iter()
        .filter(|s| s.kind.name() == kind && s.view.as_deref() == Some(view))
        .collect();
    assert_eq!(found.len(), 1, "one {kind} {view} in {:?}", outline(steps));
    found[0]
}

/// Each step's kind and, for a step that creates a view, the definition it uses.
fn sources(steps: &[Step]) -> Vec<(String, Option<Source>)> {
    steps
        .iter()
        .map(|s| (s.kind.name().to_owned(), s.kind.source()))
        .collect()
}

/// Asserts `text` has `part`, showing `text` when it does not.
#[track_caller]
fn assert_has(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} not in:\n{text}");
}

#[test]
fn no_change_no_step() {
    let v = ViewState::view("s.v", "SELECT 1 AS a");
    let plan = Scenario::new()
        .live(v.clone())
        .declare(view("s.v", "SELECT 1 AS a"), v)
        .recorded("s.v", RelationKind::View, "1700000000")
        .plan();
    assert!(plan.is_empty());
    assert!(plan.down_steps.is_empty());
    assert_eq!(plan.search_path, None);
    assert_has(&plan.up_sql(), "-- Nothing to do.");
    assert_eq!(plan.describe(), "up: 0 step(s)\ndown: 0 step(s)\n");
}

/// A declared view that matches but is not recorded yet: the plan has no step, yet is not
/// empty: it adopts the view (records it), and down forgets it.
#[test]
fn an_unrecorded_view_that_matches_is_adopted() {
    let v = ViewState::view("s.v", "SELECT 1 AS a");
    let plan = Scenario::new()
        .live(v.clone())
        .declare(view("s.v", "SELECT 1 AS a"), v)
        .plan();
    assert!(plan.steps.is_empty());
    assert!(!plan.is_empty());
    let up = plan.up_sql();
    assert_has(&up, "INSERT INTO pgview.managed_views");
    assert_has(
        &up,
        "('s'::text, 'v'::text, 'view'::text, NULL::oid, 'hash of s.v'::text, NULL::text, NULL::timestamptz)",
    );
    assert_has(&up, "pg_advisory_xact_lock(");
    assert_has(
        &plan.down_sql(),
        "DELETE FROM pgview.managed_views WHERE (schema_name, view_name) IN (VALUES ('s', 'v'))",
    );
}
