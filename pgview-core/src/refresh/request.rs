//! [`Refresh`]: which materialized views a refresh covers and how each is refreshed
//! ([`RefreshPolicy`], [`ViewTimeouts`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::catalog::RelationName;
use crate::error::Result;
use crate::ident::QualifiedName;

use super::progress::{ProgressFn, RefreshEvent};

/// Whether materialized views are refreshed `CONCURRENTLY`.
///
/// A concurrent refresh lets readers go on (it takes an EXCLUSIVE lock instead of ACCESS
/// EXCLUSIVE) but needs a populated view with a unique index on plain columns without a `WHERE`
/// clause, and costs more (it computes the difference and applies it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefreshPolicy {
    /// Concurrently where the view allows it, plainly otherwise (an unpopulated view is
    /// populated by a plain refresh).
    #[default]
    PreferConcurrent,
    /// Concurrently, always: a view that does not allow it fails with
    /// [`Error::ConcurrentRefresh`](crate::Error::ConcurrentRefresh) naming the missing
    /// precondition (before anything is sent for it), and the views that read it are skipped.
    RequireConcurrent,
    /// Plainly, always (readers of a view wait while it is refreshed).
    Plain,
}

impl fmt::Display for RefreshPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PreferConcurrent => "prefer concurrent",
            Self::RequireConcurrent => "require concurrent",
            Self::Plain => "plain",
        })
    }
}

/// `lock_timeout` and `statement_timeout` for the refresh of one materialized view, set with
/// `SET LOCAL` semantics (`set_config(…, true)`) inside that view's transaction, so they end
/// with it (inside an enclosing transaction, they are put back after the view). `None` keeps
/// the session's setting; [`Duration::ZERO`] turns the timeout off, as in PostgreSQL.
/// Durations are rounded up to whole milliseconds.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use pgview_core::ViewTimeouts;
/// let timeouts = ViewTimeouts::new().lock(Duration::from_secs(2)).statement(Duration::from_secs(60));
/// assert_eq!(timeouts.lock_timeout(), Some(Duration::from_secs(2)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ViewTimeouts {
    lock: Option<Duration>,
    statement: Option<Duration>,
}

impl ViewTimeouts {
    /// No timeout set: the session's settings apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// The longest wait for the view's lock (`lock_timeout`).
    #[must_use]
    pub fn lock(mut self, timeout: Duration) -> Self {
        self.lock = Some(timeout);
        self
    }

    /// The longest the `REFRESH` statement may run (`statement_timeout`).
    #[must_use]
    pub fn statement(mut self, timeout: Duration) -> Self {
        self.statement = Some(timeout);
        self
    }

    /// The lock timeout, if set.
    pub fn lock_timeout(&self) -> Option<Duration> {
        self.lock
    }

    /// The statement timeout, if set.
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.statement
    }

    /// These timeouts, with those of `over` where it sets them.
    pub(crate) fn overridden_by(self, over: Self) -> Self {
        Self {
            lock: over.lock.or(self.lock),
            statement: over.statement.or(self.statement),
        }
    }
}

/// Which materialized views a refresh starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Every materialized view of the user schemas.
    All,
    /// Given views, with what they read and/or what reads them.
    Views {
        names: Vec<QualifiedName>,
        upstream: bool,
        downstream: bool,
        /// When set, the downstream walk only enters these materialized views (the
        /// auto-refresher: only views with auto-refresh installed).
        within: Option<Vec<QualifiedName>>,
    },
}

/// A refresh of materialized views: which ones, and how.
///
/// The views are refreshed in dependency order (each after every materialized view it reads,
/// also through plain views), one transaction per view. Run it with
/// [`refresh_materialized_views`](crate::refresh_materialized_views) (sequentially on one
/// connection) or [`aio::refresh_materialized_views`](crate::aio::refresh_materialized_views)
/// (in parallel on a bb8 pool: a view starts as soon as everything it reads is refreshed). See
/// what it would do with [`plan_refresh`](crate::plan_refresh).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use pgview_core::{Refresh, RefreshPolicy, ViewTimeouts};
///
/// let everything = Refresh::all().policy(RefreshPolicy::PreferConcurrent);
/// let revenue_and_dependents = Refresh::views(["reporting.revenue"])?
///     .downstream(true)
///     .lock_timeout(Duration::from_secs(5))
///     .timeouts_for("reporting.big_rollup", ViewTimeouts::new().statement(Duration::from_secs(600)))?
///     .on_progress(|event| eprintln!("{event}"));
/// # let _ = (everything, revenue_and_dependents);
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "a refresh does nothing until it is run"]
pub struct Refresh {
    pub(crate) selection: Selection,
    pub(crate) policy: RefreshPolicy,
    pub(crate) timeouts: ViewTimeouts,
    pub(crate) overrides: Vec<(QualifiedName, ViewTimeouts)>,
    pub(crate) count_rows: bool,
    pub(crate) max_parallel: Option<usize>,
    pub(crate) progress: Option<Arc<ProgressFn>>,
}

impl fmt::Debug for Refresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refresh")
            .field("selection", &self.selection)
            .field("policy", &self.policy)
            .field("timeouts", &self.timeouts)
            .field("overrides", &self.overrides)
            .field("count_rows", &self.count_rows)
            .field("max_parallel", &self.max_parallel)
            .field("progress", &self.progress.as_ref().map(|_| "…"))
            .finish()
    }
}

impl Refresh {
    fn with(selection: Selection) -> Self {
        Self {
            selection,
            policy: RefreshPolicy::default(),
            timeouts: ViewTimeouts::default(),
            overrides: Vec::new(),
            count_rows: true,
            max_parallel: None,
            progress: None,
        }
    }

    /// Every materialized view of the user schemas.
    pub fn all() -> Self {
        Self::with(Selection::All)
    }

    /// The materialized views `names` (as [`RelationName`] takes them: `"v"`, `"s.v"`, quoted
    /// parts, a [`QualifiedName`], a definition). A plain view may be named too, with
    /// [`upstream`](Self::upstream) or [`downstream`](Self::downstream): the materialized views
    /// it reads, or that read it, are refreshed.
    ///
    /// When the refresh runs, each name must designate exactly one view:
    /// [`Error::NotFound`](crate::Error::NotFound), [`Error::Ambiguous`](crate::Error::Ambiguous)
    /// or [`Error::WrongKind`](crate::Error::WrongKind) otherwise (a table, or a plain view
    /// without `upstream` or `downstream`).
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) for an invalid name.
    pub fn views<I>(names: I) -> Result<Self>
    where
        I: IntoIterator,
        I::Item: RelationName,
    {
        let names = names
            .into_iter()
            .map(|name| name.to_qualified_name())
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::with(Selection::Views {
            names,
            upstream: false,
            downstream: false,
            within: None,
        }))
    }

    /// Also refresh every materialized view that the given views read, directly or through
    /// plain and materialized views (no effect with [`all`](Self::all)).
    pub fn upstream(mut self, upstream: bool) -> Self {
        if let Selection::Views { upstream: up, .. } = &mut self.selection {
            *up = upstream;
        }
        self
    }

    /// Also refresh every materialized view that reads the given views, directly or through
    /// plain and materialized views (no effect with [`all`](Self::all)).
    pub fn downstream(mut self, downstream: bool) -> Self {
        if let Selection::Views {
            downstream: down, ..
        } = &mut self.selection
        {
            *down = downstream;
        }
        self
    }

    /// The same options with another selection.
    #[cfg(any(feature = "async", test))]
    pub(crate) fn reselect(mut self, selection: Selection) -> Self {
        self.selection = selection;
        self
    }

    /// Whether views are refreshed `CONCURRENTLY` (default:
    /// [`RefreshPolicy::PreferConcurrent`]).
    pub fn policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// `lock_timeout` for every view (see [`ViewTimeouts`]).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts = self.timeouts.lock(timeout);
        self
    }

    /// `statement_timeout` for every view (see [`ViewTimeouts`]).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts = self.timeouts.statement(timeout);
        self
    }

    /// Timeouts for the view `name`, over those set for every view. A name that designates no
    /// view of the refresh is ignored (the same settings can serve several refreshes); an
    /// unqualified name that designates several is
    /// [`Error::Ambiguous`](crate::Error::Ambiguous) when the refresh runs.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) for an invalid name.
    pub fn timeouts_for<N: RelationName>(
        mut self,
        name: N,
        timeouts: ViewTimeouts,
    ) -> Result<Self> {
        self.overrides.push((name.to_qualified_name()?, timeouts));
        Ok(self)
    }

    /// Whether the rows of each view are counted after its refresh (default: yes). The count
    /// (`SELECT count(*)`) runs after the view's transaction has committed, so it holds no
    /// lock that the refresh took, but it reads the whole view: turn it off for very large
    /// views refreshed often.
    pub fn count_rows(mut self, count: bool) -> Self {
        self.count_rows = count;
        self
    }

    /// The most views refreshed at once by the async executor (default: the pool's
    /// `max_size`; at least 1). The sync executor refreshes one at a time.
    pub fn max_parallel(mut self, views: usize) -> Self {
        self.max_parallel = Some(views);
        self
    }

    /// Calls `progress` when a view starts and when it finishes (refreshed, failed or skipped).
    /// It is called from the executor's task: keep it short.
    pub fn on_progress<F>(mut self, progress: F) -> Self
    where
        F: Fn(&RefreshEvent<'_>) + Send + Sync + 'static,
    {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// The policy.
    pub fn refresh_policy(&self) -> RefreshPolicy {
        self.policy
    }
}
