//! [`GraphScope`]: which part of the database a [`DependencyGraph`] shows;
//! `get_dependency_graph`.

use diesel::connection::LoadConnection;
use diesel::pg::Pg;

use crate::error::{RelationKind, Result};
use crate::ident::QualifiedName;

use super::filter::ViewFilter;
use super::graph::DependencyGraph;
use super::name::{check_names, resolve, RelationName};
use super::plan::Plan;
use super::walk::{walk_query, Direction, Walk, WalkRow};

/// Which part of the database [`get_dependency_graph`] shows.
///
/// # Examples
/// ```
/// use pgview_core::{GraphScope, ViewFilter};
/// let everything = GraphScope::database();
/// let reporting = GraphScope::schema("reporting");
/// let around_users = GraphScope::around("public.users")?;
/// let some = GraphScope::views(ViewFilter::new().names(["a", "b"])?);
/// # let _ = (everything, reporting, around_users, some);
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphScope(Scope);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Views(ViewFilter),
    Around(QualifiedName),
    /// The views `filter` selects, everything they read and everything that reads them,
    /// transitively (what a refresh with `downstream` needs: one walk of the neighbourhood, not
    /// of the whole database).
    Neighbourhood(ViewFilter),
}

impl GraphScope {
    /// Every view and materialized view of the user schemas, and every relation they read.
    /// Tables that no view reads are left out.
    pub fn database() -> Self {
        Self::views(ViewFilter::new())
    }

    /// The views and materialized views of `schema`, and every relation they read,
    /// transitively, in whatever schema.
    pub fn schema(schema: &str) -> Self {
        Self::views(ViewFilter::new().schema(schema))
    }

    /// The views `filter` selects, and every relation they read, transitively.
    pub fn views(filter: ViewFilter) -> Self {
        Self(Scope::Views(filter))
    }

    /// The neighbourhood of one relation (table, view or materialized view): everything it
    /// reads and everything that reads it, transitively.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) for an invalid name.
    pub fn around<N: RelationName + ?Sized>(name: &N) -> Result<Self> {
        Ok(Self(Scope::Around(name.to_qualified_name()?)))
    }

    /// The views `filter` selects, every relation they read and every relation that reads
    /// them, transitively.
    pub(crate) fn neighbourhood(filter: ViewFilter) -> Self {
        Self(Scope::Neighbourhood(filter))
    }
}

/// The plan of [`get_dependency_graph`]: one walk (one query).
pub(crate) fn graph_plan(scope: &GraphScope) -> Plan<DependencyGraph, WalkRow> {
    let (filter, direction) = match &scope.0 {
        Scope::Views(filter) => (filter.clone(), (true, false)),
        Scope::Around(name) => (ViewFilter::named(name.clone()), (true, true)),
        Scope::Neighbourhood(filter) => (filter.clone(), (true, true)),
    };
    let direction = Direction {
        reads: direction.0,
        read_by: direction.1,
        transitive: true,
    };
    let scope = scope.clone();
    Plan::one(walk_query(&filter, direction), move |rows| {
        let walk = Walk::from_rows(rows);
        match &scope.0 {
            Scope::Views(filter) | Scope::Neighbourhood(filter) => {
                if let Some(names) = filter.given_names() {
                    check_names(names, &walk.roots)?;
                }
            }
            Scope::Around(name) => {
                resolve(name, RelationKind::Other, &walk.roots)?;
            }
        }
        Ok(walk.graph)
    })
}

/// The dependency graph of `scope`: the whole database, a schema, a set of views, or the
/// neighbourhood of one relation. One query, whatever the number of views: a recursive walk of
/// `pg_depend` that follows plain and materialized views alike. Draw it with
/// [`DependencyGraph::to_mermaid`] or [`DependencyGraph::to_dot`].
///
/// The async form is [`aio::get_dependency_graph`](crate::aio::get_dependency_graph).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// use pgview_core::GraphScope;
/// let graph = pgview_core::get_dependency_graph(conn, &GraphScope::database())?;
/// std::fs::write("views.dot", graph.to_dot()).expect("write");
/// # Ok(()) }
/// ```
///
/// # Errors
/// For [`GraphScope::around`]: [`Error::NotFound`](crate::Error::NotFound) for an unknown
/// relation, [`Error::Ambiguous`](crate::Error::Ambiguous) for an unqualified name that exists
/// in several schemas. For [`GraphScope::views`] with [`ViewFilter::names`]: as
/// [`get_all_views`](crate::get_all_views).
pub fn get_dependency_graph<C>(conn: &mut C, scope: &GraphScope) -> Result<DependencyGraph>
where
    C: LoadConnection<Backend = Pg>,
{
    graph_plan(scope).run(conn)
}
