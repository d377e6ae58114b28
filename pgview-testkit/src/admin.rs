//! Administrative statements (`CREATE DATABASE`, `DROP DATABASE`) on the
//! server, over one shared connection to its administrative database.

use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::run::RunMark;
use crate::server::server_url;
use crate::url::redacted;

/// How often a `CREATE DATABASE` is tried; copying a template fails while
/// another session is connected to it ("source database ... is being
/// accessed by other users"), which is usually over quickly.
const CREATE_ATTEMPTS: u32 = 8;

/// The pause after the `n`th failed attempt is `n` times this.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// The shared administrative connection; holding the lock also serializes
/// database creations, so that two copies of one template do not collide.
static CONNECTION: Mutex<Option<PgConnection>> = Mutex::new(None);

/// Connects to `url`.
pub(crate) fn connect(url: &str) -> Result<PgConnection, String> {
    PgConnection::establish(url)
        .map_err(|err| format!("could not connect to {}: {err}", redacted(url)))
}

/// Creates database `name`, as a copy of `template` if given, marked with this process (its
/// comment, see [`RunMark`]) so that a later run can drop it should this one be killed.
pub(crate) fn create_database(name: &str, template: Option<&str>) -> Result<(), String> {
    let mut sql = format!("CREATE DATABASE {}", quote_ident(name));
    if let Some(template) = template {
        sql.push_str(" TEMPLATE ");
        sql.push_str(&quote_ident(template));
    }
    let mark = format!(
        "COMMENT ON DATABASE {} IS {}",
        quote_ident(name),
        quote_literal(&RunMark::current().comment())
    );
    let mut attempt = 1;
    loop {
        match execute(&sql) {
            Ok(()) => {
                return execute(&mark).map_err(|err| format!("{mark} failed: {err}"));
            }
            Err(err) if attempt >= CREATE_ATTEMPTS => {
                return Err(format!("{sql} failed (after {attempt} attempts): {err}"));
            }
            Err(_) => {
                thread::sleep(RETRY_PAUSE * attempt);
                attempt += 1;
            }
        }
    }
}

/// Creates database `name` on the server at `admin_url`, over a connection of
/// its own (closed on return).
pub(crate) fn create_database_at(admin_url: &str, name: &str) -> Result<(), String> {
    let sql = format!("CREATE DATABASE {}", quote_ident(name));
    connect(admin_url)?
        .batch_execute(&sql)
        .map_err(|err| format!("{sql} failed: {err}"))
}

/// Drops database `name` if it exists, ending the sessions connected to it.
pub(crate) fn drop_database(name: &str) -> Result<(), String> {
    execute(&drop_database_sql(name))
}

/// [`drop_database`] over `conn`.
pub(crate) fn drop_database_with(conn: &mut PgConnection, name: &str) -> Result<(), String> {
    conn.batch_execute(&drop_database_sql(name))
        .map_err(|err| err.to_string())
}

fn drop_database_sql(name: &str) -> String {
    format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name))
}

/// Runs `sql` over the shared administrative connection, (re)connecting as
/// needed; after an error the connection is dropped, in case it is broken.
fn execute(sql: &str) -> Result<(), String> {
    let mut guard = CONNECTION.lock().unwrap_or_else(PoisonError::into_inner);
    let conn = match &mut *guard {
        Some(conn) => conn,
        slot @ None => slot.insert(connect(server_url())?),
    };
    let result = conn.batch_execute(sql).map_err(|err| err.to_string());
    if result.is_err() {
        *guard = None;
    }
    result
}

/// `text` as a SQL string constant (`standard_conforming_strings` is on from PostgreSQL 9.1).
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `name` as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::{drop_database_sql, quote_ident, quote_literal};

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident("a"), "\"a\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(
            drop_database_sql("x"),
            "DROP DATABASE IF EXISTS \"x\" WITH (FORCE)"
        );
    }
}
