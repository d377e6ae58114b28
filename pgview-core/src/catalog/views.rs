//! `get_all_views`, `get_view` and `get_view_definition`: the queries and their plans.

use std::collections::HashMap;

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::sql_types::{Array, Bool, Nullable, Text};
use diesel::QueryableByName;

use crate::error::{Error, RelationKind, Result};
use crate::ident::QualifiedName;

use super::filter::ViewFilter;
use super::info::{ViewColumn, ViewIndex, ViewInfo, ViewOptions};
use super::name::{check_names, designated_view, RelationName};
use super::plan::{Plan, Rows};
use super::relation::Relation;

/// `views.sql` after the selection.
const VIEWS_SQL: &str = concat!(
    "WITH RECURSIVE\n",
    include_str!("sql/selection.sql"),
    "\n",
    include_str!("sql/views.sql")
);

/// `indexes.sql` after the selection.
const INDEXES_SQL: &str = concat!(
    "WITH RECURSIVE\n",
    include_str!("sql/selection.sql"),
    "\n",
    include_str!("sql/indexes.sql")
);

/// One row of `views.sql`.
#[derive(Debug, QueryableByName)]
pub(crate) struct ViewRow {
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    relkind: String,
    #[diesel(sql_type = Nullable<Text>)]
    definition: Option<String>,
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    options: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Text>)]
    comment: Option<String>,
    #[diesel(sql_type = Bool)]
    is_populated: bool,
    #[diesel(sql_type = Nullable<Text>)]
    tablespace: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    column_names: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    column_types: Vec<String>,
    #[diesel(sql_type = Array<Bool>)]
    column_not_null: Vec<bool>,
}

impl ViewRow {
    fn relation(&self) -> Relation {
        Relation::new(
            &self.schema,
            &self.name,
            RelationKind::from_relkind(&self.relkind),
        )
    }

    fn into_info(self, indexes: Vec<ViewIndex>) -> ViewInfo {
        let columns = self
            .column_names
            .into_iter()
            .zip(self.column_types)
            .zip(self.column_not_null)
            .map(|((name, sql_type), not_null)| ViewColumn {
                name,
                sql_type,
                nullable: !not_null,
            })
            .collect();
        ViewInfo {
            is_materialized: self.relkind == "m",
            schema: self.schema,
            name: self.name,
            definition: self.definition.unwrap_or_default(),
            owner: self.owner,
            columns,
            options: ViewOptions::parse(self.options.unwrap_or_default()),
            comment: self.comment,
            is_populated: self.is_populated,
            tablespace: self.tablespace,
            indexes,
        }
    }
}

/// One row of `indexes.sql`.
#[derive(Debug, QueryableByName)]
pub(crate) struct IndexRow {
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    relation: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Bool)]
    is_partial: bool,
    #[diesel(sql_type = Text)]
    definition: String,
    #[diesel(sql_type = Array<Text>)]
    columns: Vec<String>,
}

/// The selected views, with their indexes; errors for names that do not designate exactly one
/// view.
fn finish_views(
    filter: &ViewFilter,
    rows: Vec<ViewRow>,
    indexes: Vec<IndexRow>,
) -> Result<Vec<ViewInfo>> {
    if let Some(names) = filter.given_names() {
        let found: Vec<Relation> = rows.iter().map(ViewRow::relation).collect();
        check_names(names, &found)?;
    }
    let mut by_view: HashMap<(String, String), Vec<ViewIndex>> = HashMap::new();
    for row in indexes {
        by_view
            .entry((row.schema, row.relation))
            .or_default()
            .push(ViewIndex {
                name: row.name,
                is_unique: row.is_unique,
                is_partial: row.is_partial,
                columns: row.columns,
                definition: row.definition,
            });
    }
    Ok(rows
        .into_iter()
        .filter(|row| matches!(row.relkind.as_str(), "v" | "m"))
        .map(|row| {
            let indexes = by_view
                .remove(&(row.schema.clone(), row.name.clone()))
                .unwrap_or_default();
            row.into_info(indexes)
        })
        .collect())
}

/// The plan of [`get_all_views`]: the views, then their indexes (two queries).
pub(crate) fn all_views_plan(filter: &ViewFilter) -> Plan<Vec<ViewInfo>, ViewRow, IndexRow> {
    let views = Rows::new(filter.bind_selection(diesel::sql_query(VIEWS_SQL).into_boxed()));
    let indexes = Rows::new(filter.bind_selection(diesel::sql_query(INDEXES_SQL).into_boxed()));
    let filter = filter.clone();
    Plan::two(views, indexes, move |rows, indexes| {
        finish_views(&filter, rows, indexes)
    })
}

/// The plan of [`get_view`]: [`all_views_plan`] for one name.
pub(crate) fn view_plan<N>(name: &N) -> Result<Plan<ViewInfo, ViewRow, IndexRow>>
where
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let filter = ViewFilter::named(name.clone());
    let views = Rows::new(filter.bind_selection(diesel::sql_query(VIEWS_SQL).into_boxed()));
    let indexes = Rows::new(filter.bind_selection(diesel::sql_query(INDEXES_SQL).into_boxed()));
    Ok(Plan::two(views, indexes, move |mut rows, indexes| {
        keep_designated(&name, &mut rows)?;
        let view = finish_views(&ViewFilter::new(), rows, indexes)?.pop();
        view.ok_or_else(|| not_found(&name))
    }))
}

/// The plan of [`get_view_definition`]: the views query only (one query).
pub(crate) fn definition_plan<N>(name: &N) -> Result<Plan<String, ViewRow>>
where
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let filter = ViewFilter::named(name.clone());
    let views = Rows::new(filter.bind_selection(diesel::sql_query(VIEWS_SQL).into_boxed()));
    Ok(Plan::one(views, move |mut rows| {
        keep_designated(&name, &mut rows)?;
        let definition = rows.pop().and_then(|row| row.definition);
        definition.ok_or_else(|| not_found(&name))
    }))
}

/// Keeps in `rows` (every relation of that name) only the view `name` designates.
fn keep_designated(name: &QualifiedName, rows: &mut Vec<ViewRow>) -> Result<()> {
    let found: Vec<Relation> = rows.iter().map(ViewRow::relation).collect();
    let view = designated_view(name, &found)?;
    rows.retain(|row| row.schema == view.schema && row.name == view.name);
    Ok(())
}

fn not_found(name: &QualifiedName) -> Error {
    Error::NotFound {
        kind: RelationKind::View,
        name: name.fullname(),
    }
}

/// Lists views and materialized views with their columns, options, comment and (for
/// materialized views) population, tablespace and indexes, ordered by schema and name. System
/// schemas are left out. Two queries, whatever the number of views.
///
/// The async form is [`aio::get_all_views`](crate::aio::get_all_views).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// for view in pgview_core::get_all_views(conn, &pgview_core::ViewFilter::new())? {
///     println!("{}: {}", view.fullname(), if view.is_materialized { "MV" } else { "V" });
///     for column in &view.columns {
///         println!("  {} {}", column.name, column.sql_type);
///     }
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// With [`ViewFilter::names`]: [`Error::NotFound`](crate::Error::NotFound),
/// [`Error::Ambiguous`](crate::Error::Ambiguous) or
/// [`Error::WrongKind`](crate::Error::WrongKind) for a name that does not designate exactly
/// one view.
pub fn get_all_views<C>(conn: &mut C, filter: &ViewFilter) -> Result<Vec<ViewInfo>>
where
    C: LoadConnection<Backend = Pg>,
{
    all_views_plan(filter).run(conn)
}

/// Everything the catalog says about the view or materialized view `name`. An unqualified
/// name is looked up in every user schema. Two queries.
///
/// The async form is [`aio::get_view`](crate::aio::get_view).
///
/// # Errors
/// [`Error::NotFound`](crate::Error::NotFound) when no relation has that name,
/// [`Error::Ambiguous`](crate::Error::Ambiguous) when an unqualified name exists in several
/// schemas, [`Error::WrongKind`](crate::Error::WrongKind) when it is a table.
pub fn get_view<C, N>(conn: &mut C, name: &N) -> Result<ViewInfo>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    view_plan(name)?.run(conn)
}

/// The query of the view or materialized view `name` as the server prints it. An
/// unqualified name is looked up in every user schema. One query.
///
/// The async form is [`aio::get_view_definition`](crate::aio::get_view_definition).
///
/// # Errors
/// [`Error::NotFound`](crate::Error::NotFound) when no relation has that name,
/// [`Error::Ambiguous`](crate::Error::Ambiguous) when an unqualified name exists in several
/// schemas, [`Error::WrongKind`](crate::Error::WrongKind) when it is a table.
pub fn get_view_definition<C, N>(conn: &mut C, name: &N) -> Result<String>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    definition_plan(name)?.run(conn)
}
