//! Catalog introspection: what views exist and how they are defined.
//!
//! Each function is one query definition (a Diesel `sql_query` value) run by a sync function
//! here and an async one in [`crate::aio`].

mod views;

pub(crate) use views::{all_views_query, find_view_query, pick_view, ViewRow};
pub use views::{get_all_views, get_view_definition, RelationName, ViewFilter, ViewInfo};
