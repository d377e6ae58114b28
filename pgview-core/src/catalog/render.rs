//! Pictures of a [`DependencyGraph`]: Graphviz DOT (through petgraph's `Dot`) and Mermaid.
//!
//! Both list the relations ordered by schema and name and the edges in that order too, so the
//! text of a picture only changes when the graph does. Arrows go the way data flows: from the
//! relation read to the view that reads it. Shapes tell the kinds apart: a box for a table, a
//! rounded box (ellipse in DOT) for a view, a cylinder for a materialized view (it stores
//! data), a hexagon for a foreign table.

use std::fmt::Write;

use petgraph::dot::{Config, Dot, RankDir};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::error::RelationKind;

use super::graph::DependencyGraph;
use super::relation::Relation;

impl DependencyGraph {
    /// The graph in Graphviz DOT (`dot -Tsvg`), left to right. Labels are `schema.name`,
    /// escaped (quotes, backslashes and line breaks in names are safe).
    ///
    /// # Examples
    /// ```
    /// use pgview_core::{DependencyGraph, Relation, RelationKind};
    /// let mut graph = DependencyGraph::new();
    /// graph.add_dependency(
    ///     Relation::new("public", "say \"hi\"", RelationKind::View),
    ///     Relation::new("public", "users", RelationKind::Table),
    /// );
    /// assert_eq!(graph.to_dot(), "digraph {\n    rankdir=\"LR\"\n    \
    ///     0 [ label = \"public.say \\\"hi\\\"\" shape=\"ellipse\"]\n    \
    ///     1 [ label = \"public.users\" shape=\"box\"]\n    \
    ///     1 -> 0 [ ]\n}\n");
    /// ```
    pub fn to_dot(&self) -> String {
        let sorted = self.sorted();
        let config = [Config::EdgeNoLabel, Config::RankDir(RankDir::LR)];
        let node_attributes = |_, (_, relation): (NodeIndex, &&Relation)| {
            let shape = match relation.kind {
                RelationKind::Table => "box",
                RelationKind::View => "ellipse",
                RelationKind::MaterializedView => "cylinder",
                _ => "hexagon",
            };
            format!("shape=\"{shape}\"")
        };
        let dot = Dot::with_attr_getters(&sorted, &config, &|_, _| String::new(), &node_attributes);
        format!("{dot}")
    }

    /// The graph as a Mermaid flowchart (GitHub renders it in a ` ```mermaid ` block), left to
    /// right. Labels are `schema.name` with every character that Mermaid could read as syntax
    /// written as an entity (`#34;` for `"`).
    ///
    /// # Examples
    /// ```
    /// use pgview_core::{DependencyGraph, Relation, RelationKind};
    /// let mut graph = DependencyGraph::new();
    /// graph.add_dependency(
    ///     Relation::new("public", "revenue", RelationKind::MaterializedView),
    ///     Relation::new("public", "orders", RelationKind::Table),
    /// );
    /// assert_eq!(
    ///     graph.to_mermaid(),
    ///     "flowchart LR\n    n0[\"public.orders\"]\n    n1[(\"public.revenue\")]\n    n0 --> n1\n"
    /// );
    /// ```
    pub fn to_mermaid(&self) -> String {
        let sorted = self.sorted();
        let mut out = String::from("flowchart LR\n");
        for node in sorted.node_indices() {
            let relation = sorted[node];
            let label = mermaid_text(&relation.fullname());
            let (open, close) = match relation.kind {
                RelationKind::Table => ("[", "]"),
                RelationKind::View => ("(", ")"),
                RelationKind::MaterializedView => ("[(", ")]"),
                _ => ("{{", "}}"),
            };
            let _ = writeln!(out, "    n{}{open}\"{label}\"{close}", node.index());
        }
        for edge in sorted.edge_indices() {
            if let Some((from, to)) = sorted.edge_endpoints(edge) {
                let _ = writeln!(out, "    n{} --> n{}", from.index(), to.index());
            }
        }
        out
    }

    /// The graph with nodes ordered by schema and name and edges by their ends.
    /// Edge weights are empty labels (`Dot` wants displayable weights; it is told to omit them).
    fn sorted(&self) -> DiGraph<&Relation, &'static str> {
        let graph = &self.graph;
        let mut nodes: Vec<NodeIndex> = graph.node_indices().collect();
        nodes.sort_by(|&a, &b| graph[a].key().cmp(&graph[b].key()));
        let mut position = vec![NodeIndex::new(0); graph.node_count()];
        let mut sorted = DiGraph::with_capacity(nodes.len(), graph.edge_count());
        for &node in &nodes {
            position[node.index()] = sorted.add_node(&graph[node]);
        }
        let mut edges: Vec<(NodeIndex, NodeIndex)> = graph
            .edge_indices()
            .filter_map(|e| graph.edge_endpoints(e))
            .map(|(from, to)| (position[from.index()], position[to.index()]))
            .collect();
        edges.sort_unstable();
        for (from, to) in edges {
            sorted.add_edge(from, to, "");
        }
        sorted
    }
}

/// `text` for a quoted Mermaid label: letters, digits, space, `_`, `.` and `-` as they are,
/// anything else as a decimal entity (`#35;`), which Mermaid decodes. Quotes, brackets, `#`,
/// `;`, `<`, `>`, backticks, `%` and line breaks therefore cannot end the label, start markup
/// or a comment.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() || matches!(c, ' ' | '_' | '.' | '-') {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile() -> DependencyGraph {
        let mut graph = DependencyGraph::new();
        graph.add_dependency(
            Relation::new(
                "we\"ird",
                "x\"]; DROP\n--> %% `b` <i>#35;",
                RelationKind::View,
            ),
            Relation::new("s", "back\\slash {{t}}", RelationKind::Table),
        );
        graph
    }

    #[test]
    fn mermaid_labels_cannot_break_out() {
        let text = hostile().to_mermaid();
        assert_eq!(
            text,
            "flowchart LR\n    n0[\"s.back#92;slash #123;#123;t#125;#125;\"]\n    \
             n1(\"we#34;ird.x#34;#93;#59; DROP#10;--#62; #37;#37; #96;b#96; \
             #60;i#62;#35;35#59;\")\n    n0 --> n1\n"
        );
        // One line per node and edge: nothing in a label starts a new statement.
        assert_eq!(text.lines().count(), 4);
    }

    #[test]
    fn dot_labels_are_escaped() {
        let text = hostile().to_dot();
        assert!(
            text.contains(r#"label = "s.back\\slash {{t}}" shape="box""#),
            "{text}"
        );
        assert!(
            text.contains(r#"label = "we\"ird.x\"]; DROP\l--> %% `b` <i>#35;" shape="ellipse""#),
            "{text}"
        );
        assert!(text.contains("0 -> 1 [ ]"), "{text}");
    }

    #[test]
    fn pictures_do_not_depend_on_insertion_order() {
        let relation = |name: &str| Relation::new("s", name, RelationKind::View);
        let mut one = DependencyGraph::new();
        one.add_dependency(relation("b"), relation("a"));
        one.add_dependency(relation("c"), relation("a"));
        let mut two = DependencyGraph::new();
        two.add_dependency(relation("c"), relation("a"));
        two.add_dependency(relation("b"), relation("a"));
        assert_eq!(one.to_mermaid(), two.to_mermaid());
        assert_eq!(one.to_dot(), two.to_dot());
    }
}
