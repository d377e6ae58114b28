//! `CREATE [OR REPLACE] VIEW`.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::batch::walk_batch;
use super::statement;
use crate::definition::View;
use crate::ident::Ident;

/// `CREATE [OR REPLACE] [TEMPORARY] [RECURSIVE] VIEW name [(columns)] [WITH (options)] AS query`,
/// followed by the view's comments.
///
/// The options (`check_option`, `security_barrier`, `security_invoker`) are always written,
/// because `CREATE OR REPLACE VIEW` replaces the whole option list. When the view has
/// comments, the statement and its `COMMENT ON`s run as one `DO` block (one round trip, all or
/// nothing).
///
/// # Examples
/// ```
/// use diesel::pg::Pg;
/// use pgview_core::{CheckOption, CreateView, View};
///
/// let view = View::from_sql("active_users", "SELECT id, name FROM users WHERE active")?
///     .schema("app")?
///     .columns(["id", "name"])?
///     .check_option(CheckOption::Cascaded)
///     .security_barrier(true);
/// assert_eq!(
///     diesel::debug_query::<Pg, _>(&CreateView::new(&view).or_replace()).to_string(),
///     r#"CREATE OR REPLACE VIEW "app"."active_users" ("id", "name") WITH (check_option = cascaded, security_barrier = true) AS SELECT id, name FROM users WHERE active -- binds: []"#
/// );
///
/// let commented = View::from_sql("v", "SELECT 1 AS one")?.comment("it's one")?;
/// assert_eq!(
///     diesel::debug_query::<Pg, _>(&commented.create()).to_string(),
///     r#"DO $pgview$BEGIN EXECUTE 'CREATE VIEW "v" AS SELECT 1 AS one'; EXECUTE 'COMMENT ON VIEW "v" IS ''it''''s one'''; END$pgview$ -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a statement does nothing until it is executed"]
pub struct CreateView<'a> {
    view: &'a View,
    or_replace: bool,
}

statement!(CreateView<'a>);

impl<'a> CreateView<'a> {
    /// `CREATE VIEW` for `view`.
    pub fn new(view: &'a View) -> Self {
        Self {
            view,
            or_replace: false,
        }
    }

    /// `CREATE OR REPLACE VIEW`: keeps the view (its dependents, grants and owner) when the new
    /// query keeps its columns; options and comments are stated again.
    pub fn or_replace(mut self) -> Self {
        self.or_replace = true;
        self
    }
}

/// The `CREATE VIEW` command alone.
struct Create<'a>(CreateView<'a>);

impl QueryFragment<Pg> for Create<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let CreateView { view, or_replace } = self.0;
        out.unsafe_to_cache_prepared();
        out.push_sql("CREATE ");
        if or_replace {
            out.push_sql("OR REPLACE ");
        }
        if view.temporary {
            out.push_sql("TEMPORARY ");
        }
        if view.recursive {
            out.push_sql("RECURSIVE ");
        }
        out.push_sql("VIEW ");
        view.common.name.walk_ast(&mut out)?;
        walk_column_list(&view.common.columns, &mut out)?;
        let options = view.options();
        if !options.is_empty() {
            let list: Vec<String> = options.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            out.push_sql(" WITH (");
            out.push_sql(&list.join(", "));
            out.push_sql(")");
        }
        out.push_sql(" AS ");
        out.push_sql(&view.common.query);
        Ok(())
    }
}

impl QueryFragment<Pg> for CreateView<'_> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let create = Create(*self);
        let comments = self.view.comment_statements();
        let mut statements: Vec<&dyn QueryFragment<Pg>> = vec![&create];
        statements.extend(comments.iter().map(|c| c as &dyn QueryFragment<Pg>));
        walk_batch(&statements, out)
    }
}

/// ` ("a", "b")`, or nothing for an empty list.
pub(crate) fn walk_column_list(
    columns: &[Ident],
    out: &mut AstPass<'_, '_, Pg>,
) -> QueryResult<()> {
    if columns.is_empty() {
        return Ok(());
    }
    out.push_sql(" (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push_sql(", ");
        }
        column.walk_ast(out)?;
    }
    out.push_sql(")");
    Ok(())
}
