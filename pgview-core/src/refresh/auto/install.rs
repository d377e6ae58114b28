//! Installing, listing and uninstalling auto-refresh: the queries, the functions that turn
//! their rows into statements and results (shared by the sync functions here and the async ones
//! in [`crate::aio`]), and the sync functions.

use std::collections::HashSet;

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, Text};
use diesel::{QueryableByName, RunQueryDsl};
use petgraph::graph::NodeIndex;
use petgraph::Direction as Towards;

use crate::catalog::{
    get_dependency_graph, DependencyGraph, GraphScope, Relation, RelationName, ViewFilter,
};
use crate::error::{Error, RelationKind, Result};
use crate::ident::{Ident, QualifiedName};
use crate::prepared::Prepared;

use super::names::{names_for, parse_payload, AUTO_REFRESH_SCHEMA, COMMENT_PREFIX};
use super::statements::{
    InstallAutoRefresh, UninstallAllAutoRefresh, UninstallAutoRefresh, WatchedTable,
};

/// An installed auto-refresh: the materialized view and the tables whose changes notify it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AutoRefreshInfo {
    /// The materialized view (schema-qualified).
    pub view: QualifiedName,
    /// The tables with a trigger for it, in name order: those the view reads, directly or
    /// through plain views (not through other materialized views: those are refreshed by
    /// their own auto-refresh, and the refresher refreshes their readers after them).
    pub tables: Vec<Relation>,
    /// The trigger function, in the schema [`AUTO_REFRESH_SCHEMA`].
    pub function: String,
}

/// One row of `sql/installed.sql`.
#[derive(Debug, QueryableByName)]
pub(crate) struct InstalledRow {
    #[diesel(sql_type = Text)]
    function: String,
    #[diesel(sql_type = Text)]
    comment: String,
    #[diesel(sql_type = Array<Text>)]
    table_schemas: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    table_names: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    table_kinds: Vec<String>,
}

/// The query listing the installs.
pub(crate) fn installed_query() -> Prepared<BoxedSqlQuery<'static, Pg, SqlQuery>> {
    Prepared(
        diesel::sql_query(include_str!("../sql/installed.sql"))
            .into_boxed()
            .bind::<Text, _>(AUTO_REFRESH_SCHEMA)
            .bind::<Text, _>(COMMENT_PREFIX),
    )
}

/// The installs the rows describe (functions whose comment does not name a view are left
/// out).
pub(crate) fn installed(rows: Vec<InstalledRow>) -> Vec<AutoRefreshInfo> {
    rows.into_iter()
        .filter_map(|row| {
            let view = parse_payload(row.comment.strip_prefix(COMMENT_PREFIX)?)?;
            let tables = row
                .table_schemas
                .iter()
                .zip(&row.table_names)
                .zip(&row.table_kinds)
                .map(|((schema, name), kind)| {
                    Relation::new(schema, name, RelationKind::from_relkind(kind))
                })
                .collect();
            Some(AutoRefreshInfo {
                view,
                tables,
                function: row.function,
            })
        })
        .collect()
}

/// The dependency walk an install needs: from the view, what it reads (one query, which also
/// checks the name).
pub(crate) fn install_scope<N: RelationName + ?Sized>(
    name: &N,
) -> Result<(QualifiedName, GraphScope)> {
    let name = name.to_qualified_name()?;
    let scope = GraphScope::views(ViewFilter::new().names([name.clone()])?);
    Ok((name, scope))
}

/// The install statement for the view `name` designates in `graph`, and what it installs.
///
/// # Errors
/// [`Error::WrongKind`] when it is a plain view.
pub(crate) fn prepare_install(
    name: &QualifiedName,
    graph: &DependencyGraph,
) -> Result<(InstallAutoRefresh, AutoRefreshInfo)> {
    let g = &graph.graph;
    let root = g
        .node_indices()
        .find(|&n| designates(name, &g[n]) && g[n].is_view())
        .ok_or_else(|| Error::NotFound {
            kind: RelationKind::MaterializedView,
            name: name.fullname(),
        })?;
    let view = &g[root];
    if view.kind != RelationKind::MaterializedView {
        return Err(Error::WrongKind {
            name: view.fullname(),
            expected: RelationKind::MaterializedView,
            actual: view.kind,
        });
    }
    // The tables read directly or through plain views.
    let mut tables: Vec<Relation> = Vec::new();
    let mut seen: HashSet<NodeIndex> = HashSet::from([root]);
    let mut stack: Vec<NodeIndex> = g.neighbors_directed(root, Towards::Incoming).collect();
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        match g[node].kind {
            RelationKind::View => stack.extend(g.neighbors_directed(node, Towards::Incoming)),
            RelationKind::Table | RelationKind::ForeignTable => tables.push(g[node].clone()),
            _ => {}
        }
    }
    tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    let qualified = QualifiedName::new(Some(&view.schema), &view.name)?;
    let names = names_for(&qualified)?;
    let watched = tables
        .iter()
        .map(|t| {
            Ok(WatchedTable {
                name: QualifiedName::new(Some(&t.schema), &t.name)?,
                kind: t.kind,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let info = AutoRefreshInfo {
        view: qualified,
        tables,
        function: names.function.as_str().to_owned(),
    };
    Ok((
        InstallAutoRefresh {
            names,
            tables: watched,
        },
        info,
    ))
}

fn designates(name: &QualifiedName, relation: &Relation) -> bool {
    name.name().as_str() == relation.name
        && name.schema().is_none_or(|s| s.as_str() == relation.schema)
}

/// The install among `installed` that `name` designates.
///
/// # Errors
/// [`Error::Ambiguous`] when an unqualified name designates several.
pub(crate) fn find_installed<'i>(
    installed: &'i [AutoRefreshInfo],
    name: &QualifiedName,
) -> Result<Option<&'i AutoRefreshInfo>> {
    let found: Vec<&AutoRefreshInfo> = installed
        .iter()
        .filter(|i| {
            i.view.name() == name.name() && name.schema().is_none_or(|s| i.view.schema() == Some(s))
        })
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        several => Err(Error::Ambiguous {
            name: name.fullname(),
            candidates: several.iter().map(|i| i.view.fullname()).collect(),
        }),
    }
}

/// The statement removing `info`.
pub(crate) fn uninstall_statement(info: &AutoRefreshInfo) -> Result<UninstallAutoRefresh> {
    Ok(UninstallAutoRefresh {
        function: Ident::new(&info.function)?,
    })
}

/// The statement removing every install.
pub(crate) fn uninstall_all_statement() -> UninstallAllAutoRefresh {
    UninstallAllAutoRefresh
}

/// Installs automatic refresh for the materialized view `name`: a statement-level trigger
/// (`AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE … FOR EACH STATEMENT`) on every table the
/// view reads, directly or through plain views, that calls a function notifying the channel
/// [`AUTO_REFRESH_CHANNEL`](crate::AUTO_REFRESH_CHANNEL) with the view's name. Because the
/// database sends the notification, writes from any client count, and only once they commit
/// (a rolled-back transaction notifies nothing; the many statements of one transaction notify
/// once). The refresher ([`aio::AutoRefresher`](crate::aio::AutoRefresher)) listens and
/// refreshes.
///
/// Idempotent and transactional: installing again replaces the function and the triggers
/// (following the view's current definition), in one `DO` block. The function is
/// `"pgview"."refresh_<name>_<hash>"` in the schema [`AUTO_REFRESH_SCHEMA`], created if
/// needed. Two queries: a dependency walk, which locks no view, and the `DO` block, which locks
/// the tables it puts triggers on (until the transaction ends): a bounded number of locks,
/// whatever the number of views in the database.
///
/// Writes that go straight into a partition of a partitioned table are not seen (statement
/// triggers fire on the table the statement names).
///
/// The async form is [`aio::install_auto_refresh`](crate::aio::install_auto_refresh).
///
/// # Errors
/// [`Error::NotFound`] or [`Error::Ambiguous`] for a name that does not designate one view,
/// [`Error::WrongKind`] for a table or a plain view; the server's error when the role may not
/// create triggers on a table.
pub fn install_auto_refresh<C, N>(conn: &mut C, name: &N) -> Result<AutoRefreshInfo>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    let (name, scope) = install_scope(name)?;
    let graph = get_dependency_graph(conn, &scope)?;
    let (statement, info) = prepare_install(&name, &graph)?;
    statement.execute(conn)?;
    Ok(info)
}

/// Removes the automatic refresh of the materialized view `name`: its triggers and its
/// function (and the schema [`AUTO_REFRESH_SCHEMA`] when nothing is left in it). Returns
/// whether it was installed; removing what is not installed does nothing. Works also when the
/// view has been dropped since (give its qualified name).
///
/// The async form is [`aio::uninstall_auto_refresh`](crate::aio::uninstall_auto_refresh).
///
/// # Errors
/// When it is not installed: [`Error::NotFound`] for a name that designates no view,
/// [`Error::WrongKind`] for a table; [`Error::Ambiguous`] for an unqualified name that
/// designates several installs.
pub fn uninstall_auto_refresh<C, N>(conn: &mut C, name: &N) -> Result<bool>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let installed = installed(installed_query().load(conn)?);
    if let Some(info) = find_installed(&installed, &name)? {
        uninstall_statement(info)?.execute(conn)?;
        return Ok(true);
    }
    let (_, scope) = install_scope(&name)?;
    get_dependency_graph(conn, &scope)?;
    Ok(false)
}

/// Removes every automatic refresh (triggers and functions) and the schema
/// [`AUTO_REFRESH_SCHEMA`] when nothing else is in it. Returns how many views had one.
///
/// The async form is [`aio::uninstall_all_auto_refresh`](crate::aio::uninstall_all_auto_refresh).
///
/// # Errors
/// The server's error (for example when the role may not drop a trigger).
pub fn uninstall_all_auto_refresh<C>(conn: &mut C) -> Result<usize>
where
    C: LoadConnection<Backend = Pg>,
{
    let count = installed(installed_query().load(conn)?).len();
    uninstall_all_statement().execute(conn)?;
    Ok(count)
}

/// The materialized views with automatic refresh installed, ordered by name, each with the
/// tables it watches. One query, which reads catalog tables only (a fixed set of locks, whatever
/// the number of views and installs).
///
/// The async form is [`aio::list_auto_refresh`](crate::aio::list_auto_refresh).
///
/// # Errors
/// The server's error.
pub fn list_auto_refresh<C>(conn: &mut C) -> Result<Vec<AutoRefreshInfo>>
where
    C: LoadConnection<Backend = Pg>,
{
    Ok(installed(installed_query().load(conn)?))
}
