//! Several statements sent as one: a `DO` block that `EXECUTE`s each in order.
//!
//! Diesel sends every query as a prepared statement, and a prepared statement holds exactly
//! one command; a `DO` block is one command, runs its statements atomically (one statement
//! always runs in one transaction) and costs one round trip. Each statement is passed to
//! `EXECUTE` as a string constant, so PL/pgSQL never interprets its text.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use crate::inline::render;
use crate::sql_text::{dollar_quote, push_string_constant};

/// Writes the only statement as it is, or a `DO` block running all of them in order.
pub(crate) fn walk_batch(
    statements: &[&dyn QueryFragment<Pg>],
    mut out: AstPass<'_, '_, Pg>,
) -> QueryResult<()> {
    out.unsafe_to_cache_prepared();
    let sql = statements
        .iter()
        .map(|statement| render(*statement))
        .collect::<Result<Vec<_>, _>>()
        .map_err(crate::Error::into_diesel)?;
    if let [single] = sql.as_slice() {
        out.push_sql(single);
        return Ok(());
    }
    let mut body = String::from("BEGIN");
    for statement in &sql {
        body.push_str(" EXECUTE ");
        push_string_constant(&mut body, statement);
        body.push(';');
    }
    body.push_str(" END");
    out.push_sql("DO ");
    out.push_sql(&dollar_quote(&body));
    Ok(())
}
