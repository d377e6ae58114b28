//! View migrations: compare the views an application declares with a database, and plan the
//! change as explicit SQL.
//!
//! - [`ViewSet`]: the declared views ([`AnyView`]: plain or materialized), from derived structs
//!   or built at run time.
//! - [`diff`] (and [`aio::diff`](crate::aio::diff)): creates the declared views inside a
//!   rolled-back transaction so that the server normalises them, reads them back with the live
//!   views in a fixed number of queries, and compares each aspect separately ([`ViewDiff`]).
//!   [`DiffScope`] says which views of the database are compared.
//! - [`ViewDiff::plan`]: a [`MigrationPlan`] of [`Step`]s (replace, alter options, comment,
//!   index, drop, create, rebuild of dependents from their declared or catalog definition,
//!   side-by-side swap of a materialized view) with its down migration.
//! - [`write_migration`]: the plan as `migrations/<version>_<name>/{up,down}.sql`.
//!
//! (The operations that run inside Diesel migrations are in `migration`.)

mod blueprint;
mod compare;
mod diff;
mod normalize;
mod plan;
mod scope;
mod set;
mod sql;
mod state;
mod write;

pub use blueprint::Source;
pub use diff::{diff, Change, DiffEntry, DiffStatus, ViewDiff};
pub use plan::{MigrationPlan, PlanOptions, Step, StepKind};
pub use scope::DiffScope;
pub use set::{AnyView, ViewSet};
pub use write::write_migration;

pub(crate) use diff::diff_async;
