//! What a view reads ([`ViewDependency`]) and what reads a relation ([`ReverseDependency`]):
//! `get_view_dependencies`, `get_view_dependencies_transitive`, `get_reverse_dependencies`.

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use petgraph::Direction as Towards;

use crate::error::{RelationKind, Result};

use super::filter::ViewFilter;
use super::name::{designated_view, resolve, RelationName};
use super::plan::Plan;
use super::relation::Relation;
use super::walk::{walk_query, Direction, Walk, WalkRow};

/// A view or materialized view (the dependent) reads a relation (the referenced one).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewDependency {
    /// The view that reads.
    pub dependent: Relation,
    /// The table, view or materialized view it reads.
    pub referenced: Relation,
    /// 1 for what the view asked about reads itself; in the transitive form, one more than
    /// the shortest distance from that view to the dependent.
    pub depth: u32,
}

impl ViewDependency {
    /// `schema.name` of the dependent view.
    pub fn dependent_fullname(&self) -> String {
        self.dependent.fullname()
    }

    /// `schema.name` of the referenced relation.
    pub fn referenced_fullname(&self) -> String {
        self.referenced.fullname()
    }
}

/// A view or materialized view that depends on the relation asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReverseDependency {
    /// The dependent view.
    pub view: Relation,
    /// 1 when it reads the relation itself, 2 when it reads a view that does, and so on (the
    /// shortest way).
    pub depth: u32,
}

impl ReverseDependency {
    /// `schema.name` of the dependent view.
    pub fn fullname(&self) -> String {
        self.view.fullname()
    }
}

/// The plan of [`get_view_dependencies`] (`transitive` false) and
/// [`get_view_dependencies_transitive`]: one walk.
pub(crate) fn dependencies_plan<N>(
    name: &N,
    transitive: bool,
) -> Result<Plan<Vec<ViewDependency>, WalkRow>>
where
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let direction = Direction {
        reads: true,
        read_by: false,
        transitive,
    };
    let rows = walk_query(&ViewFilter::named(name.clone()), direction);
    Ok(Plan::one(rows, move |rows| {
        let walk = Walk::from_rows(rows);
        let root = designated_view(&name, &walk.roots)?;
        let graph = &walk.graph;
        let Some(start) = graph.find(root) else {
            return Ok(Vec::new());
        };
        let distances = graph.distances(start, Towards::Incoming);
        let mut found: Vec<ViewDependency> = graph
            .dependencies()
            .into_iter()
            .filter_map(|(dependent, referenced)| {
                let node = graph.find(dependent)?;
                let depth = if node == start {
                    1
                } else {
                    distances.get(&node)? + 1
                };
                Some(ViewDependency {
                    dependent: dependent.clone(),
                    referenced: referenced.clone(),
                    depth,
                })
            })
            .filter(|dependency| transitive || dependency.depth == 1)
            .collect();
        found.sort_by(|a, b| {
            (a.depth, a.dependent.key(), a.referenced.key()).cmp(&(
                b.depth,
                b.dependent.key(),
                b.referenced.key(),
            ))
        });
        Ok(found)
    }))
}

/// The plan of [`get_reverse_dependencies`]: one walk.
pub(crate) fn reverse_plan<N>(name: &N) -> Result<Plan<Vec<ReverseDependency>, WalkRow>>
where
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let direction = Direction {
        reads: false,
        read_by: true,
        transitive: true,
    };
    let rows = walk_query(&ViewFilter::named(name.clone()), direction);
    Ok(Plan::one(rows, move |rows| {
        let walk = Walk::from_rows(rows);
        let root = &walk.roots[resolve(&name, RelationKind::Other, &walk.roots)?];
        let graph = &walk.graph;
        let Some(start) = graph.find(root) else {
            return Ok(Vec::new());
        };
        let mut found: Vec<ReverseDependency> = graph
            .distances(start, Towards::Outgoing)
            .into_iter()
            .map(|(node, depth)| ReverseDependency {
                view: graph.graph[node].clone(),
                depth,
            })
            .collect();
        found.sort_by(|a, b| (a.depth, a.view.key()).cmp(&(b.depth, b.view.key())));
        Ok(found)
    }))
}

/// What the view or materialized view `name` reads directly: tables, views and materialized
/// views (of user schemas), each once however many of its columns are used, ordered by
/// referenced name, all with depth 1. One query.
///
/// The async form is [`aio::get_view_dependencies`](crate::aio::get_view_dependencies).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// for dep in pgview_core::get_view_dependencies(conn, "user_summary")? {
///     println!("{} reads {} ({})", dep.dependent_fullname(), dep.referenced_fullname(), dep.referenced.kind);
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::NotFound`](crate::Error::NotFound) when no relation has that name,
/// [`Error::Ambiguous`](crate::Error::Ambiguous) when an unqualified name exists in several
/// schemas, [`Error::WrongKind`](crate::Error::WrongKind) when it is a table.
pub fn get_view_dependencies<C, N>(conn: &mut C, name: &N) -> Result<Vec<ViewDependency>>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    dependencies_plan(name, false)?.run(conn)
}

/// Everything the view or materialized view `name` reads, followed through plain and
/// materialized views down to the base tables: every edge met on the way, each with its depth
/// (1 for what the view itself reads), ordered by depth, dependent and referenced name. One
/// query (a recursive walk of `pg_depend`).
///
/// The async form is
/// [`aio::get_view_dependencies_transitive`](crate::aio::get_view_dependencies_transitive).
///
/// # Errors
/// As [`get_view_dependencies`].
pub fn get_view_dependencies_transitive<C, N>(conn: &mut C, name: &N) -> Result<Vec<ViewDependency>>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    dependencies_plan(name, true)?.run(conn)
}

/// The views and materialized views that depend on the table, view or materialized view
/// `name`, directly (depth 1) or through other views (depth 2 and more, the shortest way),
/// ordered by depth and name. Empty for a relation no view reads. One query (a recursive walk
/// of `pg_depend`).
///
/// The async form is [`aio::get_reverse_dependencies`](crate::aio::get_reverse_dependencies).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// for dependent in pgview_core::get_reverse_dependencies(conn, "users")? {
///     println!("{} (depth {})", dependent.fullname(), dependent.depth);
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::NotFound`](crate::Error::NotFound) when no relation has that name,
/// [`Error::Ambiguous`](crate::Error::Ambiguous) when an unqualified name exists in several
/// schemas.
pub fn get_reverse_dependencies<C, N>(conn: &mut C, name: &N) -> Result<Vec<ReverseDependency>>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    reverse_plan(name)?.run(conn)
}
