//! [`Comparison`]: what a comparison knows and decides, written once; the queries it sends,
//! in order, are given by `steps.rs` and sent by the sync [`diff`](crate::diff) and the async
//! [`aio::diff`](crate::aio::diff) (`run.rs`), each step in a transaction rolled back (in a
//! savepoint when the caller has a transaction open):
//!
//! 0. the pgview lock ([`lock_block`](crate::lock)): one comparison or migration at a time
//!    (held by the session until the comparison ends, outside a transaction);
//! 1. [`ENV_SQL`]: the connection's `search_path`, current schema and role, the server's
//!    version, whether the ownership record exists; then the record;
//! 2. with `search_path` emptied (so that the server qualifies every name it prints), the
//!    selection (`snapshot/sql/select.sql`): which views are looked at, with what costs no
//!    lock (scope, stamp, what each reads). Declared views that the record proves unchanged
//!    (same definition hash, same stamp as the migration that recorded them left, nothing they
//!    read changing) are not compared further: only changed views cost server work;
//! 3. the state of every other view that matters (declared, in scope, reading one of them),
//!    a chunk at a time, each in a transaction that is rolled back;
//! 4. the normalisation: the declared views created by the server (see `normalize.rs`), a
//!    batch at a time (`batches.rs`); with table SQL, in one go after dropping the views in
//!    scope (the table SQL needs them out of the way);
//! 5. [`Comparison::finish`] compares (`aspects.rs`) and builds the [`ViewDiff`].
//!
//! # Locks
//! A view's definition printed or a view created locks it until the (sub)transaction ends.
//! Reading states and creating views a batch at a time, each batch in a transaction (or,
//! inside the caller's transaction, a savepoint) that is rolled back once read, bounds what
//! the comparison holds at any time: at most [`DiffOptions::batch_size`] views (250 by
//! default) and at most an eighth of the server's lock table, counted per view
//! (`batches.rs`), whatever the number of views.
//!
//! # Cost
//! Linear in the number of views compared: every step costs the same whatever came before
//! it. Two things of the server would make it grow otherwise: the end of a (sub)transaction
//! that created more than 32 relations walks every relation the session has cached (a batch
//! creates at most 24, `batches.rs`), and a savepoint rolled back but not released nests the
//! next one a level deeper (`savepoint.rs`). Inside the caller's transaction the list of 32
//! fills up after a few batches: a large comparison is faster outside a transaction. (With table SQL, the views in scope and
//! declared are dropped in the comparison's own transaction for the table SQL to run: their
//! locks are held until it ends.)

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use diesel::sql_types::{Bool, Int4, Nullable, Text};
use diesel::QueryableByName;

use crate::definition::AnyView;
use crate::error::{Error, RelationKind, Result};
use crate::lexer::pieces::identifiers;
use crate::lexer::query::{independent_of_standard_strings, is_one_query};
use crate::record::{
    declared_hash, record, Declared, Record, RecordRow, RECORD_EXISTS_SQL, RECORD_SQL,
};
use crate::snapshot::{
    batch_order, catalog_definition, creation_order, dependents_in, fullname, normalization_sql,
    proxy_fits, proxy_normalization_sql, proxy_token, qualified, read_by_in, states, states_query,
    states_query_with, Blueprint, Key, Proxy, SelectRow, Selected, Selection, StateQuery, StateRow,
    ViewState,
};
use crate::sql_text::string_constant;

use super::aspects::{compare, find_moves};
use super::batches::{Batch, Item, Live, Outcome, Scheduler};
#[cfg(doc)]
use super::normalize::KEPT_SQL;
use super::normalize::{
    fixpoint_block, normalize_block, Creation, FailuresRow, SameRow, TableSqlPair,
};
use super::options::DiffOptions;
use super::result::{Change, DiffEntry, DiffStatus, TableChanges, Target, ViewDiff};
use super::scope::DiffScope;
use super::set::{TableSql, ViewSet};

/// What the comparison needs to know about the connection and the server.
pub(crate) static ENV_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT pg_catalog.current_setting('search_path') AS search_path, \
         pg_catalog.current_schema()::text AS current_schema, current_user::text AS current_user, \
         pg_catalog.current_setting('server_version_num')::int4 AS server_version_num, \
         pg_catalog.current_setting('max_locks_per_transaction')::int4 \
           * (pg_catalog.current_setting('max_connections')::int4 \
              + pg_catalog.current_setting('max_prepared_transactions')::int4) AS lock_slots, \
         {RECORD_EXISTS_SQL} AS has_record, \
         pg_catalog.has_database_privilege(pg_catalog.current_database(), 'TEMPORARY') \
           AS can_create_temporary"
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
    #[diesel(sql_type = Int4)]
    server_version_num: i32,
    /// The size of the server's shared lock table.
    #[diesel(sql_type = Int4)]
    lock_slots: i32,
    #[diesel(sql_type = Bool)]
    has_record: bool,
    /// Whether the role may create temporary tables (proxies need one).
    #[diesel(sql_type = Bool)]
    can_create_temporary: bool,
}

/// A comparison in progress.
#[derive(Debug)]
pub(crate) struct Comparison<'a> {
    env: EnvRow,
    /// The declared views, borrowed from the set (see [`ViewSet::resolved`]).
    declared: BTreeMap<Key, Cow<'a, AnyView>>,
    /// The hash of each declared definition (see `record.rs`).
    hashes: BTreeMap<Key, String>,
    scope: DiffScope,
    batch_size: usize,
    /// The locks one step may take at most: an eighth of the server's lock table.
    lock_budget: usize,
    full: bool,
    table_sql: Option<TableSql>,
    /// The rows of the ownership record whose view is still the object they recorded.
    record: Record,
    /// The other rows: their view was dropped, or another object has its name now.
    stale_record: Record,
    /// The views read by name besides the declared ones (see [`DiffScope::named`]).
    named: BTreeSet<Key>,
    /// Every view the selection found.
    selected: BTreeMap<Key, Selected>,
    /// Live views in scope (not excluded).
    in_scope: BTreeSet<Key>,
    /// Live views reported as unmanaged.
    unmanaged: BTreeSet<Key>,
    /// Declared views the record proves unchanged: not compared through the server.
    fast: BTreeSet<Key>,
    /// The state of the live views that matter.
    /// (Shared with the result's targets: one copy of each state, however often the result
    /// and its plan refer to it.)
    live: BTreeMap<Key, Arc<ViewState>>,
    /// Live views outside the scope that read a view in scope or declared (transitively).
    victims: BTreeSet<Key>,
    /// Declared views the record proves unchanged but that read a view that changes: they
    /// are unchanged too when what they read keeps its columns (or only appends columns they
    /// do not name, when they name every column they use), else compared.
    provable: BTreeSet<Key>,
    /// With table SQL: what the normalisation block creates.
    creations: Vec<Creation>,
    /// Without: the batches.
    scheduler: Option<Scheduler>,
    /// The batch in progress, with what it gave so far.
    batch: Option<(Batch, Option<FailuresRow>, BTreeMap<Key, ViewState>)>,
    unrebuildable: BTreeMap<Key, String>,
    rejected: Vec<(String, String)>,
    normalized: BTreeMap<Key, ViewState>,
    /// The declared views whose text differs from the live one, in the fixpoint block's order.
    candidates: Vec<Key>,
    /// Those of them that are one definition after all.
    same: BTreeSet<Key>,
    table_changes: TableChanges,
    /// Views that read a table the table SQL changes (directly or through views) and that were
    /// not read yet: read with the normalised views, kept as they are.
    affected: BTreeSet<Key>,
}

impl<'a> Comparison<'a> {
    pub(crate) fn new(set: &'a ViewSet, options: &DiffOptions, env: EnvRow) -> Result<Self> {
        // An excluded view is left out entirely, even when it is declared: not compared, not
        // recorded, its indexes untouched (`DiffScope::exclude`).
        let declared: BTreeMap<Key, Cow<'a, AnyView>> = set
            .resolved(env.current_schema.as_deref())?
            .into_iter()
            .map(|v| (key_of(&v), v))
            .filter(|(key, _)| !options.scope.is_excluded(&key.0, &key.1))
            .collect();
        let server_major = env.server_version_num / 10_000;
        if server_major < OLDEST_SERVER {
            return Err(Error::UnsupportedByServer {
                feature: "comparing views (pgview::diff::diff)",
                since: OLDEST_SERVER.unsigned_abs(),
                message: format!("the server is PostgreSQL {server_major}"),
            });
        }
        refuse_unsupported(&declared, server_major)?;
        let hashes = declared
            .iter()
            .map(|(key, view)| (key.clone(), declared_hash(view, &env.search_path)))
            .collect();
        let batch_size = options.batch_size.max(1);
        let lock_budget = lock_budget(env.lock_slots);
        Ok(Self {
            env,
            declared,
            hashes,
            scope: options.scope.clone(),
            batch_size,
            lock_budget,
            full: options.full,
            table_sql: set.table_sql().cloned(),
            record: Record::new(),
            stale_record: Record::new(),
            named: BTreeSet::new(),
            selected: BTreeMap::new(),
            in_scope: BTreeSet::new(),
            unmanaged: BTreeSet::new(),
            fast: BTreeSet::new(),
            live: BTreeMap::new(),
            victims: BTreeSet::new(),
            provable: BTreeSet::new(),
            creations: Vec::new(),
            scheduler: None,
            batch: None,
            unrebuildable: BTreeMap::new(),
            rejected: Vec::new(),
            normalized: BTreeMap::new(),
            candidates: Vec::new(),
            same: BTreeSet::new(),
            table_changes: TableChanges::default(),
            affected: BTreeSet::new(),
        })
    }

    /// `SELECT set_config('search_path', path, true)` (local to the transaction, or undone
    /// with the subtransaction it runs in).
    pub(crate) fn set_search_path(path: &str) -> String {
        format!(
            "SELECT pg_catalog.set_config('search_path', {}, true)",
            string_constant(path)
        )
    }

    /// The connection's own `search_path` again.
    pub(crate) fn user_search_path(&self) -> String {
        Self::set_search_path(&self.env.search_path)
    }

    /// The ownership record's query, when the record exists.
    pub(crate) fn record_query(&self) -> Option<&'static str> {
        self.env.has_record.then_some(RECORD_SQL)
    }

    /// Takes the rows of the record.
    pub(crate) fn take_record(&mut self, rows: Vec<RecordRow>) {
        self.record = record(rows);
    }

    /// The selection: in scope, declared, recorded, and what reads them.
    pub(crate) fn selection_query(&mut self) -> StateQuery {
        self.named = self
            .scope
            .named(&self.record, self.env.current_schema.as_deref())
            .into_iter()
            .collect();
        let mut names: BTreeSet<Key> = self.declared.keys().cloned().collect();
        names.extend(self.named.iter().cloned());
        Selection {
            schemas: self.scope.schema_list(self.declared.values().map(|v| &**v)),
            names: names.into_iter().collect(),
            dependents: true,
        }
        .query()
    }

    /// Takes the selection; gives the views whose state must be read, in chunks of the batch
    /// size (each with whether it is in scope).
    pub(crate) fn take_selection(&mut self, rows: Vec<SelectRow>) -> Vec<Vec<(i64, bool)>> {
        self.selected = rows
            .into_iter()
            .map(|row| {
                let selected = row.into_selected();
                (selected.key.clone(), selected)
            })
            .collect();
        // A recorded row is only believed while its view is the object it recorded.
        let selected = &self.selected;
        let (record, outdated): (Record, Record) = std::mem::take(&mut self.record)
            .into_iter()
            .partition(|(key, row)| selected.get(key).is_some_and(|s| Some(s.oid) == row.oid));
        self.record = record;
        self.stale_record = outdated;
        if self.scope.is_managed() {
            self.named
                .retain(|key| !self.stale_record.contains_key(key));
        }
        self.in_scope = self
            .selected
            .values()
            .filter(|s| self.scope.contains(&s.key, s.in_scope, &self.named))
            .map(|s| s.key.clone())
            .filter(|key| !self.declared.contains_key(key))
            .collect();
        self.unmanaged = self
            .selected
            .values()
            .filter(|s| {
                !self.declared.contains_key(&s.key)
                    && !self.in_scope.contains(&s.key)
                    && (self.scope.reports_unmanaged(&s.key, s.in_scope)
                        || (self.scope.is_managed() && self.stale_record.contains_key(&s.key)))
            })
            .map(|s| s.key.clone())
            .collect();
        let graph = read_by_in(self.selected.iter().map(|(key, s)| (key, &s.reads)));
        // Declared views the record proves unchanged, unless they read a view that changes.
        let provably_same: BTreeSet<Key> = self
            .declared
            .keys()
            .filter(|key| self.unchanged_since_recorded(key))
            .cloned()
            .collect();
        let changing: BTreeSet<Key> = self
            .declared
            .keys()
            .filter(|key| !provably_same.contains(*key))
            .chain(&self.in_scope)
            .cloned()
            .collect();
        let reading_changes = dependents_in(&graph, &changing);
        // Those that read a view that changes are proven too when nothing they read changes
        // for its readers (same columns): the batches decide (see `batches.rs`).
        (self.fast, self.provable) = provably_same
            .into_iter()
            .partition(|key| !reading_changes.contains(key));
        let roots: BTreeSet<Key> = changing;
        self.victims = reading_changes
            .into_iter()
            .filter(|key| !roots.contains(key) && !self.declared.contains_key(key))
            .collect();
        let needed: Vec<(i64, bool)> = self
            .selected
            .values()
            .filter(|s| {
                (self.declared.contains_key(&s.key) && !self.fast.contains(&s.key))
                    || self.in_scope.contains(&s.key)
                    || self.victims.contains(&s.key)
            })
            .map(|s| (s.oid, self.in_scope.contains(&s.key)))
            .collect();
        needed
            // A state read locks the view (and, for some, an index or two): two per view.
            .chunks(self.batch_size.min(self.lock_budget / 2).max(1))
            .map(<[(i64, bool)]>::to_vec)
            .collect()
    }

    /// Whether the declared view `key` is what the migration that recorded it left: the same
    /// definition (hash), and nothing changed since (stamp). Never with table SQL (it may
    /// change what a view reads) or a full comparison.
    fn unchanged_since_recorded(&self, key: &Key) -> bool {
        if self.full || self.table_sql.is_some() {
            return false;
        }
        match (self.record.get(key), self.selected.get(key)) {
            (Some(row), Some(selected)) => {
                row.kind == self.declared[key].kind()
                    && row.hash.as_ref() == self.hashes.get(key)
                    && row.stamp.as_ref() == Some(&selected.stamp)
            }
            _ => false,
        }
    }

    /// The state query of one chunk of views.
    pub(crate) fn states_query(chunk: &[(i64, bool)]) -> StateQuery {
        states_query(chunk, &[])
    }

    /// Takes the states of a chunk of views.
    pub(crate) fn take_states(&mut self, rows: Vec<StateRow>) {
        self.live.extend(
            states(rows)
                .into_iter()
                .map(|(key, state)| (key, Arc::new(state))),
        );
    }

    /// Whether the normalisation runs in batches (no table SQL).
    pub(crate) fn batched(&self) -> bool {
        self.table_sql.is_none()
    }

    /// Without table SQL: sets up the batches.
    ///
    /// # Errors
    /// A catalog definition pgview cannot read back (an unknown option).
    pub(crate) fn start_batches(&mut self) -> Result<()> {
        let mut items = BTreeMap::new();
        let proxies = self.proxies_allowed().then(proxy_token);
        for (key, view) in &self.declared {
            if self.fast.contains(key) {
                continue;
            }
            let reads = self
                .live
                .get(key)
                .map(|s| s.reads.clone())
                .unwrap_or_default();
            let materialized = match &**view {
                AnyView::Materialized(m) => Some(m.indexes().len()),
                AnyView::View(_) => None,
            };
            let item = match (&**view, proxies.as_deref()) {
                (AnyView::Materialized(m), Some(token)) if proxy_fits(m) => {
                    let (sql, proxy) = proxy_normalization_sql(m, token, items.len())?;
                    Item::new(sql, true, reads, materialized).created_as(proxy)
                }
                _ => Item::new(normalization_sql(view), true, reads, materialized),
            };
            let item = if self.provable.contains(key) {
                let explicit = self.live.get(key).is_some_and(|s| s.explicit_columns);
                item.kept_when_inputs_keep_their_columns()
                    .naming(explicit, view.query_sql())
            } else {
                item
            };
            items.insert(key.clone(), item);
        }
        for key in &self.victims {
            let state = &self.live[key];
            let def = catalog_definition(state, qualified(&key.0, &key.1)?)?;
            items.insert(
                key.clone(),
                Item::new(
                    normalization_sql(&def),
                    false,
                    state.reads.clone(),
                    state.materialized.then_some(state.indexes.len()),
                )
                .kept_when_inputs_keep_their_columns()
                .naming(state.explicit_columns, &state.definition),
            );
        }
        let live = self
            .live
            .iter()
            .map(|(key, state)| {
                let live = Live {
                    oid: state.oid,
                    materialized: state.materialized,
                    columns: state.columns.clone(),
                    indexes: state.indexes.iter().map(|i| i.name.clone()).collect(),
                };
                (key.clone(), live)
            })
            .collect();
        self.scheduler = Some(Scheduler::new(
            self.batch_size,
            self.lock_budget,
            items,
            &batch_order(&self.live),
            live,
            self.in_scope.clone(),
        ));
        Ok(())
    }

    /// Whether declared materialized views may be created as proxies (plain views, with their
    /// indexes on a temporary table: see [`proxy_normalization_sql`]) in this comparison: when
    /// no view it creates could tell one from a materialized view. A view reading a
    /// materialized view may name its system columns (`ctid`, `xmin`, …: a plain view has
    /// none) or sample it (`TABLESAMPLE`: tables and materialized views only), and one with a
    /// check option must be automatically updatable (a view reading a materialized view
    /// never is): when any of them names one of these words (or, for the check option, has
    /// it), every materialized view is created as such; so it is when the role may not create
    /// temporary tables.
    fn proxies_allowed(&self) -> bool {
        const TABLE_ONLY: [&str; 8] = [
            "ctid",
            "xmin",
            "xmax",
            "cmin",
            "cmax",
            "tableoid",
            "tablesample",
            "check",
        ];
        if !self.env.can_create_temporary {
            return false;
        }
        let mentions_table_only = |sql: &str| {
            identifiers(sql)
                .iter()
                .any(|i| TABLE_ONLY.contains(&i.as_str()))
        };
        let declared_ok = self
            .declared
            .iter()
            .filter(|(key, _)| !self.fast.contains(*key))
            .all(|(_, view)| {
                let checked = matches!(&**view, AnyView::View(v) if v.check_option.is_some());
                !checked && !mentions_table_only(view.query_sql())
            });
        declared_ok
            && self.victims.iter().all(|key| {
                self.live.get(key).is_none_or(|state| {
                    !state.options.iter().any(|o| o.starts_with("check_option"))
                        && !mentions_table_only(&state.definition)
                })
            })
    }

    /// A block that makes sure the session has its temporary schema for the batches (when the
    /// role may create temporary tables), run outside the batches' transactions: it creates
    /// a temporary table and drops it, which creates the schema if the session had none, as any
    /// temporary table does. A batch creates temporary objects (proxies, the fixpoint's views);
    /// when the schema is created in a transaction that is rolled back, it is gone with it and
    /// created again by the next batch, and each creation of a schema makes the server forget
    /// every prepared plan of the session (`ResetPlanCache`): the state query was planned
    /// again after every such batch (measured in psql: 5.5 ms a run, 18–23 ms after a rolled
    /// back temporary table). Outside a transaction the schema stays with the session (and
    /// the server keeps it for the next session of the same slot, as after any temporary
    /// table); inside the caller's, it goes with the comparison's savepoint. A failure is
    /// ignored: the batches only lose the saving.
    pub(crate) fn temporary_schema_sql(&self) -> Option<String> {
        self.env.can_create_temporary.then(|| {
            let table = format!("pg_temp.pgview_temporary_schema_{}", proxy_token());
            format!(
                "DO $pgview$BEGIN CREATE TEMPORARY TABLE {table} (); DROP TABLE {table}; \
                 EXCEPTION WHEN OTHERS THEN NULL; END$pgview$"
            )
        })
    }

    /// The next batch's block that creates its views in order (see `plain_block`), or `None`
    /// when every view is compared.
    ///
    /// # Errors
    /// A catalog name that is not a valid identifier.
    pub(crate) fn next_batch(&mut self) -> Result<Option<String>> {
        let Some(scheduler) = self.scheduler.as_mut() else {
            return Ok(None);
        };
        Ok(scheduler.next_batch()?.map(|batch| {
            let block = batch.fast_block.clone();
            self.batch = Some((batch, Some(FailuresRow::empty()), BTreeMap::new()));
            block
        }))
    }

    /// The batch's block that creates its views in rounds, noting failures (when the first
    /// block failed).
    pub(crate) fn batch_in_rounds(&mut self) -> String {
        self.batch
            .as_ref()
            .map(|(batch, _, _)| batch.block.clone())
            .unwrap_or_default()
    }

    /// Takes the failures of the batch's block.
    pub(crate) fn take_batch_failures(&mut self, row: FailuresRow) {
        if let Some((_, failures, _)) = self.batch.as_mut() {
            *failures = Some(row);
        }
    }

    /// Whether the batch's fast block creates some views only when what they read in the
    /// batch changes (then [`take_batch_kept`](Self::take_batch_kept) follows it).
    pub(crate) fn batch_is_conditional(&self) -> bool {
        self.batch
            .as_ref()
            .is_some_and(|(batch, _, _)| batch.conditional())
    }

    /// Takes the creations the batch's fast block did not make ([`KEPT_SQL`]).
    pub(crate) fn take_batch_kept(&mut self, row: &SameRow) {
        if let Some((batch, _, _)) = self.batch.as_mut() {
            batch.take_kept(&row.same);
        }
    }

    /// The state query of the views the batch created: a declared view's state is only what
    /// its definition makes (its owner, privileges and triggers are those its live version
    /// keeps: see [`Blueprint::new`]); a view outside the scope, created from its catalog
    /// definition, is read whole (its state is compared with its live one).
    pub(crate) fn batch_states_query(&self) -> StateQuery {
        let members: Vec<(Key, bool, Option<Proxy>)> = self
            .batch
            .as_ref()
            .map(|(batch, _, _)| batch.created_members())
            .unwrap_or_default()
            .into_iter()
            .map(|key| {
                let whole = !self.declared.contains_key(&key);
                let proxy = self.scheduler.as_ref().and_then(|s| s.proxy(&key)).cloned();
                (key, whole, proxy)
            })
            .collect();
        states_query_with(&[], &members)
    }

    /// Takes the states of the views the batch created; gives the fixpoint block when some
    /// declared views' texts differ from the live ones.
    pub(crate) fn take_batch_states(&mut self, rows: Vec<StateRow>) -> Option<(String, String)> {
        let mut created = states(rows);
        for state in created.values_mut() {
            state.partial = true;
        }
        let keys: Vec<Key> = created.keys().cloned().collect();
        let block = self.fixpoint_for(&keys, &created);
        if let Some((_, _, states)) = self.batch.as_mut() {
            *states = created;
        }
        block
    }

    /// Once the batch's subtransaction is rolled back: what became of its views.
    pub(crate) fn finish_batch(&mut self) {
        let (Some(scheduler), Some((batch, failures, mut created))) =
            (self.scheduler.as_mut(), self.batch.take())
        else {
            return;
        };
        let failures = failures.unwrap_or_else(FailuresRow::empty);
        scheduler.take(&batch, &failures, &mut created);
    }

    /// Once every batch is done: the outcomes as normalised states, failures, views kept.
    ///
    /// # Errors
    /// [`Error::DeclaredViewsRejected`] when declared views failed.
    pub(crate) fn end_batches(&mut self) -> Result<()> {
        let Some(scheduler) = self.scheduler.take() else {
            return Ok(());
        };
        for (key, outcome) in scheduler.into_outcomes() {
            match outcome {
                Outcome::Created(state) => {
                    self.normalized.insert(key, *state);
                }
                Outcome::Failed(why) if self.declared.contains_key(&key) => {
                    self.rejected.push((fullname(&key), why));
                }
                Outcome::Failed(why) => {
                    self.unrebuildable.insert(key, why);
                }
                // A declared view the record proves unchanged, and nothing it reads changes
                // for it.
                Outcome::Kept if self.declared.contains_key(&key) => {
                    self.fast.insert(key);
                }
                Outcome::Kept => {}
            }
        }
        self.rejected_error()
    }

    fn rejected_error(&mut self) -> Result<()> {
        if self.rejected.is_empty() {
            return Ok(());
        }
        let mut views = std::mem::take(&mut self.rejected);
        views.sort();
        Err(Error::DeclaredViewsRejected { views })
    }

    /// With table SQL: the normalisation block (drops, table SQL, creations in rounds).
    ///
    /// # Errors
    /// A catalog definition pgview cannot read back, or a name that is not an identifier.
    pub(crate) fn normalize_sql(&mut self) -> Result<String> {
        let dropped: BTreeSet<Key> = self
            .live
            .keys()
            .filter(|k| self.in_scope.contains(*k) || self.declared.contains_key(*k))
            .cloned()
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
        let order: BTreeMap<Key, usize> = creation_order(&self.live)
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
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

    /// With table SQL: takes the failures of the normalisation and the tables the table SQL
    /// changes.
    ///
    /// # Errors
    /// [`Error::DeclaredViewsRejected`] when declared views failed.
    pub(crate) fn take_failures(&mut self, row: &FailuresRow) -> Result<()> {
        self.table_changes = TableChanges {
            up: row
                .up_schemas
                .iter()
                .cloned()
                .zip(row.up_names.iter().cloned())
                .collect(),
            down: row.down_known.then(|| {
                row.down_schemas
                    .iter()
                    .cloned()
                    .zip(row.down_names.iter().cloned())
                    .collect()
            }),
        };
        self.affected = row
            .affected_schemas
            .iter()
            .cloned()
            .zip(row.affected_names.iter().cloned())
            .filter(|key| !self.live.contains_key(key) && !self.declared.contains_key(key))
            .collect();
        for (&at, message) in row.failed_at.iter().zip(&row.failed_messages) {
            let Some(creation) = usize::try_from(at)
                .ok()
                .and_then(|at| at.checked_sub(1))
                .and_then(|i| self.creations.get(i))
            else {
                continue;
            };
            if creation.required {
                self.rejected
                    .push((fullname(&creation.key), message.clone()));
            } else {
                self.unrebuildable
                    .insert(creation.key.clone(), message.clone());
            }
        }
        self.rejected_error()
    }

    /// With table SQL: the declared views (and re-created ones) as the server made them, and
    /// the views affected by the table SQL that were not read (untouched by the
    /// normalisation: they are read as they live).
    pub(crate) fn normalized_query(&self) -> StateQuery {
        let names: Vec<Key> = self
            .creations
            .iter()
            .filter(|c| !self.unrebuildable.contains_key(&c.key))
            .map(|c| c.key.clone())
            .chain(self.affected.iter().cloned())
            .collect();
        states_query(&[], &names)
    }

    /// With table SQL: takes the normalised views; gives the fixpoint block when some texts
    /// differ.
    pub(crate) fn fixpoint_sql(&mut self, rows: Vec<StateRow>) -> Option<(String, String)> {
        let mut normalized = states(rows);
        for key in &self.affected {
            if let Some(state) = normalized.remove(key) {
                self.live.insert(key.clone(), Arc::new(state));
            }
        }
        for state in normalized.values_mut() {
            state.partial = true;
        }
        let keys: Vec<Key> = normalized.keys().cloned().collect();
        let block = self.fixpoint_for(&keys, &normalized);
        self.normalized = normalized;
        block
    }

    /// The fixpoint block for the declared views among `keys` whose normalised text (in
    /// `normalized`) differs from the live one; they become the candidates. Both texts are
    /// the server's own, made in this session, so each is one query as this session reads it;
    /// one that were not would be written after `CREATE VIEW … AS` in an `EXECUTE`, so it is
    /// left out (and its view reported changed).
    fn fixpoint_for(
        &mut self,
        keys: &[Key],
        normalized: &BTreeMap<Key, ViewState>,
    ) -> Option<(String, String)> {
        self.candidates = keys
            .iter()
            .filter(|key| self.declared.contains_key(*key))
            .filter(|key| match (self.live.get(*key), normalized.get(*key)) {
                // Different columns (names, types) are different queries whatever the texts:
                // no need to create them again to know.
                (Some(live), Some(new)) => {
                    live.definition != new.definition
                        && live.columns == new.columns
                        && is_one_query(&independent_of_standard_strings(&live.definition))
                        && is_one_query(&independent_of_standard_strings(&new.definition))
                }
                _ => false,
            })
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
                    normalized[key].definition.as_str(),
                    self.live[key].definition.as_str(),
                )
            })
            .collect();
        Some((fixpoint_block(&pairs, false), fixpoint_block(&pairs, true)))
    }

    /// Takes the result of a fixpoint block.
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
    pub(crate) fn finish(mut self) -> Result<ViewDiff> {
        // The declared views' states move into their targets; the others' stay (see
        // `kept_state`).
        let mut normalized = std::mem::take(&mut self.normalized);
        let user = self.env.current_user.as_str();
        let mut before_blueprints = BTreeMap::new();
        for (key, state) in &self.live {
            let blueprint = Blueprint::new(state, None, Some(state), user)?;
            before_blueprints.insert(key.clone(), std::sync::Arc::new(blueprint));
        }

        let mut after = BTreeMap::new();
        let mut changes = BTreeMap::new();
        let mut entries = self.proven_entries();
        self.declared_targets(
            &mut normalized,
            user,
            &mut after,
            &mut changes,
            &mut entries,
        )?;
        self.normalized = normalized;
        for (key, status) in self
            .in_scope
            .iter()
            .map(|key| (key, DiffStatus::Dropped))
            .chain(
                self.unmanaged
                    .iter()
                    .map(|key| (key, DiffStatus::Unmanaged)),
            )
        {
            if self.declared.contains_key(key) {
                continue;
            }
            let materialized = self.selected.get(key).is_some_and(|s| s.materialized);
            entries.push(DiffEntry {
                schema: key.0.clone(),
                name: key.1.clone(),
                kind: RelationKind::of_view(materialized),
                status,
            });
        }
        for (key, live) in &self.live {
            // (Views that stay as they are: not declared, or proven unchanged.)
            if (self.declared.contains_key(key) && !self.fast.contains(key))
                || self.in_scope.contains(key)
            {
                continue;
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
        let proven = self.fast.len();
        // What the result keeps of the comparison is moved into it, not copied: at 100,000
        // views each copy of the names, hashes and stamps is tens of megabytes.
        let Self {
            declared,
            hashes,
            selected,
            ..
        } = self;
        let declared = hashes
            .into_iter()
            .filter_map(|(key, hash)| {
                let kind = declared.get(&key)?.kind();
                Some((key, Declared { kind, hash }))
            })
            .collect();
        let stamps = selected
            .into_iter()
            .map(|(key, s)| (key, s.stamp))
            .collect();
        Ok(ViewDiff {
            entries,
            declared,
            proven,
            stamps,
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

    /// The entries of the declared views the record proves unchanged.
    fn proven_entries(&self) -> Vec<DiffEntry> {
        self.fast
            .iter()
            .map(|key| DiffEntry {
                schema: key.0.clone(),
                name: key.1.clone(),
                kind: self.declared[key].kind(),
                status: DiffStatus::Unchanged,
            })
            .collect()
    }

    /// The targets and entries of the declared views (but those the record proves unchanged).
    fn declared_targets(
        &self,
        normalized: &mut BTreeMap<Key, ViewState>,
        user: &str,
        after: &mut BTreeMap<Key, Target>,
        changes: &mut BTreeMap<Key, Vec<Change>>,
        entries: &mut Vec<DiffEntry>,
    ) -> Result<()> {
        for (key, view) in &self.declared {
            if self.fast.contains(key) {
                continue;
            }
            let Some(mut state) = normalized.remove(key) else {
                return Err(Error::NotFound {
                    kind: view.kind(),
                    name: fullname(key),
                });
            };
            let live = self.live.get(key).map(|live| &**live);
            state.populated = match (live, &**view) {
                (Some(live), _) => live.populated,
                (None, AnyView::Materialized(mv)) => mv.is_with_data(),
                (None, AnyView::View(_)) => true,
            };
            let blueprint = std::sync::Arc::new(Blueprint::new(&state, Some(view), live, user)?);
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
                    state: Arc::new(state),
                    blueprint,
                    unrebuildable: None,
                    rebuilt: None,
                },
            );
        }
        Ok(())
    }

    /// The state of a live view that is not declared and stays (with what it reads as the
    /// comparison re-created it), and its state once rebuilt on the new definitions when that
    /// differs.
    fn kept_state(
        &self,
        key: &Key,
        live: &Arc<ViewState>,
    ) -> (Arc<ViewState>, Option<Arc<ViewState>>) {
        let Some(normalized) = self.normalized.get(key) else {
            // Shared with the live state (no copy: most views at scale).
            return (Arc::clone(live), None);
        };
        let mut state = ViewState::clone(live);
        state.reads.clone_from(&normalized.reads);
        state.read_tables.clone_from(&normalized.read_tables);
        let rebuilt = (normalized.fingerprint != live.fingerprint).then(|| {
            let mut new = state.clone();
            new.definition.clone_from(&normalized.definition);
            new.columns.clone_from(&normalized.columns);
            new.fingerprint.clone_from(&normalized.fingerprint);
            new.partial = true;
            Arc::new(new)
        });
        (Arc::new(state), rebuilt)
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
                Arc::make_mut(&mut target.state).populated = old.populated;
                target.blueprint = std::sync::Arc::new(Blueprint::new(
                    &target.state,
                    self.declared.get(to).map(|v| &**v),
                    Some(old),
                    user,
                )?);
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
            // (Only the states that change are copied.)
            for target in after.values_mut() {
                if target.state.reads.contains(from) {
                    for read in &mut Arc::make_mut(&mut target.state).reads {
                        if read == from {
                            read.clone_from(to);
                        }
                    }
                }
            }
        }
        Ok(moves)
    }
}

/// The most locks one step of the comparison may take on a server whose lock table has
/// `slots` slots: an eighth of the table, leaving the rest to the other sessions (800 on a
/// server with default settings). The batches count what each view takes (`batches.rs`).
fn lock_budget(slots: i32) -> usize {
    usize::try_from(slots).unwrap_or(0) / 8
}

/// The oldest major version the comparison supports (and pgview is tested on); its catalog
/// queries use what 13 brought (`regcollation`).
const OLDEST_SERVER: i32 = 13;

/// The first major version with the view option `security_invoker`.
const SECURITY_INVOKER_SINCE: i32 = 15;

/// Refuses, before anything is sent, declared views that state an option the server's
/// version does not have (`security_invoker` before PostgreSQL 15, which would otherwise be
/// refused as an "unrecognized parameter").
fn refuse_unsupported(declared: &BTreeMap<Key, Cow<'_, AnyView>>, server_major: i32) -> Result<()> {
    if server_major >= SECURITY_INVOKER_SINCE {
        return Ok(());
    }
    let views: Vec<(String, String)> = declared
        .iter()
        .filter(|(_, view)| {
            matches!(&***view, AnyView::View(view)
                if view.options().iter().any(|(name, _)| *name == "security_invoker"))
        })
        .map(|(key, _)| {
            (
                fullname(key),
                format!(
                    "the option security_invoker needs PostgreSQL {SECURITY_INVOKER_SINCE} or \
                     later; the server is PostgreSQL {server_major}"
                ),
            )
        })
        .collect();
    if views.is_empty() {
        Ok(())
    } else {
        Err(Error::DeclaredViewsRejected { views })
    }
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
