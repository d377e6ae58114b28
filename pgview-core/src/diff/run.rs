//! [`diff`] and its async form: the queries of a [`Comparison`], sent in order, each step in a
//! transaction (a savepoint inside the caller's) that is rolled back.

use diesel::connection::{LoadConnection, TransactionManager};
use diesel::pg::Pg;

use crate::error::Result;

use super::compare::{Comparison, EnvRow, ENV_SQL};
use super::options::DiffOptions;
use super::result::ViewDiff;
use super::scope::DiffScope;
use super::set::ViewSet;
use super::steps::{Reply, Request, Steps};
use crate::lock::{lock_block, UNLOCK_SQL};

/// Compares the declared views with the database `conn` is connected to.
///
/// Every declared view is created by the server inside a transaction that is rolled back (a
/// savepoint when `conn` is already in a transaction), so that each one is compared as the
/// server stores it with what the database holds: the query as `pg_get_viewdef` prints it,
/// the columns (names, types), the options, the comments and the indexes, each separately.
/// Unchanged views therefore give no difference, whatever their text looks like (`IN (…)`,
/// `*`, casts, other schemas, recursive views). `scope` says which other views of the database
/// are looked at (to find the views the application no longer declares).
///
/// Nothing is left in the database but, when the session had none and the role may create
/// temporary tables, the session's temporary schema, created as any temporary table creates
/// it (the comparison's batches create temporary objects). The async form is
/// [`aio::diff`](crate::aio::diff).
///
/// # Cost
/// Only what may have changed costs server work. The views are first selected from catalog
/// rows alone (one query); a declared view that the ownership record shows was applied by
/// pgview from the same definition and not changed since (see
/// [`DiffScope::managed`](crate::DiffScope::managed)), and reads nothing that changes for it
/// (a view it reads keeps its columns, or only appends columns it does not name when it names
/// every column it uses: no `*`, `NATURAL`, `TABLE`, whole-row reference or row type), is
/// unchanged without being created again ([`ViewDiff::proven_unchanged`];
/// [`DiffOptions::full`] compares everything). The others are read and created a batch at a
/// time: about six round trips per batch of [`DiffOptions::batch_size`] views, and a time
/// linear in their number.
///
/// # Locks
/// A view whose definition is printed, or that is created, is locked until its transaction
/// ends. The comparison reads and creates the views a batch at a time, each batch in a
/// subtransaction that is rolled back once its views are read (which releases its locks), so
/// that it holds at any time the locks of one batch: its views (250 by default), the changed
/// views they read, created again ahead of them, and the relations those read — whatever the
/// number of views, leaving the server's shared lock table (about 6,400 slots on a default
/// server, for every session) to the others. The views of a batch are renamed away while it
/// runs (`ACCESS EXCLUSIVE`): sessions reading them wait for the batch (a fraction of a
/// second), and the comparison waits for sessions using them; set `lock_timeout` on the
/// connection to bound that wait. With table SQL ([`ViewSet::with_table_sql`]) the views in
/// scope and the declared ones are dropped in the comparison's own transaction for the table
/// SQL to run: their locks are held until it ends. When the server still runs out of lock
/// slots, the error is [`Error::OutOfLocks`](crate::Error::OutOfLocks), which names the
/// setting to raise.
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// use pgview_core::{DiffScope, View, ViewSet};
/// let declared = ViewSet::new().with_view(View::from_sql("active_users", "SELECT id FROM users")?);
/// let diff = pgview_core::diff(conn, &declared, &DiffScope::managed())?;
/// print!("{diff}");
/// let plan = diff.plan()?;
/// print!("{}", plan.up_sql());
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::DeclaredViewsRejected`](crate::Error::DeclaredViewsRejected) when the server
/// refuses declared views (each with its message), [`Error::InvalidDefinition`](crate::Error::InvalidDefinition)
/// for a name declared twice or a temporary view, or a database error.
pub fn diff<C>(conn: &mut C, declared: &ViewSet, scope: &DiffScope) -> Result<ViewDiff>
where
    C: LoadConnection<Backend = Pg>,
{
    diff_with(conn, declared, &DiffOptions::new().scope(scope.clone()))
}

/// [`diff`] with options: the scope, and how long to wait for another comparison or migration
/// of views running on the same database ([`DiffOptions`]).
///
/// # Errors
/// As [`diff`], and [`Error::Busy`](crate::Error::Busy) when another comparison or migration
/// holds the pgview lock longer than [`DiffOptions::lock_wait`].
pub fn diff_with<C>(conn: &mut C, declared: &ViewSet, options: &DiffOptions) -> Result<ViewDiff>
where
    C: LoadConnection<Backend = Pg>,
{
    use diesel::RunQueryDsl;

    // Inside the caller's transaction, in a savepoint (its steps in savepoints within it);
    // else each step in a transaction of its own (see `steps.rs`), under a session lock.
    let depth =
        crate::savepoint::depth(C::TransactionManager::transaction_manager_status_mut(conn))?;
    let nested = depth > 0;
    if nested {
        C::TransactionManager::begin_transaction(conn)?;
    }
    let result = run_steps(conn, declared, options, !nested);
    let mut unwound = Ok(());
    while unwound.is_ok()
        && crate::savepoint::depth(C::TransactionManager::transaction_manager_status_mut(conn))?
            > depth
    {
        unwound = crate::savepoint::rollback(conn);
    }
    if !nested {
        let unlocked = diesel::sql_query(UNLOCK_SQL).execute(conn);
        let diff = result?;
        unwound?;
        unlocked?;
        return Ok(diff);
    }
    let diff = result?;
    unwound?;
    Ok(diff)
}

fn run_steps<C>(
    conn: &mut C,
    declared: &ViewSet,
    options: &DiffOptions,
    session_lock: bool,
) -> Result<ViewDiff>
where
    C: LoadConnection<Backend = Pg>,
{
    use diesel::RunQueryDsl;

    conn.batch_execute(&lock_block(options.lock_wait, session_lock))?;
    let env = diesel::sql_query(ENV_SQL.as_str()).get_result::<EnvRow>(conn)?;
    let mut steps = Steps::new(Comparison::new(declared, options, env)?);
    while let Some(request) = steps.next()? {
        let reply = match request {
            Request::Execute(sql) => {
                conn.batch_execute(&sql)?;
                Reply::Done
            }
            Request::TryExecute(sql) => match conn.batch_execute(&sql) {
                Ok(()) => Reply::Done,
                Err(_) => Reply::Failed,
            },
            Request::Record(sql) => Reply::Record(diesel::sql_query(sql).load(conn)?),
            Request::Select(query) => Reply::Select(query.load(conn)?),
            Request::States(query) => Reply::States(query.load(conn)?),
            Request::Failures(sql) => Reply::Failures(diesel::sql_query(sql).get_result(conn)?),
            Request::Same(sql) => Reply::Same(diesel::sql_query(sql).get_result(conn)?),
            Request::Begin => {
                C::TransactionManager::begin_transaction(conn)?;
                Reply::Done
            }
            Request::Rollback => {
                crate::savepoint::rollback(conn)?;
                Reply::Done
            }
        };
        steps.reply(reply)?;
    }
    steps.finish()
}

/// The async form of [`diff`], run by [`aio::diff`](crate::aio::diff): the same queries in the
/// same order.
#[cfg(feature = "async")]
pub(crate) async fn diff_async<C>(
    conn: &mut C,
    declared: &ViewSet,
    options: &DiffOptions,
) -> Result<ViewDiff>
where
    C: diesel_async::AsyncConnection<Backend = Pg>,
{
    use diesel_async::{RunQueryDsl, TransactionManager as _};

    let depth =
        crate::savepoint::depth(C::TransactionManager::transaction_manager_status_mut(conn))?;
    let nested = depth > 0;
    if nested {
        C::TransactionManager::begin_transaction(conn).await?;
    }
    let result = run_steps_async(conn, declared, options, !nested).await;
    let mut unwound = Ok(());
    while unwound.is_ok()
        && crate::savepoint::depth(C::TransactionManager::transaction_manager_status_mut(conn))?
            > depth
    {
        unwound = crate::savepoint::rollback_async(conn).await;
    }
    if !nested {
        let unlocked = diesel::sql_query(UNLOCK_SQL).execute(conn).await;
        let diff = result?;
        unwound?;
        unlocked?;
        return Ok(diff);
    }
    let diff = result?;
    unwound?;
    Ok(diff)
}

#[cfg(feature = "async")]
async fn run_steps_async<C>(
    conn: &mut C,
    declared: &ViewSet,
    options: &DiffOptions,
    session_lock: bool,
) -> Result<ViewDiff>
where
    C: diesel_async::AsyncConnection<Backend = Pg>,
{
    use diesel_async::{RunQueryDsl, TransactionManager as _};

    conn.batch_execute(&lock_block(options.lock_wait, session_lock))
        .await?;
    let env = diesel::sql_query(ENV_SQL.as_str())
        .get_result::<EnvRow>(conn)
        .await?;
    let mut steps = Steps::new(Comparison::new(declared, options, env)?);
    while let Some(request) = steps.next()? {
        let reply = match request {
            Request::Execute(sql) => {
                conn.batch_execute(&sql).await?;
                Reply::Done
            }
            Request::TryExecute(sql) => match conn.batch_execute(&sql).await {
                Ok(()) => Reply::Done,
                Err(_) => Reply::Failed,
            },
            Request::Record(sql) => Reply::Record(diesel::sql_query(sql).load(conn).await?),
            Request::Select(query) => Reply::Select(query.load(conn).await?),
            Request::States(query) => Reply::States(query.load(conn).await?),
            Request::Failures(sql) => {
                Reply::Failures(diesel::sql_query(sql).get_result(conn).await?)
            }
            Request::Same(sql) => Reply::Same(diesel::sql_query(sql).get_result(conn).await?),
            Request::Begin => {
                C::TransactionManager::begin_transaction(conn).await?;
                Reply::Done
            }
            Request::Rollback => {
                crate::savepoint::rollback_async(conn).await?;
                Reply::Done
            }
        };
        steps.reply(reply)?;
    }
    steps.finish()
}
