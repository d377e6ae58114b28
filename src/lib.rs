#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The API by area, as diesel and sqlx lay theirs out (decisions of 0.2; CHANGELOG has the table
// of old and new paths):
// - The root holds what every user names: the derive and trait `PgView` with the traits its
//   methods are bounded by (`Definition`, `Refreshable`), the two definitions `View` and
//   `MaterializedView` with the table type `View::as_table` returns (`DynamicTable`), `Error`
//   and `Result`. Everything else is in one module by area, under its 0.1 name.
// - Each item has one path (the prelude aside): no convenience copies at the root, so that the
//   docs, the compiler's messages and users' imports agree on where an item lives.
// - The building blocks of definitions (`Index`, `CheckOption`, …) and names (`Ident`,
//   `QualifiedName`, `RelationName`) are in `ddl` with the statements they render into;
//   `AnyView` (what a `ViewSet` holds) in `diff`; the migration plan, its steps and the lock
//   and record constants in `migration`; the column introspection and `verify`'s types in
//   `catalog`; `RelationKind` (a catalog relation's kind) in `catalog`;
//   `ConcurrentRefreshPrecondition` in `refresh`.
// - `aio` has the async twin of every function that talks to the database, under the sync
//   name, and the pool trait; `aio::with_dependent_views` replaces `with_dependent_views_async`.
// - The prelude is what a program declaring views needs in scope: the `PgView` trait (for
//   `UserStats::create()`) and derive, `View`, `MaterializedView`, `Index`. Not `Error` or
//   `Result` (a glob import of `Result` would shadow the standard one) and not `Refreshable`
//   or `Definition`: `V::refresh()` and `PgView` bounds need neither in scope.

pub use pgview_core::{
    Definition, DynamicTable, Error, MaterializedView, PgView, QueryValue, Refreshable, Result,
    View,
};
#[doc = include_str!("derive.md")]
pub use pgview_macros::PgView;

/// What a program declaring views needs in scope: `use pgview::prelude::*;`.
///
/// The [`PgView`] trait (its methods, `UserStats::create()`) and derive, [`View`],
/// [`MaterializedView`] and [`Index`](crate::ddl::Index).
///
/// # Examples
/// ```
/// use pgview::prelude::*;
///
/// #[derive(PgView)]
/// #[pgview(name = "order_totals", materialized, sql = "SELECT 1 AS id")]
/// #[pgview(unique_index(id))]
/// struct OrderTotals {
///     id: i32,
/// }
///
/// # fn main() -> pgview::Result<()> {
/// let created = OrderTotals::create()?; // a `PgView` method
/// let at_run_time = MaterializedView::from_sql("totals", "SELECT 1 AS id")?
///     .index(Index::unique(["id"])?)?;
/// let plain = View::from_sql("ids", "SELECT id FROM totals")?;
/// # let _ = (created, at_run_time, plain); Ok(()) }
/// ```
pub mod prelude {
    pub use pgview_core::{Index, MaterializedView, PgView, View};
    pub use pgview_macros::PgView;
}

/// Statements and the parts of definitions: every DDL statement pgview sends, as a Diesel
/// query fragment run with `execute` on sync and async connections alike, the indexes and
/// options of definitions, and names.
///
/// The statements of a [`View`] or [`MaterializedView`] come from its methods (`create()`,
/// `drop()`, `refresh()`, …); the types here are what those return, and the statements on a
/// name alone ([`DropView::new`](crate::ddl::DropView::new),
/// [`RenameView`](crate::ddl::RenameView), …).
pub mod ddl {
    pub use pgview_core::{CheckOption, ColumnComment, StorageParameter};
    pub use pgview_core::{
        CommentOn, CommentTarget, Concurrent, CreateIndex, CreateMaterializedView, CreateView,
        DropKind, DropMaterializedView, DropRelation, DropView, MaterializedViewKind, NoData,
        NotConcurrent, RefreshMaterializedView, RefreshOption, ViewKind, WithData,
    };
    pub use pgview_core::{
        Grant, Grantee, Privilege, RenameMaterializedView, RenameRelation, RenameView,
        ResetMaterializedViewOptions, ResetOptions, ResetViewOptions, SetMaterializedViewOptions,
        SetMaterializedViewOwner, SetOptions, SetOwner, SetViewOptions, SetViewOwner,
    };
    pub use pgview_core::{Ident, QualifiedName, RelationName, MAX_IDENTIFIER_BYTES};
    pub use pgview_core::{Index, IndexKey, IndexMethod, IndexPart, NullsOrder};
}

/// What the database holds: views and their definitions, columns, indexes and options;
/// dependencies, creation order and graphs; a derived struct checked against its view.
///
/// On a sync connection here, on an async one in [`aio`] under the same names.
pub mod catalog {
    pub use pgview_core::{
        get_all_view_columns, get_view_columns, ColumnInfo, ColumnMismatch, FieldColumn, TypeName,
        ViewColumns,
    };
    pub use pgview_core::{
        get_all_views, get_dependency_graph, get_dependency_order, get_reverse_dependencies,
        get_view, get_view_definition, get_view_dependencies, get_view_dependencies_transitive,
        DependencyGraph, DependencyOrder, GraphScope, Relation, RelationKind, ReverseDependency,
        ViewColumn, ViewDependency, ViewFilter, ViewIndex, ViewInfo, ViewOptions,
    };
}

/// The program's declared views compared with a database: [`ViewSet`](diff::ViewSet) (every
/// `#[derive(PgView)]` of the program with `ViewSet::registered()`), [`diff`](diff::diff) and
/// its options, the [`ViewDiff`](diff::ViewDiff) whose `plan()` gives a
/// [`MigrationPlan`](crate::migration::MigrationPlan), and the derived structs checked against
/// the views.
///
/// On a sync connection here, on an async one in [`aio`] under the same names.
pub mod diff {
    pub use pgview_core::{
        diff, diff_with, verify_registered, AnyView, Change, DiffEntry, DiffOptions, DiffScope,
        DiffStatus, StructMismatch, ViewDiff, ViewSet, DEFAULT_BATCH_SIZE,
    };
}

/// Migrations: a [`MigrationPlan`](migration::MigrationPlan) written as Diesel migration files
/// ([`write_migration`](migration::write_migration)) or run as a Diesel migration
/// ([`ViewMigration`](migration::ViewMigration)), view [`Operation`](migration::Operation)s in
/// hand-written migrations, table changes with their dependent views dropped and restored
/// ([`with_dependent_views`](migration::with_dependent_views)); the lock and the ownership
/// record they share with `diff`.
pub mod migration {
    pub use pgview_core::{
        with_dependent_views, write_migration, DependentViews, FolderOperation, MigrationChain,
        MigrationFolder, MigrationTarget, Operation, OptionChange, RuntimeOperation,
        StructOperation, ViewMigration, ViewMigrations,
    };
    pub use pgview_core::{AllowDrop, MigrationPlan, PlanOptions, Source, Step, StepKind};
    pub use pgview_core::{DEFAULT_LOCK_WAIT, LOCK_KEY, RECORD_SCHEMA, RECORD_TABLE};
}

/// Refreshing materialized views: in dependency order on a connection
/// ([`refresh_materialized_views`](refresh::refresh_materialized_views)), its plan and report,
/// and automatic refresh on data change (the triggers; the refresher that listens is
/// [`aio::AutoRefresher`]).
///
/// Parallel refresh on a pool is [`aio::refresh_materialized_views`].
pub mod refresh {
    pub use pgview_core::{
        install_auto_refresh, list_auto_refresh, plan_refresh, refresh_after_writes,
        refresh_materialized_views, uninstall_all_auto_refresh, uninstall_auto_refresh,
        AutoRefreshInfo, ConcurrentRefreshPrecondition, PlannedView, ProgressFn, Refresh,
        RefreshEvent, RefreshMode, RefreshPlan, RefreshPolicy, RefreshReport, RefreshStatus,
        ViewRefresh, ViewTimeouts, AUTO_REFRESH_CHANNEL, AUTO_REFRESH_SCHEMA,
    };
}

/// The async API (feature `async`): every function that talks to the database, on diesel-async
/// connections (`AsyncPgConnection`, pooled connections), under its sync name and with the same
/// queries; parallel refresh and the [`AutoRefresher`](aio::AutoRefresher) on an
/// [`AsyncPool`](aio::AsyncPool) (bb8 with feature `bb8`, deadpool with `deadpool`).
///
/// Statements need no async form: they run with `diesel_async::RunQueryDsl` directly.
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub mod aio {
    pub use pgview_core::aio::with_dependent_views;
    pub use pgview_core::aio::{
        diff, diff_with, get_all_view_columns, get_all_views, get_dependency_graph,
        get_dependency_order, get_reverse_dependencies, get_view, get_view_columns,
        get_view_definition, get_view_dependencies, get_view_dependencies_transitive, verify,
    };
    pub use pgview_core::aio::{
        install_auto_refresh, list_auto_refresh, plan_refresh, refresh_materialized_views,
        uninstall_all_auto_refresh, uninstall_auto_refresh, AutoRefreshHandle, AutoRefresher,
        RefresherState, RefresherStatus,
    };
    pub use pgview_core::{AsyncPool, PoolFuture, PooledConnection};
}

/// The `pgview` command line as a library entry (feature `cli`): an application mounts it on
/// its derived views in a three-line binary,
/// `fn main() { pgview::cli::main(pgview::diff::ViewSet::registered()) }` (see the README).
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub use pgview_cli as cli;

/// pgview's SQL lexer, for the `pgview` command (its `.sql` files). Not public API.
#[doc(hidden)]
pub use pgview_core::lexer;

/// Re-exports for the code `#[derive(PgView)]` generates. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use pgview_core::__private::*;
}
