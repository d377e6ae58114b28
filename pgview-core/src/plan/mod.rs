//! The planner: the steps that take a database from one state of its views to another,
//! as explicit SQL, and the steps back.
//!
//! The planner is one function of two states, `from` (what exists, with its dependency edges)
//! and `to` (what must exist, with how to create each view). The up migration plans from the
//! database to the declared views; the down migration plans from there back to the database
//! as it was, every view re-created from its catalog definition. A down migration is not the
//! up steps reversed one by one: undoing a `CREATE OR REPLACE` that appended columns, for
//! example, needs a rebuild (a view cannot lose columns in place), with its dependents.
//!
//! Each view that differs gets one action:
//!
//! | change | action |
//! | --- | --- |
//! | only in `to` | create, with indexes, comments, owner, grants |
//! | only in `from` | drop (`DROP VIEW` or `DROP MATERIALIZED VIEW`, never `CASCADE`) |
//! | kind; a materialized view's query or columns; a plain view's columns other than appended | rebuild: drop, create again |
//! | a plain view's query, or columns appended | `CREATE OR REPLACE VIEW`, options re-stated |
//! | options only | `ALTER [MATERIALIZED] VIEW … SET (…)` / `RESET (…)` |
//! | comments, indexes, tablespace | `COMMENT ON`, `DROP INDEX` / `CREATE INDEX`, `SET TABLESPACE` |
//! | another schema, same query and columns | `ALTER … SET SCHEMA`, then the other changes |
//!
//! Every view dropped takes its dependents with it, explicitly: every view that reads it,
//! transitively, is dropped before it (in reverse dependency order) and created again after it
//! (in dependency order), from its declared definition when the application declares it, else
//! from its catalog definition, with its indexes, comments, options, owner, grants, triggers,
//! rules and column defaults. With [`PlanOptions::side_by_side_materialized`], a changed
//! materialized view that nothing reads is built under a temporary name and swapped in by
//! renaming instead.

mod transition;
mod types;

use std::collections::BTreeMap;

use crate::diff::{Change, Target, ViewDiff};
use crate::snapshot::{Key, Source, ViewState};

use transition::{renamed, transition, Transition};
pub use types::{MigrationPlan, PlanOptions, Step, StepKind};

impl ViewDiff {
    /// The migration that makes the database match the declared views, and its reverse, with
    /// the default [`PlanOptions`].
    pub fn plan(&self) -> MigrationPlan {
        self.plan_with(&PlanOptions::default())
    }

    /// [`plan`](Self::plan) with options.
    pub fn plan_with(&self, options: &PlanOptions) -> MigrationPlan {
        plan(self, *options)
    }
}

/// Plans the migration of `diff`, and its reverse.
pub(crate) fn plan(diff: &ViewDiff, options: PlanOptions) -> MigrationPlan {
    let table = diff.table_sql.as_ref();
    let up = transition(&Transition {
        from: &renamed(&diff.before, &diff.moves),
        to: &diff.after,
        changes: &diff.changes,
        moves: &diff.moves,
        options,
        table_sql: table.map(|t| t.up.as_str()),
        up: true,
    });
    // The state the up migration leaves: the declared views, and every other view but those
    // it had to drop.
    let after: BTreeMap<Key, ViewState> = diff
        .after
        .iter()
        .filter(|(key, _)| !up.forced_drops.contains(*key))
        .map(|(key, target)| (key.clone(), target.state.clone()))
        .collect();
    let before: BTreeMap<Key, Target> = diff
        .before
        .iter()
        .map(|(key, state)| {
            (
                key.clone(),
                Target {
                    state: state.clone(),
                    blueprint: diff.before_blueprints[key].clone(),
                    unrebuildable: None,
                },
            )
        })
        .collect();
    // Back: the moves go the other way, and their changes are keyed by the old place.
    let moves_back: BTreeMap<Key, Key> = diff
        .moves
        .iter()
        .map(|(to, from)| (from.clone(), to.clone()))
        .collect();
    let changes_back: BTreeMap<Key, Vec<Change>> = diff
        .changes
        .iter()
        .map(|(key, changes)| {
            let key = diff.moves.get(key).unwrap_or(key);
            (key.clone(), changes.clone())
        })
        .collect();
    let down = transition(&Transition {
        from: &renamed(&after, &moves_back),
        to: &before,
        changes: &changes_back,
        moves: &moves_back,
        options,
        table_sql: table.map(|t| t.down.as_str()),
        up: false,
    });
    let mut warnings = up.warnings;
    for warning in down.warnings {
        if !warnings.contains(&warning) {
            warnings.push(warning);
        }
    }
    let uses_declared_sql = table.is_some()
        || up
            .steps
            .iter()
            .any(|s| s.kind.source() == Some(Source::Declared));
    MigrationPlan {
        search_path: (uses_declared_sql && !up.steps.is_empty()).then(|| diff.search_path.clone()),
        steps: up.steps,
        down_steps: down.steps,
        warnings,
    }
}
