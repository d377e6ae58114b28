//! Rolling back a transaction level for good.
//!
//! Inside a transaction, diesel's `rollback_transaction` sends `ROLLBACK TO SAVEPOINT`, which
//! undoes the savepoint's work but keeps the savepoint (PostgreSQL re-establishes it), and the
//! next `begin_transaction` makes a new savepoint of the same name inside it. Work that begins
//! and rolls back savepoints in a loop (a comparison's steps, catalog reads in chunks) would
//! then nest one level deeper at each turn, and every level that writes keeps a transaction
//! ID, and its lock, until the caller's transaction ends: the lock table fills up with them.
//! These functions release the savepoint after rolling back to it.

use std::num::NonZeroU32;

use diesel::connection::{Connection, TransactionManager, TransactionManagerStatus};
use diesel::pg::Pg;
use diesel::QueryResult;

/// The depth of the connection's transaction (0: none).
pub(crate) fn depth(status: &mut TransactionManagerStatus) -> QueryResult<u32> {
    Ok(status.transaction_depth()?.map_or(0, NonZeroU32::get))
}

/// `RELEASE SAVEPOINT` of the savepoint diesel rolled back to at `depth`, if it was one.
fn release_sql(depth: u32) -> Option<String> {
    (depth > 1).then(|| format!("RELEASE SAVEPOINT diesel_savepoint_{}", depth - 1))
}

/// Rolls back the innermost transaction level of `conn`: the transaction, or the savepoint,
/// which is then released.
pub(crate) fn rollback<C>(conn: &mut C) -> QueryResult<()>
where
    C: Connection<Backend = Pg>,
{
    let depth = depth(C::TransactionManager::transaction_manager_status_mut(conn))?;
    C::TransactionManager::rollback_transaction(conn)?;
    match release_sql(depth) {
        Some(sql) => conn.batch_execute(&sql),
        None => Ok(()),
    }
}

/// [`rollback`] on an async connection.
#[cfg(feature = "async")]
pub(crate) async fn rollback_async<C>(conn: &mut C) -> QueryResult<()>
where
    C: diesel_async::AsyncConnection<Backend = Pg>,
{
    use diesel_async::TransactionManager as _;

    let depth = depth(C::TransactionManager::transaction_manager_status_mut(conn))?;
    C::TransactionManager::rollback_transaction(conn).await?;
    match release_sql(depth) {
        Some(sql) => conn.batch_execute(&sql).await,
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::release_sql;

    #[test]
    fn the_savepoint_rolled_back_to_is_released() {
        assert_eq!(release_sql(0), None);
        assert_eq!(release_sql(1), None);
        assert_eq!(
            release_sql(2).as_deref(),
            Some("RELEASE SAVEPOINT diesel_savepoint_1")
        );
        assert_eq!(
            release_sql(4).as_deref(),
            Some("RELEASE SAVEPOINT diesel_savepoint_3")
        );
    }
}
