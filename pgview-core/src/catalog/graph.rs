//! [`DependencyGraph`]: tables, views and materialized views, and which reads which.

use std::collections::{HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Reversed;
use petgraph::Direction as Towards;

use super::order::{dependency_order, DependencyOrder};
use super::relation::Relation;

/// Tables, views and materialized views (the nodes) and the dependencies between them (the
/// edges: a view reads a relation).
///
/// [`get_dependency_graph`](crate::get_dependency_graph) fetches one from the catalog; it can
/// also be built by hand. It is drawn with [`to_dot`](Self::to_dot) (Graphviz) or
/// [`to_mermaid`](Self::to_mermaid), ordered with
/// [`dependency_order`](Self::dependency_order).
///
/// # Examples
/// ```
/// use pgview_core::{DependencyGraph, Relation, RelationKind};
/// let users = Relation::new("public", "users", RelationKind::Table);
/// let summary = Relation::new("public", "user_summary", RelationKind::View);
/// let mut graph = DependencyGraph::new();
/// graph.add_dependency(summary.clone(), users.clone());
/// assert_eq!(graph.reads(&summary), [&users]);
/// assert_eq!(graph.dependency_order().creation_order(), [summary]);
/// assert!(graph.to_mermaid().contains("n1 --> n0"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct DependencyGraph {
    /// Edges go from the relation read to the view reading it: the way data flows, so that a
    /// topological order is a creation order.
    pub(crate) graph: DiGraph<Relation, ()>,
    index: HashMap<(String, String), NodeIndex>,
    /// The edges, to keep each once in constant time (petgraph's `update_edge` walks the edges
    /// of the relation read: quadratic for a table that thousands of views read).
    edges: HashSet<(NodeIndex, NodeIndex)>,
}

impl DependencyGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `relation` (a relation of the same schema and name is only kept once).
    pub fn add_relation(&mut self, relation: Relation) {
        self.node(relation);
    }

    /// Records that `dependent` reads `referenced`, adding both if needed. A relation reading
    /// itself is kept as a cycle of one.
    pub fn add_dependency(&mut self, dependent: Relation, referenced: Relation) {
        let dependent = self.node(dependent);
        let referenced = self.node(referenced);
        if self.edges.insert((referenced, dependent)) {
            self.graph.add_edge(referenced, dependent, ());
        }
    }

    fn node(&mut self, relation: Relation) -> NodeIndex {
        let key = (relation.schema.clone(), relation.name.clone());
        if let Some(&node) = self.index.get(&key) {
            return node;
        }
        let node = self.graph.add_node(relation);
        self.index.insert(key, node);
        node
    }

    /// The node of `relation` (matched by schema and name).
    pub(crate) fn find(&self, relation: &Relation) -> Option<NodeIndex> {
        self.index
            .get(&(relation.schema.clone(), relation.name.clone()))
            .copied()
    }

    /// The number of relations.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// Whether the graph has no relation.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The relations, ordered by schema and name.
    pub fn relations(&self) -> Vec<&Relation> {
        let mut relations: Vec<&Relation> = self.graph.node_weights().collect();
        relations.sort_by(|a, b| a.key().cmp(&b.key()));
        relations
    }

    /// The dependencies as `(dependent, referenced)` pairs, ordered by dependent, then
    /// referenced.
    pub fn dependencies(&self) -> Vec<(&Relation, &Relation)> {
        let mut pairs: Vec<(&Relation, &Relation)> = self
            .graph
            .edge_indices()
            .filter_map(|edge| self.graph.edge_endpoints(edge))
            .map(|(referenced, dependent)| (&self.graph[dependent], &self.graph[referenced]))
            .collect();
        pairs.sort_by(|a, b| (a.0.key(), a.1.key()).cmp(&(b.0.key(), b.1.key())));
        pairs
    }

    /// What `relation` reads directly, ordered by schema and name (empty when it is not in
    /// the graph).
    pub fn reads(&self, relation: &Relation) -> Vec<&Relation> {
        self.neighbors(relation, Towards::Incoming)
    }

    /// The views that read `relation` directly, ordered by schema and name.
    pub fn read_by(&self, relation: &Relation) -> Vec<&Relation> {
        self.neighbors(relation, Towards::Outgoing)
    }

    fn neighbors(&self, relation: &Relation, towards: Towards) -> Vec<&Relation> {
        let Some(node) = self.find(relation) else {
            return Vec::new();
        };
        let mut found: Vec<&Relation> = self
            .graph
            .neighbors_directed(node, towards)
            .map(|n| &self.graph[n])
            .collect();
        found.sort_by(|a, b| a.key().cmp(&b.key()));
        found.dedup_by(|a, b| a.key() == b.key());
        found
    }

    /// The views and materialized views of the graph in creation order (each after everything
    /// it reads); see [`DependencyOrder`].
    pub fn dependency_order(&self) -> DependencyOrder {
        dependency_order(&self.graph, Relation::is_view)
    }

    /// For each relation that `start` reaches by following edges `towards` (itself
    /// excluded), the length of the shortest path.
    pub(crate) fn distances(&self, start: NodeIndex, towards: Towards) -> HashMap<NodeIndex, u32> {
        let distances = match towards {
            Towards::Outgoing => petgraph::algo::dijkstra(&self.graph, start, None, |_| 1_u32),
            Towards::Incoming => {
                petgraph::algo::dijkstra(Reversed(&self.graph), start, None, |_| 1_u32)
            }
        };
        distances
            .into_iter()
            .filter(|&(node, _)| node != start)
            .collect()
    }
}
