//! `REFRESH MATERIALIZED VIEW`, with its valid option combinations as types.

use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::statement;
use crate::definition::MaterializedView;
use crate::error::{ConcurrentRefreshPrecondition, Error};
use crate::ident::QualifiedName;

/// A refresh that takes an ACCESS EXCLUSIVE lock (readers wait).
#[derive(Debug, Clone, Copy)]
pub struct NotConcurrent;
/// A refresh `CONCURRENTLY` (readers go on).
#[derive(Debug, Clone, Copy)]
pub struct Concurrent;
/// A refresh that fills the view (`WITH DATA`, the default).
#[derive(Debug, Clone, Copy)]
pub struct WithData;
/// A refresh that empties the view and marks it unpopulated (`WITH NO DATA`).
#[derive(Debug, Clone, Copy)]
pub struct NoData;

/// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH NO DATA]`.
///
/// `concurrently()` and `with_no_data()` exclude each other (PostgreSQL refuses the
/// combination), and the types say so: calling one removes the other.
///
/// Built from a definition, a concurrent refresh is refused before anything is sent when the
/// definition declares no unique index ([`Error::ConcurrentRefresh`]); built from a name, the
/// server's refusal converts to the same error.
///
/// # Examples
/// ```
/// use diesel::pg::Pg;
/// use pgview_core::{Index, MaterializedView, QualifiedName, RefreshMaterializedView};
///
/// let mv = MaterializedView::from_sql("totals", "SELECT 1 AS id")?.index(Index::unique(["id"])?)?;
/// assert_eq!(
///     diesel::debug_query::<Pg, _>(&mv.refresh().concurrently()).to_string(),
///     r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "totals" -- binds: []"#
/// );
/// let by_name = RefreshMaterializedView::named(QualifiedName::new(Some("app"), "totals")?).with_no_data();
/// assert_eq!(
///     diesel::debug_query::<Pg, _>(&by_name).to_string(),
///     r#"REFRESH MATERIALIZED VIEW "app"."totals" WITH NO DATA -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
///
/// ```compile_fail
/// # use pgview_core::MaterializedView;
/// let mv = MaterializedView::from_sql("totals", "SELECT 1 AS id").unwrap();
/// let _ = mv.refresh().concurrently().with_no_data(); // does not compile
/// ```
///
/// ```compile_fail
/// # use pgview_core::MaterializedView;
/// let mv = MaterializedView::from_sql("totals", "SELECT 1 AS id").unwrap();
/// let _ = mv.refresh().with_no_data().concurrently(); // does not compile
/// ```
#[derive(Debug, Clone)]
#[must_use = "a statement does nothing until it is executed"]
pub struct RefreshMaterializedView<C = NotConcurrent, D = WithData> {
    name: QualifiedName,
    /// Whether the definition declares a unique index; `None` when built from a name.
    unique_index_declared: Option<bool>,
    options: PhantomData<(C, D)>,
}

impl RefreshMaterializedView {
    /// Refreshes the materialized view of `definition`.
    pub fn new(definition: &MaterializedView) -> Self {
        Self {
            name: definition.name().clone(),
            unique_index_declared: Some(definition.can_refresh_concurrently()),
            options: PhantomData,
        }
    }

    /// Refreshes the materialized view `name`, whose definition is not known here.
    pub fn named(name: QualifiedName) -> Self {
        Self {
            name,
            unique_index_declared: None,
            options: PhantomData,
        }
    }

    /// Refreshes the materialized view `name`, whose definition declares a unique index that
    /// serves a concurrent refresh (`Some(true)`), declares none (`Some(false)`: a concurrent
    /// refresh is refused before anything is sent), or is not known (`None`).
    pub(crate) fn declared(name: QualifiedName, unique_index_declared: Option<bool>) -> Self {
        Self {
            name,
            unique_index_declared,
            options: PhantomData,
        }
    }

    /// `CONCURRENTLY`: readers are not blocked. Needs a unique index on plain columns and a
    /// populated view.
    pub fn concurrently(self) -> RefreshMaterializedView<Concurrent, WithData> {
        self.retype()
    }

    /// `WITH NO DATA`: empties the view and marks it unpopulated.
    pub fn with_no_data(self) -> RefreshMaterializedView<NotConcurrent, NoData> {
        self.retype()
    }
}

impl<C, D> RefreshMaterializedView<C, D> {
    fn retype<C2, D2>(self) -> RefreshMaterializedView<C2, D2> {
        RefreshMaterializedView {
            name: self.name,
            unique_index_declared: self.unique_index_declared,
            options: PhantomData,
        }
    }

    /// The materialized view refreshed.
    pub fn name(&self) -> &QualifiedName {
        &self.name
    }
}

/// What a refresh option type writes.
pub trait RefreshOption {
    /// Whether the option is `CONCURRENTLY` / `WITH NO DATA`.
    const ON: bool;
}

impl RefreshOption for NotConcurrent {
    const ON: bool = false;
}
impl RefreshOption for Concurrent {
    const ON: bool = true;
}
impl RefreshOption for WithData {
    const ON: bool = false;
}
impl RefreshOption for NoData {
    const ON: bool = true;
}

statement!(RefreshMaterializedView<C, D>);

impl<C: RefreshOption, D: RefreshOption> QueryFragment<Pg> for RefreshMaterializedView<C, D> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        if C::ON && self.unique_index_declared == Some(false) {
            return Err(Error::ConcurrentRefresh {
                name: Some(self.name.fullname()),
                precondition: ConcurrentRefreshPrecondition::MissingUniqueIndex,
            }
            .into_diesel());
        }
        out.push_sql("REFRESH MATERIALIZED VIEW ");
        if C::ON {
            out.push_sql("CONCURRENTLY ");
        }
        self.name.walk_ast(&mut out)?;
        if D::ON {
            out.push_sql(" WITH NO DATA");
        }
        Ok(())
    }
}
