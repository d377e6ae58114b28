//! View operations in Diesel migrations, and changes to tables with their dependent views out
//! of the way.
//!
//! - [`Operation`]: one reversible step (create, replace, drop, refresh, rename, set options,
//!   comment, raw SQL), rendered to SQL when built, with its reverse.
//! - [`ViewMigration`]: a `diesel::migration::Migration<Pg>` made of operations, named and
//!   ordered like diesel's migration folders, run in one transaction.
//! - [`ViewMigrations`] and [`MigrationChain`]: `MigrationSource<Pg>`s, so that
//!   `conn.run_pending_migrations(views.chain(EMBEDDED))` runs the table migrations of
//!   `embed_migrations!` and the view migrations in version order.
//! - [`DependentViews`] and [`with_dependent_views`]: capture the views that depend on a
//!   relation, drop them, change the relation, restore them, all in one transaction.
//!
//! - [`write_migration`]: a [`MigrationPlan`](crate::MigrationPlan) as a Diesel migration
//!   folder (`up.sql`, `down.sql`).
//!
//! (The comparison engine is [`crate::diff`] and the planner [`crate::plan`]; what a view is
//! in the database, and how to restore it, is [`crate::snapshot`].)

mod dependents;
mod operation;
mod source;
mod transaction;
mod view_migration;
mod write;

pub use dependents::{with_dependent_views, with_dependent_views_async, DependentViews};
pub use operation::{MigrationTarget, Operation, OptionChange};
pub use source::{MigrationChain, ViewMigrations};
pub use view_migration::ViewMigration;
pub use write::write_migration;
