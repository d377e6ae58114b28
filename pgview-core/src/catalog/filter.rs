//! [`ViewFilter`]: which views a catalog function looks at, and the bind values of the
//! selection that every catalog query starts with (`sql/selection.sql`).

use diesel::sql_types::{Array, Bool, Nullable, Text};

use crate::error::Result;
use crate::ident::QualifiedName;

use super::name::RelationName;
use super::plan::CatalogQuery;

/// Which views [`get_all_views`](crate::get_all_views),
/// [`get_dependency_order`](crate::get_dependency_order) and
/// [`GraphScope::views`](crate::GraphScope::views) look at.
///
/// By default: every view and materialized view of every user schema (`pg_catalog`,
/// `information_schema` and the `pg_toast` schemas are left out). Each setting narrows the
/// selection; [`names`](Self::names) asks for a given set of views.
///
/// # Examples
/// ```
/// use pgview_core::ViewFilter;
/// let filter = ViewFilter::new().schema("reporting").include_materialized(false).name_like("user_%");
/// let these = ViewFilter::new().names(["reporting.user_stats", "\"Order Stats\""])?;
/// # let _ = (filter, these);
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFilter {
    schema: Option<String>,
    include_materialized: bool,
    name_like: Option<String>,
    names: Option<Vec<QualifiedName>>,
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
            names: None,
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

    /// Only views whose name matches the SQL `LIKE` pattern (`%` any text, `_` one character,
    /// `\` escapes).
    #[must_use]
    pub fn name_like(mut self, pattern: &str) -> Self {
        self.name_like = Some(pattern.to_owned());
        self
    }

    /// Exactly these views (names as [`RelationName`] takes them: `"v"`, `"s.v"`, quoted
    /// parts, a [`QualifiedName`], a definition). The other settings still apply.
    ///
    /// Unlike the other settings, a name is a promise: a function given this filter fails
    /// with [`Error::NotFound`](crate::Error::NotFound) when a name matches no view (under
    /// the other settings), [`Error::Ambiguous`](crate::Error::Ambiguous) when an unqualified
    /// name exists in several schemas, and [`Error::WrongKind`](crate::Error::WrongKind) when
    /// it names a table.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) for a name that is not a
    /// valid relation name.
    pub fn names<I>(mut self, names: I) -> Result<Self>
    where
        I: IntoIterator,
        I::Item: RelationName,
    {
        let names = names
            .into_iter()
            .map(|name| name.to_qualified_name())
            .collect::<Result<Vec<_>>>()?;
        self.names = Some(names);
        Ok(self)
    }

    /// A filter selecting the relation `name`, whatever its kind.
    pub(crate) fn named(name: QualifiedName) -> Self {
        Self {
            names: Some(vec![name]),
            ..Self::new()
        }
    }

    /// The names given with [`names`](Self::names), if any.
    pub(crate) fn given_names(&self) -> Option<&[QualifiedName]> {
        self.names.as_deref()
    }

    /// Whether it selects every view and materialized view of every user schema (the default).
    pub(crate) fn selects_everything(&self) -> bool {
        self.schema.is_none()
            && self.include_materialized
            && self.name_like.is_none()
            && self.names.is_none()
    }

    /// Binds `$1`–`$5` of `sql/selection.sql`.
    pub(crate) fn bind_selection(&self, query: CatalogQuery) -> CatalogQuery {
        let (schemas, names): (Option<Vec<_>>, Option<Vec<_>>) = match &self.names {
            Some(names) => (
                Some(
                    names
                        .iter()
                        .map(|n| n.schema().map(|s| s.as_str().to_owned()))
                        .collect(),
                ),
                Some(names.iter().map(|n| n.name().as_str().to_owned()).collect()),
            ),
            None => (None, None),
        };
        query
            .bind::<Nullable<Text>, _>(self.schema.clone())
            .bind::<Bool, _>(self.include_materialized)
            .bind::<Nullable<Text>, _>(self.name_like.clone())
            .bind::<Nullable<Array<Nullable<Text>>>, _>(schemas)
            .bind::<Nullable<Array<Text>>, _>(names)
    }
}
