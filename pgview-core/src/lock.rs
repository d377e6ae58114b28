//! The pgview lock: one comparison or view migration at a time on a database.
//!
//! A comparison drops and re-creates views inside its rolled-back transaction, and a migration
//! drops, replaces and creates them: two of them at once lock the same views in different
//! orders and one is killed by the deadlock detector (or a migration waits behind a long
//! comparison without saying why). Each of them therefore takes first a transaction-level
//! advisory lock ([`LOCK_KEY`], released when its transaction ends), waiting at most a bounded
//! time, and fails with [`Error::Busy`](crate::Error::Busy) naming the wait rather than
//! deadlocking.

use std::time::Duration;

use crate::sql_text::{dollar_quote, string_constant};

/// The advisory lock key: the bytes of `pgview` (`pg_advisory_xact_lock(123589670561143)`).
pub const LOCK_KEY: i64 = 0x7067_7669_6577;

/// How long a comparison or a migration waits for another one by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// What the error says when the wait ends (recognised by `server_error.rs`).
pub(crate) const BUSY_MESSAGE: &str =
    "pgview: another pgview comparison or migration is running on this database";

/// The wait as a `lock_timeout` value (milliseconds, at least 1: 0 would mean no limit).
fn timeout(wait: Duration) -> String {
    let ms = wait.as_millis().clamp(1, i32::MAX as u128);
    format!("{ms}ms")
}

/// Releases the session-level lock of [`lock_block`] (`session`).
pub(crate) const UNLOCK_SQL: &str = "SELECT pg_catalog.pg_advisory_unlock(123589670561143)";

/// PL/pgSQL statements (for a `DO` block with a `saved_timeout text` variable) that take the
/// lock, waiting at most `wait`, and keep the session's `lock_timeout` as it was: until the
/// transaction ends, or with `session` until [`UNLOCK_SQL`] (for work that runs in several
/// transactions).
pub(crate) fn lock_statements(wait: Duration, session: bool) -> String {
    let function = if session {
        "pg_advisory_lock"
    } else {
        "pg_advisory_xact_lock"
    };
    let message = format!(
        "{BUSY_MESSAGE} (waited {} ms for it)",
        wait.as_millis().clamp(1, i32::MAX as u128)
    );
    format!(
        "  saved_timeout := pg_catalog.current_setting('lock_timeout');
  PERFORM pg_catalog.set_config('lock_timeout', {timeout}, true);
  BEGIN
    PERFORM pg_catalog.{function}({LOCK_KEY});
  EXCEPTION WHEN lock_not_available THEN
    RAISE EXCEPTION USING ERRCODE = 'lock_not_available', MESSAGE = {message},
      HINT = 'Wait for it to finish, then try again.';
  END;
  PERFORM pg_catalog.set_config('lock_timeout', saved_timeout, true);
",
        timeout = string_constant(&timeout(wait)),
        message = string_constant(&message),
    )
}

/// A `DO` block that takes the lock (see [`lock_statements`]).
pub(crate) fn lock_block(wait: Duration, session: bool) -> String {
    let body = format!(
        "DECLARE\n  saved_timeout text;\nBEGIN\n{}END",
        lock_statements(wait, session)
    );
    format!("DO {}", dollar_quote(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_bounds_the_wait() {
        assert_eq!(
            UNLOCK_SQL,
            format!("SELECT pg_catalog.pg_advisory_unlock({LOCK_KEY})")
        );
        assert!(lock_block(Duration::ZERO, true).contains("pg_advisory_lock(123589670561143)"));
        let block = lock_block(Duration::from_millis(1500), false);
        assert!(
            block.contains("set_config('lock_timeout', '1500ms', true)"),
            "{block}"
        );
        assert!(block.contains("pg_advisory_xact_lock(123589670561143)"));
        assert!(block.contains("(waited 1500 ms for it)"));
        assert!(lock_block(Duration::ZERO, false).contains("'1ms'"));
        assert!(lock_block(Duration::MAX, false).contains(&format!("'{}ms'", i32::MAX)));
    }
}
