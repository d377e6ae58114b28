//! [`RefreshEvent`]: what a progress callback is told.

use std::fmt;

use crate::catalog::Relation;

use super::report::{RefreshMode, ViewRefresh};

/// The type of a progress callback (see [`Refresh::on_progress`](crate::Refresh::on_progress)).
pub type ProgressFn = dyn Fn(&RefreshEvent<'_>) + Send + Sync;

/// Something that happened during a refresh, as told to the progress callback.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum RefreshEvent<'a> {
    /// A view starts (before its connection is taken from the pool).
    Started {
        /// The view.
        view: &'a Relation,
        /// How it is refreshed.
        mode: RefreshMode,
        /// The number of views of the refresh.
        total: usize,
    },
    /// A view is done: refreshed, failed, or skipped because a view it reads failed.
    Finished {
        /// What happened to it.
        view: &'a ViewRefresh,
        /// How many views are done, this one included.
        done: usize,
        /// The number of views of the refresh.
        total: usize,
    },
}

impl fmt::Display for RefreshEvent<'_> {
    /// One line, such as `[3/30] public.revenue refreshed concurrently in 12 ms (52 rows)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Started { view, mode, total } => {
                write!(f, "[…/{total}] {view} starts ({mode})")
            }
            Self::Finished { view, done, total } => write!(f, "[{done}/{total}] {view}"),
        }
    }
}
