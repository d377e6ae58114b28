//! What a refresh did: [`RefreshReport`], one [`ViewRefresh`] per view.

use std::fmt;
use std::time::Duration;

use crate::catalog::Relation;
use crate::error::{Error, Result};

/// How a materialized view is refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefreshMode {
    /// `REFRESH MATERIALIZED VIEW CONCURRENTLY`: readers go on.
    Concurrent,
    /// `REFRESH MATERIALIZED VIEW`: readers wait.
    Plain,
}

impl fmt::Display for RefreshMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Concurrent => "concurrently",
            Self::Plain => "plain",
        })
    }
}

/// What happened to one materialized view.
#[derive(Debug)]
#[non_exhaustive]
pub enum RefreshStatus {
    /// Refreshed; its transaction committed.
    Refreshed {
        /// Its rows after the refresh, when counted (see
        /// [`Refresh::count_rows`](crate::Refresh::count_rows)).
        rows: Option<u64>,
    },
    /// Not refreshed: the statement failed (its transaction was rolled back), no connection
    /// could be had, or the policy forbade it.
    Failed {
        /// Why.
        error: Error,
    },
    /// Not tried, because a materialized view it reads (directly or not) failed.
    Skipped {
        /// The failed view upstream.
        because: Relation,
    },
}

/// One materialized view of a [`RefreshReport`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ViewRefresh {
    /// The view.
    pub view: Relation,
    /// How it was (or would have been) refreshed.
    pub mode: RefreshMode,
    /// When its refresh started, counted from the start of the run (zero when skipped).
    pub started: Duration,
    /// How long its transaction took (from `BEGIN` to `COMMIT` or `ROLLBACK`; zero when
    /// skipped or refused before anything was sent).
    pub duration: Duration,
    /// What happened.
    pub status: RefreshStatus,
}

impl ViewRefresh {
    /// Whether it was refreshed.
    pub fn is_refreshed(&self) -> bool {
        matches!(self.status, RefreshStatus::Refreshed { .. })
    }

    /// The error, when it failed.
    pub fn error(&self) -> Option<&Error> {
        match &self.status {
            RefreshStatus::Failed { error } => Some(error),
            _ => None,
        }
    }

    /// Its rows after the refresh, when refreshed and counted.
    pub fn rows(&self) -> Option<u64> {
        match self.status {
            RefreshStatus::Refreshed { rows } => rows,
            _ => None,
        }
    }
}

impl fmt::Display for ViewRefresh {
    /// `public.revenue refreshed concurrently in 12 ms (52 rows)`, `… failed after 3 ms: …`,
    /// `… skipped: public.base failed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.duration.as_secs_f64() * 1000.0;
        match &self.status {
            RefreshStatus::Refreshed { rows } => {
                write!(f, "{} refreshed {} in {ms:.0} ms", self.view, self.mode)?;
                if let Some(rows) = rows {
                    write!(f, " ({rows} rows)")?;
                }
                Ok(())
            }
            RefreshStatus::Failed { error } => {
                write!(f, "{} failed after {ms:.0} ms: {error}", self.view)
            }
            RefreshStatus::Skipped { because } => {
                write!(f, "{} skipped: {because} failed", self.view)
            }
        }
    }
}

/// What a refresh did, view by view, in plan order (dependency order).
///
/// A failed view does not stop the others: the views that read it (directly or through other
/// views) are skipped, every other view is refreshed. [`into_result`](Self::into_result) turns
/// failures into [`Error::RefreshFailed`].
#[derive(Debug, Default)]
#[must_use = "a refresh report says which views failed"]
pub struct RefreshReport {
    pub(crate) views: Vec<ViewRefresh>,
    pub(crate) elapsed: Duration,
}

impl RefreshReport {
    /// Every view, in plan order.
    pub fn views(&self) -> &[ViewRefresh] {
        &self.views
    }

    /// The views refreshed.
    pub fn refreshed(&self) -> impl Iterator<Item = &ViewRefresh> {
        self.views.iter().filter(|v| v.is_refreshed())
    }

    /// The views that failed.
    pub fn failed(&self) -> impl Iterator<Item = &ViewRefresh> {
        self.views
            .iter()
            .filter(|v| matches!(v.status, RefreshStatus::Failed { .. }))
    }

    /// The views skipped because a view they read failed.
    pub fn skipped(&self) -> impl Iterator<Item = &ViewRefresh> {
        self.views
            .iter()
            .filter(|v| matches!(v.status, RefreshStatus::Skipped { .. }))
    }

    /// Whether every view was refreshed.
    pub fn is_success(&self) -> bool {
        self.views.iter().all(ViewRefresh::is_refreshed)
    }

    /// The wall time of the whole run.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The report when every view was refreshed.
    ///
    /// # Errors
    /// [`Error::RefreshFailed`] listing the failed views with their errors and the skipped
    /// views.
    pub fn into_result(self) -> Result<Self> {
        if self.is_success() {
            return Ok(self);
        }
        Err(Error::RefreshFailed {
            failed: self
                .failed()
                .map(|v| {
                    let error = v.error().map(ToString::to_string).unwrap_or_default();
                    (v.view.fullname(), error)
                })
                .collect(),
            skipped: self.skipped().map(|v| v.view.fullname()).collect(),
        })
    }
}
