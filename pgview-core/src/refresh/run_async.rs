//! The async executor: the same plan and scheduling as the sync one, with the views refreshed
//! in parallel on a pool ([`AsyncPool`]: one pooled connection per running view).

use std::time::Instant;

use diesel::pg::Pg;
use diesel_async::{AsyncConnection, AsyncConnectionCore, RunQueryDsl};
use futures_util::stream::{FuturesUnordered, StreamExt};
use tracing::Instrument;

use crate::aio::get_dependency_graph;
use crate::error::Result;
use crate::pool::AsyncPool;

use super::job::{Attempt, Before, Job};
use super::plan::{graph_scope, select, RefreshPlan};
use super::report::RefreshReport;
use super::request::Refresh;
use super::schedule::Run;

/// The plan of `refresh`, with the same queries as the sync form.
pub(crate) async fn plan<C>(conn: &mut C, refresh: &Refresh) -> Result<RefreshPlan>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    let graph = match graph_scope(refresh)? {
        Some(scope) => Some(get_dependency_graph(conn, &scope).await?),
        None => None,
    };
    let selected = select(refresh, graph)?;
    let facts = match selected.facts_query() {
        Some(query) => query.load(conn).await?,
        None => Vec::new(),
    };
    selected.finish(refresh, &facts)
}

/// Plans on one pooled connection (returned before the refreshes start), then runs the plan.
pub(crate) async fn refresh_on_pool(
    pool: &dyn AsyncPool,
    refresh: &Refresh,
) -> Result<RefreshReport> {
    let plan = {
        let mut conn = pool.get().await?;
        plan(&mut **conn, refresh).await?
    };
    Ok(run_plan(pool, &plan, refresh).await)
}

/// Runs `plan`: every ready view starts at once, up to the pool's size (or
/// [`Refresh::max_parallel`]) views at a time.
pub(crate) async fn run_plan(
    pool: &dyn AsyncPool,
    plan: &RefreshPlan,
    refresh: &Refresh,
) -> RefreshReport {
    let limit = refresh.max_parallel.unwrap_or(pool.max_size()).max(1);
    let mut run = Run::new(plan, refresh);
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < limit {
            let Some(job) = run.next_job() else { break };
            running.push(execute(pool, job, refresh.count_rows));
        }
        let Some((job, attempt)) = running.next().await else {
            break;
        };
        run.finish_job(job, attempt);
    }
    run.into_report()
}

/// Refreshes one view on a connection of `pool`.
async fn execute(pool: &dyn AsyncPool, job: Job, count: bool) -> (Job, Attempt) {
    let span = job.span.clone();
    let attempt = async {
        let begin = Instant::now();
        let mut conn = match pool.get().await {
            Ok(conn) => conn,
            Err(error) => {
                return Attempt {
                    duration: begin.elapsed(),
                    outcome: Err(error),
                }
            }
        };
        let begin = Instant::now();
        let timeouts = job.timeouts_query();
        let statement = job.statement();
        let result = conn
            .transaction(async move |conn| -> Result<()> {
                let before = match timeouts {
                    Some(timeouts) => Some(timeouts.get_result::<Before>(conn).await?),
                    None => None,
                };
                statement.execute(conn).await?;
                if let Some(before) = before {
                    Job::restore_query(before).execute(conn).await?;
                }
                Ok(())
            })
            .await;
        let duration = begin.elapsed();
        let outcome = match result {
            Ok(()) if count => match job.count().get_result::<i64>(&mut **conn).await {
                Ok(rows) => Ok(u64::try_from(rows).ok()),
                Err(error) => {
                    tracing::warn!(%error, "cannot count the rows of the refreshed view");
                    Ok(None)
                }
            },
            Ok(()) => Ok(None),
            Err(error) => Err(error),
        };
        Attempt { duration, outcome }
    }
    .instrument(span)
    .await;
    (job, attempt)
}
