//! [`MigrationPlan`]: the steps that take a database from one state of its views to another,
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

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

use crate::ddl::{
    ResetMaterializedViewOptions, ResetViewOptions, SetMaterializedViewOptions, SetViewOptions,
};
use crate::error::RelationKind;
use crate::ident::Ident;
use crate::sql_text::string_constant;

use super::blueprint::{drop_index_sql, drop_sql, qualified, Source};
use super::diff::{Change, Target, ViewDiff};
use super::set::AnyView;
use super::sql::{statement_sql, SetSchema, SetTablespace};
use super::state::{fullname, split_option, Key, ViewState};
use crate::catalog::{DependencyGraph, Relation};

/// Options of [`ViewDiff::plan_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanOptions {
    /// Replace a changed materialized view side by side instead of dropping and re-creating
    /// it: build it under a temporary name (`<name>__pgview_new`) with its indexes, rename the
    /// old one away, rename the new one in, drop the old one and give the indexes their names,
    /// all in the migration's transaction. Readers keep reading the old data while the new
    /// one is built, and only wait for the renames at the end (a plain drop and create locks
    /// them out for the whole build). Only for a materialized view that no view reads and that
    /// reads no view the plan rebuilds; others are rebuilt. Off by default.
    pub side_by_side_materialized: bool,
}

impl PlanOptions {
    /// The defaults: materialized views are dropped and created again.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`side_by_side_materialized`](Self::side_by_side_materialized).
    #[must_use]
    pub fn side_by_side_materialized(mut self, on: bool) -> Self {
        self.side_by_side_materialized = on;
        self
    }
}

/// What a [`Step`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepKind {
    /// Creates a view that does not exist yet, with its indexes and comments.
    Create {
        /// The definition it is created from.
        from: Source,
    },
    /// Drops a view that the target state does not have.
    Drop,
    /// Drops a view that a later [`Recreate`](Self::Recreate) or [`Rebuild`](Self::Rebuild)
    /// step creates again (because it changed in a way that needs it, or because it reads a
    /// view that is dropped).
    DropForRebuild,
    /// Creates again a view that changed (dropped by an earlier
    /// [`DropForRebuild`](Self::DropForRebuild)), with its indexes, comments, options, owner,
    /// grants, triggers, rules and column defaults.
    Recreate {
        /// The definition it is created from.
        from: Source,
    },
    /// Creates again, unchanged, a view that reads a view the plan drops (dropped by an
    /// earlier [`DropForRebuild`](Self::DropForRebuild)), with everything it had.
    Rebuild {
        /// The definition it is created from: [`Source::Catalog`] for a view the application
        /// does not declare.
        from: Source,
    },
    /// `CREATE OR REPLACE VIEW` with the options re-stated: the view keeps its identity, its
    /// dependents, grants and comments.
    Replace {
        /// The definition it is replaced with.
        from: Source,
    },
    /// `ALTER [MATERIALIZED] VIEW … SET (…)` / `RESET (…)`.
    AlterOptions,
    /// `COMMENT ON` the view or its columns.
    Comment,
    /// `DROP INDEX` / `CREATE INDEX` on a materialized view.
    Indexes,
    /// `ALTER MATERIALIZED VIEW … SET TABLESPACE`.
    Tablespace,
    /// A materialized view built beside the old one and swapped in by renaming (see
    /// [`PlanOptions::side_by_side_materialized`]).
    SwapMaterialized {
        /// The definition it is built from.
        from: Source,
    },
    /// The table SQL of the set ([`ViewSet::with_table_sql`](crate::ViewSet::with_table_sql)),
    /// between the drops and the creations.
    TableSql,
    /// `ALTER [MATERIALIZED] VIEW … SET SCHEMA`: a view declared in another schema with the same
    /// query and columns keeps its identity, and the views reading it keep reading it.
    Move,
}

impl StepKind {
    /// A short name: `create`, `drop`, `drop for rebuild`, `recreate`, `rebuild`, `replace`,
    /// `alter options`, `comment`, `indexes`, `tablespace`, `swap`, `table sql`, `move`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Create { .. } => "create",
            Self::Drop => "drop",
            Self::DropForRebuild => "drop for rebuild",
            Self::Recreate { .. } => "recreate",
            Self::Rebuild { .. } => "rebuild",
            Self::Replace { .. } => "replace",
            Self::AlterOptions => "alter options",
            Self::Comment => "comment",
            Self::Indexes => "indexes",
            Self::Tablespace => "tablespace",
            Self::SwapMaterialized { .. } => "swap",
            Self::TableSql => "table sql",
            Self::Move => "move",
        }
    }

    /// The definition a creating step uses.
    pub fn source(self) -> Option<Source> {
        match self {
            Self::Create { from }
            | Self::Recreate { from }
            | Self::Rebuild { from }
            | Self::Replace { from }
            | Self::SwapMaterialized { from } => Some(from),
            _ => None,
        }
    }
}

/// One step of a plan: what it does, to which view, why, and its SQL statements (in order,
/// without the final `;`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Step {
    /// What it does.
    pub kind: StepKind,
    /// The view (`schema.name`); `None` for [`StepKind::TableSql`].
    pub view: Option<String>,
    /// The view's kind after the step (before it, for a drop).
    pub view_kind: Option<RelationKind>,
    /// Why, in words.
    pub reason: String,
    /// The statements.
    pub sql: Vec<String>,
}

impl Step {
    /// One line: number, kind, source, view and reason.
    fn describe(&self, number: usize) -> String {
        let mut line = format!("{number}. {}", self.kind.name());
        if let Some(source) = self.kind.source() {
            let _ = write!(line, " (from {} definition)", source.as_str());
        }
        if let (Some(kind), Some(view)) = (self.view_kind, &self.view) {
            let _ = write!(line, " {kind} {view}");
        }
        if !self.reason.is_empty() {
            let _ = write!(line, ": {}", self.reason);
        }
        line
    }
}

/// A migration: the steps of the up migration, the steps of the down migration, and warnings.
///
/// [`up_sql`](Self::up_sql) and [`down_sql`](Self::down_sql) give the text of `up.sql` and
/// `down.sql` (see [`write_migration`](crate::write_migration)): plain SQL, one statement per
/// line ending in `;`, each step introduced by a comment, without `BEGIN`/`COMMIT` (diesel runs
/// each migration in a transaction, which makes it all or nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationPlan {
    /// The up migration, in order.
    pub steps: Vec<Step>,
    /// The down migration, in order: back to the database as it was compared.
    pub down_steps: Vec<Step>,
    /// What the plan cannot do cleanly: a view the application does not declare that cannot
    /// be rebuilt on the new definitions (the plan drops it, explicitly), an object that is not
    /// a view and depends on a view the plan drops (the migration will fail), …
    pub warnings: Vec<String>,
    /// The `search_path` the declared SQL was compared with, which the migration sets for its
    /// own statements.
    pub search_path: Option<String>,
}

impl MigrationPlan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The text of `up.sql`.
    pub fn up_sql(&self) -> String {
        self.sql_text(&self.steps, "up")
    }

    /// The text of `down.sql`.
    pub fn down_sql(&self) -> String {
        self.sql_text(&self.down_steps, "down")
    }

    fn sql_text(&self, steps: &[Step], direction: &str) -> String {
        let mut text = format!(
            "-- Generated by pgview: {direction} migration, {} step(s). Runs in one transaction (as diesel runs migrations).\n",
            steps.len()
        );
        if steps.is_empty() {
            text.push_str("-- Nothing to do.\n");
            return text;
        }
        for warning in &self.warnings {
            let _ = writeln!(text, "-- WARNING: {}", one_line(warning));
        }
        if let Some(path) = &self.search_path {
            text.push_str(
                "-- The declared views' SQL is resolved with the search_path of the comparison; \
                 the runner's is restored at the end.\n",
            );
            let _ = writeln!(
                text,
                "SELECT pg_catalog.set_config('pgview.search_path', pg_catalog.current_setting('search_path'), true), \
                 pg_catalog.set_config('search_path', {}, true);",
                string_constant(path)
            );
        }
        for (i, step) in steps.iter().enumerate() {
            let _ = writeln!(text, "\n-- {}", one_line(&step.describe(i + 1)));
            for statement in &step.sql {
                text.push_str(statement.trim_end().trim_end_matches(';'));
                text.push_str(";\n");
            }
        }
        if self.search_path.is_some() {
            text.push_str(
                "\nSELECT pg_catalog.set_config('search_path', pg_catalog.current_setting('pgview.search_path'), true);\n",
            );
        }
        text
    }

    /// A readable account: the up steps, the down steps and the warnings, one line each.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for (title, steps) in [("up", &self.steps), ("down", &self.down_steps)] {
            let _ = writeln!(text, "{title}: {} step(s)", steps.len());
            for (i, step) in steps.iter().enumerate() {
                let _ = writeln!(text, "  {}", step.describe(i + 1));
            }
        }
        if !self.warnings.is_empty() {
            text.push_str("warnings:\n");
            for warning in &self.warnings {
                let _ = writeln!(text, "  - {warning}");
            }
        }
        text
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
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

/// `states` with the moved views under their new key (`moves`: new key → old key), and the
/// reads of every view following them.
fn renamed(
    states: &BTreeMap<Key, ViewState>,
    moves: &BTreeMap<Key, Key>,
) -> BTreeMap<Key, ViewState> {
    let new_key: BTreeMap<&Key, &Key> = moves.iter().map(|(to, from)| (from, to)).collect();
    states
        .values()
        .map(|state| {
            let mut state = state.clone();
            if let Some(to) = new_key.get(&state.key) {
                state.key = (*to).clone();
            }
            for read in &mut state.reads {
                if let Some(to) = new_key.get(read) {
                    read.clone_from(to);
                }
            }
            (state.key.clone(), state)
        })
        .collect()
}

/// The two states of a transition and how to go from one to the other.
struct Transition<'a> {
    /// The states before, moved views already under their new key.
    from: &'a BTreeMap<Key, ViewState>,
    to: &'a BTreeMap<Key, Target>,
    /// What differs for views in both (the same whichever the direction).
    changes: &'a BTreeMap<Key, Vec<Change>>,
    /// Views moved to another schema: new key → the key they have before.
    moves: &'a BTreeMap<Key, Key>,
    options: PlanOptions,
    table_sql: Option<&'a str>,
    /// Whether this is the up migration (for the reasons given).
    up: bool,
}

/// The result of [`transition`].
struct Planned {
    steps: Vec<Step>,
    warnings: Vec<String>,
    /// Views `to` has that the plan drops anyway (they cannot be re-created).
    forced_drops: BTreeSet<Key>,
}

/// What happens to one view.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Create,
    Drop(String),
    /// Changed in a way that needs a drop and a create.
    Recreate,
    /// Reads a dropped view: dropped and created again unchanged.
    Rebuild(Key),
    Replace,
    Swap,
    /// Options, comments, indexes, tablespace.
    Alter,
}

fn transition(t: &Transition<'_>) -> Planned {
    let mut actions = direct_actions(t);
    let read_by = read_by(t.from);
    let mut warnings = Vec::new();
    let forced_drops = add_dependents(t, &read_by, &mut actions, &mut warnings);
    if t.options.side_by_side_materialized {
        choose_swaps(t, &read_by, &mut actions);
    }
    for (key, action) in &actions {
        if let (
            Action::Drop(_) | Action::Recreate | Action::Rebuild(_) | Action::Swap,
            Some(from),
        ) = (action, t.from.get(*key))
        {
            if !from.blockers.is_empty() {
                warnings.push(format!(
                    "{} is dropped by the migration, but {} depend(s) on it: the DROP will fail unless the migration drops and re-creates them (use with_table_sql)",
                    fullname(key),
                    from.blockers.join(", ")
                ));
            }
        }
    }
    let mut steps = drop_steps(t, &actions);
    if let Some(sql) = t.table_sql.filter(|sql| !sql.is_empty()) {
        steps.push(Step {
            kind: StepKind::TableSql,
            view: None,
            view_kind: None,
            reason: String::new(),
            sql: vec![sql.to_owned()],
        });
    }
    steps.extend(move_steps(t, &actions));
    steps.extend(create_steps(t, &actions));
    Planned {
        steps,
        warnings,
        forced_drops,
    }
}

/// The action of each view that differs, before dependents are considered.
fn direct_actions<'a>(t: &Transition<'a>) -> BTreeMap<&'a Key, Action> {
    let mut actions = BTreeMap::new();
    for key in t.to.keys().filter(|k| !t.from.contains_key(*k)) {
        actions.insert(key, Action::Create);
    }
    for key in t.from.keys().filter(|k| !t.to.contains_key(*k)) {
        let reason = if t.up {
            "not declared"
        } else {
            "created by the up migration"
        };
        actions.insert(key, Action::Drop(reason.to_owned()));
    }
    for (key, changes) in t.changes {
        if let (Some(from), Some(to)) = (t.from.get(key), t.to.get(key)) {
            actions.insert(key, classify(from, &to.state, changes));
        }
    }
    actions
}

/// The views that read each view.
fn read_by(states: &BTreeMap<Key, ViewState>) -> BTreeMap<&Key, Vec<&Key>> {
    let mut read_by: BTreeMap<&Key, Vec<&Key>> = BTreeMap::new();
    for state in states.values() {
        for read in &state.reads {
            read_by.entry(read).or_default().push(&state.key);
        }
    }
    read_by
}

/// Every view reading a dropped view, transitively, is dropped first and created again after
/// (or, when it cannot be created again, dropped: those are returned).
fn add_dependents<'a>(
    t: &Transition<'a>,
    read_by: &BTreeMap<&'a Key, Vec<&'a Key>>,
    actions: &mut BTreeMap<&'a Key, Action>,
    warnings: &mut Vec<String>,
) -> BTreeSet<Key> {
    let mut forced_drops = BTreeSet::new();
    let mut queue: VecDeque<&Key> = actions
        .iter()
        .filter(|(_, a)| matches!(a, Action::Drop(_) | Action::Recreate))
        .map(|(k, _)| *k)
        .collect();
    while let Some(dropped) = queue.pop_front() {
        for &dependent in read_by.get(dropped).map(Vec::as_slice).unwrap_or_default() {
            let current = actions.get(dependent);
            if matches!(
                current,
                Some(Action::Drop(_) | Action::Recreate | Action::Rebuild(_))
            ) {
                continue;
            }
            let next = match t.to.get(dependent) {
                Some(target) if target.unrebuildable.is_some() => {
                    let why = target.unrebuildable.as_deref().unwrap_or_default();
                    warnings.push(format!(
                        "{} is not declared and cannot be rebuilt on the new definitions ({why}); the migration drops it",
                        fullname(dependent)
                    ));
                    forced_drops.insert(dependent.clone());
                    Action::Drop(format!(
                        "reads {}, which is dropped, and cannot be rebuilt: {why}",
                        fullname(dropped)
                    ))
                }
                Some(_) if current.is_some() => Action::Recreate,
                Some(_) => Action::Rebuild(dropped.clone()),
                None => continue,
            };
            actions.insert(dependent, next);
            queue.push_back(dependent);
        }
    }
    forced_drops
}

/// Side by side: a rebuilt materialized view that nothing reads and that reads nothing
/// dropped is swapped instead.
fn choose_swaps(
    t: &Transition<'_>,
    read_by: &BTreeMap<&Key, Vec<&Key>>,
    actions: &mut BTreeMap<&Key, Action>,
) {
    let dropping: BTreeSet<Key> = actions
        .iter()
        .filter(|(_, a)| matches!(a, Action::Drop(_) | Action::Recreate | Action::Rebuild(_)))
        .map(|(k, _)| (*k).clone())
        .collect();
    for (key, action) in actions.iter_mut() {
        let (Some(from), Some(to)) = (t.from.get(*key), t.to.get(*key)) else {
            continue;
        };
        if *action == Action::Recreate
            && from.materialized
            && to.state.materialized
            && !read_by.contains_key(*key)
            && !from.reads.iter().any(|r| dropping.contains(r))
            && to.blueprint.swap_statements().is_some()
        {
            *action = Action::Swap;
        }
    }
}

/// The drops, dependents first.
fn drop_steps(t: &Transition<'_>, actions: &BTreeMap<&Key, Action>) -> Vec<Step> {
    let mut steps = Vec::new();
    let drop_order = topological(t.from.iter().map(|(k, s)| (k, &s.reads)));
    for key in drop_order.iter().rev() {
        let (Some(action), Some(from)) = (actions.get(key), t.from.get(key)) else {
            continue;
        };
        let (kind, reason) = match action {
            Action::Drop(reason) => (StepKind::Drop, reason.clone()),
            Action::Recreate => (StepKind::DropForRebuild, changed_reason(t.changes.get(key))),
            Action::Rebuild(via) => (
                StepKind::DropForRebuild,
                format!("reads {}, which is dropped", fullname(via)),
            ),
            _ => continue,
        };
        // A moved view that is dropped anyway is dropped where it is.
        let at = t.moves.get(key).unwrap_or(key);
        let Ok(name) = qualified(&at.0, &at.1) else {
            continue;
        };
        steps.push(Step {
            kind,
            view: Some(fullname(at)),
            view_kind: Some(kind_of(from.materialized)),
            reason,
            sql: vec![drop_sql(&name, from.materialized)],
        });
    }
    steps
}

/// `ALTER … SET SCHEMA` for the moved views that are not dropped anyway.
fn move_steps(t: &Transition<'_>, actions: &BTreeMap<&Key, Action>) -> Vec<Step> {
    let mut steps = Vec::new();
    for (to, at) in t.moves {
        if matches!(
            actions.get(to),
            Some(Action::Drop(_) | Action::Recreate | Action::Rebuild(_) | Action::Swap)
        ) {
            continue;
        }
        let (Some(from), Ok(name), Ok(schema)) =
            (t.from.get(to), qualified(&at.0, &at.1), Ident::new(&to.0))
        else {
            continue;
        };
        steps.push(Step {
            kind: StepKind::Move,
            view: Some(fullname(to)),
            view_kind: Some(kind_of(from.materialized)),
            reason: format!("moved from {}", at.0),
            sql: vec![statement_sql(&SetSchema {
                name,
                materialized: from.materialized,
                schema,
            })],
        });
    }
    steps
}

/// Creations and replacements, in dependency order of the target state; then the alters.
fn create_steps(t: &Transition<'_>, actions: &BTreeMap<&Key, Action>) -> Vec<Step> {
    let mut steps = Vec::new();
    let create_order = topological(t.to.iter().map(|(k, target)| (k, &target.state.reads)));
    let mut alters = Vec::new();
    for key in &create_order {
        let (Some(action), Some(target)) = (actions.get(key), t.to.get(key)) else {
            continue;
        };
        let blueprint = &target.blueprint;
        let from = blueprint.source;
        let (kind, reason, sql) = match action {
            Action::Create => (
                StepKind::Create { from },
                if t.up {
                    "declared".to_owned()
                } else {
                    "dropped by the up migration".to_owned()
                },
                blueprint.create_statements(),
            ),
            Action::Recreate => (
                StepKind::Recreate { from },
                changed_reason(t.changes.get(key)),
                blueprint.create_statements(),
            ),
            Action::Rebuild(via) => (
                StepKind::Rebuild { from },
                rebuild_reason(via, from, t.up),
                blueprint.create_statements(),
            ),
            Action::Replace => (
                StepKind::Replace { from },
                changed_reason(t.changes.get(key)),
                vec![blueprint.replace_sql()],
            ),
            Action::Swap => (
                StepKind::SwapMaterialized { from },
                changed_reason(t.changes.get(key)),
                blueprint.swap_statements().unwrap_or_default(),
            ),
            Action::Alter => {
                alters.push(key);
                continue;
            }
            Action::Drop(_) => continue,
        };
        steps.push(Step {
            kind,
            view: Some(fullname(key)),
            view_kind: Some(kind_of(target.state.materialized)),
            reason,
            sql,
        });
        // A replaced view keeps its comments and indexes: set those that changed.
        if *action == Action::Replace {
            alters.push(key);
        }
    }
    for key in alters {
        let (Some(from), Some(target), Some(changes)) =
            (t.from.get(key), t.to.get(key), t.changes.get(key))
        else {
            continue;
        };
        let replaced = actions.get(key) == Some(&Action::Replace);
        steps.extend(alter_steps(key, from, target, changes, replaced));
    }
    steps
}

/// The action for a view in both states that differs.
fn classify(from: &ViewState, to: &ViewState, changes: &[Change]) -> Action {
    let has = |aspect: &str| changes.iter().any(|c| c.aspect() == aspect);
    let columns_appended = to.columns.len() >= from.columns.len()
        && from.columns[..] == to.columns[..from.columns.len()];
    if has("kind")
        || (from.materialized && (has("definition") || has("columns")))
        || (!from.materialized && has("columns") && !columns_appended)
    {
        Action::Recreate
    } else if !from.materialized && (has("definition") || has("columns")) {
        Action::Replace
    } else {
        Action::Alter
    }
}

/// The steps for options, tablespace, comments and indexes of a view that stays.
fn alter_steps(
    key: &Key,
    from: &ViewState,
    target: &Target,
    changes: &[Change],
    replaced: bool,
) -> Vec<Step> {
    let Ok(name) = qualified(&key.0, &key.1) else {
        return Vec::new();
    };
    let blueprint = &target.blueprint;
    let materialized = target.state.materialized;
    let step = |kind: StepKind, reason: String, sql: Vec<String>| Step {
        kind,
        view: Some(fullname(key)),
        view_kind: Some(kind_of(materialized)),
        reason,
        sql,
    };
    let mut steps = Vec::new();
    for change in changes {
        match change {
            Change::Options { .. } if !replaced => {
                let sql = option_statements(&name, from, &target.state, &blueprint.def);
                if !sql.is_empty() {
                    steps.push(step(StepKind::AlterOptions, change.to_string(), sql));
                }
            }
            Change::Tablespace { .. } => {
                let tablespace = target.state.tablespace.as_deref().unwrap_or("pg_default");
                if let Ok(tablespace) = Ident::new(tablespace) {
                    let sql = statement_sql(&SetTablespace {
                        name: name.clone(),
                        tablespace,
                    });
                    steps.push(step(StepKind::Tablespace, change.to_string(), vec![sql]));
                }
            }
            Change::Comment { column, .. } => {
                if let Some(sql) = blueprint.comment_sql(column.as_deref()) {
                    steps.push(step(StepKind::Comment, change.to_string(), vec![sql]));
                }
            }
            Change::Indexes { .. } => {
                // From the two states, so that it holds in both directions.
                let old: BTreeMap<&str, String> = from
                    .indexes
                    .iter()
                    .map(|i| (i.name.as_str(), i.signature()))
                    .collect();
                let new: BTreeMap<&str, String> = target
                    .state
                    .indexes
                    .iter()
                    .map(|i| (i.name.as_str(), i.signature()))
                    .collect();
                let mut sql: Vec<String> = old
                    .iter()
                    .filter(|(n, d)| new.get(*n) != Some(*d))
                    .filter_map(|(index, _)| drop_index_sql(&name, index))
                    .collect();
                sql.extend(
                    new.iter()
                        .filter(|(n, d)| old.get(*n) != Some(*d))
                        .filter_map(|(index, _)| blueprint.index_sql(index)),
                );
                steps.push(step(StepKind::Indexes, change.to_string(), sql));
            }
            _ => {}
        }
    }
    steps
}

/// `ALTER … SET (…)` for the options `to` states and `RESET (…)` for those it drops.
fn option_statements(
    name: &crate::ident::QualifiedName,
    from: &ViewState,
    to: &ViewState,
    def: &AnyView,
) -> Vec<String> {
    let kept: BTreeSet<&str> = to.options.iter().map(|o| split_option(o).0).collect();
    let gone: Vec<&str> = from
        .options
        .iter()
        .map(|o| split_option(o).0)
        .filter(|o| !kept.contains(o))
        .collect();
    let mut sql = Vec::new();
    match def {
        AnyView::View(view) => {
            if !view.options().is_empty() {
                sql.push(statement_sql(&SetViewOptions::for_view(view)));
            }
            if !gone.is_empty() {
                let mut reset = ResetViewOptions::new(name.clone());
                for option in gone {
                    reset = match reset.option(option) {
                        Ok(reset) => reset,
                        Err(_) => return Vec::new(),
                    };
                }
                sql.push(statement_sql(&reset));
            }
        }
        AnyView::Materialized(view) => {
            if !view.storage_parameters().is_empty() {
                sql.push(statement_sql(
                    &SetMaterializedViewOptions::for_materialized_view(view),
                ));
            }
            if !gone.is_empty() {
                let mut reset = ResetMaterializedViewOptions::new(name.clone());
                for option in gone {
                    reset = match reset.option(option) {
                        Ok(reset) => reset,
                        Err(_) => return Vec::new(),
                    };
                }
                sql.push(statement_sql(&reset));
            }
        }
    }
    sql
}

fn kind_of(materialized: bool) -> RelationKind {
    if materialized {
        RelationKind::MaterializedView
    } else {
        RelationKind::View
    }
}

fn changed_reason(changes: Option<&Vec<Change>>) -> String {
    let aspects: Vec<&str> = changes
        .map(|c| c.iter().map(Change::aspect).collect())
        .unwrap_or_default();
    let mut unique: Vec<&str> = Vec::new();
    for aspect in aspects {
        if !unique.contains(&aspect) {
            unique.push(aspect);
        }
    }
    if unique.is_empty() {
        "changed".to_owned()
    } else {
        format!("changed: {}", unique.join(", "))
    }
}

fn rebuild_reason(via: &Key, source: Source, up: bool) -> String {
    if source == Source::Catalog && up {
        format!(
            "reads {}, which is rebuilt; not declared, so rebuilt from its catalog definition",
            fullname(via)
        )
    } else {
        format!("reads {}, which is rebuilt", fullname(via))
    }
}

/// The keys in creation order: each after every key it reads (reads outside the keys are
/// ignored). Cycles, which a healthy catalog does not have, are placed as one block.
pub(crate) fn topological<'a>(views: impl Iterator<Item = (&'a Key, &'a Vec<Key>)>) -> Vec<Key> {
    let views: Vec<(&Key, &Vec<Key>)> = views.collect();
    let known: BTreeSet<&Key> = views.iter().map(|(k, _)| *k).collect();
    let relation = |key: &Key| Relation::new(&key.0, &key.1, RelationKind::View);
    let mut graph = DependencyGraph::new();
    for (key, reads) in &views {
        graph.add_relation(relation(key));
        for read in reads.iter().filter(|r| known.contains(r)) {
            graph.add_dependency(relation(key), relation(read));
        }
    }
    graph
        .dependency_order()
        .into_creation_order()
        .into_iter()
        .map(|r| (r.schema, r.name))
        .collect()
}
