//! The catalog functions on async connections (`diesel_async::AsyncPgConnection`, bb8 pooled
//! connections, …): the same queries as the sync functions, run with
//! `diesel_async::RunQueryDsl`.
//!
//! Statements need no async variant: every statement runs with `diesel_async::RunQueryDsl`
//! directly.

use diesel::pg::Pg;
use diesel_async::{AsyncConnectionCore, RunQueryDsl};

use crate::catalog::{all_views_query, find_view_query, pick_view, RelationName, ViewRow};
use crate::catalog::{ViewFilter, ViewInfo};
use crate::error::Result;

/// Async [`get_all_views`](crate::get_all_views).
pub async fn get_all_views<C>(conn: &mut C, filter: &ViewFilter) -> Result<Vec<ViewInfo>>
where
    C: AsyncConnectionCore<Backend = Pg>,
{
    let rows: Vec<ViewRow> = all_views_query(filter).load(conn).await?;
    Ok(rows.into_iter().map(ViewInfo::from).collect())
}

/// Async [`get_view_definition`](crate::get_view_definition).
///
/// # Errors
/// As the sync form: [`Error::NotFound`](crate::Error::NotFound) or
/// [`Error::Ambiguous`](crate::Error::Ambiguous).
pub async fn get_view_definition<C, N>(conn: &mut C, name: &N) -> Result<String>
where
    C: AsyncConnectionCore<Backend = Pg>,
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let rows: Vec<ViewRow> = find_view_query(&name).load(conn).await?;
    Ok(pick_view(&name, rows)?.definition)
}
