//! `COMMENT ON VIEW | MATERIALIZED VIEW | COLUMN`.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::statement;
use crate::definition::Common;
use crate::error::RelationKind;
use crate::ident::{Ident, QualifiedName};
use crate::sql_text::string_constant;

/// What a [`CommentOn`] statement comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentTarget {
    /// `COMMENT ON VIEW name`.
    View(QualifiedName),
    /// `COMMENT ON MATERIALIZED VIEW name`.
    MaterializedView(QualifiedName),
    /// `COMMENT ON COLUMN name.column`.
    Column(QualifiedName, Ident),
}

/// `COMMENT ON … IS '…'` (or `IS NULL` to remove the comment).
///
/// # Examples
/// ```
/// use pgview_core::{CommentOn, CommentTarget, QualifiedName, Ident};
/// let view = QualifiedName::new(Some("app"), "user_stats")?;
/// let stmt = CommentOn::new(CommentTarget::Column(view, Ident::new("total")?), Some("it's summed"));
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"COMMENT ON COLUMN "app"."user_stats"."total" IS 'it''s summed' -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a statement does nothing until it is executed"]
pub struct CommentOn {
    target: CommentTarget,
    text: Option<String>,
}

statement!(CommentOn);

impl CommentOn {
    /// A comment statement; `None` removes the comment. A NUL byte in the text, which
    /// PostgreSQL cannot store, is removed.
    pub fn new(target: CommentTarget, text: Option<&str>) -> Self {
        Self {
            target,
            text: text.map(|t| t.replace('\0', "")),
        }
    }

    /// The statements for a definition's comments.
    pub(crate) fn for_definition(common: &Common, kind: RelationKind) -> Vec<Self> {
        let columns = common
            .column_comments
            .iter()
            .map(|c| (&c.column, c.comment.as_str()));
        Self::for_parts(&common.name, kind, common.comment.as_deref(), columns)
    }

    /// The statements of a view `name` of `kind` with the comment `comment` and the column
    /// comments `columns`: the view's first, then the columns' in order.
    pub(crate) fn for_parts<'a>(
        name: &QualifiedName,
        kind: RelationKind,
        comment: Option<&str>,
        columns: impl IntoIterator<Item = (&'a Ident, &'a str)>,
    ) -> Vec<Self> {
        let on_view = comment.map(|text| {
            let target = if kind == RelationKind::MaterializedView {
                CommentTarget::MaterializedView(name.clone())
            } else {
                CommentTarget::View(name.clone())
            };
            Self::new(target, Some(text))
        });
        let on_columns = columns.into_iter().map(|(column, text)| {
            Self::new(
                CommentTarget::Column(name.clone(), column.clone()),
                Some(text),
            )
        });
        on_view.into_iter().chain(on_columns).collect()
    }
}

impl QueryFragment<Pg> for CommentOn {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        match &self.target {
            CommentTarget::View(name) => {
                out.push_sql("COMMENT ON VIEW ");
                name.walk_ast(&mut out)?;
            }
            CommentTarget::MaterializedView(name) => {
                out.push_sql("COMMENT ON MATERIALIZED VIEW ");
                name.walk_ast(&mut out)?;
            }
            CommentTarget::Column(name, column) => {
                out.push_sql("COMMENT ON COLUMN ");
                name.walk_ast(&mut out)?;
                out.push_sql(".");
                column.walk_ast(&mut out)?;
            }
        }
        out.push_sql(" IS ");
        match &self.text {
            Some(text) => out.push_sql(&string_constant(text)),
            None => out.push_sql("NULL"),
        }
        Ok(())
    }
}
