//! `get_all_views`, `get_view` and `get_view_definition`: the queries and their plans.

use std::collections::{HashMap, HashSet};

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::sql_types::{Array, Bool, Int4, Nullable, Oid, Text};
use diesel::QueryableByName;

use crate::error::{Error, RelationKind, Result};
use crate::ident::QualifiedName;

use super::filter::ViewFilter;
use super::info::{ViewColumn, ViewIndex, ViewInfo, ViewOptions};
use super::name::{check_names, designated_view, RelationName};
use super::plan::{ChunkedPlan, Rows};
use super::relation::Relation;

/// `views.sql` after the selection: the relations asked for, with everything but the
/// definitions, without a lock.
const VIEWS_SQL: &str = concat!(
    "WITH RECURSIVE\n",
    include_str!("sql/selection.sql"),
    "\n",
    include_str!("sql/views.sql")
);

/// The most views whose definitions one chunk reads, whatever the server's
/// `max_locks_per_transaction`: it also bounds the size of a chunk's statement and rows.
const MAX_CHUNK: usize = 500;

/// The views of `views`, `(oid, what its query names)` in order, in chunks that each lock at
/// most `share` relations (`max_locks_per_transaction`), counting what printing a definition
/// locks: the view and every relation its query names, each relation once per chunk. A view
/// that alone locks more is a chunk of its own. At most [`MAX_CHUNK`] views a chunk.
///
/// Why that setting: the lock table is sized `max_locks_per_transaction` × (`max_connections` +
/// `max_prepared_transactions`) and shared by every session; a chunk that takes at most
/// `max_locks_per_transaction` locks (a transaction's share) cannot starve the others, and a
/// server configured with a small lock table gets small chunks. A default server gives chunks
/// of 64 locks; the cost of a chunk beyond its views is one round trip and a trivial plan.
fn chunks<'a>(views: impl IntoIterator<Item = (u32, &'a [u32])>, share: usize) -> Vec<Vec<u32>> {
    let share = share.max(1);
    let mut chunks = Vec::new();
    let mut chunk = Vec::new();
    let mut locked: HashSet<u32> = HashSet::new();
    for (oid, reads) in views {
        let new = |locked: &HashSet<u32>| {
            std::iter::once(&oid)
                .chain(reads)
                .filter(|o| !locked.contains(o))
                .collect::<HashSet<_>>()
                .len()
        };
        if !chunk.is_empty() && (locked.len() + new(&locked) > share || chunk.len() == MAX_CHUNK) {
            chunks.push(std::mem::take(&mut chunk));
            locked.clear();
        }
        chunk.push(oid);
        locked.insert(oid);
        locked.extend(reads);
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    chunks
}

/// One row of `views.sql`: a selected relation and what the catalog says of it.
#[derive(Debug, QueryableByName)]
pub(crate) struct ViewRow {
    #[diesel(sql_type = Oid)]
    oid: u32,
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    relkind: String,
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
    #[diesel(sql_type = Array<Text>)]
    index_names: Vec<String>,
    #[diesel(sql_type = Array<Bool>)]
    index_unique: Vec<bool>,
    #[diesel(sql_type = Array<Bool>)]
    index_partial: Vec<bool>,
    #[diesel(sql_type = Array<Text>)]
    index_definitions: Vec<String>,
    #[diesel(sql_type = Array<Int4>)]
    index_key_counts: Vec<i32>,
    #[diesel(sql_type = Array<Text>)]
    index_keys: Vec<String>,
    #[diesel(sql_type = Array<Oid>)]
    reads: Vec<u32>,
    #[diesel(sql_type = Int4)]
    lock_share: i32,
}

/// One row of `definitions.sql`.
#[derive(Debug, QueryableByName)]
pub(crate) struct DefinitionRow {
    #[diesel(sql_type = Oid)]
    oid: u32,
    #[diesel(sql_type = Nullable<Text>)]
    definition: Option<String>,
}

impl ViewRow {
    fn relation(&self) -> Relation {
        Relation::new(
            &self.schema,
            &self.name,
            RelationKind::from_relkind(&self.relkind),
        )
    }

    fn is_view(&self) -> bool {
        matches!(self.relkind.as_str(), "v" | "m")
    }

    fn into_info(self, definition: String) -> ViewInfo {
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
        let mut keys = self.index_keys.into_iter();
        let indexes = self
            .index_names
            .into_iter()
            .zip(self.index_unique)
            .zip(self.index_partial)
            .zip(self.index_definitions)
            .zip(self.index_key_counts)
            .map(|((((name, is_unique), is_partial), definition), count)| {
                let count = usize::try_from(count).unwrap_or(0);
                ViewIndex {
                    name,
                    is_unique,
                    is_partial,
                    columns: keys.by_ref().take(count).collect(),
                    definition,
                }
            })
            .collect();
        ViewInfo {
            is_materialized: self.relkind == "m",
            schema: self.schema,
            name: self.name,
            definition,
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

/// The plan of the catalog functions that describe views: `views.sql` for the relations
/// `filter` selects (no lock), then the definitions of its views and materialized views in
/// chunks (see [`chunks`]; each chunk's locks released before the next), then `finish` on
/// every selected relation and the views with their definitions, in selection order (schema,
/// name). A view dropped between the two has no definition and is left out.
fn described<T>(
    filter: &ViewFilter,
    finish: impl FnOnce(&[Relation], Vec<ViewInfo>) -> Result<T> + Send + 'static,
) -> ChunkedPlan<T, ViewRow, DefinitionRow> {
    let rows = Rows::new(filter.bind_selection(diesel::sql_query(VIEWS_SQL).into_boxed()));
    ChunkedPlan::new(rows, definition_queries, move |rows, definitions| {
        let found: Vec<Relation> = rows.iter().map(ViewRow::relation).collect();
        let mut definitions: HashMap<u32, String> = definitions
            .into_iter()
            .map(|row| (row.oid, row.definition.unwrap_or_default()))
            .collect();
        let views = rows
            .into_iter()
            .filter(ViewRow::is_view)
            .filter_map(|row| {
                let definition = definitions.remove(&row.oid)?;
                Some(row.into_info(definition))
            })
            .collect();
        finish(&found, views)
    })
}

/// The queries of the definitions of the views and materialized views among `rows`, one per
/// chunk (see [`chunks`]).
fn definition_queries(rows: &[ViewRow]) -> Vec<Rows<DefinitionRow>> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let share = usize::try_from(first.lock_share).unwrap_or(1);
    let views = rows
        .iter()
        .filter(|row| row.is_view())
        .map(|row| (row.oid, row.reads.as_slice()));
    chunks(views, share)
        .into_iter()
        .map(|chunk| {
            Rows::new(
                diesel::sql_query(include_str!("sql/definitions.sql"))
                    .into_boxed()
                    .bind::<Array<Oid>, _>(chunk),
            )
        })
        .collect()
}

/// The plan of [`get_all_views`].
pub(crate) fn all_views_plan(
    filter: &ViewFilter,
) -> ChunkedPlan<Vec<ViewInfo>, ViewRow, DefinitionRow> {
    let checked = filter.clone();
    described(filter, move |found, views| {
        if let Some(names) = checked.given_names() {
            check_names(names, found)?;
        }
        Ok(views)
    })
}

/// The plan of [`get_view`]: [`all_views_plan`] for one name.
pub(crate) fn view_plan<N>(name: &N) -> Result<ChunkedPlan<ViewInfo, ViewRow, DefinitionRow>>
where
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let filter = ViewFilter::named(name.clone());
    Ok(described(&filter, move |found, views| {
        designated(&name, found, views)
    }))
}

/// The plan of [`get_view_definition`].
pub(crate) fn definition_plan<N>(name: &N) -> Result<ChunkedPlan<String, ViewRow, DefinitionRow>>
where
    N: RelationName + ?Sized,
{
    let name = name.to_qualified_name()?;
    let filter = ViewFilter::named(name.clone());
    Ok(described(&filter, move |found, views| {
        designated(&name, found, views).map(|view| view.definition)
    }))
}

/// The view `name` designates among `found` (every relation of that name), from `views`.
fn designated(name: &QualifiedName, found: &[Relation], views: Vec<ViewInfo>) -> Result<ViewInfo> {
    let view = designated_view(name, found)?;
    views
        .into_iter()
        .find(|info| info.schema == view.schema && info.name == view.name)
        .ok_or_else(|| not_found(name))
}

fn not_found(name: &QualifiedName) -> Error {
    Error::NotFound {
        kind: RelationKind::View,
        name: name.fullname(),
    }
}

/// Lists views and materialized views with their columns, options, comment and (for
/// materialized views) population, tablespace and indexes, ordered by schema and name. System
/// schemas are left out.
///
/// Bounded locks, whatever the number of views: one query reads everything but the
/// definitions from catalog tables, locking no view. Printing a definition locks the view until
/// the transaction ends, along with every relation its query names, so the definitions are read
/// in chunks that lock at most the server's `max_locks_per_transaction` relations each (64 by
/// default; a view naming more is a chunk of its own; 500 views at most), and each chunk's
/// locks are released before the next: each chunk is a statement of its own, or, inside an open
/// transaction, runs in a savepoint rolled back once read. At any time the call holds at most
/// one chunk's locks and a fixed set of about 25 catalog tables and indexes. Round trips:
/// 1 + 1 per chunk (1 + 3 per chunk inside a transaction). The chunks are separate statements:
/// without an enclosing transaction each sees the catalog as it is then (a view dropped
/// meanwhile is left out); inside a `REPEATABLE READ` transaction they all see one snapshot.
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
/// name is looked up in every user schema. Locks as [`get_all_views`]: the view's lock is
/// released before it returns. Round trips: 2 (4 inside a transaction; 1 when nothing has that
/// name).
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
/// unqualified name is looked up in every user schema. Locks and round trips as
/// [`get_view`].
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_count_every_relation_locked_once() {
        // A chain: 2 reads 1, 3 reads 2, … and 1 reads the table 100.
        let reads: Vec<(u32, Vec<u32>)> = (1..=9)
            .map(|v| (v, vec![if v == 1 { 100 } else { v - 1 }]))
            .collect();
        let views = || reads.iter().map(|(oid, r)| (*oid, r.as_slice()));
        // Each chunk locks its views and what they read: at most 4 relations.
        assert_eq!(
            chunks(views(), 4),
            [vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9]]
        );
        assert_eq!(chunks(views(), 100), [(1..=9).collect::<Vec<_>>()]);
        // One view at a time at least, even when it alone locks more.
        let fan = [7, 8, 9, 10];
        let wide = [(1, &fan[..]), (2, &[][..]), (3, &fan[..])];
        assert_eq!(chunks(wide, 3), [vec![1], vec![2], vec![3]]);
        // 1 and its reads are 5 locks, 2 one more; 3 would be a 7th.
        assert_eq!(chunks(wide, 6), [vec![1, 2], vec![3]]);
        assert!(chunks(std::iter::empty(), 10).is_empty());
    }

    #[test]
    fn chunks_hold_at_most_max_chunk_views() {
        let views = (0..1_200).map(|v| (v, &[][..]));
        let sizes: Vec<usize> = chunks(views, 100_000).iter().map(Vec::len).collect();
        assert_eq!(sizes, [MAX_CHUNK, MAX_CHUNK, 200]);
    }
}
