//! `CREATE MATERIALIZED VIEW`.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::batch::walk_batch;
use super::create_view::walk_column_list;
use super::{statement, CreateIndex};
use crate::definition::MaterializedView;
use crate::sql_text::string_constant;

/// `CREATE MATERIALIZED VIEW [IF NOT EXISTS] name [(columns)] [WITH (storage)]
/// [TABLESPACE ts] AS query WITH [NO] DATA`, followed by the view's indexes and comments.
///
/// `WITH [NO] DATA` comes from the definition unless overridden. With indexes or comments,
/// everything runs as one `DO` block (one round trip, all or nothing); with `if_not_exists`
/// the indexes are created `IF NOT EXISTS` too.
///
/// # Examples
/// ```
/// use diesel::pg::Pg;
/// use pgview_core::{CreateMaterializedView, Index, MaterializedView};
///
/// let mv = MaterializedView::from_sql("revenue", "SELECT sum(total) AS total FROM orders")?
///     .storage_parameter("fillfactor", "90")?
///     .tablespace("pg_default")?;
/// assert_eq!(
///     diesel::debug_query::<Pg, _>(&CreateMaterializedView::new(&mv).if_not_exists().with_no_data()).to_string(),
///     r#"CREATE MATERIALIZED VIEW IF NOT EXISTS "revenue" WITH ("fillfactor" = '90') TABLESPACE "pg_default" AS SELECT sum(total) AS total FROM orders WITH NO DATA -- binds: []"#
/// );
///
/// let indexed = MaterializedView::from_sql("totals", "SELECT 1 AS id")?.index(Index::unique(["id"])?)?;
/// assert_eq!(
///     diesel::debug_query::<Pg, _>(&indexed.create()).to_string(),
///     r#"DO $pgview$BEGIN EXECUTE 'CREATE MATERIALIZED VIEW "totals" AS SELECT 1 AS id WITH DATA'; EXECUTE 'CREATE UNIQUE INDEX "totals_id_idx" ON "totals" ("id")'; END$pgview$ -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a statement does nothing until it is executed"]
pub struct CreateMaterializedView<'a> {
    view: &'a MaterializedView,
    if_not_exists: bool,
    with_data: Option<bool>,
}

statement!(CreateMaterializedView<'a>);

impl<'a> CreateMaterializedView<'a> {
    /// `CREATE MATERIALIZED VIEW` for `view`.
    pub fn new(view: &'a MaterializedView) -> Self {
        Self {
            view,
            if_not_exists: false,
            with_data: None,
        }
    }

    /// `IF NOT EXISTS`: nothing happens when a relation of that name exists (its indexes are
    /// created if missing; comments are set again).
    pub fn if_not_exists(mut self) -> Self {
        self.if_not_exists = true;
        self
    }

    /// `WITH DATA`, whatever the definition says.
    pub fn with_data(mut self) -> Self {
        self.with_data = Some(true);
        self
    }

    /// `WITH NO DATA`, whatever the definition says: the view cannot be read until refreshed.
    pub fn with_no_data(mut self) -> Self {
        self.with_data = Some(false);
        self
    }
}

/// The `CREATE MATERIALIZED VIEW` command alone.
struct Create<'a>(CreateMaterializedView<'a>);

impl QueryFragment<Pg> for Create<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let CreateMaterializedView {
            view,
            if_not_exists,
            with_data,
        } = self.0;
        out.unsafe_to_cache_prepared();
        out.push_sql("CREATE MATERIALIZED VIEW ");
        if if_not_exists {
            out.push_sql("IF NOT EXISTS ");
        }
        view.common.name.walk_ast(&mut out)?;
        walk_column_list(&view.common.columns, &mut out)?;
        if !view.storage.is_empty() {
            out.push_sql(" WITH (");
            for (i, parameter) in view.storage.iter().enumerate() {
                if i > 0 {
                    out.push_sql(", ");
                }
                for (j, part) in parameter.name.iter().enumerate() {
                    if j > 0 {
                        out.push_sql(".");
                    }
                    part.walk_ast(&mut out)?;
                }
                out.push_sql(" = ");
                out.push_sql(&string_constant(&parameter.value));
            }
            out.push_sql(")");
        }
        if let Some(tablespace) = &view.tablespace {
            out.push_sql(" TABLESPACE ");
            tablespace.walk_ast(&mut out)?;
        }
        out.push_sql(" AS ");
        out.push_sql(&view.common.query);
        out.push_sql(if with_data.unwrap_or(view.with_data) {
            " WITH DATA"
        } else {
            " WITH NO DATA"
        });
        Ok(())
    }
}

impl QueryFragment<Pg> for CreateMaterializedView<'_> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let create = Create(*self);
        let indexes: Vec<CreateIndex<'_>> = self
            .view
            .create_indexes()
            .into_iter()
            .map(|index| {
                if self.if_not_exists {
                    index.if_not_exists()
                } else {
                    index
                }
            })
            .collect();
        let comments = self.view.comment_statements();
        let mut statements: Vec<&dyn QueryFragment<Pg>> = vec![&create];
        statements.extend(indexes.iter().map(|s| s as &dyn QueryFragment<Pg>));
        statements.extend(comments.iter().map(|s| s as &dyn QueryFragment<Pg>));
        walk_batch(&statements, out)
    }
}
