//! The async entry points of refresh, re-exported by [`crate::aio`]: the same plans, statements
//! and scheduling as the sync functions, run with `diesel_async::RunQueryDsl`.

use diesel::pg::Pg;
use diesel_async::{AsyncConnectionCore, RunQueryDsl};

use crate::aio::get_dependency_graph;
use crate::catalog::RelationName;
use crate::error::Result;
use crate::pool::AsyncPool;

use super::auto::install::{
    find_installed, install_scope, installed, installed_query, prepare_install,
    uninstall_all_statement, uninstall_statement, AutoRefreshInfo,
};
use super::plan::RefreshPlan;
use super::report::RefreshReport;
use super::request::Refresh;
use super::run_async;

/// Async [`plan_refresh`](crate::plan_refresh).
///
/// # Errors
/// As the sync form.
pub async fn plan_refresh<C>(conn: &mut C, refresh: &Refresh) -> Result<RefreshPlan>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    run_async::plan(conn, refresh).await
}

/// Refreshes the materialized views of `refresh` in dependency order, in parallel on `pool`
/// (a bb8 or deadpool pool of diesel-async: see [`AsyncPool`]):
/// a view starts as soon as every materialized view it reads (directly or through plain views)
/// is refreshed — not level by level — with at most the pool's `max_size` views at once (or
/// [`Refresh::max_parallel`]), each on its own pooled connection in a transaction of its own.
/// Among ready views, the one with the longest chain of views after it starts first.
///
/// Planning takes one pooled connection (and returns it) for two or three catalog queries,
/// which hold a fixed set of catalog locks whatever the number of views. Each view's refresh
/// commits on its own, releasing its locks: at most `max_parallel` views' locks are held at
/// once.
/// Failures, skipped views, tracing spans and progress events are as in the sync form
/// [`refresh_materialized_views`](crate::refresh_materialized_views).
///
/// # Examples
/// ```no_run
/// # async fn run(pool: diesel_async::pooled_connection::bb8::Pool<diesel_async::AsyncPgConnection>) -> pgview_core::Result<()> {
/// use pgview_core::Refresh;
/// let report = pgview_core::aio::refresh_materialized_views(&pool, &Refresh::all()).await?;
/// println!("{} views in {:?}", report.views().len(), report.elapsed());
/// let report = report.into_result()?;
/// # let _ = report; Ok(()) }
/// ```
///
/// # Errors
/// As the sync form (planning only), and [`Error::Connection`](crate::Error::Connection) when
/// the pool gives no connection to plan with.
pub async fn refresh_materialized_views<P: AsyncPool>(
    pool: &P,
    refresh: &Refresh,
) -> Result<RefreshReport> {
    run_async::refresh_on_pool(pool, refresh).await
}

/// Async [`install_auto_refresh`](crate::install_auto_refresh).
///
/// # Errors
/// As the sync form.
pub async fn install_auto_refresh<C, N>(conn: &mut C, name: &N) -> Result<AutoRefreshInfo>
where
    C: AsyncConnectionCore<Backend = Pg>,
    N: RelationName + ?Sized,
{
    let (name, scope) = install_scope(name)?;
    let graph = get_dependency_graph(conn, &scope).await?;
    let (statement, info) = prepare_install(&name, &graph)?;
    statement.execute(conn).await?;
    Ok(info)
}

/// Async [`uninstall_auto_refresh`](crate::uninstall_auto_refresh).
///
/// # Errors
/// As the sync form.
pub async fn uninstall_auto_refresh<C, N>(conn: &mut C, name: &N) -> Result<bool>
where
    C: AsyncConnectionCore<Backend = Pg>,
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let found = installed(installed_query().load(conn).await?);
    if let Some(info) = find_installed(&found, &name)? {
        uninstall_statement(info)?.execute(conn).await?;
        return Ok(true);
    }
    let (_, scope) = install_scope(&name)?;
    get_dependency_graph(conn, &scope).await?;
    Ok(false)
}

/// Async [`uninstall_all_auto_refresh`](crate::uninstall_all_auto_refresh).
///
/// # Errors
/// As the sync form.
pub async fn uninstall_all_auto_refresh<C>(conn: &mut C) -> Result<usize>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    let count = installed(installed_query().load(conn).await?).len();
    uninstall_all_statement().execute(conn).await?;
    Ok(count)
}

/// Async [`list_auto_refresh`](crate::list_auto_refresh).
///
/// # Errors
/// As the sync form.
pub async fn list_auto_refresh<C>(conn: &mut C) -> Result<Vec<AutoRefreshInfo>>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    Ok(installed(installed_query().load(conn).await?))
}
