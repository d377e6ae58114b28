//! The `PgView` trait: a Rust type that knows its view definition.
//!
//! `#[derive(PgView)]` implements it; the trait's provided methods give the statements of the
//! definition, so `UserStats::create()?.execute(conn)` works on sync and async connections.

use crate::ddl::{
    CommentOn, CreateMaterializedView, CreateView, DropMaterializedView, DropView,
    RefreshMaterializedView,
};
use crate::definition::{MaterializedView, View};
use crate::error::Result;
use crate::ident::QualifiedName;
use crate::verify::FieldColumn;

/// A view or materialized view definition, as the associated type of [`PgView`].
pub trait Definition: Send + Sync + 'static {
    /// The `CREATE` statement of this kind.
    type Create<'a>;
    /// The `DROP` statement of this kind.
    type Drop;

    /// The schema-qualified name.
    fn qualified_name(&self) -> &QualifiedName;
    /// The `CREATE` statement (with indexes and comments).
    fn create_statement(&self) -> Self::Create<'_>;
    /// The `DROP` statement.
    fn drop_statement(&self) -> Self::Drop;
    /// The `DROP` statement of this kind for the view `name`: what
    /// [`PgView::drop`] gives from the name alone.
    fn drop_named(name: QualifiedName) -> Self::Drop
    where
        Self: Sized;
    /// The `COMMENT ON` statements.
    fn comment_statements(&self) -> Vec<CommentOn>;
}

impl Definition for View {
    type Create<'a> = CreateView<'a>;
    type Drop = DropView;

    fn qualified_name(&self) -> &QualifiedName {
        self.name()
    }
    fn create_statement(&self) -> CreateView<'_> {
        self.create()
    }
    fn drop_statement(&self) -> DropView {
        self.drop()
    }
    fn drop_named(name: QualifiedName) -> DropView {
        DropView::new(name)
    }
    fn comment_statements(&self) -> Vec<CommentOn> {
        View::comment_statements(self)
    }
}

impl Definition for MaterializedView {
    type Create<'a> = CreateMaterializedView<'a>;
    type Drop = DropMaterializedView;

    fn qualified_name(&self) -> &QualifiedName {
        self.name()
    }
    fn create_statement(&self) -> CreateMaterializedView<'_> {
        self.create()
    }
    fn drop_statement(&self) -> DropMaterializedView {
        self.drop()
    }
    fn drop_named(name: QualifiedName) -> DropMaterializedView {
        DropMaterializedView::new(name)
    }
    fn comment_statements(&self) -> Vec<CommentOn> {
        MaterializedView::comment_statements(self)
    }
}

/// Definitions that can be refreshed: materialized views.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be refreshed: only materialized views can",
    label = "a plain view always shows current data",
    note = "add `materialized` to `#[pgview(...)]` to make it a materialized view"
)]
pub trait Refreshable {
    /// `REFRESH MATERIALIZED VIEW` for it.
    fn refresh_statement(&self) -> RefreshMaterializedView;
}

impl Refreshable for MaterializedView {
    fn refresh_statement(&self) -> RefreshMaterializedView {
        self.refresh()
    }
}

/// A Rust type that is a view: its definition, and a Diesel table to query it.
///
/// Implemented by `#[derive(PgView)]`; see the derive's documentation for the attributes. The
/// definition is built once, when first asked for (its query's values are inlined then), and
/// kept for the life of the program. What needs only the view's name does not build it: the
/// derive gives [`qualified_name`](PgView::qualified_name) from its attributes, and
/// [`drop`](PgView::drop), [`refresh`](PgView::refresh) and [`verify`](PgView::verify) use
/// the name alone, so they work even when the query cannot be written (a value of a type
/// pgview cannot write as a literal makes `definition()` and `create()` fail, naming the view
/// and the value's column).
///
/// # Examples
/// ```no_run
/// # use pgview_core::{PgView, MaterializedView, Result};
/// # fn run<V: PgView<Definition = MaterializedView>>(conn: &mut diesel::PgConnection) -> Result<()> {
/// use diesel::RunQueryDsl;
/// V::create()?.execute(conn)?;
/// V::refresh()?.concurrently().execute(conn)?;
/// V::drop()?.if_exists().execute(conn)?;
/// # Ok(()) }
/// ```
pub trait PgView {
    /// [`View`] or [`MaterializedView`].
    type Definition: Definition;

    /// The definition, with every option the attributes declare.
    ///
    /// # Errors
    /// A value of the query that cannot be written as a literal
    /// ([`Error::UnsupportedLiteralType`](crate::Error::UnsupportedLiteralType) or
    /// [`Error::InvalidLiteral`](crate::Error::InvalidLiteral), naming the view and, for a
    /// value of the select list, its column); a query whose SQL is not one query (the first
    /// call builds the definition; identifiers were checked at compile time).
    fn definition() -> Result<&'static Self::Definition>;

    /// The schema-qualified name. The derive gives it from its attributes, without building
    /// the definition; this default (for a hand-written impl) takes the definition's.
    ///
    /// # Errors
    /// None from the derive. The default: as [`PgView::definition`].
    fn qualified_name() -> Result<&'static QualifiedName> {
        Ok(Self::definition()?.qualified_name())
    }

    /// The `CREATE VIEW` or `CREATE MATERIALIZED VIEW` statement, with indexes and comments.
    ///
    /// # Errors
    /// As [`PgView::definition`].
    fn create() -> Result<<Self::Definition as Definition>::Create<'static>> {
        Ok(Self::definition()?.create_statement())
    }

    /// The `DROP VIEW` or `DROP MATERIALIZED VIEW` statement, from the name alone.
    ///
    /// # Errors
    /// As [`PgView::qualified_name`]: none from the derive.
    fn drop() -> Result<<Self::Definition as Definition>::Drop> {
        Ok(<Self::Definition as Definition>::drop_named(
            Self::qualified_name()?.clone(),
        ))
    }

    /// The `COMMENT ON` statements of the definition. The derive gives them from its
    /// attributes, without building the definition; this default (for a hand-written impl)
    /// takes the definition's.
    ///
    /// # Errors
    /// From the derive, a comment holding a NUL byte
    /// ([`Error::InvalidDefinition`](crate::Error::InvalidDefinition)). The default: as
    /// [`PgView::definition`].
    fn comment_statements() -> Result<Vec<CommentOn>> {
        Ok(Self::definition()?.comment_statements())
    }

    /// The fields with their columns and Diesel SQL types, for [`PgView::verify`]. The derive
    /// lists every field; the default (for a hand-written impl) is none.
    fn fields() -> &'static [FieldColumn] {
        &[]
    }

    /// Checks the struct against what the server says the view returns: every field's column
    /// exists with the field's SQL type, every column is a field, and a field that is not
    /// `Option` is over a column the server proves `NOT NULL` (see
    /// [`get_view_columns`](crate::get_view_columns) for what it can prove). One catalog
    /// query; no lock on the view. Add it to the tests of a struct declared with
    /// `sql = "…"`, whose columns nothing checks at compile time:
    ///
    /// ```no_run
    /// # use pgview_core::PgView;
    /// # fn conn() -> diesel::PgConnection { unimplemented!() }
    /// # #[allow(dead_code)] enum UserStats {}
    /// # impl PgView for UserStats { type Definition = pgview_core::View;
    /// #   fn definition() -> pgview_core::Result<&'static pgview_core::View> { unimplemented!() } }
    /// #[test]
    /// fn views_match() { UserStats::verify(&mut conn()).unwrap(); }
    /// ```
    ///
    /// The async form is [`aio::verify`](crate::aio::verify). Rules and why: see
    /// [`ColumnMismatch`](crate::ColumnMismatch).
    ///
    /// # Errors
    /// [`Error::ViewMismatch`](crate::Error::ViewMismatch) listing every difference;
    /// [`Error::NotFound`](crate::Error::NotFound) when the view does not exist,
    /// [`Error::WrongKind`](crate::Error::WrongKind) when the name is a table's.
    fn verify<C>(conn: &mut C) -> Result<()>
    where
        C: diesel::connection::LoadConnection<Backend = diesel::pg::Pg>,
        Self: Sized,
    {
        crate::verify::verify_plan::<Self>()?.run(conn)
    }

    /// `REFRESH MATERIALIZED VIEW` (materialized views only: on a plain view this does not
    /// compile). A concurrent refresh of a view that declares no unique index on plain columns
    /// is refused before anything is sent
    /// ([`Error::ConcurrentRefresh`](crate::Error::ConcurrentRefresh)). The derive builds it
    /// from the name and the declared indexes, without the query; this default (for a
    /// hand-written impl) from the definition.
    ///
    /// # Errors
    /// None from the derive. The default: as [`PgView::definition`].
    fn refresh() -> Result<RefreshMaterializedView>
    where
        Self::Definition: Refreshable,
    {
        Ok(Self::definition()?.refresh_statement())
    }
}
