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
//! - [`MigrationFolder`]: operations written once as a Diesel migration folder (`up.sql`,
//!   `down.sql`), among them the [`StructOperation`]s built from `#[derive(PgView)]` types.
//! - [`write_migration`]: a [`MigrationPlan`](crate::MigrationPlan) as a Diesel migration
//!   folder (`up.sql`, `down.sql`).
//!
//! # Migrations are frozen
//!
//! Once written, a migration means the same thing forever: migrating an empty database must
//! replay each definition as it was when its migration was written. A [`ViewMigration`] is
//! built by the program each time it starts, so an operation built there from a struct's
//! definition would follow the struct as it is that day (after the struct started reading a
//! column a later migration adds, the old migration fails on an empty database:
//! `column orders.channel does not exist`). Therefore:
//!
//! - [`Operation::create::<V>()`](Operation::create) and [`Operation::drop::<V>()`](Operation::drop)
//!   return a [`StructOperation`], which a [`ViewMigration`] refuses **by type** (it takes
//!   [`RuntimeOperation`]s, which `StructOperation` is not: a compile error that says why);
//! - a [`MigrationFolder`] writes operations, `StructOperation`s included, as `up.sql` and
//!   `down.sql` once; those files are the migration from then on, and an existing folder is
//!   never overwritten.
//!
//! Why folders and not, say, generated Rust: Diesel migrations are folders of SQL that
//! `embed_migrations!` embeds at compile time and `diesel migration run` reads; a written
//! folder is run, reverted, reviewed and edited like any other, by the tools Diesel users
//! already have, and needs nothing from pgview at run time. The runtime [`ViewMigration`]
//! stays for operations whose SQL is stated in the migration's code (names, SQL text,
//! definitions written there) and for [`Operation::with_dependent_views`], which reads the
//! catalog, the truth of the moment it runs, by design. An [`Operation`] built from the
//! definition value of a `#[derive(PgView)]` type (`Operation::create_view(V::definition()?)`)
//! has the flaw of `create::<V>()` but the same type as any other: the derive marks the
//! definitions it makes with their type ([`View::source_type`](crate::View::source_type)), the
//! mark follows into the operation ([`Operation::source_type`]), and a `ViewMigration` refuses
//! to run such an operation, before anything runs, with an error naming the step and the type.
//!
//! (The comparison engine is [`crate::diff`] and the planner [`crate::plan`]; what a view is
//! in the database, and how to restore it, is [`crate::snapshot`].)

mod dependents;
mod folder;
mod operation;
mod source;
mod struct_operation;
#[cfg(feature = "async")]
mod transaction;
mod view_migration;
mod write;

#[cfg(feature = "async")]
pub use dependents::with_dependent_views_async;
pub use dependents::{with_dependent_views, DependentViews};
pub use folder::MigrationFolder;
pub use operation::{MigrationTarget, Operation, OptionChange};
pub use source::{MigrationChain, ViewMigrations};
pub use struct_operation::{FolderOperation, RuntimeOperation, StructOperation};
pub use view_migration::ViewMigration;
pub use write::write_migration;
