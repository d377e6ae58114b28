//! `DROP VIEW` and `DROP MATERIALIZED VIEW`.

use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::statement;
use crate::ident::QualifiedName;

/// Marks a [`DropRelation`] as `DROP VIEW`.
#[derive(Debug, Clone, Copy)]
pub struct ViewKind;

/// Marks a [`DropRelation`] as `DROP MATERIALIZED VIEW`.
#[derive(Debug, Clone, Copy)]
pub struct MaterializedViewKind;

/// The keyword of a dropped kind.
pub trait DropKind {
    /// `VIEW` or `MATERIALIZED VIEW`.
    const KEYWORD: &'static str;
}

impl DropKind for ViewKind {
    const KEYWORD: &'static str = "VIEW";
}

impl DropKind for MaterializedViewKind {
    const KEYWORD: &'static str = "MATERIALIZED VIEW";
}

/// `DROP <kind> [IF EXISTS] name [CASCADE]`; use it as [`DropView`] or
/// [`DropMaterializedView`].
///
/// Without `cascade()` the server refuses to drop a view that others depend on (RESTRICT).
/// `IF EXISTS` does not cover a relation of another kind: `DROP VIEW` on a materialized view
/// fails.
///
/// # Errors
/// Executing it fails when the server refuses; converting the `diesel::result::Error` to
/// [`pgview::Error`](crate::Error) (`Error::from`, or `?` in a function returning
/// `pgview::Result`) gives:
/// - [`Error::DependentObjects`](crate::Error::DependentObjects) when other objects depend on
///   the view and `cascade()` was not asked for; it lists them (kind and name) as the server
///   reports them;
/// - [`Error::WrongKind`](crate::Error::WrongKind) when the relation is of another kind (a
///   `DROP VIEW` of a materialized view, a `DROP MATERIALIZED VIEW` of a view or table),
///   naming its actual kind, even with `if_exists()`;
/// - [`Error::Diesel`](crate::Error::Diesel) for anything else, such as a relation that does
///   not exist without `if_exists()`.
#[derive(Debug, Clone)]
#[must_use = "a statement does nothing until it is executed"]
pub struct DropRelation<K> {
    name: QualifiedName,
    if_exists: bool,
    cascade: bool,
    kind: PhantomData<K>,
}

/// `DROP VIEW [IF EXISTS] name [CASCADE]`.
///
/// # Examples
/// ```
/// use pgview_core::{DropView, QualifiedName};
/// let stmt = DropView::new(QualifiedName::new(Some("app"), "user stats")?).if_exists().cascade();
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"DROP VIEW IF EXISTS "app"."user stats" CASCADE -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type DropView = DropRelation<ViewKind>;

/// `DROP MATERIALIZED VIEW [IF EXISTS] name [CASCADE]`.
///
/// # Examples
/// ```
/// use pgview_core::{DropMaterializedView, QualifiedName};
/// let stmt = DropMaterializedView::new(QualifiedName::new(None, "revenue")?).if_exists();
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"DROP MATERIALIZED VIEW IF EXISTS "revenue" -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type DropMaterializedView = DropRelation<MaterializedViewKind>;

impl<K> DropRelation<K> {
    /// Drops the relation `name`.
    pub fn new(name: QualifiedName) -> Self {
        Self {
            name,
            if_exists: false,
            cascade: false,
            kind: PhantomData,
        }
    }

    /// `IF EXISTS`: no error when nothing of that name exists.
    pub fn if_exists(mut self) -> Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drops everything that depends on it, including objects pgview does not
    /// manage. Prefer dropping dependents explicitly.
    pub fn cascade(mut self) -> Self {
        self.cascade = true;
        self
    }
}

statement!(DropRelation<K>);

impl<K: DropKind> QueryFragment<Pg> for DropRelation<K> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("DROP ");
        out.push_sql(K::KEYWORD);
        out.push_sql(" ");
        if self.if_exists {
            out.push_sql("IF EXISTS ");
        }
        self.name.walk_ast(&mut out)?;
        if self.cascade {
            out.push_sql(" CASCADE");
        }
        Ok(())
    }
}
