//! `get_all_views` and `get_view_definition`.

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Bool, Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl};

use crate::definition::{MaterializedView, View};
use crate::error::{Error, RelationKind, Result};
use crate::ident::QualifiedName;

/// Which views [`get_all_views`] lists.
///
/// # Examples
/// ```
/// use pgview_core::ViewFilter;
/// let filter = ViewFilter::new().schema("reporting").include_materialized(false).name_like("user_%");
/// # let _ = filter;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFilter {
    schema: Option<String>,
    include_materialized: bool,
    name_like: Option<String>,
}

impl Default for ViewFilter {
    fn default() -> Self {
        Self::new()
    }
}

impl ViewFilter {
    /// Every view and materialized view of every user schema (system schemas are left out).
    pub fn new() -> Self {
        Self {
            schema: None,
            include_materialized: true,
            name_like: None,
        }
    }

    /// Only views of `schema`.
    #[must_use]
    pub fn schema(mut self, schema: &str) -> Self {
        self.schema = Some(schema.to_owned());
        self
    }

    /// Whether materialized views are listed (default: yes).
    #[must_use]
    pub fn include_materialized(mut self, include: bool) -> Self {
        self.include_materialized = include;
        self
    }

    /// Only views whose name matches the SQL `LIKE` pattern (`%` any text, `_` one character).
    #[must_use]
    pub fn name_like(mut self, pattern: &str) -> Self {
        self.name_like = Some(pattern.to_owned());
        self
    }
}

/// A view or materialized view found in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewInfo {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Whether it is a materialized view.
    pub is_materialized: bool,
    /// Its query as the server prints it (`pg_get_viewdef`).
    pub definition: String,
}

impl ViewInfo {
    /// `schema.name`.
    pub fn fullname(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// One row of the view queries.
#[derive(Debug, QueryableByName)]
pub(crate) struct ViewRow {
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    is_materialized: bool,
    #[diesel(sql_type = Text)]
    definition: String,
}

impl From<ViewRow> for ViewInfo {
    fn from(row: ViewRow) -> Self {
        Self {
            schema: row.schema,
            name: row.name,
            is_materialized: row.is_materialized,
            definition: row.definition,
        }
    }
}

/// A catalog query: SQL text from a `.sql` file with its bind values; runs with
/// `diesel::RunQueryDsl` and `diesel_async::RunQueryDsl` alike.
pub(crate) type CatalogQuery = BoxedSqlQuery<'static, Pg, SqlQuery>;

/// The query of [`get_all_views`].
pub(crate) fn all_views_query(filter: &ViewFilter) -> CatalogQuery {
    diesel::sql_query(include_str!("sql/all_views.sql"))
        .into_boxed()
        .bind::<Nullable<Text>, _>(filter.schema.clone())
        .bind::<Bool, _>(filter.include_materialized)
        .bind::<Nullable<Text>, _>(filter.name_like.clone())
}

/// The query of [`get_view_definition`].
pub(crate) fn find_view_query(name: &QualifiedName) -> CatalogQuery {
    diesel::sql_query(include_str!("sql/find_view.sql"))
        .into_boxed()
        .bind::<Nullable<Text>, _>(name.schema().map(|s| s.as_str().to_owned()))
        .bind::<Text, _>(name.name().as_str().to_owned())
}

/// The one view among `rows` found for `name`.
pub(crate) fn pick_view(name: &QualifiedName, mut rows: Vec<ViewRow>) -> Result<ViewInfo> {
    match rows.len() {
        0 => Err(Error::NotFound {
            kind: RelationKind::View,
            name: name.fullname(),
        }),
        1 => Ok(rows.remove(0).into()),
        _ => Err(Error::Ambiguous {
            name: name.fullname(),
            candidates: rows
                .into_iter()
                .map(|r| ViewInfo::from(r).fullname())
                .collect(),
        }),
    }
}

/// A way to name a relation: `"name"` or `"schema.name"` (parts may be double-quoted, as
/// `"my.schema"."v"`), a [`QualifiedName`], or a definition.
pub trait RelationName {
    /// The qualified name.
    ///
    /// # Errors
    /// An invalid identifier.
    fn to_qualified_name(&self) -> Result<QualifiedName>;
}

impl RelationName for str {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        QualifiedName::parse(self)
    }
}

impl RelationName for String {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        QualifiedName::parse(self)
    }
}

impl RelationName for QualifiedName {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        Ok(self.clone())
    }
}

impl RelationName for View {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        Ok(self.name().clone())
    }
}

impl RelationName for MaterializedView {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        Ok(self.name().clone())
    }
}

impl<T: RelationName + ?Sized> RelationName for &T {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        (**self).to_qualified_name()
    }
}

/// Lists the views and materialized views of the database (system schemas left out), ordered
/// by schema and name. One query.
///
/// The async form is [`aio::get_all_views`](crate::aio::get_all_views).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// for view in pgview_core::get_all_views(conn, &pgview_core::ViewFilter::new())? {
///     println!("{}: {}", view.fullname(), if view.is_materialized { "MV" } else { "V" });
/// }
/// # Ok(()) }
/// ```
pub fn get_all_views<C>(conn: &mut C, filter: &ViewFilter) -> Result<Vec<ViewInfo>>
where
    C: LoadConnection<Backend = Pg>,
{
    let rows: Vec<ViewRow> = all_views_query(filter).load(conn)?;
    Ok(rows.into_iter().map(ViewInfo::from).collect())
}

/// The query of the view or materialized view `name` as the server prints it. An
/// unqualified name is looked up in every user schema.
///
/// The async form is [`aio::get_view_definition`](crate::aio::get_view_definition).
///
/// # Errors
/// [`Error::NotFound`] when no view has that name, [`Error::Ambiguous`] when an unqualified
/// name exists in several schemas.
pub fn get_view_definition<C, N>(conn: &mut C, name: &N) -> Result<String>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let rows: Vec<ViewRow> = find_view_query(&name).load(conn)?;
    Ok(pick_view(&name, rows)?.definition)
}
