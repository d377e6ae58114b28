//! The catalog functions on async connections (`diesel_async::AsyncPgConnection`, bb8 pooled
//! connections, …): the same plans as the sync functions (same queries, same number of round
//! trips, same post-processing, same lock bound), run with `diesel_async::RunQueryDsl`.
//!
//! `get_all_views`, `get_view` and `get_view_definition` take an [`AsyncConnection`] (not only
//! an `AsyncConnectionCore`): they read the definitions in chunks, and inside a transaction
//! each chunk runs in a savepoint rolled back to release its locks, which needs the
//! connection's transaction manager.
//!
//! Statements need no async variant: every statement runs with `diesel_async::RunQueryDsl`
//! directly.

use diesel::pg::Pg;
use diesel_async::{AsyncConnection, AsyncConnectionCore};

use crate::catalog::{all_columns_plan, view_columns_plan, ViewColumns};
use crate::catalog::{
    all_views_plan, definition_plan, dependencies_plan, graph_plan, order_plan, reverse_plan,
    view_plan,
};
use crate::catalog::{
    DependencyGraph, DependencyOrder, GraphScope, RelationName, ReverseDependency, ViewDependency,
    ViewFilter, ViewInfo,
};
use crate::diff::{DiffOptions, DiffScope, ViewDiff, ViewSet};
use crate::error::Result;

/// Async [`with_dependent_views`](crate::with_dependent_views), under its `aio` name.
pub use crate::migration::with_dependent_views_async as with_dependent_views;
pub use crate::refresh::aio::{
    install_auto_refresh, list_auto_refresh, plan_refresh, refresh_materialized_views,
    uninstall_all_auto_refresh, uninstall_auto_refresh,
};
pub use crate::refresh::{AutoRefreshHandle, AutoRefresher, RefresherState, RefresherStatus};

/// Async [`get_all_views`](crate::get_all_views).
///
/// # Errors
/// As the sync form.
pub async fn get_all_views<C>(conn: &mut C, filter: &ViewFilter) -> Result<Vec<ViewInfo>>
where
    C: AsyncConnection<Backend = Pg>,
{
    all_views_plan(filter).run_async(conn).await
}

/// Async [`get_view`](crate::get_view).
///
/// # Errors
/// As the sync form.
pub async fn get_view<C, N>(conn: &mut C, name: &N) -> Result<ViewInfo>
where
    C: AsyncConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    view_plan(name)?.run_async(conn).await
}

/// Async [`get_view_definition`](crate::get_view_definition).
///
/// # Errors
/// As the sync form: [`Error::NotFound`](crate::Error::NotFound),
/// [`Error::Ambiguous`](crate::Error::Ambiguous) or [`Error::WrongKind`](crate::Error::WrongKind).
pub async fn get_view_definition<C, N>(conn: &mut C, name: &N) -> Result<String>
where
    C: AsyncConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    definition_plan(name)?.run_async(conn).await
}

/// Async [`get_view_columns`](crate::get_view_columns).
///
/// # Errors
/// As the sync form.
pub async fn get_view_columns<C, N>(conn: &mut C, name: &N) -> Result<ViewColumns>
where
    C: AsyncConnectionCore<Backend = Pg>,
    N: RelationName + ?Sized,
{
    view_columns_plan(name)?.run_async(conn).await
}

/// Async [`get_all_view_columns`](crate::get_all_view_columns).
///
/// # Errors
/// As the sync form.
pub async fn get_all_view_columns<C>(conn: &mut C, filter: &ViewFilter) -> Result<Vec<ViewColumns>>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    all_columns_plan(filter).run_async(conn).await
}

/// Async [`PgView::verify`](crate::PgView::verify): `pgview::aio::verify::<UserStats, _>(conn)`.
///
/// # Errors
/// As the sync form.
pub async fn verify<V, C>(conn: &mut C) -> Result<()>
where
    V: crate::PgView,
    C: AsyncConnectionCore<Backend = Pg>,
{
    crate::verify::verify_plan::<V>()?.run_async(conn).await
}

/// Async [`get_view_dependencies`](crate::get_view_dependencies).
///
/// # Errors
/// As the sync form.
pub async fn get_view_dependencies<C, N>(conn: &mut C, name: &N) -> Result<Vec<ViewDependency>>
where
    C: AsyncConnectionCore<Backend = Pg>,
    N: RelationName + ?Sized,
{
    dependencies_plan(name, false)?.run_async(conn).await
}

/// Async [`get_view_dependencies_transitive`](crate::get_view_dependencies_transitive).
///
/// # Errors
/// As the sync form.
pub async fn get_view_dependencies_transitive<C, N>(
    conn: &mut C,
    name: &N,
) -> Result<Vec<ViewDependency>>
where
    C: AsyncConnectionCore<Backend = Pg>,
    N: RelationName + ?Sized,
{
    dependencies_plan(name, true)?.run_async(conn).await
}

/// Async [`get_reverse_dependencies`](crate::get_reverse_dependencies).
///
/// # Errors
/// As the sync form.
pub async fn get_reverse_dependencies<C, N>(
    conn: &mut C,
    name: &N,
) -> Result<Vec<ReverseDependency>>
where
    C: AsyncConnectionCore<Backend = Pg>,
    N: RelationName + ?Sized,
{
    reverse_plan(name)?.run_async(conn).await
}

/// Async [`get_dependency_order`](crate::get_dependency_order).
///
/// # Errors
/// As the sync form.
pub async fn get_dependency_order<C>(conn: &mut C, filter: &ViewFilter) -> Result<DependencyOrder>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    order_plan(filter).run_async(conn).await
}

/// Async [`get_dependency_graph`](crate::get_dependency_graph).
///
/// # Errors
/// As the sync form.
pub async fn get_dependency_graph<C>(conn: &mut C, scope: &GraphScope) -> Result<DependencyGraph>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    graph_plan(scope).run_async(conn).await
}

/// Async [`diff`](crate::diff): the same queries in the same order, inside a transaction (a
/// savepoint when one is open) that is rolled back.
///
/// # Errors
/// As the sync form.
pub async fn diff<C>(conn: &mut C, declared: &ViewSet, scope: &DiffScope) -> Result<ViewDiff>
where
    C: diesel_async::AsyncConnection<Backend = Pg>,
{
    diff_with(conn, declared, &DiffOptions::new().scope(scope.clone())).await
}

/// Async [`diff_with`](crate::diff_with).
///
/// # Errors
/// As the sync form.
pub async fn diff_with<C>(
    conn: &mut C,
    declared: &ViewSet,
    options: &DiffOptions,
) -> Result<ViewDiff>
where
    C: diesel_async::AsyncConnection<Backend = Pg>,
{
    crate::diff::diff_async(conn, declared, options).await
}
