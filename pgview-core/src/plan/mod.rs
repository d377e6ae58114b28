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
//!
//! A view the application does not declare is never dropped as a side effect: when it reads a
//! view that is dropped and cannot be rebuilt from its catalog definition, planning fails
//! ([`Error::UndeclaredViewsWouldBeDropped`]) unless [`PlanOptions::allow_drop`] allows it.
//!
//! Materialized views stay fresh: a populated materialized view that the migration keeps but
//! whose inputs it changes in place (a view it reads, directly or through plain views, is
//! replaced; a table it reads is changed by the table SQL; a materialized view it reads is
//! refreshed) is refreshed once, after the last of those changes ([`StepKind::Refresh`]).
//!
//! Each direction starts with the guard (`guard.rs`: the pgview lock, then a check that every
//! view it touches is still as planned) and ends with the ownership record (`record.rs`).

mod guard;
#[cfg(test)]
mod tests;
mod transition;
mod types;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::diff::{Change, Target, ViewDiff};
use crate::error::{Error, Result};
use crate::record::{Declared, RecordChange};
use crate::snapshot::{fullname, Key, Source, ViewState};

pub(crate) use guard::DRIFT_MESSAGE;
use guard::{expected, guard_block};
use transition::{renamed, transition, Planned, Transition};
use types::Bookkeeping;
pub(crate) use types::Direction;
pub use types::{AllowDrop, MigrationPlan, PlanOptions, Step, StepKind};

impl ViewDiff {
    /// The migration that makes the database match the declared views, and its reverse, with
    /// the default [`PlanOptions`].
    ///
    /// # Errors
    /// [`Error::UndeclaredViewsWouldBeDropped`] when the migration would have to drop views the
    /// application does not declare (see [`PlanOptions::allow_drop`]).
    pub fn plan(&self) -> Result<MigrationPlan> {
        self.plan_with(&PlanOptions::default())
    }

    /// [`plan`](Self::plan) with options.
    ///
    /// # Errors
    /// As [`plan`](Self::plan).
    pub fn plan_with(&self, options: &PlanOptions) -> Result<MigrationPlan> {
        plan(self, options)
    }
}

/// Plans the migration of `diff`, and its reverse.
pub(crate) fn plan(diff: &ViewDiff, options: &PlanOptions) -> Result<MigrationPlan> {
    let table = diff.table_sql.as_ref();
    let up = transition(&Transition {
        from: &renamed(&diff.before, &diff.moves),
        to: &diff.after,
        changes: &diff.changes,
        moves: &diff.moves,
        options,
        table_sql: table.map(|t| t.up.as_str()),
        changed_tables: &diff.table_changes.up,
        up: true,
    });
    if !up.refused.is_empty() {
        let mut views: Vec<(String, String)> = up
            .refused
            .iter()
            .map(|(key, why)| (fullname(key), why.clone()))
            .collect();
        views.sort();
        return Err(Error::UndeclaredViewsWouldBeDropped { views });
    }
    // The state the up migration leaves: the declared views, and every other view but those
    // it had to drop.
    // (A view the application does not declare that up rebuilds has the columns it gets on the
    // new definitions.)
    let after: BTreeMap<Key, Arc<ViewState>> = diff
        .after
        .iter()
        .filter(|(key, _)| !up.forced_drops.contains(*key))
        .map(|(key, target)| {
            let state = match &target.rebuilt {
                Some(rebuilt) if up.rebuilt.contains(key) => rebuilt,
                _ => &target.state,
            };
            (key.clone(), Arc::clone(state))
        })
        .collect();
    let (before, moves_back, changes_back) = backwards(diff);
    let down = transition(&Transition {
        from: &renamed(&after, &moves_back),
        to: &before,
        changes: &changes_back,
        moves: &moves_back,
        options,
        table_sql: table.map(|t| t.down.as_str()),
        changed_tables: diff
            .table_changes
            .down
            .as_ref()
            .unwrap_or(&diff.table_changes.up),
        up: false,
    });
    let mut warnings = up.warnings.clone();
    for warning in &down.warnings {
        if !warnings.contains(warning) {
            warnings.push(warning.clone());
        }
    }
    let uses_declared_sql = table.is_some()
        || up
            .steps
            .iter()
            .any(|s| s.kind.source() == Some(Source::Declared));
    let (record_up, record_down) = record_changes(diff, &after, &up, &down);
    let books = |planned: &Planned,
                 moves: &BTreeMap<Key, Key>,
                 states: &BTreeMap<Key, Arc<ViewState>>,
                 record: &RecordChange| {
        let expected = expected(&planned.touched, &planned.free, moves, states);
        Bookkeeping {
            guard: guard_block(&expected, states, diff.server_major, options.lock_wait),
            guarded: expected.len(),
            record: record.statements(),
            record_note: record.describe(),
        }
    };
    let up_books = books(&up, &diff.moves, &diff.before, &record_up);
    let down_books = books(&down, &moves_back, &after, &record_down);
    Ok(MigrationPlan {
        search_path: (uses_declared_sql && !up.steps.is_empty()).then(|| diff.search_path.clone()),
        steps: up.steps,
        down_steps: down.steps,
        warnings,
        up: up_books,
        down: down_books,
    })
}

/// What the down migration plans with: the state compared as targets, the moves the other
/// way, and the changes keyed by the places before the up migration.
#[allow(clippy::type_complexity)] // three maps, each named where it is used
fn backwards(
    diff: &ViewDiff,
) -> (
    BTreeMap<Key, Target>,
    BTreeMap<Key, Key>,
    BTreeMap<Key, Vec<Change>>,
) {
    let before: BTreeMap<Key, Target> = diff
        .before
        .iter()
        .map(|(key, state)| {
            (
                key.clone(),
                Target {
                    state: Arc::clone(state),
                    blueprint: diff.before_blueprints[key].clone(),
                    unrebuildable: None,
                    rebuilt: None,
                },
            )
        })
        .collect();
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
    (before, moves_back, changes_back)
}

/// The change of the ownership record: up records the declared views (and the new OIDs of
/// recorded views it creates again) and forgets the stale rows and the views that no longer
/// exist where they were (dropped, or moved away); down undoes it.
fn record_changes(
    diff: &ViewDiff,
    after: &BTreeMap<Key, Arc<ViewState>>,
    up: &Planned,
    down: &Planned,
) -> (RecordChange, RecordChange) {
    let declared: BTreeMap<Key, Declared> = diff
        .declared
        .iter()
        .filter(|(key, _)| after.contains_key(*key))
        .map(|(key, declared)| (key.clone(), declared.clone()))
        .collect();
    let gone: BTreeSet<Key> = diff
        .before
        .keys()
        .filter(|key| !after.contains_key(*key))
        .cloned()
        .collect();
    let touched_up: BTreeSet<Key> = up.touched.keys().cloned().chain(up.recreated()).collect();
    RecordChange::between(
        &diff.record,
        &diff.stale_record,
        &diff.stamps,
        &declared,
        &gone,
        &touched_up,
        &down.recreated(),
    )
}
