//! [`Comparison`]: the steps of a comparison, written once and run by the sync
//! [`diff`](crate::diff) and the async [`aio::diff`](crate::aio::diff).
//!
//! Each step either gives the next query to send or takes the rows of the previous one; the
//! drivers only send them, in this order, inside one transaction that they roll back:
//!
//! 0. the pgview lock ([`LOCK_SQL`](super::lock)): one comparison or migration at a time;
//! 1. [`ENV_SQL`]: the connection's `search_path`, current schema and role, the server's
//!    version, whether the ownership record exists, and then the record
//!    ([`Comparison::record_query`]);
//! 2. `search_path` emptied ([`Comparison::search_path_query`]), so that the server
//!    qualifies every name it prints;
//! 3. [`Comparison::live_query`]: the views in scope, the declared ones, and every view reading
//!    them, transitively (one query);
//! 4. the connection's `search_path` back, and the normalisation block
//!    ([`Comparison::normalize_sql`], see [`super::normalize`]), then its failures and the
//!    tables the table SQL changes;
//! 5. `search_path` emptied, and [`Comparison::normalized_query`]: the declared views as the
//!    server made them (one query);
//! 6. only when some texts differ: the fixpoint block and its result;
//! 7. [`Comparison::finish`] compares and builds the [`ViewDiff`].

use std::collections::{BTreeMap, BTreeSet};

use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Nullable, Text};
use diesel::QueryableByName;

use crate::definition::AnyView;
use crate::error::{Error, RelationKind, Result};
use crate::record::{record, Record, RecordRow, RECORD_EXISTS_SQL, RECORD_SQL};
use crate::snapshot::{
    catalog_definition, creation_order, dependents_of, effective_options, fullname,
    normalization_sql, qualified, states, Blueprint, Key, Selection, StateQuery, StateRow,
    ViewState,
};

use super::normalize::{
    fixpoint_block, normalize_block, Creation, FailuresRow, SameRow, TableSqlPair,
};
use super::result::{Change, DiffEntry, DiffStatus, TableChanges, Target, ViewDiff};
use super::scope::DiffScope;
use super::set::{TableSql, ViewSet};

/// What the comparison needs to know about the connection. It also turns JIT compilation off
/// for the comparison's transaction: the planner finds the catalog queries expensive enough to
/// compile them, which costs far more than it saves (1.5 s of a 1.6 s query on 1,000 views).
pub(crate) static ENV_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT pg_catalog.current_setting('search_path') AS search_path, \
         pg_catalog.current_schema()::text AS current_schema, current_user::text AS current_user, \
         pg_catalog.current_setting('server_version_num')::int4 AS server_version_num, \
         {RECORD_EXISTS_SQL} AS has_record, \
         pg_catalog.set_config('jit', 'off', true) AS jit"
    )
});

/// The row of [`ENV_SQL`].
#[derive(Debug, QueryableByName)]
pub(crate) struct EnvRow {
    #[diesel(sql_type = Text)]
    search_path: String,
    #[diesel(sql_type = Nullable<Text>)]
    current_schema: Option<String>,
    #[diesel(sql_type = Text)]
    current_user: String,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    server_version_num: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    has_record: bool,
}

/// A comparison in progress.
#[derive(Debug)]
pub(crate) struct Comparison {
    env: EnvRow,
    declared: BTreeMap<Key, AnyView>,
    scope: DiffScope,
    /// The rows of the ownership record whose view is still the object they recorded.
    record: Record,
    /// The other rows: their view was dropped, or another object has its name now.
    stale_record: Record,
    /// The views read by name besides the declared ones (see [`DiffScope::named`]).
    named: BTreeSet<Key>,
    table_sql: Option<TableSql>,
    live: BTreeMap<Key, ViewState>,
    /// Live views in scope (not excluded).
    in_scope: BTreeSet<Key>,
    /// Live views reported as unmanaged.
    unmanaged: BTreeSet<Key>,
    table_changes: TableChanges,
    /// Views that read a table the table SQL changes (directly or through views) and that the
    /// live query did not read: read with the normalised views, kept as they are.
    affected: BTreeSet<Key>,
    /// Live views outside the scope that the normalisation drops with the views it drops, and
    /// re-creates from their catalog definition.
    victims: BTreeSet<Key>,
    creations: Vec<Creation>,
    unrebuildable: BTreeMap<Key, String>,
    normalized: BTreeMap<Key, ViewState>,
    /// The declared views whose text differs from the live one, in the fixpoint block's order.
    candidates: Vec<Key>,
    /// Those of them that are one definition after all.
    same: BTreeSet<Key>,
}

impl Comparison {
    pub(crate) fn new(set: &ViewSet, scope: &DiffScope, env: EnvRow) -> Result<Self> {
        let declared = set.resolved(env.current_schema.as_deref())?;
        Ok(Self {
            env,
            declared: declared.into_iter().map(|v| (key_of(&v), v)).collect(),
            scope: scope.clone(),
            record: Record::new(),
            stale_record: Record::new(),
            named: BTreeSet::new(),
            table_sql: set.table_sql().cloned(),
            live: BTreeMap::new(),
            in_scope: BTreeSet::new(),
            unmanaged: BTreeSet::new(),
            table_changes: TableChanges::default(),
            affected: BTreeSet::new(),
            victims: BTreeSet::new(),
            creations: Vec::new(),
            unrebuildable: BTreeMap::new(),
            normalized: BTreeMap::new(),
            candidates: Vec::new(),
            same: BTreeSet::new(),
        })
    }

    /// `SELECT set_config('search_path', path, true)`.
    pub(crate) fn search_path_query(path: &str) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        diesel::sql_query("SELECT pg_catalog.set_config('search_path', $1, true)")
            .into_boxed()
            .bind::<Text, _>(path.to_owned())
    }

    /// The connection's own `search_path` again.
    pub(crate) fn user_search_path_query(&self) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        Self::search_path_query(&self.env.search_path)
    }

    /// The ownership record's query, when the record exists.
    pub(crate) fn record_query(&self) -> Option<&'static str> {
        self.env.has_record.then_some(RECORD_SQL)
    }

    /// Takes the rows of the record.
    pub(crate) fn take_record(&mut self, rows: Vec<RecordRow>) {
        self.record = record(rows);
    }

    /// The live views: in scope, declared, and what reads them.
    pub(crate) fn live_query(&mut self) -> StateQuery {
        let declared: Vec<AnyView> = self.declared.values().cloned().collect();
        self.named = self
            .scope
            .named(&self.record, self.env.current_schema.as_deref())
            .into_iter()
            .collect();
        let mut names: BTreeSet<Key> = self.declared.keys().cloned().collect();
        names.extend(self.named.iter().cloned());
        Selection {
            schemas: self.scope.schema_list(&declared),
            names: names.into_iter().collect(),
            dependents: true,
        }
        .query()
    }

    /// Takes the live views; gives the normalisation block.
    pub(crate) fn normalize_sql(&mut self, rows: Vec<StateRow>) -> Result<String> {
        self.live = states(rows);
        // A recorded row is only believed while its view is the object it recorded.
        let live = &self.live;
        let (record, outdated): (Record, Record) = std::mem::take(&mut self.record)
            .into_iter()
            .partition(|(key, row)| live.get(key).is_some_and(|s| Some(s.oid) == row.oid));
        self.record = record;
        self.stale_record = outdated;
        if self.scope.is_managed() {
            self.named
                .retain(|key| !self.stale_record.contains_key(key));
        }
        self.in_scope = self
            .live
            .values()
            .filter(|s| self.scope.contains(s, &self.named))
            .map(|s| s.key.clone())
            .collect();
        self.unmanaged = self
            .live
            .values()
            .filter(|s| {
                !self.declared.contains_key(&s.key)
                    && !self.in_scope.contains(&s.key)
                    && (self.scope.reports_unmanaged(s)
                        || (self.scope.is_managed() && self.stale_record.contains_key(&s.key)))
            })
            .map(|s| s.key.clone())
            .collect();
        let dropped: BTreeSet<Key> = self
            .live
            .keys()
            .filter(|k| self.in_scope.contains(*k) || self.declared.contains_key(*k))
            .cloned()
            .collect();
        self.victims = dependents_of(&self.live, &dropped)
            .into_iter()
            .filter(|k| !dropped.contains(k))
            .collect();

        // One `DROP … CASCADE` per kind, for every view dropped (one statement is faster than
        // one per view; everything is rolled back).
        let mut drops = Vec::new();
        for materialized in [true, false] {
            let names: Vec<String> = dropped
                .iter()
                .filter(|key| self.live[*key].materialized == materialized)
                .map(|key| Ok(qualified(&key.0, &key.1)?.to_string()))
                .collect::<Result<_>>()?;
            if !names.is_empty() {
                let kind = if materialized {
                    "MATERIALIZED VIEW"
                } else {
                    "VIEW"
                };
                drops.push(format!(
                    "DROP {kind} IF EXISTS {} CASCADE",
                    names.join(", ")
                ));
            }
        }
        // The declared views and the views to re-create from the catalog, in the live creation
        // order when they exist (fewer rounds), new ones last.
        let mut creations = Vec::with_capacity(self.declared.len() + self.victims.len());
        for (key, view) in &self.declared {
            creations.push(Creation {
                key: key.clone(),
                sql: normalization_sql(view),
                required: true,
            });
        }
        for key in &self.victims {
            let state = &self.live[key];
            let def = catalog_definition(state, qualified(&key.0, &key.1)?)?;
            creations.push(Creation {
                key: key.clone(),
                sql: normalization_sql(&def),
                required: false,
            });
        }
        let order = creation_rank(&self.live);
        creations.sort_by_key(|c| {
            let rank = order.get(&c.key).copied().unwrap_or(usize::MAX);
            (rank, c.key.clone())
        });
        self.creations = creations;
        Ok(normalize_block(
            &drops,
            self.table_sql.as_ref().map(|t| TableSqlPair {
                up: &t.up,
                down: &t.down,
            }),
            &self.creations,
        ))
    }

    /// Takes the failures of the normalisation.
    ///
    /// # Errors
    /// [`Error::DeclaredViewsRejected`] when declared views failed.
    pub(crate) fn take_failures(&mut self, row: FailuresRow) -> Result<()> {
        self.table_changes = TableChanges {
            up: row.up_schemas.into_iter().zip(row.up_names).collect(),
            down: row
                .down_known
                .then(|| row.down_schemas.into_iter().zip(row.down_names).collect()),
        };
        self.affected = row
            .affected_schemas
            .into_iter()
            .zip(row.affected_names)
            .filter(|key| !self.live.contains_key(key) && !self.declared.contains_key(key))
            .collect();
        let mut rejected = Vec::new();
        for (&at, message) in row.failed_at.iter().zip(&row.failed_messages) {
            let Some(creation) = usize::try_from(at)
                .ok()
                .and_then(|at| at.checked_sub(1))
                .and_then(|i| self.creations.get(i))
            else {
                continue;
            };
            if creation.required {
                rejected.push((fullname(&creation.key), message.clone()));
            } else {
                self.unrebuildable
                    .insert(creation.key.clone(), message.clone());
            }
        }
        if rejected.is_empty() {
            Ok(())
        } else {
            rejected.sort();
            Err(Error::DeclaredViewsRejected { views: rejected })
        }
    }

    /// The declared views (and re-created ones) as the server made them, and the views
    /// affected by the table SQL that the live query did not read (untouched by the
    /// normalisation: they are read as they live).
    pub(crate) fn normalized_query(&self) -> StateQuery {
        let names = self
            .creations
            .iter()
            .filter(|c| !self.unrebuildable.contains_key(&c.key))
            .map(|c| c.key.clone())
            .chain(self.affected.iter().cloned())
            .collect();
        Selection {
            schemas: Some(Vec::new()),
            names,
            dependents: false,
        }
        .query()
    }

    /// Takes the normalised views; gives the fixpoint block when some texts differ.
    pub(crate) fn fixpoint_sql(&mut self, rows: Vec<StateRow>) -> Option<String> {
        self.normalized = states(rows);
        for key in &self.affected {
            if let Some(state) = self.normalized.remove(key) {
                self.live.insert(key.clone(), state);
            }
        }
        for state in self.normalized.values_mut() {
            state.partial = true;
        }
        self.candidates = self
            .declared
            .keys()
            .filter(
                |key| match (self.live.get(*key), self.normalized.get(*key)) {
                    (Some(live), Some(new)) => live.definition != new.definition,
                    _ => false,
                },
            )
            .cloned()
            .collect();
        if self.candidates.is_empty() {
            return None;
        }
        let pairs: Vec<(&str, &str)> = self
            .candidates
            .iter()
            .map(|key| {
                (
                    self.normalized[key].definition.as_str(),
                    self.live[key].definition.as_str(),
                )
            })
            .collect();
        Some(fixpoint_block(&pairs))
    }

    /// Takes the result of the fixpoint block.
    pub(crate) fn take_same(&mut self, row: &SameRow) {
        for &at in &row.same {
            if let Some(key) = usize::try_from(at)
                .ok()
                .and_then(|at| at.checked_sub(1))
                .and_then(|i| self.candidates.get(i))
            {
                self.same.insert(key.clone());
            }
        }
    }

    /// Compares and builds the result.
    pub(crate) fn finish(self) -> Result<ViewDiff> {
        let user = self.env.current_user.as_str();
        let mut before_blueprints = BTreeMap::new();
        for (key, state) in &self.live {
            before_blueprints.insert(key.clone(), Blueprint::new(state, None, Some(state), user)?);
        }

        let mut after = BTreeMap::new();
        let mut changes = BTreeMap::new();
        let mut entries = Vec::new();
        for (key, view) in &self.declared {
            let Some(normalized) = self.normalized.get(key) else {
                return Err(Error::NotFound {
                    kind: view.kind(),
                    name: fullname(key),
                });
            };
            let live = self.live.get(key);
            let mut state = normalized.clone();
            state.populated = match (live, view) {
                (Some(live), _) => live.populated,
                (None, AnyView::Materialized(mv)) => mv.is_with_data(),
                (None, AnyView::View(_)) => true,
            };
            let blueprint = Blueprint::new(&state, Some(view), live, user)?;
            let status = match live {
                None => DiffStatus::Created,
                Some(live) => {
                    let found = compare(live, &state, self.same.contains(key));
                    if found.is_empty() {
                        DiffStatus::Unchanged
                    } else {
                        changes.insert(key.clone(), found.clone());
                        DiffStatus::Changed(found)
                    }
                }
            };
            entries.push(DiffEntry {
                schema: key.0.clone(),
                name: key.1.clone(),
                kind: view.kind(),
                status,
            });
            after.insert(
                key.clone(),
                Target {
                    state,
                    blueprint,
                    unrebuildable: None,
                    rebuilt: None,
                },
            );
        }
        for (key, live) in &self.live {
            if self.declared.contains_key(key) {
                continue;
            }
            if self.in_scope.contains(key) {
                entries.push(DiffEntry {
                    schema: key.0.clone(),
                    name: key.1.clone(),
                    kind: RelationKind::of_view(live.materialized),
                    status: DiffStatus::Dropped,
                });
                continue;
            }
            if self.unmanaged.contains(key) {
                entries.push(DiffEntry {
                    schema: key.0.clone(),
                    name: key.1.clone(),
                    kind: RelationKind::of_view(live.materialized),
                    status: DiffStatus::Unmanaged,
                });
            }
            let (state, rebuilt) = self.kept_state(key, live);
            after.insert(
                key.clone(),
                Target {
                    state,
                    blueprint: before_blueprints[key].clone(),
                    unrebuildable: self.unrebuildable.get(key).cloned(),
                    rebuilt,
                },
            );
        }
        let moves = self.apply_moves(&mut after, &mut entries, &mut changes)?;
        entries.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        Ok(ViewDiff {
            entries,
            declared: self.declared.keys().cloned().collect(),
            record: self.record,
            stale_record: self.stale_record,
            before: self.live,
            before_blueprints,
            after,
            changes,
            moves,
            search_path: self.env.search_path,
            server_major: self.env.server_version_num / 10_000,
            table_sql: self.table_sql,
            table_changes: self.table_changes,
        })
    }

    /// The state of a live view that is not declared and stays (with what it reads as the
    /// comparison re-created it), and its state once rebuilt on the new definitions when that
    /// differs.
    fn kept_state(&self, key: &Key, live: &ViewState) -> (ViewState, Option<Box<ViewState>>) {
        let mut state = live.clone();
        let Some(normalized) = self.normalized.get(key) else {
            return (state, None);
        };
        state.reads.clone_from(&normalized.reads);
        state.read_tables.clone_from(&normalized.read_tables);
        let rebuilt = (normalized.fingerprint != live.fingerprint).then(|| {
            let mut new = state.clone();
            new.definition.clone_from(&normalized.definition);
            new.columns.clone_from(&normalized.columns);
            new.fingerprint.clone_from(&normalized.fingerprint);
            new.partial = true;
            Box::new(new)
        });
        (state, rebuilt)
    }

    /// Finds the views moved to another schema and records them: one entry (the new place)
    /// instead of a created and a dropped one, the other changes, the owner, privileges and data
    /// kept from the old place, and the views reading them reading the new place.
    fn apply_moves(
        &self,
        after: &mut BTreeMap<Key, Target>,
        entries: &mut Vec<DiffEntry>,
        changes: &mut BTreeMap<Key, Vec<Change>>,
    ) -> Result<BTreeMap<Key, Key>> {
        let user = self.env.current_user.as_str();
        let moves = find_moves(&self.live, after, entries);
        for (to, from) in &moves {
            // A moved view keeps its owner, privileges and extras (and its data) wherever it
            // is re-created.
            let old = &self.live[from];
            if let Some(target) = after.get_mut(to) {
                target.state.populated = old.populated;
                target.blueprint =
                    Blueprint::new(&target.state, self.declared.get(to), Some(old), user)?;
            }
            let found = compare(old, &after[to].state, true);
            entries.retain(|e| (&e.schema, &e.name) != (&from.0, &from.1));
            if let Some(entry) = entries
                .iter_mut()
                .find(|e| (&e.schema, &e.name) == (&to.0, &to.1))
            {
                entry.status = DiffStatus::Moved {
                    from_schema: from.0.clone(),
                    changes: found.clone(),
                };
            }
            if !found.is_empty() {
                changes.insert(to.clone(), found);
            }
            // The views that read the moved view keep reading it, under its new name.
            for target in after.values_mut() {
                for read in &mut target.state.reads {
                    if read == from {
                        read.clone_from(to);
                    }
                }
            }
        }
        Ok(moves)
    }
}

/// Views moved to another schema: a created view and a dropped one of the same name and kind
/// whose queries (as the server prints them, names qualified) and columns are the same, each
/// the only candidate of the other. Keyed by the new place, giving the old one.
fn find_moves(
    live: &BTreeMap<Key, ViewState>,
    after: &BTreeMap<Key, Target>,
    entries: &[DiffEntry],
) -> BTreeMap<Key, Key> {
    let with = |status: &DiffStatus| -> Vec<Key> {
        entries
            .iter()
            .filter(|e| e.status == *status)
            .map(|e| (e.schema.clone(), e.name.clone()))
            .collect()
    };
    let (created, dropped) = (with(&DiffStatus::Created), with(&DiffStatus::Dropped));
    let same = |to: &Key, from: &Key| {
        let (new, old) = (&after[to].state, &live[from]);
        to.1 == from.1
            && new.materialized == old.materialized
            && new.definition == old.definition
            && new.columns == old.columns
    };
    let mut moves = BTreeMap::new();
    for to in &created {
        let candidates: Vec<&Key> = dropped.iter().filter(|from| same(to, from)).collect();
        if let [from] = candidates.as_slice() {
            if created.iter().filter(|other| same(other, from)).count() == 1 {
                moves.insert(to.clone(), (*from).clone());
            }
        }
    }
    moves
}

fn key_of(view: &AnyView) -> Key {
    let name = view.name();
    (
        name.schema()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        name.name().as_str().to_owned(),
    )
}

/// A rank of each live view in a creation order (views read before views reading them).
fn creation_rank(states: &BTreeMap<Key, ViewState>) -> BTreeMap<Key, usize> {
    creation_order(states)
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect()
}

/// What differs between the live state `before` and the declared state `after`.
/// `same_definition`: the fixpoint block found the two texts to be one definition.
fn compare(before: &ViewState, after: &ViewState, same_definition: bool) -> Vec<Change> {
    let mut changes = Vec::new();
    if before.materialized != after.materialized {
        changes.push(Change::Kind {
            before: RelationKind::of_view(before.materialized),
            after: RelationKind::of_view(after.materialized),
        });
    }
    if before.columns != after.columns {
        let list = |state: &ViewState| {
            state
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.sql_type.clone()))
                .collect()
        };
        changes.push(Change::Columns {
            before: list(before),
            after: list(after),
        });
    }
    if before.definition != after.definition && !same_definition {
        changes.push(Change::Definition {
            before: before.definition.clone(),
            after: after.definition.clone(),
        });
    }
    if effective_options(before) != effective_options(after) {
        changes.push(Change::Options {
            before: before.options.clone(),
            after: after.options.clone(),
        });
    }
    if before.comment != after.comment {
        changes.push(Change::Comment {
            column: None,
            before: before.comment.clone(),
            after: after.comment.clone(),
        });
    }
    let columns: BTreeSet<&String> = before
        .column_comments
        .keys()
        .chain(after.column_comments.keys())
        .collect();
    for column in columns {
        let (was, is) = (
            before.column_comments.get(column),
            after.column_comments.get(column),
        );
        if was != is {
            changes.push(Change::Comment {
                column: Some(column.clone()),
                before: was.cloned(),
                after: is.cloned(),
            });
        }
    }
    let old: BTreeMap<&str, String> = before
        .indexes
        .iter()
        .map(|i| (i.name.as_str(), i.signature()))
        .collect();
    let new: BTreeMap<&str, String> = after
        .indexes
        .iter()
        .map(|i| (i.name.as_str(), i.signature()))
        .collect();
    let added: Vec<String> = new
        .keys()
        .filter(|n| !old.contains_key(*n))
        .map(|n| (*n).to_owned())
        .collect();
    let removed: Vec<String> = old
        .keys()
        .filter(|n| !new.contains_key(*n))
        .map(|n| (*n).to_owned())
        .collect();
    let redefined: Vec<String> = new
        .iter()
        .filter(|(n, d)| old.get(*n).is_some_and(|o| o != *d))
        .map(|(n, _)| (*n).to_owned())
        .collect();
    if !(added.is_empty() && removed.is_empty() && redefined.is_empty()) {
        changes.push(Change::Indexes {
            added,
            removed,
            changed: redefined,
        });
    }
    if before.tablespace != after.tablespace {
        changes.push(Change::Tablespace {
            before: before.tablespace.clone(),
            after: after.tablespace.clone(),
        });
    }
    changes
}
