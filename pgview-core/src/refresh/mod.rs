//! Refreshing materialized views: in dependency order, sequentially on a connection or in
//! parallel on a pool, with a policy for `CONCURRENTLY`, per-view timeouts, tracing spans and
//! progress events; and automatic refresh on data change.
//!
//! - [`Refresh`] says which views (all, or given ones with what they read and/or what reads
//!   them) and how ([`RefreshPolicy`], [`ViewTimeouts`], progress callback).
//! - [`plan`] turns the catalog's dependency walk and view information (a fixed number of
//!   queries that read catalog tables only: a fixed set of locks, whatever the number of views)
//!   into a [`RefreshPlan`]: the views in dependency order, each with its mode and the views it
//!   waits for. Edges are followed through plain views.
//! - [`schedule`] runs a plan for either executor: a view is ready as soon as what it waits for
//!   is refreshed; a failure skips what is downstream of it.
//! - [`run`] (sync, one connection, one view at a time) and `run_async` (feature `async`: an
//!   `AsyncPool`, ready views in parallel) only execute: both send the same query values
//!   ([`job`]).
//! - [`auto`]: triggers that notify on data change, and the async refresher that listens
//!   (feature `async`).

#[cfg(feature = "async")]
pub(crate) mod aio;
pub(crate) mod auto;
mod concurrency;
mod job;
mod plan;
mod progress;
mod report;
mod request;
mod run;
#[cfg(feature = "async")]
pub(crate) mod run_async;
mod schedule;

#[cfg(feature = "async")]
pub use auto::refresher::{AutoRefreshHandle, AutoRefresher, RefresherState, RefresherStatus};
pub use auto::{
    install_auto_refresh, list_auto_refresh, uninstall_all_auto_refresh, uninstall_auto_refresh,
    AutoRefreshInfo, AUTO_REFRESH_CHANNEL, AUTO_REFRESH_SCHEMA,
};
pub use plan::{PlannedView, RefreshPlan};
pub use progress::{ProgressFn, RefreshEvent};
pub use report::{RefreshMode, RefreshReport, RefreshStatus, ViewRefresh};
pub use request::{Refresh, RefreshPolicy, ViewTimeouts};
pub use run::{plan_refresh, refresh_after_writes, refresh_materialized_views};
