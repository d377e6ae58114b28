//! Catalog introspection: what views exist, how they are defined, what they read and what
//! reads them, in which order they can be created, and a picture of it all.
//!
//! Every function is a plan ([`plan`]) of Diesel `sql_query` values (SQL in `sql/`, composed
//! from a shared selection) and one function combining their rows; the sync function here and
//! the async one in [`crate::aio`] both run that plan, so the SQL and the logic are written
//! once.
//!
//! Locks: every relation a transaction opens stays locked until it ends, in a lock table the
//! whole server shares (`max_locks_per_transaction` × (`max_connections` +
//! `max_prepared_transactions`) slots, about 6,400 by default). Every query here reads catalog
//! tables only and locks a fixed set of catalog relations, never a view, except the one printing
//! definitions (`pg_get_viewdef` locks each view it prints and every relation its query names):
//! it runs in chunks that lock at most `max_locks_per_transaction` relations each (a single view
//! naming more is a chunk of its own), each chunk's locks released before the next (see
//! [`plan`]). At any time a call holds at most one chunk's locks and about 25 catalog tables and
//! indexes, however many views there are, also inside the caller's transaction.
//!
//! | function | round trips (inside a transaction) | locks held at any time |
//! | --- | --- | --- |
//! | `get_all_views` | 1 + 1 per chunk of views (1 + 3 per chunk) | one chunk + catalog |
//! | `get_view`, `get_view_definition` | 2 (4) | the view + catalog |
//! | `get_view_columns`, `get_all_view_columns` | 1 | catalog |
//! | `get_view_dependencies`, `get_view_dependencies_transitive`, `get_reverse_dependencies` | 1 | catalog |
//! | `get_dependency_order`, `get_dependency_graph` | 1 | catalog |

mod columns;
mod dependencies;
mod filter;
mod graph;
mod info;
mod name;
mod nullability;
mod order;
pub(crate) mod plan;
mod relation;
mod render;
mod scope;
mod views;
mod walk;

#[cfg(feature = "async")]
pub(crate) use columns::all_columns_plan;
pub use columns::{get_all_view_columns, get_view_columns, ColumnInfo, TypeName, ViewColumns};
pub(crate) use columns::{view_columns_plan, ColumnsRow};
#[cfg(feature = "async")]
pub(crate) use dependencies::dependencies_plan;
pub(crate) use dependencies::reverse_plan;
pub use dependencies::{
    get_reverse_dependencies, get_view_dependencies, get_view_dependencies_transitive,
    ReverseDependency, ViewDependency,
};
pub use filter::ViewFilter;
pub use graph::DependencyGraph;
pub use info::{ViewColumn, ViewIndex, ViewInfo, ViewOptions};
pub use name::RelationName;
#[cfg(feature = "async")]
pub(crate) use order::order_plan;
pub use order::{get_dependency_order, DependencyOrder};
pub use relation::Relation;
#[cfg(feature = "async")]
pub(crate) use scope::graph_plan;
pub use scope::{get_dependency_graph, GraphScope};
#[cfg(feature = "async")]
pub(crate) use views::{all_views_plan, definition_plan, view_plan};
pub use views::{get_all_views, get_view, get_view_definition};
