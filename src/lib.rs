#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use pgview_core::aio;
pub use pgview_core::{Definition, PgView, Refreshable};

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use pgview_core::with_dependent_views_async;
pub use pgview_core::{
    diff, diff_with, verify_registered, write_migration, AllowDrop, AnyView, Change, DiffEntry,
    DiffOptions, DiffScope, DiffStatus, MigrationPlan, PlanOptions, Source, Step, StepKind,
    StructMismatch, ViewDiff, ViewSet, DEFAULT_BATCH_SIZE, DEFAULT_LOCK_WAIT, LOCK_KEY,
    RECORD_SCHEMA, RECORD_TABLE,
};
pub use pgview_core::{
    get_all_view_columns, get_view_columns, ColumnInfo, ColumnMismatch, FieldColumn, TypeName,
    ViewColumns,
};
pub use pgview_core::{
    get_all_views, get_dependency_graph, get_dependency_order, get_reverse_dependencies, get_view,
    get_view_definition, get_view_dependencies, get_view_dependencies_transitive, DependencyGraph,
    DependencyOrder, GraphScope, Relation, ReverseDependency, ViewColumn, ViewDependency,
    ViewIndex, ViewOptions,
};
pub use pgview_core::{
    install_auto_refresh, list_auto_refresh, plan_refresh, refresh_after_writes,
    refresh_materialized_views, uninstall_all_auto_refresh, uninstall_auto_refresh,
    AutoRefreshInfo, PlannedView, ProgressFn, Refresh, RefreshEvent, RefreshMode, RefreshPlan,
    RefreshPolicy, RefreshReport, RefreshStatus, ViewRefresh, ViewTimeouts, AUTO_REFRESH_CHANNEL,
    AUTO_REFRESH_SCHEMA,
};
pub use pgview_core::{
    with_dependent_views, DependentViews, FolderOperation, MigrationChain, MigrationFolder,
    MigrationTarget, Operation, OptionChange, RuntimeOperation, StructOperation, ViewMigration,
    ViewMigrations,
};
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use pgview_core::{AsyncPool, PoolFuture, PooledConnection};
pub use pgview_core::{
    CheckOption, ColumnComment, CommentOn, CommentTarget, Concurrent,
    ConcurrentRefreshPrecondition, CreateIndex, CreateMaterializedView, CreateView, DropKind,
    DropMaterializedView, DropRelation, DropView, DynamicTable, Error, Ident, Index, IndexKey,
    IndexMethod, IndexPart, MaterializedView, MaterializedViewKind, NoData, NotConcurrent,
    NullsOrder, QualifiedName, RefreshMaterializedView, RefreshOption, RelationKind, RelationName,
    Result, StorageParameter, View, ViewFilter, ViewInfo, ViewKind, WithData, MAX_IDENTIFIER_BYTES,
};
pub use pgview_core::{
    Grant, Grantee, Privilege, RenameMaterializedView, RenameRelation, RenameView,
    ResetMaterializedViewOptions, ResetOptions, ResetViewOptions, SetMaterializedViewOptions,
    SetMaterializedViewOwner, SetOptions, SetOwner, SetViewOptions, SetViewOwner,
};
#[doc = include_str!("derive.md")]
pub use pgview_macros::PgView;

/// The `pgview` command line as a library entry (feature `cli`): an application mounts it on
/// its derived views in a three-line binary,
/// `fn main() { pgview::cli::main(pgview::ViewSet::registered()) }` (see the README).
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
