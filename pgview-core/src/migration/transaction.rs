//! One transaction around async work, as `Connection::transaction` does for sync work.

use diesel::pg::Pg;
use diesel_async::{AsyncConnection, TransactionManager};

/// Runs `work` in a transaction (a savepoint inside an open one): committed when it succeeds,
/// rolled back when it fails.
///
/// `AsyncConnection::transaction` would do, but its bounds name a trait that diesel-async does
/// not export, so functions generic over the closure cannot forward them; this uses the
/// connection's `TransactionManager` directly, with the same rules: the work's error is
/// returned even when the rollback fails too (diesel-async then marks the connection broken).
pub(crate) async fn in_transaction_async<C, T, E, F>(conn: &mut C, work: F) -> Result<T, E>
where
    C: AsyncConnection<Backend = Pg>,
    F: AsyncFnOnce(&mut C) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    C::TransactionManager::begin_transaction(conn).await?;
    match work(&mut *conn).await {
        Ok(value) => {
            C::TransactionManager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(error) => {
            let _ = crate::savepoint::rollback_async(conn).await;
            Err(error)
        }
    }
}
