//! The sync executor: plans with the catalog functions, then refreshes one view at a time on
//! one connection.

use std::time::Instant;

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::RunQueryDsl;

use crate::catalog::get_dependency_graph;
use crate::error::{Error, Result};

use super::job::{Attempt, Before, Job};
use super::plan::{graph_scope, select, RefreshPlan};
use super::report::RefreshReport;
use super::request::Refresh;
use super::schedule::Run;

/// What `refresh` would do: its materialized views in dependency order, how each would be
/// refreshed, and which it waits for. Two catalog queries, whatever the number of views: one
/// dependency walk (as [`get_dependency_graph`](crate::get_dependency_graph)) from the views
/// named (upstream, and downstream when asked: the walk covers their neighbourhood, not the
/// whole database), or of the whole database for every view,
/// then one query for each view's population and unique indexes, which reads catalog tables
/// only (it waits for no lock, not even behind a running plain refresh).
///
/// Bounded locks: none of these queries opens a view, so planning holds a fixed set of catalog
/// locks (about 20), whatever the number of views, also inside the caller's transaction.
///
/// The async form is [`aio::plan_refresh`](crate::aio::plan_refresh).
///
/// # Errors
/// [`Error::NotFound`], [`Error::Ambiguous`] or [`Error::WrongKind`] for a name of
/// [`Refresh::views`] that does not designate exactly one view (or names a plain view without
/// `upstream` or `downstream`); [`Error::Ambiguous`] for an unqualified name given to
/// [`Refresh::timeouts_for`] that designates several views of the refresh.
pub fn plan_refresh<C>(conn: &mut C, refresh: &Refresh) -> Result<RefreshPlan>
where
    C: LoadConnection<Backend = Pg>,
{
    let graph = match graph_scope(refresh)? {
        Some(scope) => Some(get_dependency_graph(conn, &scope)?),
        None => None,
    };
    let selected = select(refresh, graph)?;
    let facts = match selected.facts_query() {
        Some(query) => query.load(conn)?,
        None => Vec::new(),
    };
    selected.finish(refresh, &facts)
}

/// Refreshes the materialized views of `refresh` in dependency order, one after the other on
/// `conn`, each in a transaction of its own (with its timeouts set inside it).
///
/// A view that fails (its transaction is rolled back) skips the views that read it; every
/// other view is refreshed. The report says what happened to each;
/// [`RefreshReport::into_result`] turns failures into an error. Each view is a `tracing` span
/// (`refresh_materialized_view`, with its duration and rows) inside one span for the run, and
/// the progress callback is called as views start and finish.
///
/// On a connection already inside a transaction, each view's transaction is a savepoint, and
/// the refreshes commit with the enclosing transaction (the timeouts are put back after each
/// view, so they do not outlive its savepoint).
///
/// Locks: planning holds a fixed set of catalog locks (see [`plan_refresh`]). A refresh locks
/// its view, the view's indexes and new heap, and what its query reads, until its transaction
/// ends: without an enclosing transaction each view's transaction commits before the next
/// starts, so the run holds the locks of one view at a time, however many views it refreshes.
/// Inside an enclosing transaction the refreshes keep their locks until that transaction ends
/// (about 6 lock-table entries per view refreshed plainly, 16 concurrently, on PostgreSQL 15):
/// refresh many views outside a transaction, or raise `max_locks_per_transaction`
/// ([`Error::OutOfLocks`] says when the lock table is full).
///
/// The async form, which refreshes independent views in parallel on a pool, is
/// [`aio::refresh_materialized_views`](crate::aio::refresh_materialized_views).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// use pgview_core::{Refresh, RefreshPolicy};
/// let report = pgview_core::refresh_materialized_views(
///     conn,
///     &Refresh::views(["reporting.revenue"])?.downstream(true).policy(RefreshPolicy::RequireConcurrent),
/// )?;
/// for view in report.views() {
///     println!("{view}");
/// }
/// let report = report.into_result()?; // Error::RefreshFailed when a view failed
/// # let _ = report; Ok(()) }
/// ```
///
/// # Errors
/// Only for planning, as [`plan_refresh`]: the failures of views are in the report.
pub fn refresh_materialized_views<C>(conn: &mut C, refresh: &Refresh) -> Result<RefreshReport>
where
    C: LoadConnection<Backend = Pg>,
{
    let plan = plan_refresh(conn, refresh)?;
    let mut run = Run::new(&plan, refresh);
    let span = run.span().clone();
    let _run = span.enter();
    while let Some(job) = run.next_job() {
        let attempt = {
            let _view = job.span.enter();
            execute(conn, &job, refresh.count_rows)
        };
        run.finish_job(job, attempt);
    }
    Ok(run.into_report())
}

/// Refreshes one view on `conn`.
fn execute<C>(conn: &mut C, job: &Job, count: bool) -> Attempt
where
    C: LoadConnection<Backend = Pg>,
{
    let begin = Instant::now();
    let result = conn.transaction::<_, Error, _>(|conn| {
        let before = match job.timeouts_query() {
            Some(timeouts) => Some(timeouts.get_result::<Before>(conn)?),
            None => None,
        };
        job.statement().execute(conn)?;
        if let Some(before) = before {
            Job::restore_query(before).execute(conn)?;
        }
        Ok(())
    });
    let duration = begin.elapsed();
    let outcome = result.map(|()| {
        count
            .then(|| job.count().get_result::<i64>(conn))
            .and_then(|rows| match rows {
                Ok(rows) => u64::try_from(rows).ok(),
                Err(error) => {
                    tracing::warn!(%error, "cannot count the rows of the refreshed view");
                    None
                }
            })
    });
    Attempt { duration, outcome }
}

/// Runs `writes`, then refreshes the materialized views of `refresh`, all in one transaction:
/// the refreshed views see the writes, and readers see the writes and the refreshed views
/// together, or neither. For small cases (the refreshes run while the transaction holds the
/// writers' locks); for large ones, see the auto-refresher
/// ([`aio::AutoRefresher`](crate::aio::AutoRefresher)).
///
/// On a connection already inside a transaction this is a savepoint of it. All the refreshes
/// are in one transaction, so they keep their locks until it ends (see
/// [`refresh_materialized_views`]).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// use diesel::RunQueryDsl;
/// use pgview_core::Refresh;
/// let inserted = pgview_core::refresh_after_writes(conn, &Refresh::views(["revenue"])?, |conn| {
///     Ok(diesel::sql_query("INSERT INTO orders (user_id, total) VALUES (1, 10)").execute(conn)?)
/// })?;
/// # let _ = inserted; Ok(()) }
/// ```
///
/// # Errors
/// The error of `writes`, of planning (as [`plan_refresh`]), or [`Error::RefreshFailed`] when
/// a view could not be refreshed; in each case the transaction is rolled back, writes
/// included.
pub fn refresh_after_writes<C, T, F>(conn: &mut C, refresh: &Refresh, writes: F) -> Result<T>
where
    C: LoadConnection<Backend = Pg>,
    F: FnOnce(&mut C) -> Result<T>,
{
    conn.transaction(|conn| {
        let written = writes(conn)?;
        let _refreshed = refresh_materialized_views(conn, refresh)?.into_result()?;
        Ok(written)
    })
}
