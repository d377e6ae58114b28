//! How a catalog function runs: a fixed plan of at most two queries whose rows one function
//! turns into the result, executed by a sync or an async connection.
//!
//! Every public catalog function builds its [`Plan`] once; `pgview::get_…` runs it with
//! [`Plan::run`], `pgview::aio::get_…` with [`Plan::run_async`]. The SQL, the sequence of
//! queries and the post-processing are therefore written once, and the number of round trips
//! is fixed by the plan, never by the number of views.

use std::marker::PhantomData;

use diesel::connection::LoadConnection;
use diesel::deserialize::{self, QueryableByName};
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::row::NamedRow;
use diesel_async::AsyncConnectionCore;

use crate::error::Result;

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

/// The row type of a plan's absent second query.
#[derive(Debug)]
pub(crate) enum NoRow {}

impl QueryableByName<Pg> for NoRow {
    fn build<'a>(_row: &impl NamedRow<'a, Pg>) -> deserialize::Result<Self> {
        Err("pgview: a row arrived for a query that was never sent".into())
    }
}

/// What finishes a plan: the rows of its queries in, the result out.
type Finish<T, A, B> = Box<dyn FnOnce(Vec<A>, Vec<B>) -> Result<T> + Send>;

/// The queries of one catalog function (one or two, sent one after the other) and the function
/// that combines their rows.
pub(crate) struct Plan<T, A, B = NoRow> {
    first: Rows<A>,
    second: Option<Rows<B>>,
    finish: Finish<T, A, B>,
}

impl<T, A> Plan<T, A, NoRow> {
    /// A plan of one query.
    pub(crate) fn one(
        first: Rows<A>,
        finish: impl FnOnce(Vec<A>) -> Result<T> + Send + 'static,
    ) -> Self {
        Self {
            first,
            second: None,
            finish: Box::new(move |rows, _| finish(rows)),
        }
    }
}

impl<T, A, B> Plan<T, A, B>
where
    A: QueryableByName<Pg> + Send + 'static,
    B: QueryableByName<Pg> + Send + 'static,
{
    /// A plan of two queries.
    pub(crate) fn two(
        first: Rows<A>,
        second: Rows<B>,
        finish: impl FnOnce(Vec<A>, Vec<B>) -> Result<T> + Send + 'static,
    ) -> Self {
        Self {
            first,
            second: Some(second),
            finish: Box::new(finish),
        }
    }

    /// Runs the plan on a sync connection.
    pub(crate) fn run<C>(self, conn: &mut C) -> Result<T>
    where
        C: LoadConnection<Backend = Pg>,
    {
        use diesel::RunQueryDsl;

        let first = self.first.query.load::<A>(conn)?;
        let second = match self.second {
            Some(rows) => rows.query.load::<B>(conn)?,
            None => Vec::new(),
        };
        (self.finish)(first, second)
    }

    /// Runs the plan on an async connection.
    pub(crate) async fn run_async<C>(self, conn: &mut C) -> Result<T>
    where
        C: AsyncConnectionCore<Backend = Pg>,
    {
        use diesel_async::RunQueryDsl;

        let first = self.first.query.load::<A>(conn).await?;
        let second = match self.second {
            Some(rows) => rows.query.load::<B>(conn).await?,
            None => Vec::new(),
        };
        (self.finish)(first, second)
    }
}
