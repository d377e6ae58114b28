//! [`AnyView`]: a definition of either kind, as sets of views and snapshots hold them.

use std::fmt;

use crate::error::RelationKind;
use crate::ident::{Ident, QualifiedName};

use super::{MaterializedView, View};

/// A declared view of either kind: what a [`ViewSet`](crate::ViewSet) holds.
///
/// The [`Definition`](crate::Definition) trait describes one kind at compile time (it is the
/// associated type of [`PgView`](crate::PgView)); a set mixes both kinds at run time, hence this enum.
/// `From<View>` and `From<MaterializedView>` build it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyView {
    /// A plain view.
    View(View),
    /// A materialized view.
    Materialized(MaterializedView),
}

impl AnyView {
    /// The name as declared (schema-qualified when a schema was set).
    pub fn name(&self) -> &QualifiedName {
        match self {
            Self::View(view) => view.name(),
            Self::Materialized(view) => view.name(),
        }
    }

    /// `schema.name` (or `name`), unquoted.
    pub fn fullname(&self) -> String {
        self.name().fullname()
    }

    /// Whether it is a materialized view.
    pub fn is_materialized(&self) -> bool {
        matches!(self, Self::Materialized(_))
    }

    /// [`RelationKind::View`] or [`RelationKind::MaterializedView`].
    pub fn kind(&self) -> RelationKind {
        if self.is_materialized() {
            RelationKind::MaterializedView
        } else {
            RelationKind::View
        }
    }

    /// The SQL text of the query.
    pub fn query_sql(&self) -> &str {
        match self {
            Self::View(view) => view.query_sql(),
            Self::Materialized(view) => view.query_sql(),
        }
    }

    /// The same definition placed in `schema` (used for names declared without one).
    pub(crate) fn in_schema(&self, schema: &Ident) -> Self {
        let mut view = self.clone();
        let name = match &mut view {
            Self::View(v) => &mut v.common.name,
            Self::Materialized(v) => &mut v.common.name,
        };
        name.set_schema(Some(schema.clone()));
        view
    }
}

impl From<View> for AnyView {
    fn from(view: View) -> Self {
        Self::View(view)
    }
}

impl From<MaterializedView> for AnyView {
    fn from(view: MaterializedView) -> Self {
        Self::Materialized(view)
    }
}

impl fmt::Display for AnyView {
    /// `view "s"."v"` or `materialized view "s"."v"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.name())
    }
}
