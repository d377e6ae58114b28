//! The algorithm of the planner: one [`transition`] from a state to another, as steps.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use crate::ddl::{
    statement_sql, RefreshMaterializedView, ResetMaterializedViewOptions, ResetViewOptions,
    SetMaterializedViewOptions, SetSchema, SetTablespace, SetViewOptions,
};
use crate::definition::AnyView;
use crate::diff::{Change, Target};
use crate::error::RelationKind;
use crate::ident::{Ident, QualifiedName};
use crate::snapshot::{
    drop_index_sql, drop_sql, fullname, qualified, read_by, split_option, temporary_name,
    topological, Key, Source, ViewState,
};

use super::types::{PlanOptions, Step, StepKind};

/// `states` with the moved views under their new key (`moves`: new key → old key), and the
/// reads of every view following them.
pub(super) fn renamed(
    states: &BTreeMap<Key, Arc<ViewState>>,
    moves: &BTreeMap<Key, Key>,
) -> BTreeMap<Key, Arc<ViewState>> {
    let new_key: BTreeMap<&Key, &Key> = moves.iter().map(|(to, from)| (from, to)).collect();
    states
        .values()
        .map(|state| {
            // Shared unless it moves or reads a view that moves (no copy of the others).
            let mut state = Arc::clone(state);
            if let Some(to) = new_key.get(&state.key) {
                Arc::make_mut(&mut state).key = (*to).clone();
            }
            if state.reads.iter().any(|read| new_key.contains_key(read)) {
                for read in &mut Arc::make_mut(&mut state).reads {
                    if let Some(to) = new_key.get(read) {
                        read.clone_from(to);
                    }
                }
            }
            (state.key.clone(), state)
        })
        .collect()
}

/// The two states of a transition and how to go from one to the other.
pub(super) struct Transition<'a> {
    /// The states before, moved views already under their new key.
    pub(super) from: &'a BTreeMap<Key, Arc<ViewState>>,
    pub(super) to: &'a BTreeMap<Key, Target>,
    /// What differs for views in both (the same whichever the direction).
    pub(super) changes: &'a BTreeMap<Key, Vec<Change>>,
    /// Views moved to another schema: new key → the key they have before.
    pub(super) moves: &'a BTreeMap<Key, Key>,
    pub(super) options: &'a PlanOptions,
    pub(super) table_sql: Option<&'a str>,
    /// The tables the table SQL changes (materialized views reading them are refreshed).
    pub(super) changed_tables: &'a BTreeSet<Key>,
    /// Whether this is the up migration (for the reasons given).
    pub(super) up: bool,
}

/// The result of [`transition`].
pub(super) struct Planned {
    pub(super) steps: Vec<Step>,
    pub(super) warnings: Vec<String>,
    /// Views `to` has that the plan drops anyway (they cannot be re-created, and the options
    /// allow it).
    pub(super) forced_drops: BTreeSet<Key>,
    /// Views `to` has that the plan would have to drop and the options do not allow it, with
    /// why: planning fails.
    pub(super) refused: Vec<(Key, String)>,
    /// The views the steps touch (keys of `from`, or of `to` for the views they create), and
    /// whether each exists before (`false`: a view the migration creates): what the guard
    /// checks.
    pub(super) touched: BTreeMap<Key, bool>,
    /// The views of both states that the steps drop and create again.
    pub(super) rebuilt: BTreeSet<Key>,
    /// Names the steps take that must be free when the migration starts: where moved views
    /// go, and the temporary names of materialized views built side by side.
    pub(super) free: BTreeSet<Key>,
}

impl Planned {
    /// The views the steps create or create again (their OID changes).
    pub(super) fn recreated(&self) -> BTreeSet<Key> {
        self.touched
            .iter()
            .filter(|(_, exists)| !**exists)
            .map(|(key, _)| key.clone())
            .chain(self.rebuilt.iter().cloned())
            .collect()
    }
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

pub(super) fn transition(t: &Transition<'_>) -> Planned {
    let mut actions = direct_actions(t);
    let read_by = read_by(t.from);
    let mut warnings = Vec::new();
    let mut refused = Vec::new();
    let forced_drops = add_dependents(t, &read_by, &mut actions, &mut warnings, &mut refused);
    if t.options.side_by_side_materialized {
        choose_swaps(t, &read_by, &mut actions);
    }
    // The target's creation order, for the refreshes and the creations (computed once: on
    // 100,000 views it is a tenth of a second).
    let create_order = topological(t.to.iter().map(|(k, target)| (k, &target.state.reads)));
    let refreshes = refreshes(t, &actions, &create_order);
    let mut touched: BTreeMap<Key, bool> = actions
        .iter()
        .map(|(key, action)| ((*key).clone(), *action != Action::Create))
        .collect();
    for key in t.moves.keys() {
        touched.insert(key.clone(), true);
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
    steps.extend(create_steps(t, &actions, &refreshes, &create_order));
    let rebuilt = actions
        .iter()
        .filter(|(_, a)| matches!(a, Action::Recreate | Action::Rebuild(_) | Action::Swap))
        .map(|(k, _)| (*k).clone())
        .collect();
    let mut free: BTreeSet<Key> = t.moves.keys().cloned().collect();
    for (key, action) in &actions {
        if *action == Action::Swap {
            for suffix in ["new", "old"] {
                free.insert((key.0.clone(), temporary_name(&key.1, suffix)));
            }
        }
    }
    Planned {
        steps,
        warnings,
        forced_drops,
        refused,
        touched,
        rebuilt,
        free,
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

/// Every view reading a dropped view, transitively, is dropped first and created again after
/// (or, when it cannot be created again, dropped: those are returned).
fn add_dependents<'a>(
    t: &Transition<'a>,
    read_by: &BTreeMap<&'a Key, Vec<&'a Key>>,
    actions: &mut BTreeMap<&'a Key, Action>,
    warnings: &mut Vec<String>,
    refused: &mut Vec<(Key, String)>,
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
                    let reason = format!(
                        "it reads {}, which the migration drops, and cannot be rebuilt on the new definitions: {why}",
                        fullname(dropped)
                    );
                    if t.options.allow_drop.allows(dependent) {
                        warnings.push(format!(
                            "{} is not declared and is dropped, as allowed: {reason}",
                            fullname(dependent)
                        ));
                        forced_drops.insert(dependent.clone());
                    } else {
                        refused.push((dependent.clone(), reason.clone()));
                    }
                    Action::Drop(format!("not declared, dropped as allowed: {reason}"))
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
            view_kind: Some(RelationKind::of_view(from.materialized)),
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
            view_kind: Some(RelationKind::of_view(from.materialized)),
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

/// Why a relation's contents change in place during a migration: the root cause, for the
/// reasons of the refreshes it causes.
#[derive(Debug, Clone)]
struct Cause {
    /// `public.v` or `table public.orders`.
    what: String,
    /// `is replaced`, `is refreshed`, `is changed by the table SQL`, …
    how: &'static str,
}

/// The populated materialized views the migration keeps but whose inputs it changes in place,
/// with the reason of each refresh: in the creation order of the target state, a view is
/// *changed* when it is replaced (or its `security_invoker` changes, which can change what it
/// returns under row security), when it reads a table the table SQL changes, or when it reads
/// a changed view; a materialized view that is kept and reads a changed relation is refreshed,
/// and is changed in turn. Views that are created or rebuilt are fresh (and whatever reads
/// them is rebuilt too); a materialized view kept `WITH NO DATA` stays unpopulated.
fn refreshes(
    t: &Transition<'_>,
    actions: &BTreeMap<&Key, Action>,
    create_order: &[Key],
) -> BTreeMap<Key, String> {
    let mut changed: BTreeMap<&Key, Cause> = BTreeMap::new();
    let mut refresh = BTreeMap::new();
    for key in create_order {
        let (Some(target), Some((key, _))) = (t.to.get(key), t.to.get_key_value(key)) else {
            continue;
        };
        let action = actions.get(key);
        if matches!(
            action,
            Some(
                Action::Create
                    | Action::Recreate
                    | Action::Rebuild(_)
                    | Action::Swap
                    | Action::Drop(_)
            )
        ) {
            continue;
        }
        let input = target
            .state
            .read_tables
            .iter()
            .find(|table| t.changed_tables.contains(*table))
            .map(|table| {
                let cause = Cause {
                    what: format!("table {}", fullname(table)),
                    how: "is changed by the table SQL",
                };
                (cause.what.clone(), cause)
            })
            .or_else(|| {
                target.state.reads.iter().find_map(|read| {
                    changed
                        .get(read)
                        .map(|cause| (fullname(read), cause.clone()))
                })
            });
        if target.state.materialized {
            if let Some((via, cause)) = input.filter(|_| target.state.populated) {
                refresh.insert(key.clone(), refresh_reason(&via, &cause));
                changed.insert(
                    key,
                    Cause {
                        what: fullname(key),
                        how: "is refreshed",
                    },
                );
            }
        } else if action == Some(&Action::Replace) {
            changed.insert(
                key,
                Cause {
                    what: fullname(key),
                    how: "is replaced",
                },
            );
        } else if t
            .changes
            .get(key)
            .is_some_and(|changes| security_invoker_changes(changes))
        {
            changed.insert(
                key,
                Cause {
                    what: fullname(key),
                    how: "has its security_invoker option changed",
                },
            );
        } else if let Some((_, cause)) = input {
            changed.insert(key, cause);
        }
    }
    refresh
}

/// `reads public.v, which is replaced`, or through plain views
/// `reads public.w, which depends on public.v, which is replaced`.
fn refresh_reason(via: &str, cause: &Cause) -> String {
    if via == cause.what {
        format!("reads {via}, which {}", cause.how)
    } else {
        format!(
            "reads {via}, which depends on {}, which {}",
            cause.what, cause.how
        )
    }
}

/// Whether the options change turns `security_invoker` on or off.
fn security_invoker_changes(changes: &[Change]) -> bool {
    changes.iter().any(|change| match change {
        Change::Options { before, after } => {
            let invoker = |options: &[String]| {
                options
                    .iter()
                    .map(|o| split_option(o))
                    .any(|(name, value)| {
                        name == "security_invoker" && crate::sql_text::is_true(value)
                    })
            };
            invoker(before) != invoker(after)
        }
        _ => false,
    })
}

/// `REFRESH MATERIALIZED VIEW [CONCURRENTLY]` of the materialized view `key`: concurrently
/// when it has a unique index usable for it that the migration keeps as it is.
fn refresh_step(t: &Transition<'_>, key: &Key, reason: &str) -> Option<Step> {
    let (from, to) = (t.from.get(key)?, t.to.get(key)?);
    let concurrently = to.state.indexes.iter().any(|index| {
        index.concurrent
            && from
                .indexes
                .iter()
                .any(|old| old.name == index.name && old.signature() == index.signature())
    });
    let name = qualified(&key.0, &key.1).ok()?;
    let statement = RefreshMaterializedView::named(name);
    let sql = if concurrently {
        statement_sql(&statement.concurrently())
    } else {
        statement_sql(&statement)
    };
    Some(Step {
        kind: StepKind::Refresh { concurrently },
        view: Some(fullname(key)),
        view_kind: Some(RelationKind::MaterializedView),
        reason: reason.to_owned(),
        sql: vec![sql],
    })
}

/// Creations, replacements, alters and refreshes, view by view in dependency order of the
/// target state: each view's own step, then its alters (options, comments, indexes,
/// tablespace), then its refresh, so that a refresh comes after every change of what it reads
/// (an option of a view it reads included) and a view created again reads refreshed data.
fn create_steps(
    t: &Transition<'_>,
    actions: &BTreeMap<&Key, Action>,
    refreshes: &BTreeMap<Key, String>,
    create_order: &[Key],
) -> Vec<Step> {
    let mut steps = Vec::new();
    for key in create_order {
        if let (Some(action), Some(target)) = (actions.get(key), t.to.get(key)) {
            steps.extend(action_step(t, key, action, target));
            if matches!(action, Action::Alter | Action::Replace) {
                if let (Some(from), Some(changes)) = (t.from.get(key), t.changes.get(key)) {
                    let replaced = *action == Action::Replace;
                    steps.extend(alter_steps(key, from, target, changes, replaced));
                }
            }
        }
        if let Some(reason) = refreshes.get(key) {
            steps.extend(refresh_step(t, key, reason));
        }
    }
    steps
}

/// The step creating, replacing or swapping one view (none for an alter or a drop).
fn action_step(t: &Transition<'_>, key: &Key, action: &Action, target: &Target) -> Option<Step> {
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
        Action::Alter | Action::Drop(_) => return None,
    };
    Some(Step {
        kind,
        view: Some(fullname(key)),
        view_kind: Some(RelationKind::of_view(target.state.materialized)),
        reason,
        sql,
    })
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
        view_kind: Some(RelationKind::of_view(materialized)),
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
    name: &QualifiedName,
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
