//! [`AsyncPool`]: the connection pools parallel refresh and the
//! [`AutoRefresher`](crate::aio::AutoRefresher) run on, with implementations for diesel-async's
//! bb8 pool (feature `bb8`, on by default) and deadpool pool (feature `deadpool`).
//!
//! The trait is object safe (its futures are boxed): the refresher keeps its pool as
//! `Arc<dyn AsyncPool>`, so that one scheduler and one refresher serve every pool, and
//! `AutoRefresher` needs no type parameter. A boxed future per connection taken costs nothing
//! next to a refresh.

use std::future::Future;
use std::ops::DerefMut;
use std::pin::Pin;

use diesel_async::AsyncPgConnection;

#[cfg(any(feature = "bb8", feature = "deadpool"))]
use crate::error::Error;
use crate::error::Result;

/// A future returned by an [`AsyncPool`].
pub type PoolFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A connection taken from an [`AsyncPool`], given back when dropped.
pub type PooledConnection = Box<dyn DerefMut<Target = AsyncPgConnection> + Send>;

/// A pool of [`AsyncPgConnection`]s that parallel refresh
/// ([`aio::refresh_materialized_views`](crate::aio::refresh_materialized_views)) and the
/// [`AutoRefresher`](crate::aio::AutoRefresher) take connections from.
///
/// Implemented for `diesel_async::pooled_connection::bb8::Pool<AsyncPgConnection>` (feature
/// `bb8`) and `diesel_async::pooled_connection::deadpool::Pool<AsyncPgConnection>` (feature
/// `deadpool`); implement it for another pool in a few lines.
///
/// # Examples
/// ```no_run
/// # #[cfg(feature = "deadpool")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use diesel_async::pooled_connection::AsyncDieselConnectionManager;
/// use diesel_async::pooled_connection::deadpool::Pool;
/// use diesel_async::AsyncPgConnection;
/// use pgview_core::Refresh;
///
/// let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new("postgres://localhost/app");
/// let pool: Pool<AsyncPgConnection> = Pool::builder(manager).max_size(4).build()?;
/// let report = pgview_core::aio::refresh_materialized_views(&pool, &Refresh::all()).await?;
/// # let _ = report; Ok(()) }
/// ```
pub trait AsyncPool: Send + Sync + 'static {
    /// A connection of the pool.
    ///
    /// # Errors
    /// [`Error::Connection`](crate::Error::Connection) when the pool gives none.
    fn get(&self) -> PoolFuture<'_, PooledConnection>;

    /// A connection of its own, made like the pool's but not counted in it (the refresher
    /// listens on one for as long as it runs).
    ///
    /// # Errors
    /// [`Error::Connection`](crate::Error::Connection) when none can be made.
    fn dedicated(&self) -> PoolFuture<'_, AsyncPgConnection>;

    /// The most connections the pool holds: how many views refresh at once by default.
    fn max_size(&self) -> usize;
}

#[cfg(feature = "bb8")]
#[cfg_attr(docsrs, doc(cfg(feature = "bb8")))]
impl AsyncPool for diesel_async::pooled_connection::bb8::Pool<AsyncPgConnection> {
    fn get(&self) -> PoolFuture<'_, PooledConnection> {
        Box::pin(async move {
            let conn = self
                .get_owned()
                .await
                .map_err(|e| Error::Connection(Box::new(e)))?;
            Ok(Box::new(conn) as PooledConnection)
        })
    }

    fn dedicated(&self) -> PoolFuture<'_, AsyncPgConnection> {
        Box::pin(async move {
            self.dedicated_connection()
                .await
                .map_err(|e| Error::Connection(Box::new(e)))
        })
    }

    fn max_size(&self) -> usize {
        self.config().max_size as usize
    }
}

#[cfg(feature = "deadpool")]
#[cfg_attr(docsrs, doc(cfg(feature = "deadpool")))]
impl AsyncPool for diesel_async::pooled_connection::deadpool::Pool<AsyncPgConnection> {
    fn get(&self) -> PoolFuture<'_, PooledConnection> {
        Box::pin(async move {
            let conn = self
                .get()
                .await
                .map_err(|e| Error::Connection(Box::new(e)))?;
            Ok(Box::new(conn) as PooledConnection)
        })
    }

    fn dedicated(&self) -> PoolFuture<'_, AsyncPgConnection> {
        use deadpool::managed::Manager as _;
        Box::pin(async move {
            self.manager()
                .create()
                .await
                .map_err(|e| Error::Connection(Box::new(e)))
        })
    }

    fn max_size(&self) -> usize {
        self.status().max_size
    }
}
