//! Plain views.

use diesel::pg::Pg;
use diesel::query_builder::QueryFragment;

use super::common::{common_methods, Common};
use crate::ddl::{CommentOn, CreateView, DropView};
use crate::error::{RelationKind, Result};

/// `WITH CHECK OPTION` of an updatable view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckOption {
    /// `check_option = local`: only this view's condition is checked.
    Local,
    /// `check_option = cascaded`: the conditions of underlying views are checked too.
    Cascaded,
}

impl CheckOption {
    /// The option value as PostgreSQL spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Cascaded => "cascaded",
        }
    }
}

/// A view definition: a name and a query, with options.
///
/// # Examples
/// ```
/// use diesel::prelude::*;
/// use pgview_core::{CheckOption, View};
///
/// diesel::table! { users (id) { id -> Integer, name -> Text, active -> Bool } }
///
/// let active = View::new("active_users", users::table.filter(users::active.eq(true)).select((users::id, users::name)))?
///     .schema("app")?
///     .check_option(CheckOption::Local)
///     .security_barrier(true);
/// assert_eq!(active.fullname(), "app.active_users");
/// assert_eq!(
///     active.query_sql(),
///     r#"SELECT "users"."id", "users"."name" FROM "users" WHERE ("users"."active" = true)"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub(crate) common: Common,
    pub(crate) check_option: Option<CheckOption>,
    pub(crate) security_barrier: Option<bool>,
    pub(crate) security_invoker: Option<bool>,
    pub(crate) recursive: bool,
    pub(crate) temporary: bool,
}

common_methods!(View);

impl View {
    /// A view of a Diesel query (any select: joins, group by, subqueries, boxed queries).
    /// Bind values of the query are written into the SQL as typed literals.
    ///
    /// # Errors
    /// An invalid name, a bind value that cannot be written as a literal
    /// ([`Error::UnsupportedLiteralType`](crate::Error::UnsupportedLiteralType)), or a query
    /// whose SQL is more than one statement
    /// ([`Error::MultipleStatements`](crate::Error::MultipleStatements): a raw
    /// `diesel::sql_query` is SQL text like any other).
    pub fn new<Q: QueryFragment<Pg>>(name: &str, query: Q) -> Result<Self> {
        Ok(Self::with_common(Common::from_query(
            name,
            RelationKind::View,
            &query,
        )?))
    }

    /// A view of SQL text: exactly one `SELECT`, `VALUES`, `WITH … SELECT` or `TABLE`
    /// statement (opening parentheses allowed). A trailing `;` and comments after it are
    /// removed; comments in the query are kept.
    ///
    /// # Errors
    /// [`Error::MultipleStatements`](crate::Error::MultipleStatements) when a second statement
    /// follows the first (the error names what follows);
    /// [`Error::InvalidDefinition`](crate::Error::InvalidDefinition) for an invalid name, empty
    /// text, text that is not a query or ends inside a string or comment that is not closed;
    /// [`Error::ParameterInSql`](crate::Error::ParameterInSql) for text containing a parameter
    /// placeholder such as `$1`.
    ///
    /// ```
    /// use pgview_core::{Error, View};
    ///
    /// let err = View::from_sql("v", "SELECT 1 AS a; DROP TABLE victim").unwrap_err();
    /// assert!(matches!(err, Error::MultipleStatements { ref following, .. } if following == "DROP TABLE victim"));
    /// assert_eq!(View::from_sql("v", "SELECT 1 AS a; -- done")?.query_sql(), "SELECT 1 AS a");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_sql(name: &str, sql: &str) -> Result<Self> {
        Ok(Self::with_common(Common::from_sql(
            name,
            RelationKind::View,
            sql,
        )?))
    }

    pub(crate) fn with_common(common: Common) -> Self {
        Self {
            common,
            check_option: None,
            security_barrier: None,
            security_invoker: None,
            recursive: false,
            temporary: false,
        }
    }

    /// Sets `check_option` (`local` or `cascaded`).
    #[must_use]
    pub fn check_option(mut self, option: CheckOption) -> Self {
        self.check_option = Some(option);
        self
    }

    /// Sets `security_barrier`.
    #[must_use]
    pub fn security_barrier(mut self, on: bool) -> Self {
        self.security_barrier = Some(on);
        self
    }

    /// Sets `security_invoker` (PostgreSQL 15 and later).
    #[must_use]
    pub fn security_invoker(mut self, on: bool) -> Self {
        self.security_invoker = Some(on);
        self
    }

    /// Makes the view recursive (`CREATE RECURSIVE VIEW`); it needs an explicit column list.
    ///
    /// # Errors
    /// [`Error::InvalidDefinition`](crate::Error::InvalidDefinition) when no column list was set
    /// before.
    pub fn recursive(mut self) -> Result<Self> {
        self.recursive = true;
        self.validate()?;
        Ok(self)
    }

    /// Makes the view temporary (`CREATE TEMPORARY VIEW`): it lives in the session's temporary
    /// schema and disappears with the session.
    ///
    /// # Errors
    /// [`Error::InvalidDefinition`](crate::Error::InvalidDefinition) when a schema was set.
    pub fn temporary(mut self) -> Result<Self> {
        self.temporary = true;
        self.validate()?;
        Ok(self)
    }

    /// The `check_option`, when set.
    pub fn check_option_value(&self) -> Option<CheckOption> {
        self.check_option
    }

    /// Whether the view is recursive.
    pub fn is_recursive(&self) -> bool {
        self.recursive
    }

    /// Whether the view is temporary.
    pub fn is_temporary(&self) -> bool {
        self.temporary
    }

    /// The reloptions of the view as `(name, value)` pairs, in the order they are written.
    pub fn options(&self) -> Vec<(&'static str, String)> {
        let mut options = Vec::new();
        if let Some(check) = self.check_option {
            options.push(("check_option", check.as_str().to_owned()));
        }
        if let Some(on) = self.security_barrier {
            options.push(("security_barrier", on.to_string()));
        }
        if let Some(on) = self.security_invoker {
            options.push(("security_invoker", on.to_string()));
        }
        options
    }

    /// Rules that need more than one option.
    fn validate(&self) -> Result<()> {
        if self.recursive && self.common.columns.is_empty() {
            return Err(self.common.invalid(
                "a recursive view needs an explicit column list (call `columns` before `recursive`)",
            ));
        }
        if self.temporary && self.common.name.schema().is_some() {
            return Err(self
                .common
                .invalid("a temporary view cannot be put in a schema"));
        }
        Ok(())
    }

    /// `CREATE VIEW` for this definition (with its comments).
    pub fn create(&self) -> CreateView<'_> {
        CreateView::new(self)
    }

    /// `DROP VIEW` for this view.
    pub fn drop(&self) -> DropView {
        DropView::new(self.name().clone())
    }

    /// The `COMMENT ON` statements for the view's comments.
    pub fn comment_statements(&self) -> Vec<CommentOn> {
        CommentOn::for_definition(&self.common, crate::RelationKind::View)
    }
}
