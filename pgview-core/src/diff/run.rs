//! [`diff`] and its async form: the queries of a [`Comparison`], sent in order inside a
//! transaction that is rolled back.

use diesel::connection::{LoadConnection, TransactionManager};
use diesel::pg::Pg;

use crate::error::Result;

use super::compare::{Comparison, EnvRow, ENV_SQL};
use super::normalize::{FAILURES_SQL, SAME_SQL};
use super::options::DiffOptions;
use super::result::ViewDiff;
use super::scope::DiffScope;
use super::set::ViewSet;
use crate::lock::lock_block;

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
/// The number of round trips is fixed (about ten), whatever the number of views. Nothing is
/// left in the database. The async form is [`aio::diff`](crate::aio::diff).
///
/// # Locks
/// While it runs, the comparison holds `ACCESS EXCLUSIVE` locks on the views in scope and the
/// declared ones (it drops them inside its transaction, which is rolled back; the locks go
/// with it, also inside an enclosing transaction): other sessions reading them wait until it
/// ends, about a second per thousand views, and the comparison waits for sessions using them.
/// Compare against a development database or a copy rather than a busy production one, or set
/// `lock_timeout` on the connection to bound the wait.
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
    C::TransactionManager::begin_transaction(conn)?;
    let result = diff_in_transaction(conn, declared, options);
    let rolled_back = C::TransactionManager::rollback_transaction(conn);
    let diff = result?;
    rolled_back?;
    Ok(diff)
}

fn diff_in_transaction<C>(
    conn: &mut C,
    declared: &ViewSet,
    options: &DiffOptions,
) -> Result<ViewDiff>
where
    C: LoadConnection<Backend = Pg>,
{
    use diesel::RunQueryDsl;

    conn.batch_execute(&lock_block(options.lock_wait))?;
    let env = diesel::sql_query(ENV_SQL.as_str()).get_result::<EnvRow>(conn)?;
    let mut comparison = Comparison::new(declared, &options.scope, env)?;
    if let Some(query) = comparison.record_query() {
        let rows = diesel::sql_query(query).load(conn)?;
        comparison.take_record(rows);
    }
    Comparison::search_path_query("").execute(conn)?;
    let live = comparison.live_query().load(conn)?;
    let block = comparison.normalize_sql(live)?;
    comparison.user_search_path_query().execute(conn)?;
    conn.batch_execute(&block)?;
    let failures = diesel::sql_query(FAILURES_SQL).get_result(conn)?;
    comparison.take_failures(failures)?;
    Comparison::search_path_query("").execute(conn)?;
    let normalized = comparison.normalized_query().load(conn)?;
    if let Some(block) = comparison.fixpoint_sql(normalized) {
        conn.batch_execute(&block)?;
        let same = diesel::sql_query(SAME_SQL).get_result(conn)?;
        comparison.take_same(&same);
    }
    comparison.finish()
}

/// The async form of [`diff`], run by [`aio::diff`](crate::aio::diff): the same queries in the
/// same order.
pub(crate) async fn diff_async<C>(
    conn: &mut C,
    declared: &ViewSet,
    options: &DiffOptions,
) -> Result<ViewDiff>
where
    C: diesel_async::AsyncConnection<Backend = Pg>,
{
    use diesel_async::TransactionManager as _;

    C::TransactionManager::begin_transaction(conn).await?;
    let result = diff_in_transaction_async(conn, declared, options).await;
    let rolled_back = C::TransactionManager::rollback_transaction(conn).await;
    let diff = result?;
    rolled_back?;
    Ok(diff)
}

async fn diff_in_transaction_async<C>(
    conn: &mut C,
    declared: &ViewSet,
    options: &DiffOptions,
) -> Result<ViewDiff>
where
    C: diesel_async::AsyncConnection<Backend = Pg>,
{
    use diesel_async::RunQueryDsl;

    conn.batch_execute(&lock_block(options.lock_wait)).await?;
    let env = diesel::sql_query(ENV_SQL.as_str())
        .get_result::<EnvRow>(conn)
        .await?;
    let mut comparison = Comparison::new(declared, &options.scope, env)?;
    if let Some(query) = comparison.record_query() {
        let rows = diesel::sql_query(query).load(conn).await?;
        comparison.take_record(rows);
    }
    Comparison::search_path_query("").execute(conn).await?;
    let live = comparison.live_query().load(conn).await?;
    let block = comparison.normalize_sql(live)?;
    comparison.user_search_path_query().execute(conn).await?;
    conn.batch_execute(&block).await?;
    let failures = diesel::sql_query(FAILURES_SQL).get_result(conn).await?;
    comparison.take_failures(failures)?;
    Comparison::search_path_query("").execute(conn).await?;
    let normalized = comparison.normalized_query().load(conn).await?;
    if let Some(block) = comparison.fixpoint_sql(normalized) {
        conn.batch_execute(&block).await?;
        let same = diesel::sql_query(SAME_SQL).get_result(conn).await?;
        comparison.take_same(&same);
    }
    comparison.finish()
}
