//! [`ViewSet`]: the views an application declares.

use crate::definition::{AnyView, MaterializedView, View};
use crate::error::{Error, Result};
use crate::ident::{Ident, QualifiedName};
use crate::view_trait::PgView;

/// The views an application declares: plain and materialized views, from derived structs
/// ([`with`](Self::with)) or built at run time ([`with_view`](Self::with_view),
/// [`with_materialized`](Self::with_materialized)).
///
/// [`diff`](crate::diff) compares a set with a database. A view declared without a schema
/// is where `CREATE VIEW` would put it: the first schema of the comparing connection's
/// `search_path` (`current_schema()`). Declaring one name twice, or a temporary view, is an
/// error when the set is compared.
///
/// # Examples
/// ```
/// use pgview_core::{Index, MaterializedView, View, ViewSet};
///
/// let set = ViewSet::new()
///     .with_view(View::from_sql("active_users", "SELECT id, name FROM users WHERE active")?)
///     .with_materialized(
///         MaterializedView::from_sql("revenue", "SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id")?
///             .schema("reporting")?
///             .index(Index::unique(["user_id"])?)?,
///     );
/// assert_eq!(set.len(), 2);
/// assert_eq!(set.definitions()[1].fullname(), "reporting.revenue");
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewSet {
    views: Vec<AnyView>,
    /// Where each view is declared (`struct app::UserStats`, `file views/a.sql`), when known:
    /// named by the error about a name declared twice.
    origins: Vec<Option<String>>,
    table_sql: Option<TableSql>,
}

/// SQL run by a generated migration between dropping the views it rebuilds and creating views
/// (see [`ViewSet::with_table_sql`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableSql {
    pub(crate) up: String,
    pub(crate) down: String,
}

impl ViewSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a plain view.
    #[must_use]
    pub fn with_view(mut self, view: View) -> Self {
        self.add(view);
        self
    }

    /// Adds a materialized view.
    #[must_use]
    pub fn with_materialized(mut self, view: MaterializedView) -> Self {
        self.add(view);
        self
    }

    /// Adds the definition of a derived struct (`#[derive(PgView)]`).
    ///
    /// # Errors
    /// As [`PgView::definition`]: a value of the query that cannot be written as a literal.
    pub fn with<V>(mut self) -> Result<Self>
    where
        V: PgView,
        V::Definition: Clone + Into<AnyView>,
    {
        self.views.push(V::definition()?.clone().into());
        self.origins
            .push(Some(format!("struct `{}`", std::any::type_name::<V>())));
        Ok(self)
    }

    /// Adds a view of either kind.
    pub fn add(&mut self, view: impl Into<AnyView>) {
        self.views.push(view.into());
        self.origins.push(None);
    }

    /// Adds a view and says where it is declared (``"struct `app::UserStats`"``,
    /// `"file views/active_users.sql"`), refusing a name the set already holds.
    ///
    /// [`registered`](Self::registered) and the `pgview` command line build their sets so:
    /// a name declared twice is an error naming both declarations. Names are compared as
    /// written; a view without a schema and one naming the schema it resolves to are caught
    /// when the set is compared (that error names both declarations too).
    ///
    /// # Examples
    /// ```
    /// use pgview_core::{View, ViewSet};
    ///
    /// let mut set = ViewSet::new();
    /// set.declare(View::from_sql("active_users", "SELECT 1 AS x")?, "file views/active_users.sql")?;
    /// let twice = set.declare(View::from_sql("active_users", "SELECT 2 AS x")?, "struct `app::Active`");
    /// assert_eq!(
    ///     twice.unwrap_err().to_string(),
    ///     "invalid definition of active_users: it is declared twice: by file \
    ///      views/active_users.sql and by struct `app::Active`",
    /// );
    /// # Ok::<(), pgview_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidDefinition`] when a view of the set has the same (schema and) name.
    pub fn declare(&mut self, view: impl Into<AnyView>, origin: impl Into<String>) -> Result<()> {
        let view = view.into();
        let origin = origin.into();
        if let Some(i) = self.views.iter().position(|v| v.name() == view.name()) {
            return Err(twice(&view, self.origins[i].as_deref(), Some(&origin)));
        }
        self.views.push(view);
        self.origins.push(Some(origin));
        Ok(())
    }

    /// Where the view at `index` of [`definitions`](Self::definitions) is declared, when
    /// known ([`with`](Self::with), [`declare`](Self::declare), [`registered`](Self::registered)).
    pub fn origin(&self, index: usize) -> Option<&str> {
        self.origins.get(index)?.as_deref()
    }

    /// Table changes that belong to the same migration as the views: `up` runs after the
    /// views the migration rebuilds are dropped and before any view is created (so new views
    /// can read a table it creates, and a column it retypes is no longer used by a dropped
    /// view), and `down` runs at the same point of the down migration.
    ///
    /// The comparison runs `up` too (inside its rolled-back transaction) before creating the
    /// declared views. Once the migration is applied, compare without it.
    #[must_use]
    pub fn with_table_sql(mut self, up: &str, down: &str) -> Self {
        self.table_sql = Some(TableSql {
            up: up.trim().to_owned(),
            down: down.trim().to_owned(),
        });
        self
    }

    /// The declared views, in the order they were added.
    pub fn definitions(&self) -> &[AnyView] {
        &self.views
    }

    /// The number of declared views.
    pub fn len(&self) -> usize {
        self.views.len()
    }

    /// Whether no view is declared.
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    pub(crate) fn table_sql(&self) -> Option<&TableSql> {
        self.table_sql.as_ref()
    }

    /// The declared views with every name qualified (`default_schema` for those declared
    /// without a schema).
    ///
    /// # Errors
    /// [`Error::InvalidDefinition`] for a temporary view, a name declared twice, or an
    /// unqualified name when the connection has no current schema.
    /// Borrowed when they name their schema (no copy of a large set), copied with it otherwise.
    pub(crate) fn resolved(
        &self,
        default_schema: Option<&str>,
    ) -> Result<Vec<std::borrow::Cow<'_, AnyView>>> {
        let default_schema = default_schema.map(Ident::new).transpose()?;
        let mut resolved: Vec<std::borrow::Cow<'_, AnyView>> = Vec::with_capacity(self.views.len());
        for view in &self.views {
            if let AnyView::View(v) = view {
                if v.is_temporary() {
                    return Err(invalid(view, "a temporary view cannot be migrated"));
                }
            }
            let view = if view.name().schema().is_some() {
                std::borrow::Cow::Borrowed(view)
            } else {
                let schema = default_schema.as_ref().ok_or_else(|| {
                    invalid(
                        view,
                        "it has no schema and the connection's search_path names no existing schema",
                    )
                })?;
                std::borrow::Cow::Owned(view.in_schema(schema))
            };
            resolved.push(view);
        }
        let mut names: Vec<(&QualifiedName, usize)> = resolved
            .iter()
            .enumerate()
            .map(|(i, v)| (v.name(), i))
            .collect();
        names.sort();
        if let Some(pair) = names.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            let (first, second) = (pair[0].1.min(pair[1].1), pair[0].1.max(pair[1].1));
            return Err(twice(
                &resolved[second],
                self.origin(first),
                self.origin(second),
            ));
        }
        Ok(resolved)
    }
}

/// A name declared twice, naming both declarations when they are known.
fn twice(view: &AnyView, first: Option<&str>, second: Option<&str>) -> Error {
    match (first, second) {
        (Some(first), Some(second)) => invalid(
            view,
            &format!("it is declared twice: by {first} and by {second}"),
        ),
        _ => invalid(view, "it is declared twice"),
    }
}

fn invalid(view: &AnyView, reason: &str) -> Error {
    Error::InvalidDefinition {
        name: view.fullname(),
        reason: reason.to_owned(),
    }
}

impl FromIterator<AnyView> for ViewSet {
    fn from_iter<I: IntoIterator<Item = AnyView>>(iter: I) -> Self {
        let views: Vec<AnyView> = iter.into_iter().collect();
        Self {
            origins: vec![None; views.len()],
            views,
            table_sql: None,
        }
    }
}

impl Extend<AnyView> for ViewSet {
    fn extend<I: IntoIterator<Item = AnyView>>(&mut self, iter: I) {
        for view in iter {
            self.add(view);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_schemas_and_refuses_duplicates() {
        let set = ViewSet::new()
            .with_view(View::from_sql("a", "SELECT 1 AS x").unwrap())
            .with_view(
                View::from_sql("a", "SELECT 1 AS x")
                    .unwrap()
                    .schema("s")
                    .unwrap(),
            );
        let resolved = set.resolved(Some("public")).unwrap();
        assert_eq!(resolved[0].fullname(), "public.a");
        assert_eq!(resolved[1].fullname(), "s.a");
        assert!(matches!(
            set.resolved(Some("s")),
            Err(Error::InvalidDefinition { name, .. }) if name == "s.a"
        ));
        assert!(set.resolved(None).is_err());
        let temp = ViewSet::new().with_view(
            View::from_sql("t", "SELECT 1")
                .unwrap()
                .temporary()
                .unwrap(),
        );
        assert!(temp.resolved(Some("public")).is_err());
    }
}
