//! The database connection of a command.

use diesel::{Connection, PgConnection};

use crate::Error;

/// Connects to `url` (from `--database-url` or `DATABASE_URL`).
pub(crate) fn connect(url: Option<&str>) -> Result<PgConnection, Error> {
    let url = url.ok_or("no database: pass --database-url or set DATABASE_URL")?;
    PgConnection::establish(url).map_err(|e| format!("cannot connect to the database: {e}").into())
}
