//! Catalog introspection: what views exist, how they are defined, what they read and what
//! reads them, in which order they can be created, and a picture of it all.
//!
//! Every function is a [`plan::Plan`] of one or two Diesel `sql_query` values (SQL in `sql/`,
//! composed from a shared selection) and one function combining their rows; the sync function
//! here and the async one in [`crate::aio`] both run that plan, so the SQL and the logic are
//! written once and the number of round trips is fixed, whatever the number of views.
//!
//! | function | queries |
//! | --- | --- |
//! | `get_all_views`, `get_view` | 2 (views, indexes) |
//! | `get_view_definition` | 1 |
//! | `get_view_dependencies`, `get_view_dependencies_transitive`, `get_reverse_dependencies` | 1 |
//! | `get_dependency_order`, `get_dependency_graph` | 1 |

mod dependencies;
mod filter;
mod graph;
mod info;
mod name;
mod order;
pub(crate) mod plan;
mod relation;
mod render;
mod scope;
mod views;
mod walk;

pub(crate) use dependencies::{dependencies_plan, reverse_plan};
pub use dependencies::{
    get_reverse_dependencies, get_view_dependencies, get_view_dependencies_transitive,
    ReverseDependency, ViewDependency,
};
pub use filter::ViewFilter;
pub use graph::DependencyGraph;
pub use info::{ViewColumn, ViewIndex, ViewInfo, ViewOptions};
pub use name::RelationName;
pub(crate) use order::order_plan;
pub use order::{get_dependency_order, DependencyOrder};
pub use relation::Relation;
pub(crate) use scope::graph_plan;
pub use scope::{get_dependency_graph, GraphScope};
pub(crate) use views::{all_views_plan, definition_plan, view_plan};
pub use views::{get_all_views, get_view, get_view_definition};
