//! [`DependentViews`]: capture the views that depend on a relation, drop them, put them back;
//! [`with_dependent_views`]: a change to a table with its dependent views dropped and
//! restored around it, in one transaction.

use std::collections::HashMap;

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::sql_types::{Array, Bool, Nullable, Text};
use diesel::QueryableByName;
use diesel_async::AsyncConnection;

use super::operation::Operation;
use super::transaction::in_transaction_async;
use crate::catalog::plan::{Plan, Rows};
use crate::catalog::{
    all_views_plan, order_plan, reverse_plan, DependencyOrder, RelationName, ReverseDependency,
    ViewFilter, ViewInfo,
};
use crate::ddl::{
    CommentOn, CommentTarget, CreateView, DropMaterializedView, DropView, Grant, Grantee,
    Privilege, SetMaterializedViewOwner, SetViewOwner,
};
use crate::definition::{CheckOption, MaterializedView, View};
use crate::error::{Error, Result};
use crate::ident::{Ident, QualifiedName};
use crate::inline::render;

/// `capture.sql`: what the catalog functions do not report.
const CAPTURE_SQL: &str = include_str!("sql/capture.sql");

/// Pins `search_path` to nothing for the rest of the transaction, keeping the caller's value
/// in the `pgview.search_path` setting: definitions read or run meanwhile are
/// schema-qualified and mean the same whatever the caller's path.
const PIN_SEARCH_PATH: &str = "SELECT pg_catalog.set_config('pgview.search_path', \
     pg_catalog.current_setting('search_path'), true); \
     SELECT pg_catalog.set_config('search_path', '', true)";

/// Gives the caller's `search_path` back.
const UNPIN_SEARCH_PATH: &str = "SELECT pg_catalog.set_config('search_path', \
     pg_catalog.current_setting('pgview.search_path'), true)";

/// The views (plain and materialized) that depend on a relation, directly or through other
/// views, captured from the catalog with everything needed to create them again: definition
/// (schema-qualified), column names, options (`check_option`, `security_barrier`,
/// `security_invoker`, storage parameters), tablespace, whether a materialized view holds
/// data, indexes, comments on the view and its columns, owner, grants, triggers and rules.
///
/// It is the reusable piece of [`with_dependent_views`] (and of any rebuild that must take
/// views out of the way): [`capture`](Self::capture), then [`drop_views`](Self::drop_views)
/// (explicit `DROP`s in reverse dependency order, never `CASCADE`), change what they read,
/// then [`restore`](Self::restore) (creation order). The same SQL is available as statements
/// ([`drop_statements`](Self::drop_statements), [`restore_statements`](Self::restore_statements))
/// and as migration operations ([`drop_operation`](Self::drop_operation),
/// [`restore_operation`](Self::restore_operation)) for code that writes migrations.
///
/// Capturing costs a fixed number of queries (the reverse dependencies, their order, the
/// views with their indexes, and the extras above: 5, plus 2 to pin `search_path`, whatever
/// the number of views); dropping and restoring are one round trip each.
///
/// Not restored: comments on indexes, column-level privileges, security labels, and grants
/// made by a role other than the owner (they are made again by the current role). Views with column defaults
/// (`ALTER VIEW … ALTER COLUMN … SET DEFAULT`) are refused when captured.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependentViews {
    relation: String,
    views: Vec<CapturedView>,
}

/// One captured view.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CapturedView {
    info: ViewInfo,
    extras: ExtrasRow,
}

/// One row of `capture.sql`.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
struct ExtrasRow {
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    current_role: String,
    #[diesel(sql_type = Array<Text>)]
    options: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    comment_columns: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    comment_texts: Vec<String>,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    grantees: Vec<Option<String>>,
    #[diesel(sql_type = Array<Text>)]
    privileges: Vec<String>,
    #[diesel(sql_type = Array<Bool>)]
    grantable: Vec<bool>,
    #[diesel(sql_type = Array<Text>)]
    triggers: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    rules: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    default_columns: Vec<String>,
}

impl DependentViews {
    /// Captures the views that depend on the table, view or materialized view `relation`
    /// (transitively, through plain and materialized views), in creation order. An
    /// unqualified name is looked up in every user schema. Runs in a transaction of its own
    /// (a savepoint inside an open transaction).
    ///
    /// # Errors
    /// [`Error::NotFound`] or [`Error::Ambiguous`] for the name; [`Error::InvalidDefinition`]
    /// for a view that cannot be restored (a column default).
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
        let name = relation.to_qualified_name()?;
        let dependents = reverse_plan(&name)?.run(conn)?;
        let Some(filter) = names_filter(&dependents)? else {
            return Ok(Self::empty(&name));
        };
        let order = order_plan(&filter).run(conn)?;
        conn.batch_execute(PIN_SEARCH_PATH)?;
        let infos = all_views_plan(&filter).run(conn)?;
        let extras = extras_plan(&dependents).run(conn)?;
        conn.batch_execute(UNPIN_SEARCH_PATH)?;
        Self::assemble(&name, &order, infos, extras)
    }

    /// [`capture_in`](Self::capture_in) on an async connection.
    pub(crate) async fn capture_in_async<C, N>(conn: &mut C, relation: &N) -> Result<Self>
    where
        C: AsyncConnection<Backend = Pg>,
        N: RelationName + ?Sized,
    {
        let name = relation.to_qualified_name()?;
        let dependents = reverse_plan(&name)?.run_async(conn).await?;
        let Some(filter) = names_filter(&dependents)? else {
            return Ok(Self::empty(&name));
        };
        let order = order_plan(&filter).run_async(conn).await?;
        conn.batch_execute(PIN_SEARCH_PATH).await?;
        let infos = all_views_plan(&filter).run_async(conn).await?;
        let extras = extras_plan(&dependents).run_async(conn).await?;
        conn.batch_execute(UNPIN_SEARCH_PATH).await?;
        Self::assemble(&name, &order, infos, extras)
    }

    fn empty(relation: &QualifiedName) -> Self {
        Self {
            relation: relation.fullname(),
            views: Vec::new(),
        }
    }

    /// The captured views in creation order.
    fn assemble(
        relation: &QualifiedName,
        order: &DependencyOrder,
        infos: Vec<ViewInfo>,
        extras: Vec<ExtrasRow>,
    ) -> Result<Self> {
        let mut infos: HashMap<(String, String), ViewInfo> = infos
            .into_iter()
            .map(|info| ((info.schema.clone(), info.name.clone()), info))
            .collect();
        let mut extras: HashMap<(String, String), ExtrasRow> = extras
            .into_iter()
            .map(|row| ((row.schema.clone(), row.name.clone()), row))
            .collect();
        let mut views = Vec::new();
        for relation in order.creation_order() {
            let key = (relation.schema.clone(), relation.name.clone());
            let (Some(info), Some(extras)) = (infos.remove(&key), extras.remove(&key)) else {
                continue;
            };
            if let Some(column) = extras.default_columns.first() {
                return Err(Error::InvalidDefinition {
                    name: info.fullname(),
                    reason: format!(
                        "its column {column} has a default, which pgview does not restore; \
                         drop the default first"
                    ),
                });
            }
            views.push(CapturedView { info, extras });
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
    pub fn views(&self) -> impl ExactSizeIterator<Item = &ViewInfo> {
        self.views.iter().map(|v| &v.info)
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
    ///
    /// # Errors
    /// A name the server reported that is not a valid identifier.
    pub fn drop_statements(&self) -> Result<Vec<String>> {
        self.views
            .iter()
            .rev()
            .map(|view| {
                let name = view.qualified_name()?;
                if view.info.is_materialized {
                    render(&DropMaterializedView::new(name))
                } else {
                    render(&DropView::new(name))
                }
            })
            .collect()
    }

    /// The statements that create every view again, in creation order, each followed by its
    /// indexes, comments, owner, grants, triggers and rules. The definitions are
    /// schema-qualified (captured with an empty `search_path`).
    ///
    /// # Errors
    /// [`Error::InvalidDefinition`] for an option pgview does not know on a plain view.
    pub fn restore_statements(&self) -> Result<Vec<String>> {
        let mut statements = Vec::new();
        for view in &self.views {
            view.restore(&mut statements)?;
        }
        Ok(statements)
    }

    /// An operation whose up drops the views and whose down restores them.
    ///
    /// # Errors
    /// As [`drop_statements`](Self::drop_statements) and
    /// [`restore_statements`](Self::restore_statements).
    pub fn drop_operation(&self) -> Result<Operation> {
        Operation::sql(
            &self.drop_statements()?.join(";\n"),
            &self.restore_statements()?.join(";\n"),
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
        let Some(batch) = self.drop_batch()? else {
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
        let Some(batch) = self.restore_batch()? else {
            return Ok(());
        };
        conn.batch_execute(&batch)
            .map_err(|e| self.failed("restore", e.into()))
    }

    /// [`drop_views`](Self::drop_views) on an async connection.
    ///
    /// # Errors
    /// As [`drop_views`](Self::drop_views).
    pub async fn drop_views_async<C: AsyncConnection<Backend = Pg>>(
        &self,
        conn: &mut C,
    ) -> Result<()> {
        let Some(batch) = self.drop_batch()? else {
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
    pub async fn restore_async<C: AsyncConnection<Backend = Pg>>(
        &self,
        conn: &mut C,
    ) -> Result<()> {
        let Some(batch) = self.restore_batch()? else {
            return Ok(());
        };
        conn.batch_execute(&batch)
            .await
            .map_err(|e| self.failed("restore", e.into()))
    }

    fn drop_batch(&self) -> Result<Option<String>> {
        if self.views.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.drop_statements()?.join(";\n")))
    }

    fn restore_batch(&self) -> Result<Option<String>> {
        if self.views.is_empty() {
            return Ok(None);
        }
        let mut batch = vec![PIN_SEARCH_PATH.to_owned()];
        batch.extend(self.restore_statements()?);
        batch.push(UNPIN_SEARCH_PATH.to_owned());
        Ok(Some(batch.join(";\n")))
    }

    fn failed(&self, what: &str, source: Error) -> Error {
        Error::MigrationStep {
            migration: format!("the views that depend on {}", self.relation),
            step: format!("{what} ({} views)", self.views.len()),
            source: Box::new(source),
        }
    }
}

impl CapturedView {
    fn qualified_name(&self) -> Result<QualifiedName> {
        QualifiedName::new(Some(&self.info.schema), &self.info.name)
    }

    /// Appends the statements that create this view again.
    fn restore(&self, out: &mut Vec<String>) -> Result<()> {
        let info = &self.info;
        let name = self.qualified_name()?;
        let columns = info.columns.iter().map(|c| c.name.as_str());
        if info.is_materialized {
            let mut view = MaterializedView::from_sql(&info.name, &info.definition)?
                .schema(&info.schema)?
                .columns(columns)?
                .with_data(info.is_populated);
            for (option, value) in self.options() {
                view = view.storage_parameter(option, value)?;
            }
            if let Some(tablespace) = &info.tablespace {
                view = view.tablespace(tablespace)?;
            }
            out.push(render(&view.create())?);
            out.extend(info.indexes.iter().map(|index| index.definition.clone()));
        } else {
            let view = self.view_options(
                View::from_sql(&info.name, &info.definition)?
                    .schema(&info.schema)?
                    .columns(columns)?,
            )?;
            out.push(render(&CreateView::new(&view))?);
        }
        if let Some(comment) = &info.comment {
            let target = if info.is_materialized {
                CommentTarget::MaterializedView(name.clone())
            } else {
                CommentTarget::View(name.clone())
            };
            out.push(render(&CommentOn::new(target, Some(comment)))?);
        }
        let extras = &self.extras;
        for (column, text) in extras.comment_columns.iter().zip(&extras.comment_texts) {
            let target = CommentTarget::Column(name.clone(), Ident::new(column)?);
            out.push(render(&CommentOn::new(target, Some(text)))?);
        }
        if info.owner != extras.current_role {
            let owner = Ident::new(&info.owner)?;
            out.push(if info.is_materialized {
                render(&SetMaterializedViewOwner::new(name.clone(), owner))?
            } else {
                render(&SetViewOwner::new(name.clone(), owner))?
            });
        }
        for grant in self.grants(&name)? {
            out.push(render(&grant)?);
        }
        out.extend(extras.triggers.iter().cloned());
        out.extend(
            extras
                .rules
                .iter()
                .map(|rule| rule.trim_end().trim_end_matches(';').to_owned()),
        );
        Ok(())
    }

    /// The raw `reloptions` as `(name, value)`.
    fn options(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extras
            .options
            .iter()
            .map(|option| option.split_once('=').unwrap_or((option, "true")))
    }

    /// `view` with the options of the captured plain view, each as it was set.
    fn view_options(&self, mut view: View) -> Result<View> {
        for (option, value) in self.options() {
            view = match option {
                "check_option" if value.eq_ignore_ascii_case("local") => {
                    view.check_option(CheckOption::Local)
                }
                "check_option" if value.eq_ignore_ascii_case("cascaded") => {
                    view.check_option(CheckOption::Cascaded)
                }
                "security_barrier" => view.security_barrier(is_true(value)),
                "security_invoker" => view.security_invoker(is_true(value)),
                _ => {
                    return Err(Error::InvalidDefinition {
                        name: self.info.fullname(),
                        reason: format!("pgview does not know the view option {option}={value}"),
                    })
                }
            };
        }
        Ok(view)
    }

    /// The grants of the view, one per grantee and grant option, in ACL order.
    fn grants(&self, name: &QualifiedName) -> Result<Vec<Grant>> {
        let extras = &self.extras;
        let mut grants: Vec<(Option<&str>, bool, Grant)> = Vec::new();
        let entries = extras
            .grantees
            .iter()
            .zip(&extras.privileges)
            .zip(&extras.grantable);
        for ((grantee, privilege), &grantable) in entries {
            let Some(privilege) = Privilege::from_keyword(privilege) else {
                return Err(Error::InvalidDefinition {
                    name: self.info.fullname(),
                    reason: format!("pgview does not know the privilege {privilege}"),
                });
            };
            let grantee = grantee.as_deref();
            if let Some((_, _, grant)) = grants
                .iter_mut()
                .find(|(g, option, _)| *g == grantee && *option == grantable)
            {
                *grant = grant.clone().privilege(privilege);
                continue;
            }
            let to = match grantee {
                Some(role) => Grantee::Role(Ident::new(role)?),
                None => Grantee::Public,
            };
            let mut grant = Grant::new(name.clone(), to).privilege(privilege);
            if grantable {
                grant = grant.with_grant_option();
            }
            grants.push((grantee, grantable, grant));
        }
        Ok(grants.into_iter().map(|(_, _, grant)| grant).collect())
    }
}

/// A boolean option value as PostgreSQL reads it.
fn is_true(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "t" | "tr" | "tru" | "true" | "y" | "ye" | "yes" | "on" | "1"
    )
}

/// A filter naming every dependent view, or `None` when there is none.
fn names_filter(dependents: &[ReverseDependency]) -> Result<Option<ViewFilter>> {
    if dependents.is_empty() {
        return Ok(None);
    }
    let names = dependents
        .iter()
        .map(|d| QualifiedName::new(Some(&d.view.schema), &d.view.name))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(ViewFilter::new().names(names)?))
}

/// The plan of `capture.sql` for the dependent views (one query).
fn extras_plan(dependents: &[ReverseDependency]) -> Plan<Vec<ExtrasRow>, ExtrasRow> {
    let schemas: Vec<String> = dependents.iter().map(|d| d.view.schema.clone()).collect();
    let names: Vec<String> = dependents.iter().map(|d| d.view.name.clone()).collect();
    let query = diesel::sql_query(CAPTURE_SQL)
        .into_boxed()
        .bind::<Array<Text>, _>(schemas)
        .bind::<Array<Text>, _>(names);
    Plan::one(Rows::new(query), Ok)
}

/// Runs `change` on `conn` with the views that depend on `relation` (directly or through
/// other views, plain and materialized) out of the way, all in one transaction:
///
/// 1. capture them ([`DependentViews::capture`]: a fixed number of catalog queries);
/// 2. drop them, in reverse dependency order, with explicit `DROP VIEW` /
///    `DROP MATERIALIZED VIEW` (never `CASCADE`, so nothing else disappears);
/// 3. run `change` (an `ALTER TABLE`, …);
/// 4. create them again in dependency order, with their options, indexes, comments, owner,
///    grants, triggers and rules (materialized views are filled again unless they were
///    unpopulated).
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
        let views = DependentViews::capture_in_async(conn, relation).await?;
        views.drop_views_async(conn).await?;
        let value = change(conn).await?;
        views.restore_async(conn).await?;
        Ok(value)
    })
    .await
}
