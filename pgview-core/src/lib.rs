//! Runtime of [`pgview`](https://docs.rs/pgview): view definitions, identifiers, literal
//! inlining, DDL statements and catalog queries. Implementation detail of `pgview`; use the
//! `pgview` crate.
//!
//! Features (the facade's, see its README): `async` gates everything async (the [`aio`]
//! module, [`AsyncPool`], the `*_async` methods); `bb8` and `deadpool` add the [`AsyncPool`]
//! implementation of their pool and imply `async`.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub mod aio;
mod catalog;
#[doc(hidden)]
pub mod check;
mod ddl;
mod definition;
mod derived;
mod diff;
mod error;
mod ident;
mod inline;
#[doc(hidden)]
pub mod lexer;
mod lock;
mod migration;
mod plan;
#[cfg(feature = "async")]
mod pool;
mod prepared;
mod record;
mod refresh;
mod savepoint;
mod server_error;
mod snapshot;
mod sql_text;
mod verify;
mod view_trait;

pub use catalog::{get_all_view_columns, get_view_columns, ColumnInfo, TypeName, ViewColumns};
pub use catalog::{
    get_all_views, get_dependency_graph, get_dependency_order, get_reverse_dependencies, get_view,
    get_view_definition, get_view_dependencies, get_view_dependencies_transitive, DependencyGraph,
    DependencyOrder, GraphScope, Relation, RelationName, ReverseDependency, ViewColumn,
    ViewDependency, ViewFilter, ViewIndex, ViewInfo, ViewOptions,
};
pub use ddl::{
    CommentOn, CommentTarget, Concurrent, CreateIndex, CreateMaterializedView, CreateView,
    DropKind, DropMaterializedView, DropRelation, DropView, MaterializedViewKind, NoData,
    NotConcurrent, RefreshMaterializedView, RefreshOption, ViewKind, WithData,
};
pub use ddl::{
    Grant, Grantee, Privilege, RenameMaterializedView, RenameRelation, RenameView,
    ResetMaterializedViewOptions, ResetOptions, ResetViewOptions, SetMaterializedViewOptions,
    SetMaterializedViewOwner, SetOptions, SetOwner, SetViewOptions, SetViewOwner,
};
pub use definition::{
    AnyView, CheckOption, ColumnComment, Index, IndexKey, IndexMethod, IndexPart, MaterializedView,
    NullsOrder, StorageParameter, View,
};
pub use diff::{
    diff, diff_with, verify_registered, Change, DiffEntry, DiffOptions, DiffScope, DiffStatus,
    StructMismatch, ViewDiff, ViewSet, DEFAULT_BATCH_SIZE,
};
pub use error::{ConcurrentRefreshPrecondition, Error, QueryValue, RelationKind, Result};
pub use ident::{Ident, QualifiedName, MAX_IDENTIFIER_BYTES};
pub use lock::{DEFAULT_LOCK_WAIT, LOCK_KEY};
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use migration::with_dependent_views_async;
pub use migration::{
    with_dependent_views, write_migration, DependentViews, FolderOperation, MigrationChain,
    MigrationFolder, MigrationTarget, Operation, OptionChange, RuntimeOperation, StructOperation,
    ViewMigration, ViewMigrations,
};
pub use plan::{AllowDrop, MigrationPlan, PlanOptions, Step, StepKind};
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use pool::{AsyncPool, PoolFuture, PooledConnection};
pub use record::{RECORD_SCHEMA, RECORD_TABLE};
pub use refresh::{
    install_auto_refresh, list_auto_refresh, plan_refresh, refresh_after_writes,
    refresh_materialized_views, uninstall_all_auto_refresh, uninstall_auto_refresh,
    AutoRefreshInfo, PlannedView, ProgressFn, Refresh, RefreshEvent, RefreshMode, RefreshPlan,
    RefreshPolicy, RefreshReport, RefreshStatus, ViewRefresh, ViewTimeouts, AUTO_REFRESH_CHANNEL,
    AUTO_REFRESH_SCHEMA,
};
pub use snapshot::Source;
pub use verify::{ColumnMismatch, FieldColumn};
pub use view_trait::{Definition, PgView, Refreshable};

/// The table type `as_table()` returns: a `diesel_dynamic_schema` table whose columns are
/// named at run time.
pub type DynamicTable = diesel_dynamic_schema::Table<String, String>;

/// Re-exports for the code `#[derive(PgView)]` generates. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::check;
    pub use crate::ddl::{CommentOn, RefreshMaterializedView};
    // The generated code names these through `__private` (not the facade's modules), so that
    // where the facade shows them can change without touching the derive.
    pub use crate::definition::{CheckOption, Index, IndexPart};
    pub use crate::derived::{comments_declared, in_derived_view, refresh_declared};
    pub use crate::diff::{definition_of, verify_of, Registration};
    pub use crate::error::RelationKind;
    pub use crate::ident::QualifiedName;
    pub use crate::verify::FieldColumn;
    pub use diesel;
    pub use inventory;
    pub use std::sync::OnceLock;
}
