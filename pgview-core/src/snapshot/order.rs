//! Orders and walks over a set of view states: which views read which, creation order.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::catalog::{DependencyGraph, Relation};
use crate::error::RelationKind;

use super::state::{Key, ViewState};

/// The views of `states` that read each view (its direct dependents).
pub(crate) fn read_by(states: &BTreeMap<Key, ViewState>) -> BTreeMap<&Key, Vec<&Key>> {
    read_by_in(states.iter().map(|(key, state)| (key, &state.reads)))
}

/// The views of `views` (each with what it reads) that read each view.
pub(crate) fn read_by_in<'a>(
    views: impl Iterator<Item = (&'a Key, &'a Vec<Key>)>,
) -> BTreeMap<&'a Key, Vec<&'a Key>> {
    let mut read_by: BTreeMap<&Key, Vec<&Key>> = BTreeMap::new();
    for (key, reads) in views {
        for read in reads {
            read_by.entry(read).or_default().push(key);
        }
    }
    read_by
}

/// Every view that reads one of `roots` in the graph `read_by`, transitively.
pub(crate) fn dependents_in(
    read_by: &BTreeMap<&Key, Vec<&Key>>,
    roots: &BTreeSet<Key>,
) -> BTreeSet<Key> {
    let mut found = BTreeSet::new();
    let mut queue: VecDeque<&Key> = roots.iter().collect();
    while let Some(key) = queue.pop_front() {
        for &dependent in read_by.get(key).map(Vec::as_slice).unwrap_or_default() {
            if found.insert(dependent.clone()) {
                queue.push_back(dependent);
            }
        }
    }
    found
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

/// The keys of `states` in creation order.
pub(crate) fn creation_order(states: &BTreeMap<Key, ViewState>) -> Vec<Key> {
    topological(states.iter().map(|(k, s)| (k, &s.reads)))
}
