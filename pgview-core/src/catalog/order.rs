//! [`DependencyOrder`]: views ordered so that each comes after everything it reads, even when
//! the catalog holds a cycle; `get_dependency_order`.

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use petgraph::algo::{condensation, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::error::Result;

use super::filter::ViewFilter;
use super::name::check_names;
use super::plan::Plan;
use super::relation::Relation;
use super::walk::{walk_query, Direction, Walk, WalkRow};

/// Views in creation order: each after every view it reads, directly or through other views.
/// Reversed, it is the drop order.
///
/// Among views that do not depend on each other the order is deterministic (it depends on the
/// names only, not on object ids).
///
/// # Cycles
/// A healthy catalog has none, but `CREATE OR REPLACE VIEW` can make two views read each other
/// (such views fail when queried). The order still ends: each cycle (a strongly connected group
/// of views) is placed as one block where all it reads is already placed, its members ordered
/// by schema and name, and the group is listed in [`cycles`](Self::cycles). Within such a block
/// the order cannot be right for every member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DependencyOrder {
    creation: Vec<Relation>,
    cycles: Vec<Vec<Relation>>,
}

impl DependencyOrder {
    /// The views in creation order.
    pub fn creation_order(&self) -> &[Relation] {
        &self.creation
    }

    /// The views in drop order (the creation order reversed).
    pub fn drop_order(&self) -> impl DoubleEndedIterator<Item = &Relation> + ExactSizeIterator {
        self.creation.iter().rev()
    }

    /// The cycles found, each ordered by schema and name (empty for a healthy catalog).
    pub fn cycles(&self) -> &[Vec<Relation>] {
        &self.cycles
    }

    /// The views in creation order.
    pub fn into_creation_order(self) -> Vec<Relation> {
        self.creation
    }
}

/// Orders the relations of `graph` (edges from the relation read to the reader) for which
/// `member` holds.
///
/// Strongly connected components are condensed (petgraph's `condensation`), which leaves an
/// acyclic graph that `toposort` orders; nodes are first renumbered by schema and name so that
/// the result does not depend on the order the catalog returned them in.
pub(crate) fn dependency_order(
    graph: &DiGraph<Relation, ()>,
    member: impl Fn(&Relation) -> bool,
) -> DependencyOrder {
    let mut nodes: Vec<NodeIndex> = graph.node_indices().collect();
    nodes.sort_by(|&a, &b| graph[a].key().cmp(&graph[b].key()));
    let mut position = vec![0; graph.node_count()];
    for (i, &node) in nodes.iter().enumerate() {
        position[node.index()] = i;
    }
    let mut edges: Vec<(usize, usize)> = graph
        .edge_indices()
        .filter_map(|e| graph.edge_endpoints(e))
        .map(|(from, to)| (position[from.index()], position[to.index()]))
        .collect();
    edges.sort_unstable();
    edges.dedup();
    let self_loops: Vec<usize> = edges
        .iter()
        .filter(|(from, to)| from == to)
        .map(|&(from, _)| from)
        .collect();

    let mut sorted: DiGraph<usize, ()> = DiGraph::with_capacity(nodes.len(), edges.len());
    for i in 0..nodes.len() {
        sorted.add_node(i);
    }
    for &(from, to) in &edges {
        sorted.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
    }
    let condensed = condensation(sorted, true);
    // `condensation(…, true)` leaves no cycle, so `toposort` succeeds; were it ever to fail,
    // the components' own order still holds every node once.
    let components =
        toposort(&condensed, None).unwrap_or_else(|_| condensed.node_indices().collect());

    let mut order = DependencyOrder::default();
    for component in components {
        let mut members = condensed[component].clone();
        members.sort_unstable();
        let relations = members.iter().map(|&i| &graph[nodes[i]]);
        if members.len() > 1 || self_loops.contains(&members[0]) {
            order.cycles.push(relations.clone().cloned().collect());
        }
        order
            .creation
            .extend(relations.filter(|r| member(r)).cloned());
    }
    order
}

/// The plan of [`get_dependency_order`]: one walk from the selected views down to the base
/// tables (one query).
pub(crate) fn order_plan(filter: &ViewFilter) -> Plan<DependencyOrder, WalkRow> {
    let direction = Direction {
        reads: true,
        read_by: false,
        transitive: true,
    };
    let filter = filter.clone();
    Plan::one(walk_query(&filter, direction), move |rows| {
        let walk = Walk::from_rows(rows);
        if let Some(names) = filter.given_names() {
            check_names(names, &walk.roots)?;
        }
        let roots = &walk.roots;
        Ok(dependency_order(&walk.graph.graph, |r| {
            roots
                .binary_search_by(|root| root.key().cmp(&r.key()))
                .is_ok()
        }))
    })
}

/// The views `filter` selects (all of them by default, or the set given with
/// [`ViewFilter::names`]) in creation order: each after every view it reads, also through
/// views outside the selection. One query, whatever the number of views: a recursive walk of
/// `pg_depend` from the selected views.
///
/// It ends on any catalog data; cycles are reported, see [`DependencyOrder`].
///
/// The async form is [`aio::get_dependency_order`](crate::aio::get_dependency_order).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// use pgview_core::ViewFilter;
/// let order = pgview_core::get_dependency_order(conn, &ViewFilter::new().schema("reporting"))?;
/// for view in order.drop_order() {
///     println!("DROP … {view}");
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// With [`ViewFilter::names`]: [`Error::NotFound`](crate::Error::NotFound),
/// [`Error::Ambiguous`](crate::Error::Ambiguous) or
/// [`Error::WrongKind`](crate::Error::WrongKind) for a name that does not designate exactly
/// one view.
pub fn get_dependency_order<C>(conn: &mut C, filter: &ViewFilter) -> Result<DependencyOrder>
where
    C: LoadConnection<Backend = Pg>,
{
    order_plan(filter).run(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RelationKind;
    use crate::DependencyGraph;

    fn view(name: &str) -> Relation {
        Relation::new("s", name, RelationKind::View)
    }

    fn names(relations: &[Relation]) -> Vec<&str> {
        relations.iter().map(|r| r.name.as_str()).collect()
    }

    /// A graph from `(dependent, referenced)` pairs of view names (`t…` are tables).
    fn graph(edges: &[(&str, &str)]) -> DependencyGraph {
        let relation = |name: &str| {
            let kind = if name.starts_with('t') {
                RelationKind::Table
            } else {
                RelationKind::View
            };
            Relation::new("s", name, kind)
        };
        let mut graph = DependencyGraph::new();
        for &(dependent, referenced) in edges {
            graph.add_dependency(relation(dependent), relation(referenced));
        }
        graph
    }

    #[test]
    fn each_view_after_what_it_reads() {
        // Inserted in an unhelpful order, with a diamond and a table.
        let g = graph(&[
            ("d", "b"),
            ("d", "c"),
            ("b", "a"),
            ("c", "a"),
            ("a", "t1"),
            ("e", "t1"),
        ]);
        let order = g.dependency_order();
        let created = names(order.creation_order());
        assert_eq!(created.len(), 5, "{created:?}");
        let at = |n: &str| created.iter().position(|&x| x == n).unwrap();
        assert!(at("a") < at("b") && at("a") < at("c"));
        assert!(at("b") < at("d") && at("c") < at("d"));
        assert!(order.cycles().is_empty());
        let dropped: Vec<&str> = order.drop_order().map(|r| r.name.as_str()).collect();
        assert_eq!(dropped, created.iter().rev().copied().collect::<Vec<_>>());
    }

    #[test]
    fn the_order_depends_on_names_only() {
        let one = graph(&[("b", "a"), ("c", "a"), ("z", "y")]);
        let two = graph(&[("z", "y"), ("c", "a"), ("b", "a")]);
        assert_eq!(one.dependency_order(), two.dependency_order());
    }

    #[test]
    fn cycles_end_and_are_reported() {
        // a -> b -> c -> a is a cycle; d reads the cycle; the cycle reads t1; e reads itself.
        let mut g = graph(&[
            ("a", "b"),
            ("b", "c"),
            ("c", "a"),
            ("d", "c"),
            ("a", "t1"),
            ("e", "e"),
        ]);
        g.add_relation(view("f"));
        let order = g.dependency_order();
        let created = names(order.creation_order());
        assert_eq!(created.len(), 6, "{created:?}");
        let at = |n: &str| created.iter().position(|&x| x == n).unwrap();
        // The cycle is one block in name order, before what reads it.
        assert_eq!(at("b"), at("a") + 1);
        assert_eq!(at("c"), at("a") + 2);
        assert!(at("c") < at("d"));
        let cycles: Vec<Vec<&str>> = order.cycles().iter().map(|c| names(c)).collect();
        assert_eq!(cycles.len(), 2, "{cycles:?}");
        assert!(cycles.contains(&vec!["a", "b", "c"]));
        assert!(cycles.contains(&vec!["e"]));
    }

    #[test]
    fn only_members_are_listed() {
        let g = graph(&[("c", "b"), ("b", "a"), ("a", "t1")]);
        let order = dependency_order(&g.graph, |r| r.name != "b" && r.is_view());
        assert_eq!(names(order.creation_order()), ["a", "c"]);
    }
}
