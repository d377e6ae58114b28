//! How a catalog function runs: a plan of queries whose rows one function turns into the
//! result, executed by a sync or an async connection.
//!
//! Every public catalog function builds its plan once; `pgview::catalog::get_…` runs it with
//! `run`, `pgview::aio::get_…` with `run_async`. The SQL, the sequence of queries and the
//! post-processing are therefore written once.
//!
//! - [`Plan`]: one query, one round trip. For queries that read catalog tables only: they lock
//!   a fixed set of catalog relations, never one per view.
//! - [`ChunkedPlan`]: a first query, then a second one per chunk of the first one's rows. For
//!   what must open the views themselves (`pg_get_viewdef` locks each view it prints until the
//!   transaction ends): each chunk's locks are released before the next chunk runs, so the
//!   session never holds more than one chunk's locks, whatever the number of views. Without an
//!   open transaction each chunk is a statement of its own, whose locks end with it. Inside the
//!   caller's transaction, where locks would last until the caller ends it, each chunk runs in a
//!   savepoint rolled back once its rows are read: rolling back to a savepoint releases the locks
//!   taken since, and nothing is lost, as the chunk only reads. Round trips: 1 + 1 per chunk, or
//!   1 + 3 per chunk inside a transaction (`SAVEPOINT`, the query, `ROLLBACK TO SAVEPOINT`, sent
//!   by the connection's own transaction manager so that it keeps track).

use std::marker::PhantomData;

use diesel::connection::{LoadConnection, TransactionManager, TransactionManagerStatus};
use diesel::deserialize::QueryableByName;
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::result::QueryResult;
#[cfg(feature = "async")]
use diesel_async::{AsyncConnection, AsyncConnectionCore};

use crate::error::Result;
use crate::prepared::Prepared;

/// A catalog query: SQL text from the `.sql` files with its bind values; runs with
/// `diesel::RunQueryDsl` and `diesel_async::RunQueryDsl` alike.
pub(crate) type CatalogQuery = BoxedSqlQuery<'static, Pg, SqlQuery>;

/// A catalog query that loads rows of type `R`.
pub(crate) struct Rows<R> {
    query: CatalogQuery,
    row: PhantomData<fn() -> R>,
}

impl<R> Rows<R> {
    pub(crate) fn new(query: CatalogQuery) -> Self {
        Self {
            query,
            row: PhantomData,
        }
    }
}

/// What finishes a chunked plan: the rows of its first query and of its chunks in, the result
/// out.
type Finish<T, A, B> = Box<dyn FnOnce(Vec<A>, Vec<B>) -> Result<T> + Send>;

/// The query of one catalog function and the function that turns its rows into the result.
///
/// Not kept prepared (see `prepared.rs`): the server's generic plan of a walk cannot tell a
/// walk from a few names from a walk of the whole database (measured at 100,000 views: a walk
/// from one name 0.6 ms planned for its values, 194 ms on the generic plan).
pub(crate) struct Plan<T, A> {
    query: Rows<A>,
    finish: Box<dyn FnOnce(Vec<A>) -> Result<T> + Send>,
}

impl<T, A> Plan<T, A>
where
    A: QueryableByName<Pg> + Send + 'static,
{
    /// A plan of one query.
    pub(crate) fn one(
        query: Rows<A>,
        finish: impl FnOnce(Vec<A>) -> Result<T> + Send + 'static,
    ) -> Self {
        Self {
            query,
            finish: Box::new(finish),
        }
    }

    /// The plan whose result is `then` of this plan's.
    pub(crate) fn map<U>(self, then: impl FnOnce(T) -> Result<U> + Send + 'static) -> Plan<U, A>
    where
        T: 'static,
    {
        let finish = self.finish;
        Plan {
            query: self.query,
            finish: Box::new(move |rows| then(finish(rows)?)),
        }
    }

    /// Runs the plan on a sync connection.
    pub(crate) fn run<C>(self, conn: &mut C) -> Result<T>
    where
        C: LoadConnection<Backend = Pg>,
    {
        use diesel::RunQueryDsl;

        let before = jit_off(conn)?;
        let rows = self.query.query.load::<A>(conn);
        let rows = first_error(rows, restore_jit(conn, before))?;
        (self.finish)(rows)
    }

    /// Runs the plan on an async connection.
    #[cfg(feature = "async")]
    pub(crate) async fn run_async<C>(self, conn: &mut C) -> Result<T>
    where
        C: AsyncConnectionCore<Backend = Pg>,
    {
        use diesel_async::RunQueryDsl;

        let before = jit_off_async(conn).await?;
        let rows = self.query.query.load::<A>(conn).await;
        let rows = first_error(rows, restore_jit_async(conn, before).await)?;
        (self.finish)(rows)
    }
}

/// What makes the chunk queries of a [`ChunkedPlan`] from its first query's rows.
type Chunks<A, B> = Box<dyn FnOnce(&[A]) -> Vec<Rows<B>> + Send>;

/// A first query, then one query per chunk of its rows (a fixed text, one plan whatever the
/// chunk: kept prepared, see [`Prepared`]), each chunk's locks released before
/// the next (see the module documentation), and the function that combines all the rows.
pub(crate) struct ChunkedPlan<T, A, B> {
    first: Rows<A>,
    chunks: Chunks<A, B>,
    finish: Finish<T, A, B>,
}

impl<T, A, B> ChunkedPlan<T, A, B>
where
    A: QueryableByName<Pg> + Send + 'static,
    B: QueryableByName<Pg> + Send + 'static,
{
    /// `first`, then the queries `chunks` makes from its rows (none for no rows), then
    /// `finish` on the rows of `first` and of every chunk, in order.
    pub(crate) fn new(
        first: Rows<A>,
        chunks: impl FnOnce(&[A]) -> Vec<Rows<B>> + Send + 'static,
        finish: impl FnOnce(Vec<A>, Vec<B>) -> Result<T> + Send + 'static,
    ) -> Self {
        Self {
            first,
            chunks: Box::new(chunks),
            finish: Box::new(finish),
        }
    }

    /// Runs the plan on a sync connection.
    pub(crate) fn run<C>(self, conn: &mut C) -> Result<T>
    where
        C: LoadConnection<Backend = Pg>,
    {
        let before = jit_off(conn)?;
        let result = self.run_queries(conn);
        first_error(result, restore_jit(conn, before))
    }

    fn run_queries<C>(self, conn: &mut C) -> Result<T>
    where
        C: LoadConnection<Backend = Pg>,
    {
        use diesel::RunQueryDsl;

        let first = self.first.query.load::<A>(conn)?;
        let savepoints =
            in_transaction(C::TransactionManager::transaction_manager_status_mut(conn));
        let mut rows = Vec::new();
        for chunk in (self.chunks)(&first) {
            if savepoints {
                C::TransactionManager::begin_transaction(conn)?;
                let loaded = Prepared(chunk.query).load::<B>(conn);
                let rolled_back = crate::savepoint::rollback(conn);
                rows.extend(first_error(loaded, rolled_back)?);
            } else {
                rows.extend(Prepared(chunk.query).load::<B>(conn)?);
            }
        }
        (self.finish)(first, rows)
    }

    /// Runs the plan on an async connection.
    #[cfg(feature = "async")]
    pub(crate) async fn run_async<C>(self, conn: &mut C) -> Result<T>
    where
        C: AsyncConnection<Backend = Pg>,
    {
        let before = jit_off_async(conn).await?;
        let result = self.run_queries_async(conn).await;
        first_error(result, restore_jit_async(conn, before).await)
    }

    #[cfg(feature = "async")]
    async fn run_queries_async<C>(self, conn: &mut C) -> Result<T>
    where
        C: AsyncConnection<Backend = Pg>,
    {
        use diesel_async::{RunQueryDsl, TransactionManager};

        let first = self.first.query.load::<A>(conn).await?;
        let savepoints =
            in_transaction(C::TransactionManager::transaction_manager_status_mut(conn));
        let mut rows = Vec::new();
        for chunk in (self.chunks)(&first) {
            if savepoints {
                C::TransactionManager::begin_transaction(conn).await?;
                let loaded = Prepared(chunk.query).load::<B>(conn).await;
                let rolled_back = crate::savepoint::rollback_async(conn).await;
                rows.extend(first_error(loaded, rolled_back)?);
            } else {
                rows.extend(Prepared(chunk.query).load::<B>(conn).await?);
            }
        }
        (self.finish)(first, rows)
    }
}

/// Whether the connection is inside a transaction (or its transaction manager is in an error
/// state: then the savepoint asked for reports that error).
fn in_transaction(status: &mut TransactionManagerStatus) -> bool {
    !matches!(status.transaction_depth(), Ok(None))
}

/// The value, or the first error: the work's, else the clean-up's that followed it (a chunk's
/// rollback, giving `jit` back).
fn first_error<T, E>(done: std::result::Result<T, E>, cleaned_up: QueryResult<()>) -> Result<T>
where
    crate::error::Error: From<E>,
{
    let value = done?;
    cleaned_up?;
    Ok(value)
}

/// Turns `jit` off for the session, giving its value before (see [`JitRow`]).
/// The value is read before it is set: the outer row is made from the materialized row of `s`.
const JIT_OFF_SQL: &str =
    "WITH s AS MATERIALIZED (SELECT pg_catalog.current_setting('jit') AS before) \
     SELECT s.before, pg_catalog.set_config('jit', 'off', false) AS now FROM s";

/// Gives `jit` back its value (`$1`).
const JIT_RESTORE_SQL: &str = "SELECT pg_catalog.set_config('jit', $1, false)";

/// The session's `jit` before a catalog plan turned it off.
///
/// Why: a catalog query over many views has a high estimated cost, and past
/// `jit_above_cost` (100,000 by default: about 15,000 views) the server compiles it to
/// machine code first, which costs it far more than it saves (measured: `get_all_views`'
/// first query on 10,000 views 1.5 s with JIT, 0.4 s without; the dependency walks the
/// same at 100,000 relations). A catalog plan runs with `jit` off and gives the session its
/// value back once done (inside the caller's transaction, a failure rolls the setting back
/// with it).
#[derive(Debug, QueryableByName)]
struct JitRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    before: String,
}

fn jit_off<C>(conn: &mut C) -> Result<String>
where
    C: LoadConnection<Backend = Pg>,
{
    use diesel::RunQueryDsl;

    Ok(diesel::sql_query(JIT_OFF_SQL)
        .get_result::<JitRow>(conn)?
        .before)
}

#[cfg(feature = "async")]
async fn jit_off_async<C>(conn: &mut C) -> Result<String>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    use diesel_async::RunQueryDsl;

    Ok(diesel::sql_query(JIT_OFF_SQL)
        .get_result::<JitRow>(conn)
        .await?
        .before)
}

/// The statement that gives `jit` back its value `before`; none when it was off already.
fn restore_jit_query(before: String) -> Option<CatalogQuery> {
    (before != "off").then(|| {
        diesel::sql_query(JIT_RESTORE_SQL)
            .into_boxed()
            .bind::<diesel::sql_types::Text, _>(before)
    })
}

fn restore_jit<C>(conn: &mut C, before: String) -> QueryResult<()>
where
    C: LoadConnection<Backend = Pg>,
{
    use diesel::RunQueryDsl;

    restore_jit_query(before).map_or(Ok(()), |query| query.execute(conn).map(drop))
}

#[cfg(feature = "async")]
async fn restore_jit_async<C>(conn: &mut C, before: String) -> QueryResult<()>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    use diesel_async::RunQueryDsl;

    match restore_jit_query(before) {
        Some(query) => query.execute(conn).await.map(drop),
        None => Ok(()),
    }
}
