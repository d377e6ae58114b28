//! The batches of a comparison: the declared views (and the views outside the scope that read
//! a changing view) created by the server a bounded number at a time, each batch in a
//! subtransaction that is rolled back once its views are read back, so that the comparison
//! holds a bounded number of locks whatever the number of views, and each batch's
//! subtransactions stay cheap (a subtransaction's end costs work that grows with the
//! relations its transaction touched).
//!
//! A view must be created on the views it reads as they will be: its columns follow theirs.
//! Views are taken in a creation order of the live catalog that keeps chains together (new
//! views last: see `snapshot::batch_order`), so what a view reads has been created in an
//! earlier batch or comes before it in its own. A view that stays as it is when nothing it
//! reads changes for its readers (see below) and that reads views of its own batch is created
//! only when one of them changes its columns, which the batch's block tests itself (the live
//! columns against the new ones); otherwise it is kept, exactly as when it waited for the next
//! batch, so that a chain over a changed view is compared in one batch, without stand-ins.
//! A view it reads from an earlier batch whose columns change (or
//! which is new) is created again in the batch, ahead of it (an *ancestor*), under its own
//! name, the live one renamed away first: as a stand-in with its new columns and no query
//! (parsing a view reads nothing else of what it reads), so that an ancestor needs no
//! ancestors of its own. After a batch, what each view really reads (its
//! new definition may read other views than the live one) is checked: a view created on the
//! live version of a view that changes, or on a view not compared yet, goes back in the queue
//! to be created again on the right one. A view outside the scope, or a declared view the
//! ownership record proves unchanged, is not created at all when nothing it reads changes
//! for its readers (same columns, not dropped): it stays as it is, and parsing it again on
//! the same columns would give the same view. Nor when what changes for it is only columns
//! appended to a view it reads, none of which it names, and it names every column it uses
//! (see [`Item::naming`]): every column it resolves keeps its name, type and position, so
//! parsing it again would give the same view too (`Scheduler::changes_for`).
//!
//! With batches of every size the result is the same; it is the result of creating every view
//! in one transaction, which is what the unlimited batch size does.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::error::Result;
use crate::ident::Ident;
use crate::lexer::pieces::{explicit_identifiers, identifiers};
use crate::snapshot::{fullname, qualified, Column, Key, Proxy, ViewState};

#[cfg(doc)]
use super::normalize::KEPT_SQL;
use super::normalize::{normalize_block, plain_block, Creation, FailuresRow, Guard};

/// How many times a view is created again because what it reads was not ready before it is
/// taken as it comes.
const MAX_ATTEMPTS: u32 = 4;

/// A view the batches create: a declared view, or a view outside the scope from its catalog
/// definition.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// Its statements (see `normalization_sql`).
    pub(crate) sql: String,
    /// Whether it is declared (its failure rejects the comparison).
    pub(crate) declared: bool,
    /// Whether it is not created when nothing it reads changes for its readers (a view
    /// outside the scope, or a declared view the record proves unchanged): it stays as it is.
    keepable: bool,
    /// When it is keepable and names every column it uses: the names its text mentions (see
    /// [`Item::naming`]). `None`: any change of the columns of what it reads changes it.
    names: Option<BTreeSet<String>>,
    /// What it is known to read: the live view's reads, then what its last creation read.
    pub(crate) reads: Vec<Key>,
    /// The locks its creation takes, without what it reads (see [`creation_locks`]).
    locks: usize,
    /// The relations its creation makes (see [`new_relations`]).
    relations: usize,
    /// When it is a declared materialized view created as a proxy: its table and indexes.
    proxy: Option<Proxy>,
    attempts: u32,
}

impl Item {
    /// A view made by `sql`; `materialized` with `indexes` indexes.
    pub(crate) fn new(
        sql: String,
        declared: bool,
        reads: Vec<Key>,
        materialized: Option<usize>,
    ) -> Self {
        Self {
            sql,
            declared,
            keepable: false,
            names: None,
            reads,
            locks: creation_locks(materialized),
            relations: new_relations(materialized),
            proxy: None,
            attempts: 0,
        }
    }

    /// The same, created as a proxy (its `sql` makes `proxy`: see
    /// [`proxy_normalization_sql`](crate::snapshot::proxy_normalization_sql)): one relation
    /// more (the view, and the table with its TOAST table and index and the indexes).
    pub(crate) fn created_as(mut self, proxy: Proxy) -> Self {
        self.relations += 1;
        self.proxy = Some(proxy);
        self
    }

    /// The same, not created when nothing it reads changes for its readers.
    pub(crate) fn kept_when_inputs_keep_their_columns(mut self) -> Self {
        self.keepable = true;
        self
    }

    /// The same, keepable, when it names every column it uses: the names its query `text`
    /// mentions ([`explicit_identifiers`]), when its stored query also refers to no whole row
    /// and no row type (`explicit_columns`: [`ViewState::explicit_columns`] of its live
    /// version). What the server makes of its text then depends on the columns of a view it
    /// reads only through those names: columns appended to that view that it does not name
    /// change nothing for it (see [`Scheduler::changes_for`]).
    pub(crate) fn naming(mut self, explicit_columns: bool, text: &str) -> Self {
        if self.keepable && explicit_columns {
            self.names = explicit_identifiers(text);
        }
        self
    }

    /// The locks its creation holds until its batch ends (see [`creation_locks`]).
    fn locks(&self) -> usize {
        self.locks + self.reads.len()
    }
}

/// The relations a view's creation makes: a plain view, 1; a materialized view
/// (`Some(indexes)`), 3 (with its TOAST table and index) and one per index.
fn new_relations(materialized: Option<usize>) -> usize {
    match materialized {
        None => 1,
        Some(indexes) => 3 + indexes,
    }
}

/// How many relations a batch creates at most (its views and stand-ins), leaving room for
/// those its fixpoint check creates again. PostgreSQL keeps a short list (32) of the
/// relations a transaction created, for the work at its end and at the end of each of its
/// subtransactions; past that, each end walks every relation the session has cached instead,
/// and a comparison caches every view it reads: with 100,000 views, each batch's end cost tens
/// of milliseconds, a cost growing with the views already compared. Within the list, a batch
/// costs the same whatever came before it.
const MAX_NEW_RELATIONS: usize = 24;

/// How many relations the conditional creations of a batch make at most, besides
/// [`MAX_NEW_RELATIONS`]: a view created only when what it reads in the batch changes is often
/// not created at all (what it reads keeps its columns). When they are all made, the list
/// overflows and the batch's end walks the relations the session has cached, a cost bounded
/// by the batch like the rest.
const MAX_CONDITIONAL_RELATIONS: usize = 48;

/// The locks a view's creation in a batch takes and holds until the batch ends, counted
/// high: a plain view, 8 (the new view and its live version renamed away, its reading back,
/// its creation again in the fixpoint check, in two modes each); a materialized view
/// (`Some(indexes)`), 16 and 3 per index (the view in four modes, its TOAST table and index,
/// the live version and its indexes renamed away, each new index in two modes, its fixpoint
/// check); and one per relation it reads. (Measured with `pg_locks` on PostgreSQL 15: 7, and
/// 10 with one index before its fixpoint check.)
fn creation_locks(materialized: Option<usize>) -> usize {
    match materialized {
        None => 8,
        Some(indexes) => 16 + 3 * indexes,
    }
}

/// What became of a view.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Created; its state as the server made it.
    Created(Box<ViewState>),
    /// Refused by the server, or reads a view that is dropped or cannot be created.
    Failed(String),
    /// A view outside the scope, or proven unchanged by the record, whose inputs do not
    /// change for it: it stays as it is.
    Kept,
}

/// What the condition of a member of a batch decides (see [`Scheduler::take`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    /// What the block did decides, as for any member.
    AsCreated,
    /// Kept: nothing it reads changes for it.
    Kept,
    /// To be created again.
    Again,
}

/// What the batches need to know of a live view.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    pub(crate) oid: i64,
    pub(crate) materialized: bool,
    pub(crate) columns: Vec<Column>,
    pub(crate) indexes: Vec<String>,
}

/// One batch: its views, the ancestors created ahead of them, and the block that does it.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    pub(crate) members: Vec<Key>,
    ancestors: Vec<Key>,
    /// For each member: the members before it (indices) of which one must change for its
    /// readers for it to be created (a view that stays as it is when nothing it reads
    /// changes, reading members of its own batch); empty: it is created.
    conditions: Vec<Vec<usize>>,
    /// The members the fast block did not create (their conditions were not met).
    kept: BTreeSet<usize>,
    /// The `DO` block that renames, then creates the views in order, failing at the first
    /// failure (tried first).
    pub(crate) fast_block: String,
    /// The `DO` block that renames, then creates the views in rounds, each in a
    /// subtransaction, noting failures (when the first one fails).
    pub(crate) block: String,
}

impl Batch {
    /// The position of member `i` in the block's creations (ancestors come first).
    fn position(&self, member: usize) -> usize {
        self.ancestors.len() + member
    }

    /// Whether some members are created only when what they read in the batch changes: the
    /// fast block then lists those it did not create ([`KEPT_SQL`]).
    pub(crate) fn conditional(&self) -> bool {
        self.conditions.iter().any(|c| !c.is_empty())
    }

    /// Takes the 1-based positions of the creations the fast block did not make.
    pub(crate) fn take_kept(&mut self, positions: &[i32]) {
        self.kept = positions
            .iter()
            .filter_map(|&p| {
                usize::try_from(p)
                    .ok()?
                    .checked_sub(1 + self.ancestors.len())
            })
            .collect();
    }

    /// The members whose states are read back: those the block created (as far as known).
    pub(crate) fn created_members(&self) -> Vec<Key> {
        self.members
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.kept.contains(i))
            .map(|(_, key)| key.clone())
            .collect()
    }
}

/// Adds to what each declared view is known to read the views its SQL names (by name, in any
/// schema): a new view has no live reads, and a changed one may read other views than the
/// live one. Reading more than it does only costs creating those views again in its batch.
fn mention_reads(items: &mut BTreeMap<Key, Item>) {
    let mut by_name: BTreeMap<String, Vec<Key>> = BTreeMap::new();
    for key in items.keys() {
        by_name.entry(key.1.clone()).or_default().push(key.clone());
    }
    for (key, item) in items.iter_mut() {
        if !item.declared {
            continue;
        }
        let mentioned: BTreeSet<String> = identifiers(&item.sql).into_iter().collect();
        for name in &mentioned {
            for other in by_name.get(name).map(Vec::as_slice).unwrap_or_default() {
                if other != key && !item.reads.contains(other) {
                    item.reads.push(other.clone());
                }
            }
        }
    }
}

/// The columns of `new` after those of `old`, when `new` starts with every column of `old`
/// (names and types) and has more.
fn appended<'n>(old: &[Column], new: &'n [Column]) -> Option<&'n [Column]> {
    (new.len() > old.len() && new.starts_with(old)).then(|| &new[old.len()..])
}

/// A stand-in for the view `key` as it was created (`state`): a view of the same kind with
/// the same columns (names, types, collations) and no rows. Parsing a view reads nothing else
/// of the views it reads, so a view created on the stand-in is the view created on the real
/// one, and the stand-in needs none of the views the real one reads.
///
/// # Errors
/// A name that is not a valid identifier.
fn stand_in_sql(key: &Key, state: &ViewState) -> Result<String> {
    let columns: Vec<String> = state
        .columns
        .iter()
        .map(|c| Ok(format!("NULL::{} AS {}", c.sql_type, Ident::new(&c.name)?)))
        .collect::<Result<_>>()?;
    let name = qualified(&key.0, &key.1)?;
    let select = format!("SELECT {}", columns.join(", "));
    Ok(if state.materialized {
        format!("CREATE MATERIALIZED VIEW {name} AS {select} WITH NO DATA")
    } else {
        format!("CREATE VIEW {name} AS {select}")
    })
}

/// The queue of views to create and what became of each.
#[derive(Debug)]
pub(crate) struct Scheduler {
    size: usize,
    /// The locks a batch may take, at most (see [`creation_locks`]).
    lock_budget: usize,
    queue: VecDeque<Key>,
    items: BTreeMap<Key, Item>,
    outcomes: BTreeMap<Key, Outcome>,
    /// The order in which views were created (ancestors are created in that order).
    created: BTreeMap<Key, usize>,
    live: BTreeMap<Key, Live>,
    /// Live views the migration drops (in scope, not declared).
    dropped: BTreeSet<Key>,
}

impl Scheduler {
    /// `items` in the order given by `order` (keys missing from it last, in key order),
    /// `size` views per batch at most, and no more than `lock_budget` locks (a batch holds one
    /// view and the ancestors it needs, whatever they take).
    pub(crate) fn new(
        size: usize,
        lock_budget: usize,
        items: BTreeMap<Key, Item>,
        order: &[Key],
        live: BTreeMap<Key, Live>,
        dropped: BTreeSet<Key>,
    ) -> Self {
        let mut items = items;
        mention_reads(&mut items);
        let mut queue: VecDeque<Key> = order
            .iter()
            .filter(|key| items.contains_key(*key))
            .cloned()
            .collect();
        let listed: BTreeSet<&Key> = queue.iter().collect();
        let rest: Vec<Key> = items
            .keys()
            .filter(|key| !listed.contains(key))
            .cloned()
            .collect();
        queue.extend(rest);
        Self {
            size: size.max(1),
            lock_budget,
            queue,
            items,
            outcomes: BTreeMap::new(),
            created: BTreeMap::new(),
            live,
            dropped,
        }
    }

    /// Whether the view `key`, as created, is not what its readers see now: it is new, its
    /// columns differ, it could not be created, or it is dropped.
    fn changes_for_readers(&self, key: &Key) -> bool {
        if self.dropped.contains(key) {
            return true;
        }
        match self.outcomes.get(key) {
            Some(Outcome::Created(state)) => self
                .live
                .get(key)
                .is_none_or(|live| live.columns != state.columns),
            Some(Outcome::Failed(_)) => true,
            Some(Outcome::Kept) | None => false,
        }
    }

    /// The proxy the view `key` is created as, if any.
    pub(crate) fn proxy(&self, key: &Key) -> Option<&Proxy> {
        self.items.get(key).and_then(|i| i.proxy.as_ref())
    }

    /// Whether the view `key`, as created, is not what the view `reader` sees now: it changes
    /// for its readers ([`changes_for_readers`](Self::changes_for_readers)), unless `reader`
    /// names every column it uses and the change is only columns appended that it does not
    /// name (the server would make the same of its text: see [`Item::naming`]).
    fn changes_for(&self, reader: &Key, key: &Key) -> bool {
        if !self.changes_for_readers(key) {
            return false;
        }
        let Some(names) = self.items.get(reader).and_then(|i| i.names.as_ref()) else {
            return true;
        };
        match (self.outcomes.get(key), self.live.get(key)) {
            (Some(Outcome::Created(state)), Some(live)) if !self.dropped.contains(key) => {
                appended(&live.columns, &state.columns)
                    .is_none_or(|new| new.iter().any(|c| names.contains(&c.name)))
            }
            _ => true,
        }
    }

    /// Whether a view that reads `reads` can be created in the batch whose members are
    /// `position`: each of them that is compared has been, or is a member: `Some` of those
    /// members (indices, sorted).
    fn pending_reads(&self, reads: &[Key], position: &BTreeMap<Key, usize>) -> Option<Vec<usize>> {
        let mut members = BTreeSet::new();
        for read in reads {
            if !self.items.contains_key(read) || self.outcomes.contains_key(read) {
                continue;
            }
            members.insert(*position.get(read)?);
        }
        Some(members.into_iter().collect())
    }

    /// The next batch, or `None` when every view has its outcome.
    ///
    /// # Errors
    /// A name from the catalog that is not a valid identifier.
    pub(crate) fn next_batch(&mut self) -> Result<Option<Batch>> {
        let mut members = Vec::new();
        let mut ancestors = BTreeSet::new();
        let mut locks = 0;
        let mut relations = 0;
        let mut conditional_relations = 0;
        let mut waiting = Vec::new();
        let mut conditions: Vec<Vec<usize>> = Vec::new();
        let mut position: BTreeMap<Key, usize> = BTreeMap::new();
        while members.len() < self.size {
            let Some(key) = self.queue.pop_front() else {
                break;
            };
            let item = &self.items[&key];
            let Some(in_batch) = self.pending_reads(&item.reads, &position) else {
                waiting.push(key);
                continue;
            };
            if !item.declared {
                if let Some(read) = item.reads.iter().find(|r| self.dropped.contains(*r)) {
                    let why = format!("it reads {}, which the migration drops", fullname(read));
                    self.outcomes.insert(key, Outcome::Failed(why));
                    continue;
                }
            }
            let mut condition = Vec::new();
            if item.keepable && !item.reads.iter().any(|r| self.changes_for(&key, r)) {
                if in_batch.is_empty() {
                    self.outcomes.insert(key, Outcome::Kept);
                    continue;
                }
                // It reads members of this batch, which may change for their readers: it is
                // created only if one does, which the block tests (a new one always does).
                // Created in the same batch, it needs no stand-in of them.
                if in_batch
                    .iter()
                    .all(|&i| self.live.contains_key(&members[i]))
                {
                    condition = in_batch;
                }
            }
            // What it adds to the batch: itself and the ancestors it needs that are not in yet.
            let needs = self.ancestors_of(std::slice::from_ref(&key));
            let added = needs.iter().filter(|a| !ancestors.contains(*a));
            let more = item.locks() + added.clone().map(|a| self.items[a].locks()).sum::<usize>();
            let made = item.relations + added.map(|a| self.items[a].relations).sum::<usize>();
            let (sure, maybe) = if condition.is_empty() {
                (made, 0)
            } else {
                (0, made)
            };
            if !members.is_empty()
                && (locks + more > self.lock_budget
                    || relations + sure > MAX_NEW_RELATIONS
                    || conditional_relations + maybe > MAX_CONDITIONAL_RELATIONS)
            {
                waiting.push(key);
                break;
            }
            locks += more;
            relations += sure;
            conditional_relations += maybe;
            ancestors.extend(needs);
            position.insert(key.clone(), members.len());
            members.push(key);
            conditions.push(condition);
        }
        for key in waiting.into_iter().rev() {
            self.queue.push_front(key);
        }
        if members.is_empty() {
            // Nothing is ready: what the first view reads is not known to come first (a new
            // view, or a cycle); it is created and checked like any other.
            match self.queue.pop_front() {
                Some(key) => {
                    members.push(key);
                    conditions.push(Vec::new());
                }
                None => return Ok(None),
            }
        }
        let ancestors = self.ancestors(&members);
        let (fast_block, block) = self.blocks(&members, &ancestors, &conditions)?;
        Ok(Some(Batch {
            members,
            ancestors,
            conditions,
            kept: BTreeSet::new(),
            fast_block,
            block,
        }))
    }

    /// The views created before that the members read and that change for their readers, in
    /// the order they were created.
    fn ancestors(&self, members: &[Key]) -> Vec<Key> {
        let in_batch: BTreeSet<&Key> = members.iter().collect();
        let mut ancestors: Vec<Key> = self
            .ancestors_of(members)
            .into_iter()
            .filter(|key| !in_batch.contains(key))
            .collect();
        ancestors.sort_by_key(|key| self.created.get(key).copied().unwrap_or(usize::MAX));
        ancestors
    }

    /// The views created before that `members` read and that change for their readers: each
    /// is created again in the batch as a stand-in with its new columns ([`stand_in_sql`]).
    fn ancestors_of(&self, members: &[Key]) -> BTreeSet<Key> {
        members
            .iter()
            .flat_map(|key| self.items[key].reads.iter())
            .filter(|read| {
                matches!(self.outcomes.get(*read), Some(Outcome::Created(_)))
                    && self.changes_for_readers(read)
            })
            .cloned()
            .collect()
    }

    /// The statements that rename the live version of `key` (if any) away, with its indexes,
    /// whose names the new ones take; and its name renamed away.
    fn renames(&self, key: &Key) -> Result<(Vec<String>, Option<String>)> {
        let Some(live) = self.live.get(key) else {
            return Ok((Vec::new(), None));
        };
        let kind = if live.materialized {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        let away = Ident::new(&format!("pgview_cmp_{}", live.oid))?;
        let mut renames = vec![format!(
            "ALTER {kind} {} RENAME TO {away}",
            qualified(&key.0, &key.1)?
        )];
        for (i, index) in live.indexes.iter().enumerate() {
            let index_away = Ident::new(&format!("pgview_cmp_{}_{i}", live.oid))?;
            renames.push(format!(
                "ALTER INDEX {} RENAME TO {index_away}",
                qualified(&key.0, index)?
            ));
        }
        Ok((renames, Some(qualified(&key.0, away.as_str())?.to_string())))
    }

    /// The blocks of a batch: the live versions of its views renamed away, then the ancestors
    /// and the members created, in order (members whose `conditions` are not met are not
    /// created, nor renamed) or in rounds (every member created: see [`take`](Self::take)).
    fn blocks(
        &self,
        members: &[Key],
        ancestors: &[Key],
        conditions: &[Vec<usize>],
    ) -> Result<(String, String)> {
        let mut creations = Vec::with_capacity(ancestors.len() + members.len());
        for key in ancestors {
            let Some(Outcome::Created(state)) = self.outcomes.get(key) else {
                continue;
            };
            creations.push(Creation {
                key: key.clone(),
                sql: stand_in_sql(key, state)?,
                required: false,
            });
        }
        creations.extend(members.iter().map(|key| Creation {
            key: key.clone(),
            sql: self.items[key].sql.clone(),
            required: true,
        }));
        let first = creations.len() - members.len();
        let probed: BTreeSet<usize> = conditions.iter().flatten().copied().collect();
        // Those read by a member that names every column it uses: the block notes which
        // columns they append.
        let probed_appended: BTreeSet<usize> = conditions
            .iter()
            .zip(members)
            .filter(|(_, key)| self.items[*key].names.is_some())
            .flat_map(|(c, _)| c.iter().copied())
            .collect();
        let mut all_renames = Vec::new();
        let mut prelude = Vec::new();
        let mut guards = vec![Guard::default(); first];
        for key in ancestors {
            let (renames, _) = self.renames(key)?;
            all_renames.extend(renames.iter().cloned());
            prelude.extend(renames);
        }
        for (i, key) in members.iter().enumerate() {
            let (renames, away) = self.renames(key)?;
            all_renames.extend(renames.iter().cloned());
            let mut guard = Guard {
                when_changed: conditions[i].iter().map(|&j| first + j).collect(),
                ..Guard::default()
            };
            if !guard.when_changed.is_empty() {
                guard.names = self.items[key]
                    .names
                    .as_ref()
                    .map(|n| n.iter().cloned().collect());
            }
            if guard.when_changed.is_empty() {
                prelude.extend(renames);
            } else {
                guard.renames = renames;
            }
            if let (true, Some(away)) = (probed.contains(&i), away) {
                guard.probe = Some((qualified(&key.0, &key.1)?.to_string(), away));
                guard.probe_appended = probed_appended.contains(&i);
            }
            guards.push(guard);
        }
        Ok((
            plain_block(&prelude, &creations, &guards),
            normalize_block(&all_renames, None, &creations),
        ))
    }

    /// Takes what a batch did: the failures of its block and the states of the views it
    /// created.
    pub(crate) fn take(
        &mut self,
        batch: &Batch,
        failures: &FailuresRow,
        states: &mut BTreeMap<Key, ViewState>,
    ) {
        let failed: BTreeMap<usize, (&str, bool)> = failures
            .failed_at
            .iter()
            .zip(&failures.failed_messages)
            .filter_map(|(&at, message)| {
                let at = usize::try_from(at).ok()?.checked_sub(1)?;
                let number = i32::try_from(at + 1).ok()?;
                Some((at, (message.as_str(), failures.retry_at.contains(&number))))
            })
            .collect();
        let in_batch: BTreeSet<&Key> = batch.members.iter().chain(&batch.ancestors).collect();
        let others_left = self.queue.len();
        // Members to be created again: so are those that read them in the batch.
        let mut again: BTreeSet<Key> = BTreeSet::new();
        for (i, key) in batch.members.iter().enumerate() {
            let condition = self.condition(batch, i, &again);
            if condition != Condition::AsCreated {
                states.remove(key);
            }
            let outcome = match condition {
                Condition::Kept => Some(Outcome::Kept),
                Condition::Again => None,
                Condition::AsCreated => match states.remove(key) {
                    Some(state) => self.check(key, state, &in_batch, &again),
                    None => match failed.get(&batch.position(i)) {
                        Some((_, true)) if others_left > 0 => None,
                        Some((message, _)) => Some(Outcome::Failed((*message).to_owned())),
                        None => Some(Outcome::Failed("it was not created".to_owned())),
                    },
                },
            };
            let item = self.items.get_mut(key).expect("a member is an item");
            match outcome {
                Some(outcome) => self.finish(key, outcome),
                None if item.attempts < MAX_ATTEMPTS => {
                    item.attempts += 1;
                    again.insert(key.clone());
                    self.queue.push_back(key.clone());
                }
                None => {
                    let message = failed
                        .get(&batch.position(i))
                        .map_or("it was not created", |(m, _)| m);
                    self.finish(key, Outcome::Failed(message.to_owned()));
                }
            }
        }
    }

    /// What the condition of member `i` decides, whatever the block did: kept when none of
    /// the members it depends on changes for its readers (as it would have been, had it
    /// waited for them); created again when one of them is to be created again, or when one
    /// changes but the block did not create it (the block's test of the columns and
    /// [`changes_for_readers`](Self::changes_for_readers) disagree: the latter decides).
    fn condition(&self, batch: &Batch, i: usize, again: &BTreeSet<Key>) -> Condition {
        let inputs = &batch.conditions[i];
        if inputs.is_empty() {
            return Condition::AsCreated;
        }
        let inputs = || inputs.iter().map(|&j| &batch.members[j]);
        if inputs().any(|k| again.contains(k)) {
            return Condition::Again;
        }
        if !inputs().any(|k| self.changes_for(&batch.members[i], k)) {
            return Condition::Kept;
        }
        if batch.kept.contains(&i) {
            Condition::Again
        } else {
            Condition::AsCreated
        }
    }

    /// The outcome of a view that was created, checked against what it reads: `None` when it
    /// must be created again (it was created on a view that changes, or that is not compared
    /// yet).
    fn check(
        &mut self,
        key: &Key,
        state: ViewState,
        in_batch: &BTreeSet<&Key>,
        again: &BTreeSet<Key>,
    ) -> Option<Outcome> {
        for read in &state.reads {
            if again.contains(read) {
                return self.again(key, &state);
            }
            if self.dropped.contains(read) {
                return Some(Outcome::Failed(format!(
                    "it reads {}, which the migration drops",
                    fullname(read)
                )));
            }
            if !self.items.contains_key(read) || in_batch.contains(read) {
                continue;
            }
            match self.outcomes.get(read) {
                Some(Outcome::Failed(why)) => {
                    return Some(Outcome::Failed(format!(
                        "it reads {}, which cannot be created: {why}",
                        fullname(read)
                    )));
                }
                None => return self.again(key, &state),
                Some(Outcome::Created(_)) if self.changes_for_readers(read) => {
                    return self.again(key, &state);
                }
                Some(_) => {}
            }
        }
        Some(Outcome::Created(Box::new(state)))
    }

    /// `None` (create it again, knowing what it reads) while attempts are left; else the state
    /// as created.
    fn again(&mut self, key: &Key, state: &ViewState) -> Option<Outcome> {
        let item = self.items.get_mut(key).expect("a member is an item");
        if item.attempts < MAX_ATTEMPTS {
            item.reads.clone_from(&state.reads);
            None
        } else {
            Some(Outcome::Created(Box::new(state.clone())))
        }
    }

    fn finish(&mut self, key: &Key, outcome: Outcome) {
        if matches!(outcome, Outcome::Created(_)) {
            let next = self.created.len();
            self.created.insert(key.clone(), next);
        }
        self.outcomes.insert(key.clone(), outcome);
    }

    /// Every view's outcome, once [`next_batch`](Self::next_batch) gives `None`.
    pub(crate) fn into_outcomes(self) -> BTreeMap<Key, Outcome> {
        self.outcomes
    }
}
