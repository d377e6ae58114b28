//! `ALTER VIEW … RENAME TO` and `ALTER MATERIALIZED VIEW … RENAME TO`.

use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::statement;
use super::{DropKind, MaterializedViewKind, ViewKind};
use crate::ident::{Ident, QualifiedName};

/// `ALTER <kind> [IF EXISTS] name RENAME TO new_name`; use it as [`RenameView`] or
/// [`RenameMaterializedView`].
///
/// The relation stays in its schema (PostgreSQL renames within the schema), keeps its OID,
/// and so its dependents, grants, comments and indexes. `ALTER VIEW` on a materialized view is
/// an error, which converts to [`Error::WrongKind`](crate::Error::WrongKind).
#[derive(Debug, Clone)]
#[must_use = "a statement does nothing until it is executed"]
pub struct RenameRelation<K> {
    name: QualifiedName,
    new_name: Ident,
    if_exists: bool,
    kind: PhantomData<K>,
}

/// `ALTER VIEW [IF EXISTS] name RENAME TO new_name`.
///
/// # Examples
/// ```
/// use pgview_core::{Ident, QualifiedName, RenameView};
/// let stmt = RenameView::new(QualifiedName::new(Some("app"), "user stats")?, Ident::new("user_stats")?);
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"ALTER VIEW "app"."user stats" RENAME TO "user_stats" -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type RenameView = RenameRelation<ViewKind>;

/// `ALTER MATERIALIZED VIEW [IF EXISTS] name RENAME TO new_name`.
///
/// # Examples
/// ```
/// use pgview_core::{Ident, QualifiedName, RenameMaterializedView};
/// let stmt = RenameMaterializedView::new(QualifiedName::new(None, "revenue")?, Ident::new("revenue_v1")?)
///     .if_exists();
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"ALTER MATERIALIZED VIEW IF EXISTS "revenue" RENAME TO "revenue_v1" -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type RenameMaterializedView = RenameRelation<MaterializedViewKind>;

impl<K> RenameRelation<K> {
    /// Renames `name` to `new_name` (in the same schema).
    pub fn new(name: QualifiedName, new_name: Ident) -> Self {
        Self {
            name,
            new_name,
            if_exists: false,
            kind: PhantomData,
        }
    }

    /// `IF EXISTS`: no error when nothing of that name exists.
    pub fn if_exists(mut self) -> Self {
        self.if_exists = true;
        self
    }

    /// The relation renamed.
    pub fn name(&self) -> &QualifiedName {
        &self.name
    }

    /// The name it gets.
    pub fn new_name(&self) -> &Ident {
        &self.new_name
    }
}

statement!(RenameRelation<K>);

impl<K: DropKind> QueryFragment<Pg> for RenameRelation<K> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("ALTER ");
        out.push_sql(K::KEYWORD);
        out.push_sql(" ");
        if self.if_exists {
            out.push_sql("IF EXISTS ");
        }
        self.name.walk_ast(&mut out)?;
        out.push_sql(" RENAME TO ");
        self.new_name.walk_ast(&mut out)
    }
}
