//! [`DiffOptions`]: how a comparison runs.

use std::time::Duration;

use crate::lock::DEFAULT_LOCK_WAIT;

use super::scope::DiffScope;

/// Options of [`diff_with`](crate::diff_with): the scope, and how long to wait for the pgview
/// lock.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use pgview_core::{DiffOptions, DiffScope};
/// let options = DiffOptions::new()
///     .scope(DiffScope::schemas(["reporting"])?)
///     .lock_wait(Duration::from_secs(5));
/// # let _ = options;
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffOptions {
    /// Which views of the database are compared (default: [`DiffScope::managed`]).
    pub scope: DiffScope,
    /// How long to wait for another comparison or migration of views on the same database,
    /// which holds the pgview lock (default: 60 s). Two of them at once would lock the same
    /// views in different orders; the second waits for the first instead, at most this long,
    /// and then fails with [`Error::Busy`](crate::Error::Busy).
    pub lock_wait: Duration,
    /// How many views each step of the comparison reads or creates at most, each step in a
    /// transaction (or savepoint) that is rolled back, releasing its locks (default:
    /// [`DEFAULT_BATCH_SIZE`]). A step also takes at most an eighth of the server's lock
    /// table (`max_locks_per_transaction` × (`max_connections` +
    /// `max_prepared_transactions`): 800 locks on a default server), counted high per view:
    /// reading a view's state, 2 locks; creating a plain view, 8; a materialized view, 16 and
    /// 3 per index; plus one per relation it reads. The one exception is a single view whose
    /// changed inputs alone take more: its step holds it and them. A step creates at most 24
    /// relations, whatever this says (past PostgreSQL's list of 32 relations a transaction
    /// created, the end of each transaction walks every relation the session has cached,
    /// which made a comparison's cost grow faster than its number of views).
    pub batch_size: usize,
    /// Compare every declared view through the server, even those the ownership record
    /// proves unchanged since pgview applied them (default: false).
    pub full: bool,
}

/// The default [`DiffOptions::batch_size`].
pub const DEFAULT_BATCH_SIZE: usize = 250;

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            scope: DiffScope::default(),
            lock_wait: DEFAULT_LOCK_WAIT,
            batch_size: DEFAULT_BATCH_SIZE,
            full: false,
        }
    }
}

impl DiffOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`scope`](Self::scope).
    #[must_use]
    pub fn scope(mut self, scope: DiffScope) -> Self {
        self.scope = scope;
        self
    }

    /// Sets [`lock_wait`](Self::lock_wait).
    #[must_use]
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Sets [`batch_size`](Self::batch_size) (at least 1).
    #[must_use]
    pub fn batch_size(mut self, views: usize) -> Self {
        self.batch_size = views.max(1);
        self
    }

    /// Sets [`full`](Self::full).
    #[must_use]
    pub fn full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }
}
