//! What views and materialized views share: name, query text, column list, comments.

use diesel::pg::Pg;
use diesel::query_builder::QueryFragment;

use crate::error::{Error, RelationKind, Result};
use crate::ident::{Ident, QualifiedName};
use crate::inline::inline_query;
use crate::lexer::pieces::ends_in_line_comment;
use crate::lexer::query::{one_query, NotOneQuery};
use crate::lexer::{tokens, TokenKind};
use crate::sql_text::storable_text;

/// A comment on one column of a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnComment {
    /// The column.
    pub column: Ident,
    /// The comment text.
    pub comment: String,
}

/// The parts every definition has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Common {
    pub(crate) name: QualifiedName,
    pub(crate) query: String,
    pub(crate) columns: Vec<Ident>,
    pub(crate) comment: Option<String>,
    pub(crate) column_comments: Vec<ColumnComment>,
    pub(crate) origin: Origin,
}

/// The `PgView` type whose current definition a definition is (`#[derive(PgView)]` marks the
/// definitions it makes), so that a migration that runs later can refuse to follow a struct
/// (see `crate::migration`). Not part of what the definition is: two definitions are equal
/// whatever made them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Origin(pub(crate) Option<&'static str>);

impl PartialEq for Origin {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Origin {}

impl Common {
    /// From a Diesel query: its binds are inlined as literals (a value that cannot be is an
    /// error naming the view and where the value is); the text must be one query.
    pub(crate) fn from_query<Q: QueryFragment<Pg> + ?Sized>(
        name: &str,
        kind: RelationKind,
        query: &Q,
    ) -> Result<Self> {
        let name = QualifiedName::new(None, name)?;
        let sql = inline_query(query).map_err(|error| error.in_view(&name, kind))?;
        let query = checked_query(&name, kind, &sql)?;
        Ok(Self::with_query(name, query))
    }

    /// From SQL text, which must be exactly one query and must not contain parameter
    /// placeholders.
    pub(crate) fn from_sql(name: &str, kind: RelationKind, sql: &str) -> Result<Self> {
        let name = QualifiedName::new(None, name)?;
        let sql = storable_text(sql, "SQL text", &name.fullname())?;
        if let Some(placeholder) = tokens(&sql).find(|t| t.kind == TokenKind::Parameter) {
            return Err(Error::ParameterInSql {
                name: name.fullname(),
                placeholder: placeholder.text.to_owned(),
            });
        }
        let query = checked_query(&name, kind, &sql)?;
        Ok(Self::with_query(name, query))
    }

    fn with_query(name: QualifiedName, query: String) -> Self {
        Self {
            name,
            query,
            columns: Vec::new(),
            comment: None,
            column_comments: Vec::new(),
            origin: Origin::default(),
        }
    }

    pub(crate) fn set_schema(&mut self, schema: &str) -> Result<()> {
        self.name.set_schema(Some(Ident::new(schema)?));
        Ok(())
    }

    pub(crate) fn set_columns<I, S>(&mut self, columns: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let columns = columns
            .into_iter()
            .map(|c| Ident::new(c.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        if let Some(dup) = first_duplicate(&columns) {
            return Err(self.invalid(format!("the column {dup} is listed twice")));
        }
        self.columns = columns;
        Ok(())
    }

    pub(crate) fn set_comment(&mut self, comment: &str) -> Result<()> {
        self.comment = Some(storable_text(comment, "comment", &self.name.fullname())?);
        Ok(())
    }

    pub(crate) fn add_column_comment(&mut self, column: &str, comment: &str) -> Result<()> {
        let column = Ident::new(column)?;
        let comment = storable_text(comment, "column comment", &self.name.fullname())?;
        self.column_comments.retain(|c| c.column != column);
        self.column_comments.push(ColumnComment { column, comment });
        Ok(())
    }

    /// An [`Error::InvalidDefinition`] about this definition.
    pub(crate) fn invalid(&self, reason: impl Into<String>) -> Error {
        Error::InvalidDefinition {
            name: self.name.fullname(),
            reason: reason.into(),
        }
    }

    /// A diesel `as_table()` value for this definition.
    pub(crate) fn as_table(&self) -> diesel_dynamic_schema::Table<String, String> {
        let name = self.name.name().as_str().to_owned();
        match self.name.schema() {
            Some(schema) => diesel_dynamic_schema::schema(schema.as_str().to_owned()).table(name),
            None => diesel_dynamic_schema::table(name),
        }
    }
}

/// The query `sql` holds (see [`one_query`]), ready to be written into a statement: without
/// the whitespace around it and its trailing `;`, and ending with a line break when it ends
/// inside a `--` comment (which would swallow what statements write after the query, such as
/// ` WITH DATA`).
///
/// # Errors
/// [`Error::MultipleStatements`] when a second statement follows the first,
/// [`Error::InvalidDefinition`] when the text is not a query.
pub(crate) fn checked_query(name: &QualifiedName, kind: RelationKind, sql: &str) -> Result<String> {
    match one_query(sql) {
        Ok(query) => {
            let mut query = query.to_owned();
            if ends_in_line_comment(&query) {
                query.push('\n');
            }
            Ok(query)
        }
        Err(NotOneQuery::MoreThanOne {
            following,
            standard_conforming_strings,
        }) => Err(Error::MultipleStatements {
            name: name.fullname(),
            kind,
            following,
            standard_conforming_strings,
        }),
        Err(other) => Err(Error::InvalidDefinition {
            name: name.fullname(),
            reason: other.reason(),
        }),
    }
}

fn first_duplicate(columns: &[Ident]) -> Option<&Ident> {
    columns
        .iter()
        .enumerate()
        .find(|(i, c)| columns[..*i].contains(c))
        .map(|(_, c)| c)
}

/// The builder methods and accessors both definition types share, with one body each.
macro_rules! common_methods {
    ($ty:ident) => {
        impl $ty {
            /// Puts the definition in `schema` (default: none, so the server's `search_path`
            /// decides where it is created).
            ///
            /// # Errors
            /// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) for an invalid
            /// schema name.
            pub fn schema(mut self, schema: &str) -> $crate::Result<Self> {
                self.common.set_schema(schema)?;
                self.validate()?;
                Ok(self)
            }

            /// Names the columns explicitly (`CREATE … name (a, b) AS …`), overriding the
            /// names the query gives them.
            ///
            /// # Errors
            /// An invalid or repeated column name.
            pub fn columns<I, S>(mut self, columns: I) -> $crate::Result<Self>
            where
                I: IntoIterator<Item = S>,
                S: AsRef<str>,
            {
                self.common.set_columns(columns)?;
                self.validate()?;
                Ok(self)
            }

            /// Sets the comment on the view (`COMMENT ON … IS …`), created with it.
            ///
            /// # Errors
            /// A comment containing a NUL byte.
            pub fn comment(mut self, comment: &str) -> $crate::Result<Self> {
                self.common.set_comment(comment)?;
                Ok(self)
            }

            /// Sets the comment on one column (replacing an earlier one for that column).
            ///
            /// # Errors
            /// An invalid column name or a comment containing a NUL byte.
            pub fn column_comment(mut self, column: &str, comment: &str) -> $crate::Result<Self> {
                self.common.add_column_comment(column, comment)?;
                Ok(self)
            }

            /// The name, schema-qualified when a schema was set.
            pub fn name(&self) -> &$crate::QualifiedName {
                &self.common.name
            }

            /// `schema.name` (or `name` without a schema), unquoted.
            pub fn fullname(&self) -> String {
                self.common.name.fullname()
            }

            /// The SQL text of the query, with every value written as a literal.
            pub fn query_sql(&self) -> &str {
                &self.common.query
            }

            /// The explicit column list (empty when the query names the columns).
            pub fn column_names(&self) -> &[$crate::Ident] {
                &self.common.columns
            }

            /// The comment on the view.
            pub fn comment_text(&self) -> Option<&str> {
                self.common.comment.as_deref()
            }

            /// The comments on columns.
            pub fn column_comments(&self) -> &[$crate::ColumnComment] {
                &self.common.column_comments
            }

            /// The `PgView` type this is the definition of, when `#[derive(PgView)]` made it
            /// (`core::any::type_name`, as `app::views::PaidOrders`): a
            /// [`ViewMigration`](crate::ViewMigration) refuses to run operations built from it,
            /// since they would follow the struct (write them into a
            /// [`MigrationFolder`](crate::MigrationFolder)).
            pub fn source_type(&self) -> Option<&'static str> {
                self.common.origin.0
            }

            /// Marks the definition as the one of the `PgView` type `type_name` (what
            /// `#[derive(PgView)]` generates). Not public API.
            #[doc(hidden)]
            #[must_use]
            pub fn __of_type(mut self, type_name: &'static str) -> Self {
                self.common.origin = $crate::definition::Origin(Some(type_name));
                self
            }

            /// A table that Diesel can select from, with columns named at run time
            /// (`diesel_dynamic_schema`): `table.column::<Integer, _>("id")`.
            ///
            /// For a table checked at compile time, use `#[derive(PgView)]`.
            pub fn as_table(&self) -> $crate::DynamicTable {
                self.common.as_table()
            }
        }
    };
}
pub(crate) use common_methods;
