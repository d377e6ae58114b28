//! `CREATE [UNIQUE] INDEX` for an index declared on a materialized view.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::create_view::walk_column_list;
use super::statement;
use crate::definition::Index;
use crate::ident::QualifiedName;

/// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON view (columns)`.
///
/// # Examples
/// ```
/// use pgview_core::{Index, MaterializedView};
/// let mv = MaterializedView::from_sql("user_totals", "SELECT 1 AS user_id")?
///     .schema("app")?
///     .index(Index::unique(["user_id"])?)?;
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&mv.create_indexes()[0]).to_string(),
///     r#"CREATE UNIQUE INDEX "user_totals_user_id_idx" ON "app"."user_totals" ("user_id") -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a statement does nothing until it is executed"]
pub struct CreateIndex<'a> {
    table: &'a QualifiedName,
    index: &'a Index,
    if_not_exists: bool,
}

statement!(CreateIndex<'a>);

impl<'a> CreateIndex<'a> {
    /// Creates `index` on `table`. The index must be named (indexes of a
    /// [`MaterializedView`](crate::MaterializedView) always are); an unnamed one lets the
    /// server choose the name.
    pub fn new(table: &'a QualifiedName, index: &'a Index) -> Self {
        Self {
            table,
            index,
            if_not_exists: false,
        }
    }

    /// `IF NOT EXISTS` (needs a named index).
    pub fn if_not_exists(mut self) -> Self {
        self.if_not_exists = true;
        self
    }
}

impl QueryFragment<Pg> for CreateIndex<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql(if self.index.unique {
            "CREATE UNIQUE INDEX "
        } else {
            "CREATE INDEX "
        });
        if let Some(name) = &self.index.name {
            if self.if_not_exists {
                out.push_sql("IF NOT EXISTS ");
            }
            name.walk_ast(&mut out)?;
            out.push_sql(" ");
        }
        out.push_sql("ON ");
        self.table.walk_ast(&mut out)?;
        walk_column_list(&self.index.columns, &mut out)
    }
}
