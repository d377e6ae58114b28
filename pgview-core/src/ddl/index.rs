//! `CREATE [UNIQUE] INDEX` for an index declared on a materialized view.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::create_view::walk_column_list;
use super::statement;
use crate::definition::{Index, IndexKey, IndexMethod, IndexPart, NullsOrder};
use crate::ident::QualifiedName;

/// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON view [USING method] (parts)
/// [INCLUDE (columns)] [WHERE (predicate)]`.
///
/// A key part is a quoted column or a parenthesised expression, followed by its
/// `COLLATE`, operator class, `DESC` and `NULLS FIRST|LAST` when given. A built-in method is
/// written as its keyword, another (an extension's) quoted.
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
///
/// An expression, a method, covering columns, a predicate, per-part options:
/// ```
/// use pgview_core::{Index, IndexPart, MaterializedView};
/// let sql = |index: Index| -> Result<String, pgview_core::Error> {
///     let mv = MaterializedView::from_sql("users_mv", "SELECT 1 AS id")?.index(index)?;
///     Ok(diesel::debug_query::<diesel::pg::Pg, _>(&mv.create_indexes()[0]).to_string())
/// };
/// assert_eq!(
///     sql(Index::expression("lower(email)")?.named("index_users_on_lower_email")?)?,
///     r#"CREATE INDEX "index_users_on_lower_email" ON "users_mv" ((lower(email))) -- binds: []"#
/// );
/// assert_eq!(
///     sql(Index::unique(["email"])?.where_sql("deleted_at IS NULL")?)?,
///     r#"CREATE UNIQUE INDEX "users_mv_email_idx" ON "users_mv" ("email") WHERE (deleted_at IS NULL) -- binds: []"#
/// );
/// assert_eq!(
///     sql(Index::new(["tags"])?.using("gin")?)?,
///     r#"CREATE INDEX "users_mv_tags_idx" ON "users_mv" USING gin ("tags") -- binds: []"#
/// );
/// assert_eq!(
///     sql(Index::new(["created_at"])?.using("brin")?.named("users_mv_brin")?)?,
///     r#"CREATE INDEX "users_mv_brin" ON "users_mv" USING brin ("created_at") -- binds: []"#
/// );
/// assert_eq!(
///     sql(Index::new(["embedding"])?.using("hnsw")?)?,
///     r#"CREATE INDEX "users_mv_embedding_idx" ON "users_mv" USING "hnsw" ("embedding") -- binds: []"#
/// );
/// assert_eq!(
///     sql(Index::unique(["id"])?.include(["email", "name"])?)?,
///     r#"CREATE UNIQUE INDEX "users_mv_id_idx" ON "users_mv" ("id") INCLUDE ("email", "name") -- binds: []"#
/// );
/// assert_eq!(
///     sql(Index::on([
///         IndexPart::column("name")?.collate("C")?.opclass("text_pattern_ops")?,
///         IndexPart::column("created_at")?.desc().nulls_last(),
///         IndexPart::expression("lower(email)")?.nulls_first(),
///     ])?)?,
///     r#"CREATE INDEX "users_mv_name_created_at_expr_idx" ON "users_mv" ("name" COLLATE "C" "text_pattern_ops", "created_at" DESC NULLS LAST, (lower(email)) NULLS FIRST) -- binds: []"#
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
        if let Some(method) = &self.index.method {
            out.push_sql(" USING ");
            match method {
                IndexMethod::Other(name) => name.walk_ast(&mut out)?,
                builtin => out.push_sql(builtin.builtin_name().unwrap_or("btree")),
            }
        }
        out.push_sql(" (");
        for (i, part) in self.index.parts.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            walk_part(part, &mut out)?;
        }
        out.push_sql(")");
        if !self.index.include.is_empty() {
            out.push_sql(" INCLUDE");
            walk_column_list(&self.index.include, &mut out)?;
        }
        if let Some(predicate) = &self.index.predicate {
            // Checked to be one expression (`lexer::expression`): it cannot leave the
            // parentheses.
            out.push_sql(" WHERE (");
            out.push_sql(predicate);
            out.push_sql(")");
        }
        Ok(())
    }
}

/// One key part: `"column"` or `(expression)`, then `COLLATE`, the operator class, `DESC`,
/// `NULLS FIRST|LAST`.
fn walk_part(part: &IndexPart, out: &mut AstPass<'_, '_, Pg>) -> QueryResult<()> {
    match &part.key {
        IndexKey::Column(column) => column.walk_ast(out)?,
        IndexKey::Expression(sql) => {
            // Checked to be one expression (`lexer::expression`).
            out.push_sql("(");
            out.push_sql(sql);
            out.push_sql(")");
        }
    }
    if let Some(collation) = &part.collation {
        out.push_sql(" COLLATE ");
        collation.walk_ast(out)?;
    }
    if let Some(opclass) = &part.opclass {
        out.push_sql(" ");
        opclass.walk_ast(out)?;
    }
    if part.descending {
        out.push_sql(" DESC");
    }
    match part.nulls {
        Some(NullsOrder::First) => out.push_sql(" NULLS FIRST"),
        Some(NullsOrder::Last) => out.push_sql(" NULLS LAST"),
        None => {}
    }
    Ok(())
}
