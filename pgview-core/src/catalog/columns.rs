//! `get_view_columns` and `get_all_view_columns`: the output columns of views with their types
//! and inferred nullability (see [`super::nullability`]).

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::sql_types::{Array, Bool, Int4, Nullable, Oid, Text};
use diesel::QueryableByName;

use crate::error::{RelationKind, Result};

use super::filter::ViewFilter;
use super::name::{check_names, designated_view, RelationName};
use super::nullability::Relations;
use super::plan::{Plan, Rows};
use super::relation::Relation;

/// `columns.sql` after the selection.
const COLUMNS_SQL: &str = concat!(
    "WITH RECURSIVE\n",
    include_str!("sql/selection.sql"),
    ",\n",
    include_str!("sql/columns.sql")
);

/// A view or materialized view and its output columns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewColumns {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Whether it is a materialized view.
    pub is_materialized: bool,
    /// Its columns, in order.
    pub columns: Vec<ColumnInfo>,
}

impl ViewColumns {
    /// `schema.name`.
    pub fn fullname(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// A type as the catalog names it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeName {
    /// Its OID.
    pub oid: u32,
    /// Its schema (`pg_catalog` for built-in types).
    pub schema: String,
    /// Its name in `pg_type` (`int4`, `varchar`, `_int4` for an array, `mood`).
    pub name: String,
    /// Whether it is an enum (`CREATE TYPE … AS ENUM`).
    pub is_enum: bool,
}

/// An output column of a view, with what the server can prove of its nullability.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ColumnInfo {
    /// Its name.
    pub name: String,
    /// Its SQL type as the server prints it (`format_type`: `integer`,
    /// `character varying(20)`, `numeric(10,2)`, `"Mood"[]`).
    pub sql_type: String,
    /// Its type.
    pub type_name: TypeName,
    /// The element type when the type is an array.
    pub element: Option<TypeName>,
    /// The base type's OID when the type is a domain.
    pub domain_base: Option<u32>,
    /// The type modifier (`atttypmod`: a length or precision; -1 for none).
    pub type_modifier: i32,
    /// Whether the type can be named without its schema (it is on the `search_path`).
    pub type_visible: bool,
    /// Whether the server proves that it never holds NULL (see the inference rules on
    /// [`get_view_columns`]); `false` when it cannot tell.
    pub not_null: bool,
    /// Its comment (`COMMENT ON COLUMN`), if any.
    pub comment: Option<String>,
}

/// One row of `columns.sql`.
#[derive(Debug, QueryableByName)]
pub(crate) struct ColumnsRow {
    #[diesel(sql_type = Oid)]
    oid: u32,
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    relkind: String,
    #[diesel(sql_type = Bool)]
    is_selected: bool,
    #[diesel(sql_type = Nullable<Text>)]
    rule: Option<String>,
    #[diesel(sql_type = Array<Int4>)]
    not_null: Vec<i32>,
    #[diesel(sql_type = Array<Text>)]
    col_names: Vec<String>,
    #[diesel(sql_type = Array<Oid>)]
    col_types: Vec<u32>,
    #[diesel(sql_type = Array<Text>)]
    col_type_names: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    col_type_schemas: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    col_formatted: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    col_typtypes: Vec<String>,
    #[diesel(sql_type = Array<Oid>)]
    col_base_types: Vec<u32>,
    #[diesel(sql_type = Array<Oid>)]
    col_elems: Vec<u32>,
    #[diesel(sql_type = Array<Text>)]
    col_elem_names: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    col_elem_schemas: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    col_elem_typtypes: Vec<String>,
    #[diesel(sql_type = Array<Int4>)]
    col_typmods: Vec<i32>,
    #[diesel(sql_type = Array<Bool>)]
    col_visible: Vec<bool>,
    #[diesel(sql_type = Array<Text>)]
    col_comments: Vec<String>,
}

impl ColumnsRow {
    fn relation(&self) -> Relation {
        Relation::new(
            &self.schema,
            &self.name,
            RelationKind::from_relkind(&self.relkind),
        )
    }

    fn columns(&self, not_null: &[bool]) -> Vec<ColumnInfo> {
        (0..self.col_names.len())
            .map(|i| ColumnInfo {
                name: self.col_names[i].clone(),
                sql_type: self.col_formatted[i].clone(),
                type_name: TypeName {
                    oid: self.col_types[i],
                    schema: self.col_type_schemas[i].clone(),
                    name: self.col_type_names[i].clone(),
                    is_enum: self.col_typtypes[i] == "e",
                },
                element: (self.col_elems[i] != 0).then(|| TypeName {
                    oid: self.col_elems[i],
                    schema: self.col_elem_schemas[i].clone(),
                    name: self.col_elem_names[i].clone(),
                    is_enum: self.col_elem_typtypes[i] == "e",
                }),
                domain_base: (self.col_base_types[i] != 0).then_some(self.col_base_types[i]),
                type_modifier: self.col_typmods[i],
                type_visible: self.col_visible[i],
                not_null: not_null.get(i).copied().unwrap_or(false),
                comment: Some(self.col_comments[i].clone()).filter(|c| !c.is_empty()),
            })
            .collect()
    }
}

/// The plan of the column functions: `columns.sql` for `filter`, then `finish` on every
/// selected relation and the selected views with their columns, in selection order.
fn columns_plan<T>(
    filter: &ViewFilter,
    finish: impl FnOnce(&[Relation], Vec<ViewColumns>) -> Result<T> + Send + 'static,
) -> Plan<T, ColumnsRow> {
    let rows = Rows::new(filter.bind_selection(diesel::sql_query(COLUMNS_SQL).into_boxed()));
    Plan::one(rows, move |rows| {
        let mut relations = Relations::default();
        for row in &rows {
            match (row.relkind.as_str(), &row.rule) {
                ("v" | "m", Some(rule)) => relations.add_view(row.oid, rule),
                ("r" | "p", _) => relations.add_table(row.oid, row.not_null.iter().copied()),
                _ => {}
            }
        }
        let selected: Vec<&ColumnsRow> = rows.iter().filter(|r| r.is_selected).collect();
        let found: Vec<Relation> = selected.iter().map(|r| r.relation()).collect();
        let views = selected
            .iter()
            .filter(|row| matches!(row.relkind.as_str(), "v" | "m"))
            .map(|row| {
                let not_null = relations.view_columns(row.oid, row.col_names.len());
                ViewColumns {
                    schema: row.schema.clone(),
                    name: row.name.clone(),
                    is_materialized: row.relkind == "m",
                    columns: row.columns(&not_null),
                }
            })
            .collect();
        finish(&found, views)
    })
}

/// The plan of [`get_all_view_columns`].
pub(crate) fn all_columns_plan(filter: &ViewFilter) -> Plan<Vec<ViewColumns>, ColumnsRow> {
    let checked = filter.clone();
    columns_plan(filter, move |found, views| {
        if let Some(names) = checked.given_names() {
            check_names(names, found)?;
        }
        Ok(views)
    })
}

/// The plan of [`get_view_columns`].
pub(crate) fn view_columns_plan<N>(name: &N) -> Result<Plan<ViewColumns, ColumnsRow>>
where
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    Ok(columns_plan(
        &ViewFilter::named(name.clone()),
        move |found, views| {
            let view = designated_view(&name, found)?;
            views
                .into_iter()
                .find(|v| v.schema == view.schema && v.name == view.name)
                .ok_or_else(|| crate::Error::NotFound {
                    kind: RelationKind::View,
                    name: name.fullname(),
                })
        },
    ))
}

/// The output columns of the view or materialized view `name`: names, types (with the element
/// type of arrays, enums marked) and whether the server proves each `NOT NULL`. An unqualified
/// name is looked up in every user schema. One round trip, reading catalog tables only (no
/// view is locked).
///
/// PostgreSQL records no `NOT NULL` on view columns; pgview infers it from the view's stored
/// query, traced through views, materialized views and subqueries to table columns. A column
/// is proven `NOT NULL` when it is a table column with a valid `NOT NULL` reached through inner
/// joins only, a non-null constant, `count(…)`, `row_number()` and other ranking functions,
/// `EXISTS`, a boolean test, `ARRAY[…]`, `coalesce`/`GREATEST`/`LEAST` with a proven argument,
/// a `CASE` whose branches and `ELSE` are proven, `AND`/`OR`/`NOT` or a built-in cast of
/// proven values, or a set operation's column proven in every branch. Anything else, and any
/// column on the nullable side of an outer join or grouped by `GROUPING SETS`, is reported
/// nullable: the inference never claims `NOT NULL` wrongly, but may miss some (a `WHERE x IS
/// NOT NULL` filter, a function that never returns NULL).
///
/// The async form is [`aio::get_view_columns`](crate::aio::get_view_columns).
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
/// let view = pgview_core::get_view_columns(conn, "public.user_stats")?;
/// for column in &view.columns {
///     let null = if column.not_null { "NOT NULL" } else { "NULL" };
///     println!("{} {} {null}", column.name, column.sql_type);
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::NotFound`](crate::Error::NotFound) when no relation has that name,
/// [`Error::Ambiguous`](crate::Error::Ambiguous) when an unqualified name exists in several
/// schemas, [`Error::WrongKind`](crate::Error::WrongKind) when it is a table.
pub fn get_view_columns<C, N>(conn: &mut C, name: &N) -> Result<ViewColumns>
where
    C: LoadConnection<Backend = Pg>,
    N: RelationName + ?Sized,
{
    view_columns_plan(name)?.run(conn)
}

/// [`get_view_columns`] for every view and materialized view `filter` selects, ordered by
/// schema and name. One round trip, reading catalog tables only.
///
/// The async form is [`aio::get_all_view_columns`](crate::aio::get_all_view_columns).
///
/// # Errors
/// With [`ViewFilter::names`]: as [`get_view_columns`] for a name that does not designate
/// exactly one view.
pub fn get_all_view_columns<C>(conn: &mut C, filter: &ViewFilter) -> Result<Vec<ViewColumns>>
where
    C: LoadConnection<Backend = Pg>,
{
    all_columns_plan(filter).run(conn)
}
