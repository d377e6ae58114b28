//! Orders and walks over a set of view states: which views read which, creation order.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::catalog::{DependencyGraph, Relation};
use crate::error::RelationKind;

use super::state::{Key, ViewState};

/// The views of `states` that read each view (its direct dependents).
pub(crate) fn read_by<S: Borrow<ViewState>>(
    states: &BTreeMap<Key, S>,
) -> BTreeMap<&Key, Vec<&Key>> {
    read_by_in(
        states
            .iter()
            .map(|(key, state)| (key, &state.borrow().reads)),
    )
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
pub(crate) fn creation_order<S: Borrow<ViewState>>(states: &BTreeMap<Key, S>) -> Vec<Key> {
    topological(states.iter().map(|(k, s)| (k, &s.borrow().reads)))
}

/// The keys of `states` in a creation order that keeps each view close to the views it reads:
/// once a view is placed, the views reading it that become ready are placed next (depth
/// first), so that a chain of views comes in one run rather than level by level. The batches
/// of a comparison are cut from this order: a view whose changed input is in its own batch
/// needs no stand-in of that input (see `diff/batches.rs`), and with chains in one run most
/// inputs are. Views in a cycle (which a healthy catalog does not have) come last, in
/// [`creation_order`]. Linear in the number of views and reads.
pub(crate) fn batch_order<S: Borrow<ViewState>>(states: &BTreeMap<Key, S>) -> Vec<Key> {
    let base = creation_order(states);
    let rank: BTreeMap<&Key, usize> = base.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let mut waiting: BTreeMap<&Key, usize> = BTreeMap::new();
    let mut readers: BTreeMap<&Key, Vec<&Key>> = BTreeMap::new();
    for (key, state) in states {
        let inputs: BTreeSet<&Key> = state
            .borrow()
            .reads
            .iter()
            .filter(|r| *r != key && states.contains_key(*r))
            .collect();
        waiting.insert(key, inputs.len());
        for input in inputs {
            readers.entry(input).or_default().push(key);
        }
    }
    for list in readers.values_mut() {
        list.sort_by_key(|k| rank[k]);
    }
    // A stack: the first root on top, and a view's readers on top of what was there.
    let mut stack: Vec<&Key> = base.iter().rev().filter(|k| waiting[k] == 0).collect();
    let mut placed = BTreeSet::new();
    let mut order = Vec::with_capacity(base.len());
    while let Some(key) = stack.pop() {
        if !placed.insert(key) {
            continue;
        }
        order.push(key.clone());
        for reader in readers
            .get(key)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .rev()
        {
            let left = waiting.get_mut(reader).expect("every reader is a state");
            *left -= 1;
            if *left == 0 {
                stack.push(reader);
            }
        }
    }
    order.extend(base.iter().filter(|k| !placed.contains(k)).cloned());
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::key;

    fn states(views: &[(&str, &[&str])]) -> BTreeMap<Key, ViewState> {
        views
            .iter()
            .map(|(name, reads)| (key(name), ViewState::view(name, "SELECT 1").reading(reads)))
            .collect()
    }

    fn names(order: &[Key]) -> Vec<&str> {
        order.iter().map(|k| k.1.as_str()).collect()
    }

    #[test]
    fn the_batch_order_keeps_chains_in_one_run() {
        let states = states(&[
            ("s.a1", &[]),
            ("s.b1", &[]),
            ("s.a2", &["s.a1"]),
            ("s.b2", &["s.b1"]),
            ("s.a3", &["s.a2"]),
            ("s.b3", &["s.b2"]),
        ]);
        assert_eq!(names(&creation_order(&states)).len(), 6);
        assert_eq!(
            names(&batch_order(&states)),
            ["a1", "a2", "a3", "b1", "b2", "b3"]
        );
    }

    #[test]
    fn the_batch_order_places_a_view_after_every_view_it_reads() {
        let states = states(&[
            ("s.a", &[]),
            ("s.b", &[]),
            ("s.both", &["s.a", "s.b"]),
            ("s.top", &["s.both", "s.a"]),
            ("s.self", &["s.self"]),
        ]);
        let order = batch_order(&states);
        let at = |name: &str| order.iter().position(|k| k.1 == name).unwrap();
        assert_eq!(order.len(), 5);
        assert!(at("a") < at("both") && at("b") < at("both") && at("both") < at("top"));
    }

    #[test]
    fn views_in_a_cycle_come_last() {
        let states = states(&[("s.x", &["s.y"]), ("s.y", &["s.x"]), ("s.z", &[])]);
        assert_eq!(names(&batch_order(&states))[0], "z");
        assert_eq!(batch_order(&states).len(), 3);
    }
}
