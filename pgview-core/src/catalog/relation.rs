//! [`Relation`]: a table, view or materialized view found in the catalog.

use std::fmt;

use crate::error::RelationKind;

/// A table, view or materialized view found in the catalog, named by schema and name.
///
/// # Examples
/// ```
/// use pgview_core::{Relation, RelationKind};
/// let users = Relation::new("public", "users", RelationKind::Table);
/// assert_eq!(users.fullname(), "public.users");
/// assert_eq!(users.to_string(), "public.users");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Relation {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// What it is: [`RelationKind::Table`] (ordinary or partitioned),
    /// [`RelationKind::View`], [`RelationKind::MaterializedView`] or
    /// [`RelationKind::ForeignTable`].
    pub kind: RelationKind,
}

impl Relation {
    /// A relation of `kind` named `schema.name`.
    pub fn new(schema: &str, name: &str, kind: RelationKind) -> Self {
        Self {
            schema: schema.to_owned(),
            name: name.to_owned(),
            kind,
        }
    }

    /// `schema.name`, unquoted.
    pub fn fullname(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// Whether it is a view or a materialized view.
    pub fn is_view(&self) -> bool {
        matches!(
            self.kind,
            RelationKind::View | RelationKind::MaterializedView
        )
    }

    /// The key relations are identified and sorted by.
    pub(crate) fn key(&self) -> (&str, &str) {
        (&self.schema, &self.name)
    }
}

impl fmt::Display for Relation {
    /// Writes [`fullname`](Self::fullname).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}
