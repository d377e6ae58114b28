//! Materialized views.

use diesel::pg::Pg;
use diesel::query_builder::QueryFragment;

use super::common::{common_methods, Common};
use super::index::Index;
use crate::ddl::{
    CommentOn, CreateIndex, CreateMaterializedView, DropMaterializedView, RefreshMaterializedView,
};
use crate::error::{Error, RelationKind, Result};
use crate::ident::Ident;
use crate::sql_text::storable_text;

/// A storage parameter of a materialized view (`WITH (fillfactor = 70)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StorageParameter {
    /// The parameter name; a dotted name such as `toast.autovacuum_enabled` is split in two.
    pub name: Vec<Ident>,
    /// The value, written as a string constant (PostgreSQL accepts every value so).
    pub value: String,
}

/// A materialized view definition: a name and a query, with storage options and indexes.
///
/// # Examples
/// ```
/// use pgview_core::{Index, MaterializedView};
///
/// let revenue = MaterializedView::from_sql("revenue", "SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id")?
///     .index(Index::unique(["user_id"])?)?
///     .storage_parameter("fillfactor", "90")?
///     .with_data(false);
/// assert_eq!(revenue.indexes()[0].name().unwrap().as_str(), "revenue_user_id_idx");
/// assert!(revenue.can_refresh_concurrently());
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterializedView {
    pub(crate) common: Common,
    pub(crate) with_data: bool,
    pub(crate) tablespace: Option<Ident>,
    pub(crate) storage: Vec<StorageParameter>,
    pub(crate) indexes: Vec<Index>,
}

common_methods!(MaterializedView);

impl MaterializedView {
    /// A materialized view of a Diesel query; bind values are written as typed literals.
    ///
    /// # Errors
    /// An invalid name, a bind value that cannot be written as a literal, or a query whose SQL
    /// is more than one statement
    /// ([`Error::MultipleStatements`](crate::Error::MultipleStatements)).
    pub fn new<Q: QueryFragment<Pg>>(name: &str, query: Q) -> Result<Self> {
        Ok(Self::with_common(Common::from_query(
            name,
            RelationKind::MaterializedView,
            &query,
        )?))
    }

    /// A materialized view of SQL text: exactly one `SELECT`, `VALUES`, `WITH … SELECT` or
    /// `TABLE` statement, as for [`View::from_sql`](crate::View::from_sql).
    ///
    /// # Errors
    /// [`Error::MultipleStatements`] when a second statement follows the first;
    /// [`Error::InvalidDefinition`] for an invalid name, empty text, text that is not a query
    /// or ends inside a string or comment that is not closed; [`Error::ParameterInSql`] for
    /// text containing a parameter placeholder such as `$1`.
    pub fn from_sql(name: &str, sql: &str) -> Result<Self> {
        Ok(Self::with_common(Common::from_sql(
            name,
            RelationKind::MaterializedView,
            sql,
        )?))
    }

    fn with_common(common: Common) -> Self {
        Self {
            common,
            with_data: true,
            tablespace: None,
            storage: Vec::new(),
            indexes: Vec::new(),
        }
    }

    /// Whether `CREATE MATERIALIZED VIEW` fills it (`WITH DATA`, the default) or leaves it
    /// unpopulated until the first refresh (`WITH NO DATA`).
    #[must_use]
    pub fn with_data(mut self, with_data: bool) -> Self {
        self.with_data = with_data;
        self
    }

    /// Creates the materialized view in `tablespace`.
    ///
    /// # Errors
    /// An invalid identifier.
    pub fn tablespace(mut self, tablespace: &str) -> Result<Self> {
        self.tablespace = Some(Ident::new(tablespace)?);
        Ok(self)
    }

    /// Adds a storage parameter (`fillfactor`, `autovacuum_enabled`,
    /// `toast.autovacuum_enabled`, …), replacing an earlier value of the same parameter.
    ///
    /// # Errors
    /// An invalid name, or a value containing a NUL byte.
    pub fn storage_parameter(mut self, name: &str, value: &str) -> Result<Self> {
        let name = option_name_parts(self.name(), name)?;
        let value = storable_text(value, "storage parameter", &self.fullname())?;
        self.storage.retain(|p| p.name != name);
        self.storage.push(StorageParameter { name, value });
        Ok(self)
    }

    /// Declares an index, created with the materialized view. An unnamed index is named
    /// `<view>_<columns>_idx` (an expression part counts as `expr`).
    ///
    /// # Errors
    /// A default name longer than 63 bytes, or a second index of the same name.
    pub fn index(mut self, index: Index) -> Result<Self> {
        let index = index.with_default_name(self.common.name.name())?;
        if self.indexes.iter().any(|i| i.name == index.name) {
            return Err(self.common.invalid(format!(
                "two indexes are named {}",
                index
                    .name
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            )));
        }
        self.indexes.push(index);
        Ok(self)
    }

    /// Whether `CREATE` fills the view.
    pub fn is_with_data(&self) -> bool {
        self.with_data
    }

    /// The tablespace, when set.
    pub fn tablespace_name(&self) -> Option<&Ident> {
        self.tablespace.as_ref()
    }

    /// The storage parameters.
    pub fn storage_parameters(&self) -> &[StorageParameter] {
        &self.storage
    }

    /// The declared indexes, each named.
    pub fn indexes(&self) -> &[Index] {
        &self.indexes
    }

    /// Whether the definition declares what `REFRESH … CONCURRENTLY` needs: a unique index
    /// on plain columns without a `WHERE` clause ([`Index::serves_concurrent_refresh`]; a
    /// unique expression or partial index does not do).
    pub fn can_refresh_concurrently(&self) -> bool {
        self.indexes.iter().any(Index::serves_concurrent_refresh)
    }

    #[allow(clippy::unnecessary_wraps, clippy::unused_self)]
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }

    /// `CREATE MATERIALIZED VIEW` for this definition, with its indexes and comments.
    pub fn create(&self) -> CreateMaterializedView<'_> {
        CreateMaterializedView::new(self)
    }

    /// `REFRESH MATERIALIZED VIEW` for this view.
    pub fn refresh(&self) -> RefreshMaterializedView {
        RefreshMaterializedView::new(self)
    }

    /// `DROP MATERIALIZED VIEW` for this view.
    pub fn drop(&self) -> DropMaterializedView {
        DropMaterializedView::new(self.name().clone())
    }

    /// `CREATE INDEX` statements for the declared indexes.
    pub fn create_indexes(&self) -> Vec<CreateIndex<'_>> {
        self.indexes
            .iter()
            .map(|index| CreateIndex::new(self.name(), index))
            .collect()
    }

    /// The `COMMENT ON` statements for the view's comments.
    pub fn comment_statements(&self) -> Vec<CommentOn> {
        CommentOn::for_definition(&self.common, crate::RelationKind::MaterializedView)
    }
}

/// The identifiers of an option or storage parameter name: `fillfactor`, or `namespace.name`
/// such as `toast.autovacuum_enabled`.
///
/// # Errors
/// An invalid identifier, or more than one `.`.
pub(crate) fn option_name_parts(relation: &crate::QualifiedName, text: &str) -> Result<Vec<Ident>> {
    let parts = text
        .split('.')
        .map(Ident::new)
        .collect::<Result<Vec<_>>>()?;
    if parts.len() > 2 {
        return Err(Error::InvalidDefinition {
            name: relation.fullname(),
            reason: format!("the option name {text:?} has more than one `.` (namespace.name)"),
        });
    }
    Ok(parts)
}
