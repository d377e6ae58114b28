//! [`Pending`]: the views the refresher owes a refresh, each with the time it is due.
//!
//! The first notification for a view opens its window: the view is due one debounce later,
//! and the notifications that arrive meanwhile are folded into it (the window is not pushed
//! back, so a steady stream of writes still gives one refresh per window). A view taken into a
//! batch leaves; a notification arriving while the batch runs opens a new window, since the
//! running refresh may have started before that write committed. A failed view comes back
//! due after its backoff.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::ident::QualifiedName;

/// How far "never" is: a moment that far ahead is still represented on every platform (tokio's
/// own "far future" is 30 years too).
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `now + by`, with `by` at most [`FAR`]: `Duration::MAX` as a debounce, heartbeat or backoff
/// must not overflow (`Instant + Duration` panics). Should even that not be representable
/// (a clock 30 years from its end), the latest moment tried that is.
pub(crate) fn later(now: Instant, by: Duration) -> Instant {
    let by = by.min(FAR);
    now.checked_add(by)
        .or_else(|| now.checked_add(by / 2))
        .unwrap_or(now)
}

/// A moment far away (a sleep that is never meant to end).
pub(crate) fn far() -> Instant {
    later(Instant::now(), FAR)
}

/// The views owed a refresh.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    due: HashMap<QualifiedName, Instant>,
}

impl Pending {
    /// A notification for `view` arrived at `now`.
    pub(crate) fn notified(&mut self, view: QualifiedName, now: Instant, debounce: Duration) {
        self.due.entry(view).or_insert(later(now, debounce));
    }

    /// `view` is owed a refresh at `at` at the latest (a catch-up, or a retry).
    pub(crate) fn due_by(&mut self, view: QualifiedName, at: Instant) {
        let due = self.due.entry(view).or_insert(at);
        *due = (*due).min(at);
    }

    /// `view` is due at `at` exactly (a retry after a backoff, whatever arrived meanwhile).
    pub(crate) fn retry_at(&mut self, view: QualifiedName, at: Instant) {
        self.due.insert(view, at);
    }

    /// When the next view is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.due.values().min().copied()
    }

    /// The views due at `at` (without taking them), in name order.
    pub(crate) fn due_at(&self, at: Instant) -> Vec<QualifiedName> {
        let mut due: Vec<QualifiedName> = self
            .due
            .iter()
            .filter(|(_, due)| **due <= at)
            .map(|(view, _)| view.clone())
            .collect();
        due.sort();
        due
    }

    /// Takes the views due at `now`, in name order.
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<QualifiedName> {
        let due = self.due_at(now);
        for view in &due {
            self.due.remove(view);
        }
        due
    }

    /// The number of views owed a refresh.
    pub(crate) fn len(&self) -> usize {
        self.due.len()
    }
}

/// Exponential backoff: `min`, twice that, … up to `max`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub(crate) min: Duration,
    pub(crate) max: Duration,
}

impl Backoff {
    /// The delay after `failures` failures in a row (at least 1).
    pub(crate) fn delay(self, failures: u32) -> Duration {
        let factor = 2_u32.saturating_pow(failures.saturating_sub(1).min(20));
        self.min.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> QualifiedName {
        QualifiedName::new(Some("s"), n).unwrap()
    }

    #[test]
    fn windows_fold_notifications_and_are_not_pushed_back() {
        let t0 = Instant::now();
        let debounce = Duration::from_millis(200);
        let mut pending = Pending::default();
        pending.notified(name("a"), t0, debounce);
        pending.notified(name("a"), t0 + Duration::from_millis(150), debounce);
        pending.notified(name("b"), t0 + Duration::from_millis(100), debounce);
        assert_eq!(pending.next_due(), Some(t0 + debounce));
        assert!(pending.take_due(t0 + Duration::from_millis(199)).is_empty());
        assert_eq!(pending.take_due(t0 + debounce), [name("a")]);
        assert_eq!(pending.len(), 1);
        // A notification during the batch opens a new window.
        pending.notified(name("a"), t0 + Duration::from_millis(250), debounce);
        assert_eq!(
            pending.take_due(t0 + Duration::from_millis(450)),
            [name("a"), name("b")]
        );
        pending.due_by(name("c"), t0);
        pending.notified(name("c"), t0, debounce);
        assert_eq!(pending.next_due(), Some(t0));
        pending.retry_at(name("c"), t0 + debounce);
        assert_eq!(pending.next_due(), Some(t0 + debounce));
        assert_eq!(pending.take_due(t0 + debounce), [name("c")]);
        assert_eq!(pending.len(), 0);
    }

    #[test]
    fn durations_too_long_saturate() {
        let t0 = Instant::now();
        assert_eq!(later(t0, Duration::MAX), t0 + FAR);
        assert_eq!(
            later(t0, Duration::from_secs(1)),
            t0 + Duration::from_secs(1)
        );
        let mut pending = Pending::default();
        pending.notified(name("a"), t0, Duration::MAX);
        assert_eq!(pending.next_due(), Some(t0 + FAR));
        assert!(pending
            .take_due(t0 + Duration::from_secs(86_400))
            .is_empty());
        let backoff = Backoff {
            min: Duration::MAX,
            max: Duration::MAX,
        };
        assert_eq!(later(t0, backoff.delay(5)), t0 + FAR);
    }

    #[test]
    fn backoff_doubles_up_to_max() {
        let backoff = Backoff {
            min: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let delays: Vec<u128> = (1..=6).map(|n| backoff.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(1));
    }
}
