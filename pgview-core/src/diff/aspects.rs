//! What differs between two states of a view ([`compare`]), and which views moved to another
//! schema ([`find_moves`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::error::RelationKind;
use crate::snapshot::{effective_options, Key, ViewState};

use super::result::{Change, DiffEntry, DiffStatus, Target};

/// Views moved to another schema: a created view and a dropped one of the same name and kind
/// whose queries (as the server prints them, names qualified) and columns are the same, each
/// the only candidate of the other. Keyed by the new place, giving the old one.
pub(super) fn find_moves(
    live: &BTreeMap<Key, Arc<ViewState>>,
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

/// What differs between the live state `before` and the declared state `after`.
/// `same_definition`: the fixpoint block found the two texts to be one definition.
pub(super) fn compare(before: &ViewState, after: &ViewState, same_definition: bool) -> Vec<Change> {
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
