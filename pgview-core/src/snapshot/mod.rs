//! What a view is in the database, and how to create it again: the one place that captures
//! views from the catalog and restores them.
//!
//! - [`ViewState`] (`state.rs`): definition, columns, options, comments, indexes, owner,
//!   privileges, triggers, rules, column defaults, what it reads, what else depends on it;
//!   read by one query, `sql/state.sql` ([`Selection`]), always with an empty `search_path`
//!   so that every name in it is schema-qualified.
//! - [`Blueprint`] (`blueprint.rs`): the statements that create a view of a state again (from
//!   its declared definition or from the catalog), with everything it had.
//! - `order.rs`: creation order and dependents over a set of states.
//!
//! Used by the comparison engine (`diff`), the planner (`plan`) and the migration helpers
//! (`migration`: `DependentViews`, `with_dependent_views`).

mod blueprint;
mod fingerprint;
#[cfg(test)]
pub(crate) mod fixtures;
mod order;
mod query;
mod state;

pub use blueprint::Source;
pub(crate) use blueprint::{
    catalog_definition, drop_index_sql, drop_sql, normalization_sql, proxy_fits,
    proxy_normalization_sql, proxy_token, qualified, temporary_name, Blueprint, Proxy,
};
pub(crate) use fingerprint::{DEFINED_COMPONENTS, DEPENDENTS, FINGERPRINT, STAMP};
pub(crate) use order::{
    batch_order, creation_order, dependents_in, read_by, read_by_in, topological,
};
pub(crate) use query::{
    states_query, states_query_with, SelectRow, Selected, Selection, StateQuery,
};
pub(crate) use state::{
    effective_options, fullname, split_option, states, Column, Key, StateRow, ViewState,
};
