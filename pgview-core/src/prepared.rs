//! [`Prepared`]: a query whose prepared statement the connection keeps.
//!
//! Diesel keeps the prepared statement of a query, keyed by its SQL text, when the query says
//! that this is safe; `sql_query` never says so, as its text may be built from values. The
//! queries that the auto-refresher runs before each batch (which views are installed; which
//! can be refreshed concurrently) and the chunks of definitions of `get_all_views` (one query
//! per few dozen views) have a fixed text with bind values: kept prepared, the
//! server parses and plans them once instead of on every call (milliseconds that would add
//! to every refresh's delay). Only for fixed SQL texts (one statement per text) whose plan
//! does not depend on the values (the server may keep one generic plan for all values after
//! five executions): not for the dependency walks, whose plans differ with the selection.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;

/// `query`, its statement kept prepared by the connection (see the module's documentation).
#[derive(Debug, Clone)]
pub(crate) struct Prepared<Q>(pub(crate) Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // No type to key the statement by: diesel keys it by its SQL text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

// (diesel-async's `RunQueryDsl` is implemented for every type.)
impl<Q, C> diesel::RunQueryDsl<C> for Prepared<Q> {}
