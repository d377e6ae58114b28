//! [`AutoRefresher`]: the task that listens for the auto-refresh triggers' notifications and
//! refreshes.
//!
//! The listening connection is a dedicated connection made by the pool's manager
//! ([`AsyncPool::dedicated`]: same URL and setup as the pool's connections, not counted in its
//! size, never handed to anyone else). Notifications are read with
//! diesel-async's `AsyncPgConnection::notifications_stream`, so no second PostgreSQL client is
//! involved; the connection must be made by `AsyncPgConnection::establish` (the default of
//! `AsyncDieselConnectionManager`), which drives the socket in a background task and forwards
//! notifications. That task ends on any connection error, which ends the stream: this is how
//! a lost connection is seen, besides a periodic `SELECT 1` for half-open sockets.
//!
//! Refreshes run on the pool's other connections with the async executor, one batch at a time,
//! while the listener keeps reading notifications.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use diesel::sql_types::Integer;
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::{FutureExt as _, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, timeout, Instant};

use crate::error::{Error, Result};
use crate::ident::QualifiedName;
use crate::pool::AsyncPool;
use crate::refresh::plan::RefreshPlan;
use crate::refresh::report::RefreshReport;
use crate::refresh::request::{Refresh, Selection};
use crate::refresh::run_async;

use super::install::{installed, installed_query};
use super::names::{parse_payload, AUTO_REFRESH_CHANNEL};
use super::pending::{far, later, Backoff, Pending};

/// Builds and starts the auto-refresher: a task that listens on
/// [`AUTO_REFRESH_CHANNEL`](crate::AUTO_REFRESH_CHANNEL) and refreshes the materialized views
/// whose tables changed (see [`install_auto_refresh`](crate::install_auto_refresh)).
///
/// - Notifications are folded per view over a debounce window (default 200 ms): the first
///   one opens the window, the view is refreshed when it closes, whatever arrived meanwhile.
///   So a view is refreshed at most about once per window however fast the writes come, and at
///   most one window plus one refresh after the last write. The batch is planned (its catalog
///   queries: which views are installed, what reads them, how each can be refreshed) just
///   before the window closes (twice the last planning time before it, at most a quarter of
///   the window), so that the refresh itself starts as the window closes; when the views due
///   then are not those it was planned for (a retry or a catch-up came due meanwhile), it is
///   planned again. The plan is as recent as a plan made when the window closes would be, give
///   or take those milliseconds.
/// - A batch refreshes the due views and, after them, the materialized views downstream of
///   them that have auto-refresh installed (their triggers cannot see a refresh), in
///   dependency order, in parallel on the pool (the async executor with the options of
///   [`refresh_options`](Self::refresh_options)). One batch runs at a time.
/// - A failed view (and the views skipped after it) is retried after a backoff (1 s, doubling
///   up to 1 min by default); failures are logged with `tracing` and never end the task.
/// - When the listening connection is lost, it reconnects (with backoff, 100 ms doubling up
///   to 10 s by default) and then refreshes every view with auto-refresh installed, since the
///   notifications sent while nobody listened are lost. It does the same when it starts
///   (turn off with [`catch_up_on_start`](Self::catch_up_on_start)).
/// - Every duration may be anything up to `Duration::MAX`; one longer than 30 years counts as
///   30 years (so `debounce(Duration::MAX)` never refreshes a notified view and
///   `heartbeat(Duration::MAX)` never checks the connection, without overflowing).
/// - The task never ends silently: its status ([`RefresherStatus::state`]) says whether it
///   listens, reconnects, was stopped or failed (a panic, for example in the pool's connection
///   setup, or a cancellation with its runtime), and [`AutoRefreshHandle::shutdown`] returns
///   the failure as an error.
///
/// # Examples
/// ```no_run
/// # async fn run(pool: diesel_async::pooled_connection::bb8::Pool<diesel_async::AsyncPgConnection>) -> pgview_core::Result<()> {
/// use std::time::Duration;
/// use pgview_core::aio::AutoRefresher;
/// let mut conn = pool.get().await.map_err(|e| pgview_core::Error::Connection(Box::new(e)))?;
/// pgview_core::aio::install_auto_refresh(&mut *conn, "reporting.revenue").await?;
/// drop(conn);
/// let refresher = AutoRefresher::new(pool).debounce(Duration::from_millis(500)).spawn();
/// // … the application runs; writes from any client refresh reporting.revenue …
/// refresher.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "the refresher does nothing until it is spawned"]
pub struct AutoRefresher {
    pool: SharedPool,
    debounce: Duration,
    refresh: Refresh,
    retry: Backoff,
    reconnect: Backoff,
    heartbeat: Duration,
    catch_up_on_start: bool,
}

/// The refresher's pool, shared with its batches.
#[derive(Clone)]
struct SharedPool(Arc<dyn AsyncPool>);

impl std::fmt::Debug for SharedPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncPool")
            .field("max_size", &self.0.max_size())
            .finish_non_exhaustive()
    }
}

/// Where the refresher's task is (see [`RefresherStatus::state`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefresherState {
    /// Spawned, not listening yet.
    #[default]
    Starting,
    /// Listening for notifications.
    Listening,
    /// Without a listening connection (it was lost, or could not be made): trying again after
    /// a backoff; [`RefresherStatus::last_error`] says why.
    Reconnecting,
    /// Ended as asked ([`AutoRefreshHandle::shutdown`], or the handle dropped).
    Stopped,
    /// Ended abnormally, with the reason: the task panicked, or it was cancelled (its runtime
    /// shut down, or it was aborted). Nothing is refreshed any more; the counts are the last
    /// ones published.
    Failed(String),
}

/// What the refresher has done so far, published after each step (see
/// [`AutoRefreshHandle::status`] and [`AutoRefreshHandle::wait_for`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefresherStatus {
    /// Where the task is: starting, listening, reconnecting, stopped or failed.
    pub state: RefresherState,
    /// Whether it is listening now ([`state`](Self::state) is
    /// [`Listening`](RefresherState::Listening)).
    pub listening: bool,
    /// The server process of the listening connection (`pg_backend_pid()`), while listening.
    pub listener_pid: Option<i32>,
    /// How many times it has started listening (1 after the start, one more per reconnect).
    pub connections: u64,
    /// Notifications received for materialized views.
    pub notifications: u64,
    /// Batches finished.
    pub batches: u64,
    /// Views refreshed.
    pub refreshed: u64,
    /// View refreshes that failed (skipped views included), and batches that could not be
    /// planned.
    pub failures: u64,
    /// The last error (connection, planning or refresh), if any.
    pub last_error: Option<String>,
    /// Views owed a refresh.
    pub pending: usize,
    /// Whether a batch is running.
    pub refreshing: bool,
    /// Batches planned before their window closed (their refresh started as it closed).
    pub planned_ahead: u64,
}

impl RefresherStatus {
    /// Listening, nothing owed, nothing running.
    pub fn is_idle(&self) -> bool {
        self.listening && self.pending == 0 && !self.refreshing
    }

    /// Whether the task has ended ([`Stopped`](RefresherState::Stopped) or
    /// [`Failed`](RefresherState::Failed)).
    pub fn is_ended(&self) -> bool {
        matches!(
            self.state,
            RefresherState::Stopped | RefresherState::Failed(_)
        )
    }
}

/// The running refresher. Dropping it stops the task (after its current batch).
#[derive(Debug)]
pub struct AutoRefreshHandle {
    stop: watch::Sender<bool>,
    status: watch::Receiver<RefresherStatus>,
    task: Option<JoinHandle<()>>,
}

impl AutoRefresher {
    /// A refresher on `pool` (a bb8 or deadpool pool of diesel-async: see [`AsyncPool`]),
    /// with the defaults above.
    pub fn new<P: AsyncPool>(pool: P) -> Self {
        Self {
            pool: SharedPool(Arc::new(pool)),
            debounce: Duration::from_millis(200),
            refresh: Refresh::all(),
            retry: Backoff {
                min: Duration::from_secs(1),
                max: Duration::from_secs(60),
            },
            reconnect: Backoff {
                min: Duration::from_millis(100),
                max: Duration::from_secs(10),
            },
            heartbeat: Duration::from_secs(30),
            catch_up_on_start: true,
        }
    }

    /// The debounce window.
    pub fn debounce(mut self, window: Duration) -> Self {
        self.debounce = window;
        self
    }

    /// How views are refreshed: the policy, timeouts, row counting, parallelism and progress
    /// callback of `refresh` (its selection is not used: the notifications select).
    pub fn refresh_options(mut self, refresh: Refresh) -> Self {
        self.refresh = refresh;
        self
    }

    /// The backoff before a failed view is retried: `min`, doubling up to `max`.
    pub fn retry_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.retry = Backoff { min, max };
        self
    }

    /// The backoff between attempts to reconnect: `min`, doubling up to `max`.
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect = Backoff { min, max };
        self
    }

    /// How often the listening connection is checked with `SELECT 1` (default 30 s).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// Whether every installed view is refreshed when the refresher starts (default: yes).
    pub fn catch_up_on_start(mut self, catch_up: bool) -> Self {
        self.catch_up_on_start = catch_up;
        self
    }

    /// Starts the task on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime (as `tokio::spawn`).
    pub fn spawn(self) -> AutoRefreshHandle {
        let (stop, stop_rx) = watch::channel(false);
        let (status_tx, status) = watch::channel(RefresherStatus::default());
        let status_tx = Arc::new(status_tx);
        let task = Task::new(self, stop_rx, Arc::clone(&status_tx));
        let task = tokio::spawn(supervise(task, status_tx));
        AutoRefreshHandle {
            stop,
            status,
            task: Some(task),
        }
    }
}

impl AutoRefreshHandle {
    /// What the refresher has done so far.
    pub fn status(&self) -> RefresherStatus {
        self.status.borrow().clone()
    }

    /// Waits until the status satisfies `until` (checked now, then after each change), and
    /// returns that status; or, should the task end first (it failed: see
    /// [`RefresherState::Failed`]), its last status, which may not satisfy `until`.
    pub async fn wait_for(&self, until: impl FnMut(&RefresherStatus) -> bool) -> RefresherStatus {
        let mut status = self.status.clone();
        let result = status.wait_for(until).await.map(|s| s.clone());
        // The sender is gone: the task has ended, its last status says how.
        result.unwrap_or_else(|_| self.status())
    }

    /// Stops listening, waits for the batch that is running (if any), ends the task, and
    /// returns its last status ([`RefresherState::Stopped`]).
    ///
    /// # Errors
    /// [`Error::RefresherFailed`] with the reason when the task had ended abnormally before
    /// (it panicked, or was cancelled): its status said [`RefresherState::Failed`].
    pub async fn shutdown(mut self) -> Result<RefresherStatus> {
        let _ = self.stop.send(true);
        let mut status = self.status();
        if let Some(task) = self.task.take() {
            let joined = task.await;
            status = self.status();
            if let Err(error) = joined {
                // The supervisor catches panics and publishes a cancellation; this is a
                // last resort.
                if !matches!(status.state, RefresherState::Failed(_)) {
                    status.state = RefresherState::Failed(error.to_string());
                }
            }
        }
        match status.state {
            RefresherState::Failed(reason) => Err(Error::RefresherFailed { reason }),
            _ => Ok(status),
        }
    }
}

impl Drop for AutoRefreshHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// What a batch gave.
struct BatchOutcome {
    names: Vec<QualifiedName>,
    result: Result<RefreshReport>,
    /// How long planning took (the plan made ahead, or here).
    planning: Duration,
    /// Whether it ran on the plan made ahead.
    ahead: bool,
}

/// Runs the task, and publishes how it ended whatever happens: [`RefresherState::Stopped`]
/// when it returns, [`RefresherState::Failed`] with the panic's message when it panics, and
/// with the cancellation when it is dropped before it ends (its runtime shut down, or the
/// task was aborted).
async fn supervise(task: Task, status: Arc<watch::Sender<RefresherStatus>>) {
    let mut end = EndGuard {
        status,
        published: false,
    };
    let state = match AssertUnwindSafe(task.run()).catch_unwind().await {
        Ok(()) => RefresherState::Stopped,
        Err(panic) => {
            let reason = format!(
                "the auto-refresher task panicked: {}",
                panic_message(panic.as_ref())
            );
            tracing::error!(%reason, "auto-refresh: the task failed");
            RefresherState::Failed(reason)
        }
    };
    end.publish(state);
}

/// Publishes the end of the task; when dropped before (the task's future dropped unfinished),
/// publishes a cancellation.
struct EndGuard {
    status: Arc<watch::Sender<RefresherStatus>>,
    published: bool,
}

impl EndGuard {
    fn publish(&mut self, state: RefresherState) {
        self.published = true;
        self.status.send_modify(|status| {
            status.state = state;
            status.listening = false;
            status.listener_pid = None;
        });
    }
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        if !self.published {
            tracing::error!("auto-refresh: the task was cancelled");
            self.publish(RefresherState::Failed(
                "the auto-refresher task was cancelled (its tokio runtime shut down, or the task \
                 was aborted)"
                    .to_owned(),
            ));
        }
    }
}

/// The message of a panic (`panic!` gives a `&str` or a `String`).
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic without a message)")
}

/// The state of the running task.
struct Task {
    config: AutoRefresher,
    stop: watch::Receiver<bool>,
    status: Arc<watch::Sender<RefresherStatus>>,
    pending: Pending,
    failures: HashMap<QualifiedName, u32>,
    batch_failures: u32,
    batch: Option<JoinHandle<BatchOutcome>>,
    /// The plan of the next batch, made before its window closes.
    ahead: Option<Ahead>,
    /// How long before a window closes its batch is planned.
    lead: Duration,
    /// Whether every installed view is owed a refresh (read on the listening connection).
    catch_up: bool,
}

/// A batch planned before its window closed: the views it was planned for, and the planning.
struct Ahead {
    names: Vec<QualifiedName>,
    plan: JoinHandle<Planned>,
}

/// What planning a batch gave, and how long it took.
type Planned = (Result<Option<(Refresh, RefreshPlan)>>, Duration);

/// What woke the listening loop.
enum Wake {
    Stop,
    Notification(QualifiedName),
    Ignored,
    Lost(String),
    BatchDone(std::result::Result<BatchOutcome, tokio::task::JoinError>),
    PlanAhead(Instant),
    /// The next window closes (at the instant given).
    Due(Instant),
    Heartbeat,
}

/// How early the listening loop wakes up for a window that closes: tokio's timers have
/// millisecond granularity and fire after their deadline (measured: about 1.9 ms late), so a
/// wake-up asked for 1 ms before the window closes comes within about a millisecond of it.
const TIMER_SLACK: Duration = Duration::from_millis(1);

/// The shortest lead of a plan made ahead.
const MIN_LEAD: Duration = Duration::from_millis(2);

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

impl Task {
    fn new(
        config: AutoRefresher,
        stop: watch::Receiver<bool>,
        status: Arc<watch::Sender<RefresherStatus>>,
    ) -> Self {
        Self {
            stop,
            status,
            pending: Pending::default(),
            failures: HashMap::new(),
            batch_failures: 0,
            batch: None,
            ahead: None,
            lead: lead(Duration::from_millis(5), config.debounce),
            catch_up: false,
            config,
        }
    }

    /// Drops the plan made ahead (its views stay pending).
    fn drop_ahead(&mut self) {
        if let Some(ahead) = self.ahead.take() {
            ahead.plan.abort();
        }
    }

    fn publish(&self, change: impl FnOnce(&mut RefresherStatus)) {
        let pending = self.pending.len();
        let refreshing = self.batch.is_some();
        self.status.send_modify(|status| {
            change(status);
            status.pending = pending;
            status.refreshing = refreshing;
        });
    }

    fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    async fn run(mut self) {
        let mut delay = Duration::ZERO;
        let mut attempts = 0;
        let mut first = true;
        while !self.stopped() {
            if !delay.is_zero() && !self.pause(delay).await {
                break;
            }
            match self.listen().await {
                Ok(conn) => {
                    attempts = 0;
                    if !first || self.config.catch_up_on_start {
                        self.catch_up_later();
                    }
                    first = false;
                    let lost = self.serve(conn).await;
                    // (A plan made ahead would be old by the time a new connection listens.)
                    self.drop_ahead();
                    self.publish(|s| {
                        s.listening = false;
                        s.listener_pid = None;
                        if let Some(error) = &lost {
                            s.state = RefresherState::Reconnecting;
                            s.last_error = Some(error.clone());
                        }
                    });
                    if let Some(error) = lost {
                        tracing::warn!(%error, "auto-refresh: lost the listening connection");
                    }
                    delay = self.config.reconnect.min;
                }
                Err(error) => {
                    attempts += 1;
                    delay = self.config.reconnect.delay(attempts);
                    tracing::warn!(%error, retry_in_ms = delay.as_millis(), "auto-refresh: cannot listen");
                    self.publish(|s| {
                        s.state = RefresherState::Reconnecting;
                        s.last_error = Some(error.to_string());
                    });
                }
            }
        }
        // Let the running batch finish.
        self.drop_ahead();
        if let Some(batch) = self.batch.take() {
            let _ = batch.await;
        }
        self.publish(|s| s.listening = false);
    }

    /// Waits `delay` while batches finish; `false` when asked to stop.
    async fn pause(&mut self, delay: Duration) -> bool {
        let until = later(Instant::now(), delay);
        loop {
            let wake = tokio::select! {
                _ = self.stop.changed() => Wake::Stop,
                done = async { self.batch.as_mut().expect("guarded").await }, if self.batch.is_some() => Wake::BatchDone(done),
                () = sleep_until(until) => return true,
            };
            match wake {
                Wake::BatchDone(done) => self.batch_done(done),
                _ => return false,
            }
        }
    }

    /// A dedicated connection that listens.
    async fn listen(&mut self) -> Result<AsyncPgConnection> {
        let mut conn = self.config.pool.0.dedicated().await?;
        diesel::sql_query(format!("LISTEN \"{AUTO_REFRESH_CHANNEL}\""))
            .execute(&mut conn)
            .await?;
        let pid = diesel::sql_query("SELECT pg_catalog.pg_backend_pid() AS pid")
            .get_result::<Pid>(&mut conn)
            .await?
            .pid;
        tracing::info!(pid, "auto-refresh: listening");
        self.publish(|s| {
            s.state = RefresherState::Listening;
            s.listening = true;
            s.listener_pid = Some(pid);
            s.connections += 1;
        });
        Ok(conn)
    }

    /// Owes a refresh to every installed view (what was missed while nobody listened); the
    /// installs are read on the listening connection before it waits.
    fn catch_up_later(&mut self) {
        self.catch_up = true;
    }

    /// Listens on `conn` until it is lost (`Some(error)`) or the task is stopped (`None`).
    async fn serve(&mut self, mut conn: AsyncPgConnection) -> Option<String> {
        let mut heartbeat = later(Instant::now(), self.config.heartbeat);
        loop {
            if self.catch_up {
                match installed_query().load(&mut conn).await {
                    Ok(rows) => {
                        let now = Instant::now();
                        for info in installed(rows) {
                            self.pending.due_by(info.view, now);
                        }
                        self.catch_up = false;
                        self.publish(|_| {});
                    }
                    Err(error) => return Some(error.to_string()),
                }
            }
            let due = if self.batch.is_none() {
                self.pending.next_due()
            } else {
                None
            };
            // The moment to plan the next batch, `lead` before its window closes.
            let plan_at = match (due, &self.ahead) {
                (Some(due), None) if !self.lead.is_zero() => {
                    Some(due.checked_sub(self.lead).unwrap_or(due))
                }
                _ => None,
            };
            let wake = {
                let mut notifications = pin!(conn.notifications_stream());
                tokio::select! {
                    _ = self.stop.changed() => Wake::Stop,
                    notification = notifications.next() => match notification {
                        Some(Ok(n)) if n.channel == AUTO_REFRESH_CHANNEL => {
                            if let Some(view) = parse_payload(&n.payload) {
                                Wake::Notification(view)
                            } else {
                                tracing::warn!(payload = %n.payload, "auto-refresh: a notification that names no view");
                                Wake::Ignored
                            }
                        }
                        Some(Ok(_)) => Wake::Ignored,
                        Some(Err(error)) => Wake::Lost(error.to_string()),
                        None => Wake::Lost("the connection was closed".to_owned()),
                    },
                    done = async { self.batch.as_mut().expect("guarded").await }, if self.batch.is_some() => Wake::BatchDone(done),
                    () = sleep_until(plan_at.unwrap_or_else(far)), if plan_at.is_some() => Wake::PlanAhead(due.unwrap_or_else(far)),
                    () = sleep_until(due.map_or_else(far, |due| due.checked_sub(TIMER_SLACK).unwrap_or(due))), if due.is_some() => Wake::Due(due.unwrap_or_else(far)),
                    () = sleep_until(heartbeat) => Wake::Heartbeat,
                }
            };
            match wake {
                Wake::Stop => return None,
                Wake::Ignored => {}
                Wake::Lost(error) => return Some(error),
                Wake::Notification(view) => {
                    self.pending
                        .notified(view, Instant::now(), self.config.debounce);
                    self.publish(|s| s.notifications += 1);
                }
                Wake::BatchDone(done) => self.batch_done(done),
                Wake::PlanAhead(due) => self.plan_ahead(due),
                Wake::Due(at) => self.start_batch(at),
                Wake::Heartbeat => {
                    let check = diesel::sql_query("SELECT 1").execute(&mut conn);
                    match timeout(Duration::from_secs(10), check).await {
                        Ok(Ok(_)) => heartbeat = later(Instant::now(), self.config.heartbeat),
                        Ok(Err(error)) => return Some(error.to_string()),
                        Err(_) => return Some("the heartbeat query timed out".to_owned()),
                    }
                }
            }
        }
    }

    /// Plans the batch of the views due at `due` (its window closes then).
    fn plan_ahead(&mut self, due: Instant) {
        let names = self.pending.due_at(due);
        if names.is_empty() {
            return;
        }
        let pool = self.config.pool.clone();
        let template = self.config.refresh.clone();
        let planned = names.clone();
        let plan = tokio::spawn(async move { plan_batch(&pool, &planned, &template).await });
        self.ahead = Some(Ahead { names, plan });
    }

    /// Starts a batch with the views due at `at` (the window that closes then: the loop wakes
    /// up to [`TIMER_SLACK`] before) or before now, on the plan made ahead when it was made for
    /// them.
    fn start_batch(&mut self, at: Instant) {
        let names = self.pending.take_due(at.max(Instant::now()));
        if names.is_empty() {
            return;
        }
        let ahead = match self.ahead.take() {
            Some(ahead) if ahead.names == names => Some(ahead.plan),
            Some(ahead) => {
                ahead.plan.abort();
                None
            }
            None => None,
        };
        let pool = self.config.pool.clone();
        let template = self.config.refresh.clone();
        self.batch = Some(tokio::spawn(batch(pool, names, template, ahead)));
        self.publish(|_| {});
    }

    /// Takes in what a batch gave: counts, retries with backoff.
    fn batch_done(&mut self, done: std::result::Result<BatchOutcome, tokio::task::JoinError>) {
        self.batch = None;
        let now = Instant::now();
        let outcome = match done {
            Ok(outcome) => {
                self.lead = lead(outcome.planning, self.config.debounce);
                if outcome.ahead {
                    self.publish(|s| s.planned_ahead += 1);
                }
                outcome
            }
            Err(error) => {
                // A panic in the progress callback: the names are lost with it, so catch up.
                tracing::error!(%error, "auto-refresh: a batch ended abnormally");
                self.catch_up = true;
                self.publish(|s| {
                    s.batches += 1;
                    s.failures += 1;
                    s.last_error = Some(error.to_string());
                });
                return;
            }
        };
        match outcome.result {
            Ok(report) => {
                self.batch_failures = 0;
                let mut refreshed = 0;
                let mut failed = 0;
                let mut last_error = None;
                for view in report.views() {
                    let Ok(name) = QualifiedName::new(Some(&view.view.schema), &view.view.name)
                    else {
                        continue;
                    };
                    if view.is_refreshed() {
                        refreshed += 1;
                        self.failures.remove(&name);
                    } else {
                        failed += 1;
                        let count = self.failures.entry(name.clone()).or_insert(0);
                        *count += 1;
                        let delay = self.config.retry.delay(*count);
                        tracing::warn!(view = %view.view, retry_in_ms = delay.as_millis(), "auto-refresh: {view}");
                        last_error = Some(view.to_string());
                        self.pending.retry_at(name, later(now, delay));
                    }
                }
                self.publish(|s| {
                    s.batches += 1;
                    s.refreshed += refreshed;
                    s.failures += failed;
                    if last_error.is_some() {
                        s.last_error = last_error;
                    }
                });
            }
            Err(Error::NotFound { name, .. }) => {
                // A view dropped while its triggers remain: forget it, go on with the others.
                tracing::warn!(view = %name, "auto-refresh: the view no longer exists; uninstall its auto-refresh");
                for view in outcome.names {
                    if view.fullname() != name {
                        self.pending.due_by(view, now);
                    }
                }
                self.publish(|s| {
                    s.batches += 1;
                    s.failures += 1;
                    s.last_error = Some(format!("materialized view {name} not found"));
                });
            }
            Err(error) => {
                self.batch_failures += 1;
                let delay = self.config.retry.delay(self.batch_failures);
                tracing::warn!(%error, retry_in_ms = delay.as_millis(), "auto-refresh: cannot plan a batch");
                for view in outcome.names {
                    self.pending.retry_at(view, later(now, delay));
                }
                self.publish(|s| {
                    s.batches += 1;
                    s.failures += 1;
                    s.last_error = Some(error.to_string());
                });
            }
        }
    }
}

/// How long before a window of `debounce` closes its batch is planned, after a planning
/// that took `planning`: twice that, at least [`MIN_LEAD`], at most a quarter of the window.
fn lead(planning: Duration, debounce: Duration) -> Duration {
    planning.saturating_mul(2).max(MIN_LEAD).min(debounce / 4)
}

/// Plans the batch of `names`: those still installed, and the installed views downstream of
/// them (`None` when none is installed any more); with the time it took.
async fn plan_batch(pool: &SharedPool, names: &[QualifiedName], template: &Refresh) -> Planned {
    let start = Instant::now();
    let planned = async {
        let mut conn = pool.0.get().await?;
        let installed: Vec<QualifiedName> = installed(installed_query().load(&mut **conn).await?)
            .into_iter()
            .map(|i| i.view)
            .collect();
        // (A set: linear in the names and the installs.)
        let is_installed: HashSet<&QualifiedName> = installed.iter().collect();
        let wanted: Vec<QualifiedName> = names
            .iter()
            .filter(|n| is_installed.contains(n))
            .cloned()
            .collect();
        if wanted.is_empty() {
            return Ok(None);
        }
        let refresh = template.clone().reselect(Selection::Views {
            names: wanted,
            upstream: false,
            downstream: true,
            within: Some(installed),
        });
        let plan = run_async::plan(&mut **conn, &refresh).await?;
        Ok(Some((refresh, plan)))
    }
    .await;
    (planned, start.elapsed())
}

/// Refreshes `names` (those still installed) and the installed views downstream of them, on
/// the plan made `ahead` for them when there is one (planned here when it failed to run).
async fn batch(
    pool: SharedPool,
    names: Vec<QualifiedName>,
    template: Refresh,
    ahead: Option<JoinHandle<Planned>>,
) -> BatchOutcome {
    let made_ahead = match ahead {
        Some(plan) => plan.await.ok(),
        None => None,
    };
    let ahead = made_ahead.is_some();
    let (planned, planning) = match made_ahead {
        Some(planned) => planned,
        None => plan_batch(&pool, &names, &template).await,
    };
    let result = match planned {
        Ok(Some((refresh, plan))) => Ok(run_async::run_plan(&*pool.0, &plan, &refresh).await),
        Ok(None) => Ok(RefreshReport::default()),
        Err(error) => Err(error),
    };
    BatchOutcome {
        names,
        result,
        planning,
        ahead,
    }
}
