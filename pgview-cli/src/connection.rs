//! The database connection of a command.

use diesel::sql_types::{Array, Text};
use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::{Context, Error};

/// Connects to the command's database (`--database-url`, `DATABASE_URL`, `.env`): at once,
/// the server's (libpq's) error when it cannot.
pub(crate) fn connect(context: &Context<'_>) -> Result<PgConnection, Error> {
    PgConnection::establish(context.url()?)
        .map_err(|e| format!("cannot connect to the database: {e}").into())
}

/// Refuses the schemas of `schemas` that do not exist, naming them (as a relation that does
/// not exist is refused): a filter on them would select nothing, silently. One query for all.
pub(crate) fn require_schemas<S: AsRef<str>>(
    conn: &mut PgConnection,
    schemas: &[S],
) -> Result<(), Error> {
    #[derive(diesel::QueryableByName)]
    struct Missing {
        #[diesel(sql_type = Text)]
        schema: String,
    }
    if schemas.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = schemas.iter().map(AsRef::as_ref).collect();
    let missing: Vec<Missing> = diesel::sql_query(
        "SELECT w.schema FROM unnest($1::text[]) WITH ORDINALITY AS w (schema, at) \
         WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_namespace n WHERE n.nspname = w.schema) \
         ORDER BY w.at",
    )
    .bind::<Array<Text>, _>(names)
    .load(conn)?;
    match missing.as_slice() {
        [] => Ok(()),
        [one] => Err(format!("schema {} not found", one.schema).into()),
        several => {
            let names: Vec<&str> = several.iter().map(|m| m.schema.as_str()).collect();
            Err(format!("schemas {} not found", names.join(", ")).into())
        }
    }
}
