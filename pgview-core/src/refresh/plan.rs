//! [`RefreshPlan`]: the materialized views of a refresh in dependency order, how each is
//! refreshed and which it waits for.
//!
//! Planning is a fixed sequence shared by the sync and async executors, which only run its
//! queries: [`graph_scopes`] (one or two dependency walks), [`select`] (the materialized views
//! of the refresh and the edges between them, through plain views), [`Selected::facts_query`]
//! (their population and usable unique index: one query, `sql/refreshable.sql`, that takes no
//! lock) and [`Selected::finish`].

use std::collections::{BTreeSet, HashMap, HashSet};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction as Towards;

use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};

use crate::catalog::{DependencyGraph, GraphScope, Relation, ViewFilter};
use crate::error::{ConcurrentRefreshPrecondition, Error, RelationKind, Result};
use crate::ident::QualifiedName;
use crate::prepared::Prepared;

use super::concurrency::{choose_mode, refreshable_query, Refreshable};
use super::report::RefreshMode;
use super::request::{Refresh, Selection, ViewTimeouts};

/// The materialized views of a refresh in dependency order (each after every materialized
/// view of the plan it reads, also through plain views), with how each will be refreshed.
///
/// Made by [`plan_refresh`](crate::plan_refresh); the executors make the same plan before
/// they run it.
#[derive(Debug, Clone, Default)]
pub struct RefreshPlan {
    pub(crate) views: Vec<PlannedView>,
    cycles: Vec<Vec<Relation>>,
}

/// One materialized view of a [`RefreshPlan`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlannedView {
    /// The view.
    pub view: Relation,
    /// How it will be refreshed.
    pub mode: RefreshMode,
    /// Under [`RefreshPolicy::RequireConcurrent`](crate::RefreshPolicy::RequireConcurrent):
    /// the precondition it lacks. Such a view fails without anything being sent for it.
    pub refused: Option<ConcurrentRefreshPrecondition>,
    /// Its timeouts.
    pub timeouts: ViewTimeouts,
    /// The views of the plan it waits for: those it reads directly or through plain views.
    pub after: Vec<Relation>,
    /// Positions in the plan of the views of `after`.
    pub(crate) waits_for: Vec<usize>,
    /// The number of views on the longest chain from it to the end of the plan (itself
    /// included): the scheduler starts the highest first.
    pub(crate) height: u32,
}

impl RefreshPlan {
    /// The views in dependency order.
    pub fn views(&self) -> &[PlannedView] {
        &self.views
    }

    /// The number of views.
    pub fn len(&self) -> usize {
        self.views.len()
    }

    /// Whether the plan has no view.
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// Groups of materialized views that read each other through plain views (only possible
    /// after `CREATE OR REPLACE VIEW` made a view read one of its readers). Each group is
    /// refreshed one view after the other, in name order.
    pub fn cycles(&self) -> &[Vec<Relation>] {
        &self.cycles
    }
}

/// The dependency walk a refresh needs (one query): for given names, the walk from them
/// (which also checks the names as every catalog function does): what they read,
/// transitively, and with `downstream` what reads them, transitively (every path between two
/// views to refresh is in it); for every view, the walk of the whole database. None when
/// there is nothing to refresh.
pub(crate) fn graph_scope(refresh: &Refresh) -> Result<Option<GraphScope>> {
    Ok(match &refresh.selection {
        Selection::All => Some(GraphScope::database()),
        Selection::Views { names, .. } if names.is_empty() => None,
        Selection::Views {
            names, downstream, ..
        } => {
            let filter = ViewFilter::new().names(names)?;
            Some(if *downstream {
                GraphScope::neighbourhood(filter)
            } else {
                GraphScope::views(filter)
            })
        }
    })
}

/// The materialized views selected, in a graph of their own whose edges go from the view
/// read to its reader.
#[derive(Debug)]
pub(crate) struct Selected {
    graph: DiGraph<Relation, ()>,
}

/// Whether `name` designates `relation`.
fn designates(name: &QualifiedName, relation: &Relation) -> bool {
    name.name().as_str() == relation.name
        && name.schema().is_none_or(|s| s.as_str() == relation.schema)
}

/// The materialized views reachable from `start` going `towards` through plain views only
/// (`Incoming`: what it reads; `Outgoing`: what reads it). `start` itself is left out.
fn materialized_neighbours(
    graph: &DiGraph<Relation, ()>,
    start: NodeIndex,
    towards: Towards,
) -> Vec<NodeIndex> {
    let mut found = Vec::new();
    let mut seen = HashSet::from([start]);
    let mut stack: Vec<NodeIndex> = graph.neighbors_directed(start, towards).collect();
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        match graph[node].kind {
            RelationKind::MaterializedView => found.push(node),
            RelationKind::View => stack.extend(graph.neighbors_directed(node, towards)),
            _ => {}
        }
    }
    found
}

/// Every materialized view reachable from `seeds` going `towards` (through plain and
/// materialized views), entering only the views `within` holds when given.
fn closure(
    graph: &DiGraph<Relation, ()>,
    seeds: &[NodeIndex],
    towards: Towards,
    within: Option<&HashSet<NodeIndex>>,
) -> HashSet<NodeIndex> {
    let mut found = HashSet::new();
    let mut stack: Vec<NodeIndex> = seeds.to_vec();
    while let Some(node) = stack.pop() {
        for next in materialized_neighbours(graph, node, towards) {
            if within.is_some_and(|w| !w.contains(&next)) {
                continue;
            }
            if found.insert(next) {
                stack.push(next);
            }
        }
    }
    found
}

/// The node `name` designates among the views of `graph` (the names were checked by the
/// catalog: each designates one relation of the database).
fn find_view(graph: &DiGraph<Relation, ()>, name: &QualifiedName) -> Result<NodeIndex> {
    graph
        .node_indices()
        .find(|&n| graph[n].is_view() && designates(name, &graph[n]))
        .ok_or_else(|| Error::NotFound {
            kind: RelationKind::MaterializedView,
            name: name.fullname(),
        })
}

/// The materialized views of the refresh and the edges between them.
///
/// # Errors
/// [`Error::WrongKind`] for a plain view named without `upstream` or `downstream`.
pub(crate) fn select(refresh: &Refresh, graph: Option<DependencyGraph>) -> Result<Selected> {
    let Some(whole) = graph else {
        return Ok(Selected {
            graph: DiGraph::new(),
        });
    };
    let graph = &whole.graph;
    let members: HashSet<NodeIndex> = match &refresh.selection {
        Selection::All => graph
            .node_indices()
            .filter(|&n| graph[n].kind == RelationKind::MaterializedView)
            .collect(),
        Selection::Views {
            names,
            upstream,
            downstream,
            within,
        } => {
            let roots = names
                .iter()
                .map(|name| find_view(graph, name))
                .collect::<Result<Vec<_>>>()?;
            let mut members = HashSet::new();
            for &root in &roots {
                let relation = &graph[root];
                if relation.kind == RelationKind::MaterializedView {
                    members.insert(root);
                } else if !upstream && !downstream {
                    return Err(Error::WrongKind {
                        name: relation.fullname(),
                        expected: RelationKind::MaterializedView,
                        actual: relation.kind,
                    });
                }
            }
            if *upstream {
                members.extend(closure(graph, &roots, Towards::Incoming, None));
            }
            if *downstream {
                // (Names looked up by their last part: linear in the views and the names.)
                let within: Option<HashSet<NodeIndex>> = within.as_ref().map(|names| {
                    let mut by_name: HashMap<&str, Vec<&QualifiedName>> = HashMap::new();
                    for name in names {
                        by_name.entry(name.name().as_str()).or_default().push(name);
                    }
                    graph
                        .node_indices()
                        .filter(|&n| {
                            by_name.get(graph[n].name.as_str()).is_some_and(|names| {
                                names.iter().any(|name| designates(name, &graph[n]))
                            })
                        })
                        .collect()
                });
                members.extend(closure(graph, &roots, Towards::Outgoing, within.as_ref()));
            }
            members
        }
    };
    // The selected views, renumbered in name order so that everything after is deterministic.
    let mut ordered: Vec<NodeIndex> = members.into_iter().collect();
    ordered.sort_by(|&a, &b| graph[a].key().cmp(&graph[b].key()));
    let position: HashMap<NodeIndex, usize> =
        ordered.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut selected = DiGraph::with_capacity(ordered.len(), ordered.len());
    for &node in &ordered {
        selected.add_node(graph[node].clone());
    }
    for (i, &node) in ordered.iter().enumerate() {
        for read in materialized_neighbours(graph, node, Towards::Incoming) {
            if let Some(&j) = position.get(&read) {
                selected.update_edge(NodeIndex::new(j), NodeIndex::new(i), ());
            }
        }
    }
    Ok(Selected { graph: selected })
}

impl Selected {
    /// The query of the selected views' population and usable unique index, or `None` when
    /// nothing is selected.
    pub(crate) fn facts_query(&self) -> Option<Prepared<BoxedSqlQuery<'static, Pg, SqlQuery>>> {
        (self.graph.node_count() > 0).then(|| refreshable_query(self.graph.node_weights()))
    }

    /// The plan: modes from the catalog's `facts`, timeouts, dependency order.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a view dropped since it was selected, [`Error::Ambiguous`] for
    /// an unqualified timeout override that designates several views.
    pub(crate) fn finish(self, refresh: &Refresh, facts: &[Refreshable]) -> Result<RefreshPlan> {
        let (graph, cycles) = break_cycles(self.graph);
        let order = topological_order(&graph);
        let mut position = vec![0; order.len()];
        for (i, node) in order.iter().enumerate() {
            position[node.index()] = i;
        }
        let by_name: HashMap<(&str, &str), &Refreshable> = facts
            .iter()
            .map(|f| ((f.schema.as_str(), f.name.as_str()), f))
            .collect();
        let mut views = Vec::with_capacity(order.len());
        for &node in &order {
            let view = graph[node].clone();
            let found = by_name.get(&view.key()).ok_or_else(|| Error::NotFound {
                kind: RelationKind::MaterializedView,
                name: view.fullname(),
            })?;
            let (mode, refused) = choose_mode(refresh.policy, found.blocker());
            let mut waits_for: Vec<usize> = graph
                .neighbors_directed(node, Towards::Incoming)
                .map(|n| position[n.index()])
                .collect();
            waits_for.sort_unstable();
            waits_for.dedup();
            views.push(PlannedView {
                timeouts: timeouts_of(refresh, &view),
                after: waits_for.iter().map(|&i| graph[order[i]].clone()).collect(),
                view,
                mode,
                refused,
                waits_for,
                height: 1,
            });
        }
        for i in (0..views.len()).rev() {
            let height = views[i].height;
            for j in views[i].waits_for.clone() {
                views[j].height = views[j].height.max(height + 1);
            }
        }
        let plan = RefreshPlan { views, cycles };
        check_overrides(refresh, &plan)?;
        Ok(plan)
    }
}

/// The timeouts of `view`: the refresh's, under the overrides that designate it.
fn timeouts_of(refresh: &Refresh, view: &Relation) -> ViewTimeouts {
    let mut timeouts = refresh.timeouts;
    for (name, over) in &refresh.overrides {
        if designates(name, view) {
            timeouts = timeouts.overridden_by(*over);
        }
    }
    timeouts
}

/// Checks the overrides against the views of a plan: an unqualified name must not designate
/// several.
fn check_overrides(refresh: &Refresh, plan: &RefreshPlan) -> Result<()> {
    for (name, _) in &refresh.overrides {
        let mut candidates: Vec<String> = plan
            .views
            .iter()
            .filter(|v| designates(name, &v.view))
            .map(|v| v.view.fullname())
            .collect();
        if candidates.len() > 1 {
            candidates.sort();
            return Err(Error::Ambiguous {
                name: name.fullname(),
                candidates,
            });
        }
    }
    Ok(())
}

/// Turns each group of views that read each other into a chain in name order, so that the
/// graph has no cycle; returns the groups.
fn break_cycles(mut graph: DiGraph<Relation, ()>) -> (DiGraph<Relation, ()>, Vec<Vec<Relation>>) {
    let mut cycles = Vec::new();
    for mut component in tarjan_scc(&graph) {
        if component.len() < 2 {
            continue;
        }
        component.sort_by(|&a, &b| graph[a].key().cmp(&graph[b].key()));
        for &from in &component {
            for &to in &component {
                while let Some(edge) = graph.find_edge(from, to) {
                    graph.remove_edge(edge);
                }
            }
        }
        for pair in component.windows(2) {
            graph.update_edge(pair[0], pair[1], ());
        }
        cycles.push(component.iter().map(|&n| graph[n].clone()).collect());
    }
    (graph, cycles)
}

/// Kahn's algorithm, taking the ready view first in name order (node indices are in name
/// order): deterministic, and each view after those it reads.
fn topological_order(graph: &DiGraph<Relation, ()>) -> Vec<NodeIndex> {
    let mut waiting: Vec<usize> = graph
        .node_indices()
        .map(|n| graph.neighbors_directed(n, Towards::Incoming).count())
        .collect();
    let mut ready: BTreeSet<NodeIndex> = graph
        .node_indices()
        .filter(|n| waiting[n.index()] == 0)
        .collect();
    let mut order = Vec::with_capacity(graph.node_count());
    while let Some(node) = ready.pop_first() {
        order.push(node);
        for next in graph.neighbors_directed(node, Towards::Outgoing) {
            waiting[next.index()] -= 1;
            if waiting[next.index()] == 0 {
                ready.insert(next);
            }
        }
    }
    order
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn rel(name: &str) -> Relation {
        let kind = match name.chars().next() {
            Some('t') => RelationKind::Table,
            Some('v') => RelationKind::View,
            _ => RelationKind::MaterializedView,
        };
        Relation::new("s", name, kind)
    }

    /// A graph from `(reader, read)` pairs: `t…` tables, `v…` views, others materialized.
    fn graph(edges: &[(&str, &str)]) -> DependencyGraph {
        let mut graph = DependencyGraph::new();
        for &(reader, read) in edges {
            graph.add_dependency(rel(reader), rel(read));
        }
        graph
    }

    pub(crate) fn facts(name: &str, unique_index: bool) -> Refreshable {
        Refreshable {
            schema: "s".into(),
            name: name.into(),
            is_populated: true,
            has_unique_index: unique_index,
        }
    }

    fn plan(refresh: &Refresh, g: DependencyGraph) -> Result<RefreshPlan> {
        let selected = select(refresh, Some(g))?;
        let facts: Vec<Refreshable> = selected
            .graph
            .node_weights()
            .map(|r| facts(&r.name, r.name != "b"))
            .collect();
        selected.finish(refresh, &facts)
    }

    fn names(plan: &RefreshPlan) -> Vec<&str> {
        plan.views().iter().map(|v| v.view.name.as_str()).collect()
    }

    /// a reads t1; v1 reads a; b and c read v1; d reads b and c; e reads t2.
    fn example() -> DependencyGraph {
        graph(&[
            ("a", "t1"),
            ("v1", "a"),
            ("b", "v1"),
            ("c", "v1"),
            ("d", "b"),
            ("d", "c"),
            ("e", "t2"),
        ])
    }

    #[test]
    fn all_in_order_through_plain_views() {
        let plan = plan(&Refresh::all(), example()).unwrap();
        assert_eq!(names(&plan), ["a", "b", "c", "d", "e"]);
        let after = |n: &str| -> Vec<String> {
            let view = plan.views().iter().find(|v| v.view.name == n).unwrap();
            view.after.iter().map(|r| r.name.clone()).collect()
        };
        assert_eq!(after("b"), ["a"]);
        assert_eq!(after("d"), ["b", "c"]);
        assert!(after("e").is_empty());
        let height = |n: &str| {
            plan.views()
                .iter()
                .find(|v| v.view.name == n)
                .unwrap()
                .height
        };
        assert_eq!(
            (height("a"), height("b"), height("d"), height("e")),
            (3, 2, 1, 1)
        );
        // b has no unique index: plain under the default policy.
        let mode = |n: &str| plan.views().iter().find(|v| v.view.name == n).unwrap().mode;
        assert_eq!(mode("b"), RefreshMode::Plain);
        assert_eq!(mode("a"), RefreshMode::Concurrent);
    }

    #[test]
    fn upstream_and_downstream() {
        let up = Refresh::views(["d"]).unwrap().upstream(true);
        assert_eq!(names(&plan(&up, example()).unwrap()), ["a", "b", "c", "d"]);
        let down = Refresh::views(["b"]).unwrap().downstream(true);
        assert_eq!(names(&plan(&down, example()).unwrap()), ["b", "d"]);
        let both = Refresh::views(["b"])
            .unwrap()
            .upstream(true)
            .downstream(true);
        assert_eq!(names(&plan(&both, example()).unwrap()), ["a", "b", "d"]);
        let from_view = Refresh::views(["v1"]).unwrap().downstream(true);
        assert_eq!(
            names(&plan(&from_view, example()).unwrap()),
            ["b", "c", "d"]
        );
        let only = Refresh::views(["d", "a"]).unwrap();
        assert_eq!(names(&plan(&only, example()).unwrap()), ["a", "d"]);
        let within = Refresh::all().reselect(Selection::Views {
            names: vec![QualifiedName::parse("a").unwrap()],
            upstream: false,
            downstream: true,
            within: Some(vec![
                QualifiedName::parse("s.b").unwrap(),
                QualifiedName::parse("s.d").unwrap(),
            ]),
        });
        assert_eq!(names(&plan(&within, example()).unwrap()), ["a", "b", "d"]);
    }

    #[test]
    fn plain_view_named_alone_is_refused() {
        let error = plan(&Refresh::views(["v1"]).unwrap(), example()).unwrap_err();
        assert!(
            matches!(
                error,
                Error::WrongKind {
                    expected: RelationKind::MaterializedView,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn required_concurrency_is_refused_per_view() {
        let refresh = Refresh::all().policy(super::super::RefreshPolicy::RequireConcurrent);
        let plan = plan(&refresh, example()).unwrap();
        let b = plan.views().iter().find(|v| v.view.name == "b").unwrap();
        assert_eq!(
            b.refused,
            Some(ConcurrentRefreshPrecondition::MissingUniqueIndex)
        );
        assert_eq!(b.mode, RefreshMode::Concurrent);
    }

    #[test]
    fn cycles_become_chains() {
        // x and y read each other through views.
        let g = graph(&[
            ("vx", "x"),
            ("y", "vx"),
            ("vy", "y"),
            ("x", "vy"),
            ("z", "y"),
        ]);
        let plan = plan(&Refresh::all(), g).unwrap();
        assert_eq!(names(&plan), ["x", "y", "z"]);
        assert_eq!(plan.cycles().len(), 1);
    }

    #[test]
    fn timeouts_overrides() {
        use std::time::Duration;
        let refresh = Refresh::all()
            .lock_timeout(Duration::from_secs(1))
            .timeouts_for("d", ViewTimeouts::new().lock(Duration::from_secs(9)))
            .unwrap();
        let plan = plan(&refresh, example()).unwrap();
        let lock = |n: &str| {
            let view = plan.views().iter().find(|v| v.view.name == n).unwrap();
            view.timeouts.lock_timeout()
        };
        assert_eq!(lock("a"), Some(Duration::from_secs(1)));
        assert_eq!(lock("d"), Some(Duration::from_secs(9)));
    }
}
