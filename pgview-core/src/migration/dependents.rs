//! [`DependentViews`]: capture the views that depend on a relation, drop them, put them back;
//! [`with_dependent_views`]: a change to a table with its dependent views dropped and
//! restored around it, in one transaction.
//!
//! Capture and restore are the snapshot's ([`crate::snapshot`]): the same state query and the
//! same blueprints as the views a migration plan rebuilds, so both restore exactly the same
//! things.

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::sql_types::Text;
use diesel::QueryableByName;
#[cfg(feature = "async")]
use diesel_async::AsyncConnection;

use super::operation::Operation;
#[cfg(feature = "async")]
use super::transaction::in_transaction_async;
use crate::catalog::{reverse_plan, Relation, RelationName, ReverseDependency};
use crate::diff::DEFAULT_BATCH_SIZE;
use crate::error::{Error, RelationKind, Result};
use crate::ident::QualifiedName;
use crate::lock::{lock_block, DEFAULT_LOCK_WAIT};
use crate::record::re_identify_sql;
use crate::snapshot::{
    creation_order, drop_sql, states, states_query, Blueprint, Key, StateQuery, StateRow, ViewState,
};

/// Pins `search_path` to nothing for the rest of the transaction, keeping the caller's value
/// in the `pgview.search_path` setting (definitions read or run meanwhile are
/// schema-qualified and mean the same whatever the caller's path), and gives the current role
/// (which owns what is created).
const PIN_SEARCH_PATH: &str = "SELECT pg_catalog.set_config('pgview.search_path', \
     pg_catalog.current_setting('search_path'), true) AS saved, \
     pg_catalog.set_config('search_path', '', true) AS pinned, \
     current_user::text AS current_role";

/// Gives the caller's `search_path` back.
const UNPIN_SEARCH_PATH: &str = "SELECT pg_catalog.set_config('search_path', \
     pg_catalog.current_setting('pgview.search_path'), true)";

/// The row of [`PIN_SEARCH_PATH`].
#[derive(Debug, QueryableByName)]
struct PinRow {
    #[diesel(sql_type = Text)]
    current_role: String,
}

/// The views (plain and materialized) that depend on a relation, directly or through other
/// views, captured from the catalog with everything needed to create them again (and, once
/// restored, still recorded as managed by pgview when they were): definition
/// (schema-qualified), column names, options (`check_option`, `security_barrier`,
/// `security_invoker`, storage parameters), tablespace, whether a materialized view holds
/// data, indexes, comments on the view and its columns, owner, privileges (including those the
/// owner gave up), triggers, rules and column defaults.
///
/// It is the reusable piece of [`with_dependent_views`] (and of any rebuild that must take
/// views out of the way): [`capture`](Self::capture), then [`drop_views`](Self::drop_views)
/// (explicit `DROP`s in reverse dependency order, never `CASCADE`), change what they read,
/// then [`restore`](Self::restore) (creation order). The same SQL is available as statements
/// ([`drop_statements`](Self::drop_statements), [`restore_statements`](Self::restore_statements))
/// and as migration operations ([`drop_operation`](Self::drop_operation),
/// [`restore_operation`](Self::restore_operation)) for code that writes migrations.
///
/// What is captured and how it is restored is what a generated migration restores when it
/// rebuilds a view (one snapshot, the `snapshot` module): capturing costs the reverse
/// dependencies, then the views' state between pinning and unpinning `search_path`, 250 views
/// per query, each read in a subtransaction rolled back once read (so that the capture holds
/// the locks of 250 views at most); dropping and restoring are one round trip each.
///
/// Not restored: comments on indexes, column-level privileges, security labels, and grants
/// made by a role other than the owner (they are made again by the current role).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// use diesel::{Connection, RunQueryDsl};
/// use pgview_core::DependentViews;
/// conn.transaction(|conn| {
///     let views = DependentViews::capture(conn, "orders")?;
///     views.drop_views(conn)?;
///     diesel::sql_query("ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2)").execute(conn)?;
///     views.restore(conn)
/// })
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DependentViews {
    relation: String,
    /// In creation order.
    views: Vec<Captured>,
}

/// One captured view: its state and how to create it again.
#[derive(Debug, Clone)]
struct Captured {
    state: ViewState,
    blueprint: Blueprint,
}

impl DependentViews {
    /// Captures the views that depend on the table, view or materialized view `relation`
    /// (transitively, through plain and materialized views), in creation order. An
    /// unqualified name is looked up in every user schema. Runs in a transaction of its own
    /// (a savepoint inside an open transaction).
    ///
    /// # Errors
    /// [`Error::NotFound`] or [`Error::Ambiguous`] for the name; [`Error::InvalidDefinition`]
    /// for a view that cannot be restored (an option or privilege pgview does not know).
    pub fn capture<C, N>(conn: &mut C, relation: &N) -> Result<Self>
    where
        C: LoadConnection<Backend = Pg>,
        N: RelationName + ?Sized,
    {
        conn.transaction(|conn| Self::capture_in(conn, relation))
    }

    /// [`capture`](Self::capture) on an async connection: the same queries.
    ///
    /// # Errors
    /// As [`capture`](Self::capture).
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn capture_async<C, N>(conn: &mut C, relation: &N) -> Result<Self>
    where
        C: AsyncConnection<Backend = Pg>,
        N: RelationName + ?Sized,
    {
        in_transaction_async(conn, async |conn: &mut C| {
            Self::capture_in_async(conn, relation).await
        })
        .await
    }

    /// The capture, inside a transaction the caller opened.
    pub(crate) fn capture_in<C, N>(conn: &mut C, relation: &N) -> Result<Self>
    where
        C: LoadConnection<Backend = Pg>,
        N: RelationName + ?Sized,
    {
        use diesel::RunQueryDsl;

        use diesel::connection::TransactionManager;

        let name = relation.to_qualified_name()?;
        let dependents = reverse_plan(&name)?.run(conn)?;
        if dependents.is_empty() {
            return Ok(Self::empty(&name));
        }
        let pin = diesel::sql_query(PIN_SEARCH_PATH).get_result::<PinRow>(conn)?;
        let mut rows = Vec::with_capacity(dependents.len());
        for query in chunks(&dependents) {
            C::TransactionManager::begin_transaction(conn)?;
            let chunk = query.load::<StateRow>(conn);
            crate::savepoint::rollback(conn)?;
            rows.extend(chunk?);
        }
        diesel::sql_query(UNPIN_SEARCH_PATH).execute(conn)?;
        Self::assemble(&name, rows, &pin.current_role)
    }

    /// [`capture_in`](Self::capture_in) on an async connection: the same queries.
    #[cfg(feature = "async")]
    pub(crate) async fn capture_in_async<C, N>(conn: &mut C, relation: &N) -> Result<Self>
    where
        C: AsyncConnection<Backend = Pg>,
        N: RelationName + ?Sized,
    {
        use diesel_async::RunQueryDsl;

        use diesel_async::TransactionManager;

        let name = relation.to_qualified_name()?;
        let dependents = reverse_plan(&name)?.run_async(conn).await?;
        if dependents.is_empty() {
            return Ok(Self::empty(&name));
        }
        let pin = diesel::sql_query(PIN_SEARCH_PATH)
            .get_result::<PinRow>(conn)
            .await?;
        let mut rows = Vec::with_capacity(dependents.len());
        for query in chunks(&dependents) {
            C::TransactionManager::begin_transaction(conn).await?;
            let chunk = query.load::<StateRow>(conn).await;
            crate::savepoint::rollback_async(conn).await?;
            rows.extend(chunk?);
        }
        diesel::sql_query(UNPIN_SEARCH_PATH).execute(conn).await?;
        Self::assemble(&name, rows, &pin.current_role)
    }

    fn empty(relation: &QualifiedName) -> Self {
        Self {
            relation: relation.fullname(),
            views: Vec::new(),
        }
    }

    /// The captured views in creation order, each with its blueprint.
    fn assemble(relation: &QualifiedName, rows: Vec<StateRow>, current_role: &str) -> Result<Self> {
        let mut states = states(rows);
        let order = creation_order(&states);
        let mut views = Vec::with_capacity(order.len());
        for key in order {
            let Some(state) = states.remove(&key) else {
                continue;
            };
            let blueprint = Blueprint::new(&state, None, Some(&state), current_role)?;
            views.push(Captured { state, blueprint });
        }
        Ok(Self {
            relation: relation.fullname(),
            views,
        })
    }

    /// The relation whose dependents these are, as given.
    pub fn relation(&self) -> &str {
        &self.relation
    }

    /// The captured views, in creation order (reverse it for the drop order).
    pub fn views(&self) -> impl ExactSizeIterator<Item = Relation> + '_ {
        self.views.iter().map(|view| {
            let kind = RelationKind::of_view(view.state.materialized);
            Relation::new(&view.state.key.0, &view.state.key.1, kind)
        })
    }

    /// The number of captured views.
    pub fn len(&self) -> usize {
        self.views.len()
    }

    /// Whether nothing depends on the relation.
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// `DROP VIEW` / `DROP MATERIALIZED VIEW` of each view, in reverse dependency order
    /// (never `CASCADE`).
    pub fn drop_statements(&self) -> Vec<String> {
        self.views
            .iter()
            .rev()
            .map(|view| drop_sql(&view.blueprint.name, view.state.materialized))
            .collect()
    }

    /// The statements that create every view again, in creation order, each followed by its
    /// indexes, comments, owner, privileges, triggers, rules and column defaults. The
    /// definitions are schema-qualified (captured with an empty `search_path`).
    pub fn restore_statements(&self) -> Vec<String> {
        self.views
            .iter()
            .flat_map(|view| view.blueprint.create_statements())
            .collect()
    }

    /// An operation whose up drops the views and whose down restores them.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] when a statement is empty (see [`Operation::sql`]).
    pub fn drop_operation(&self) -> Result<Operation> {
        Operation::sql(
            &self.drop_statements().join(";\n"),
            &self.restore_statements().join(";\n"),
        )
        .map(|op| op.described(&format!("drop the views that depend on {}", self.relation)))
    }

    /// An operation whose up restores the views and whose down drops them.
    ///
    /// # Errors
    /// As [`drop_operation`](Self::drop_operation).
    pub fn restore_operation(&self) -> Result<Operation> {
        Ok(self.drop_operation()?.reversed().described(&format!(
            "restore the views that depend on {}",
            self.relation
        )))
    }

    /// Drops the views (one round trip).
    ///
    /// # Errors
    /// [`Error::MigrationStep`] with the server's error.
    pub fn drop_views<C: LoadConnection<Backend = Pg>>(&self, conn: &mut C) -> Result<()> {
        let Some(batch) = self.drop_batch() else {
            return Ok(());
        };
        conn.batch_execute(&batch)
            .map_err(|e| self.failed("drop", e.into()))
    }

    /// Creates the views again (one round trip), with `search_path` pinned while they are
    /// created.
    ///
    /// # Errors
    /// [`Error::MigrationStep`] with the server's error (for example a view whose query no
    /// longer fits the changed table).
    pub fn restore<C: LoadConnection<Backend = Pg>>(&self, conn: &mut C) -> Result<()> {
        let Some(batch) = self.restore_batch() else {
            return Ok(());
        };
        conn.batch_execute(&batch)
            .map_err(|e| self.failed("restore", e.into()))
    }

    /// [`drop_views`](Self::drop_views) on an async connection.
    ///
    /// # Errors
    /// As [`drop_views`](Self::drop_views).
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn drop_views_async<C: AsyncConnection<Backend = Pg>>(
        &self,
        conn: &mut C,
    ) -> Result<()> {
        let Some(batch) = self.drop_batch() else {
            return Ok(());
        };
        conn.batch_execute(&batch)
            .await
            .map_err(|e| self.failed("drop", e.into()))
    }

    /// [`restore`](Self::restore) on an async connection.
    ///
    /// # Errors
    /// As [`restore`](Self::restore).
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn restore_async<C: AsyncConnection<Backend = Pg>>(
        &self,
        conn: &mut C,
    ) -> Result<()> {
        let Some(batch) = self.restore_batch() else {
            return Ok(());
        };
        conn.batch_execute(&batch)
            .await
            .map_err(|e| self.failed("restore", e.into()))
    }

    fn drop_batch(&self) -> Option<String> {
        (!self.views.is_empty()).then(|| self.drop_statements().join(";\n"))
    }

    fn restore_batch(&self) -> Option<String> {
        if self.views.is_empty() {
            return None;
        }
        let mut batch = vec![PIN_SEARCH_PATH.to_owned()];
        batch.extend(self.restore_statements());
        let restored: Vec<(&Key, i64)> = self
            .views
            .iter()
            .map(|view| (&view.state.key, view.state.oid))
            .collect();
        batch.extend(re_identify_sql(&restored));
        batch.push(UNPIN_SEARCH_PATH.to_owned());
        Some(batch.join(";\n"))
    }

    fn failed(&self, what: &str, source: Error) -> Error {
        Error::MigrationStep {
            migration: format!("the views that depend on {}", self.relation),
            step: format!("{what} ({} views)", self.views.len()),
            source: Box::new(source),
        }
    }
}

/// The state queries of the dependent views, a bounded number each: reading a view's state
/// locks it, and each chunk is read in a subtransaction rolled back once read, which releases
/// its locks (see `snapshot/query.rs`).
fn chunks(dependents: &[ReverseDependency]) -> Vec<StateQuery> {
    let names: Vec<Key> = dependents
        .iter()
        .map(|d| (d.view.schema.clone(), d.view.name.clone()))
        .collect();
    names
        .chunks(DEFAULT_BATCH_SIZE)
        .map(|chunk| states_query(&[], chunk))
        .collect()
}

/// Runs `change` on `conn` with the views that depend on `relation` (directly or through
/// other views, plain and materialized) out of the way, all in one transaction:
///
/// 1. capture them ([`DependentViews::capture`]: catalog queries, a bounded number of views
///    each);
/// 2. drop them, in reverse dependency order, with explicit `DROP VIEW` /
///    `DROP MATERIALIZED VIEW` (never `CASCADE`, so nothing else disappears);
/// 3. run `change` (an `ALTER TABLE`, …);
/// 4. create them again in dependency order, with their options, indexes, comments, owner,
///    grants, triggers and rules (materialized views are filled again unless they were
///    unpopulated).
///
/// It first takes the pgview lock (one comparison or migration of views at a time, see
/// [`DEFAULT_LOCK_WAIT`](crate::DEFAULT_LOCK_WAIT)).
///
/// This is what `ALTER TABLE … ALTER COLUMN … TYPE` on a column that views read needs
/// ("cannot alter type of a column used by a view or rule"). If any step fails, including
/// `change` or the restoration of a view whose query no longer fits the new table, the
/// transaction is rolled back and nothing has changed. Inside an open transaction it is a
/// savepoint.
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// use diesel::RunQueryDsl;
/// pgview_core::with_dependent_views(conn, "public.orders", |conn| {
///     diesel::sql_query("ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2)").execute(conn)?;
///     Ok::<_, pgview_core::Error>(())
/// })?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// The error of `change`, unchanged; otherwise as [`DependentViews::capture`],
/// [`DependentViews::drop_views`] and [`DependentViews::restore`].
pub fn with_dependent_views<C, N, T, E, F>(conn: &mut C, relation: &N, change: F) -> Result<T, E>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
    F: FnOnce(&mut C) -> Result<T, E>,
    E: From<Error> + From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        conn.batch_execute(&lock_block(DEFAULT_LOCK_WAIT, false))
            .map_err(Error::from)?;
        let views = DependentViews::capture_in(conn, relation)?;
        views.drop_views(conn)?;
        let value = change(conn)?;
        views.restore(conn)?;
        Ok(value)
    })
}

/// [`with_dependent_views`] on an async connection (`AsyncPgConnection`, pooled
/// connections): the same queries and statements. `change` is an async closure.
///
/// # Examples
/// ```no_run
/// # async fn run(conn: &mut diesel_async::AsyncPgConnection) -> pgview_core::Result<()> {
/// use diesel_async::RunQueryDsl;
/// pgview_core::with_dependent_views_async(conn, "orders", async |conn| {
///     diesel::sql_query("ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2)")
///         .execute(conn)
///         .await?;
///     Ok::<_, pgview_core::Error>(())
/// })
/// .await
/// # }
/// ```
///
/// # Errors
/// As [`with_dependent_views`].
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub async fn with_dependent_views_async<C, N, T, E, F>(
    conn: &mut C,
    relation: &N,
    change: F,
) -> Result<T, E>
where
    C: AsyncConnection<Backend = Pg>,
    N: RelationName + ?Sized,
    F: AsyncFnOnce(&mut C) -> Result<T, E>,
    E: From<Error> + From<diesel::result::Error>,
{
    in_transaction_async(conn, async |conn: &mut C| {
        conn.batch_execute(&lock_block(DEFAULT_LOCK_WAIT, false))
            .await
            .map_err(Error::from)?;
        let views = DependentViews::capture_in_async(conn, relation).await?;
        views.drop_views_async(conn).await?;
        let value = change(conn).await?;
        views.restore_async(conn).await?;
        Ok(value)
    })
    .await
}
