//! The database connection of a command.

use diesel::sql_types::{Bool, Text};
use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::{Context, Error};

/// Connects to the command's database (`--database-url`, `DATABASE_URL`, `.env`): at once,
/// the server's (libpq's) error when it cannot.
pub(crate) fn connect(context: &Context<'_>) -> Result<PgConnection, Error> {
    PgConnection::establish(context.url()?)
        .map_err(|e| format!("cannot connect to the database: {e}").into())
}

/// Refuses a schema that does not exist, naming it (as a relation that does not exist is
/// refused): a filter on it would select nothing, silently.
pub(crate) fn require_schema(conn: &mut PgConnection, schema: &str) -> Result<(), Error> {
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = Bool)]
        exists: bool,
    }
    let found: Exists = diesel::sql_query(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1) AS exists",
    )
    .bind::<Text, _>(schema)
    .get_result(conn)?;
    if found.exists {
        Ok(())
    } else {
        Err(format!("schema {schema} not found").into())
    }
}
