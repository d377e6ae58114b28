//! The migrated template database and the databases copied from it.

use std::process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::server::server_url;
use crate::url::database_url;
use crate::{admin, cleanup};

/// The workspace's migrations.
const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Name of the migrated template database, or why it could not be made.
static TEMPLATE: OnceLock<Result<String, String>> = OnceLock::new();

/// URL of the shared database, or why it could not be made.
static SHARED: OnceLock<Result<String, String>> = OnceLock::new();

/// Makes the names of fresh databases unique within the process.
static FRESH_COUNTER: AtomicU64 = AtomicU64::new(0);

/// URL of a database with the migrations applied, created once per process
/// and shared by all callers.
///
/// Meant for tests that run inside a transaction they never commit (e.g.
/// `Connection::begin_test_transaction`); use [`fresh_database`] to commit.
/// Dropped when the process exits.
///
/// # Panics
///
/// If the server cannot be reached or started, or the database cannot be
/// created or migrated.
pub fn shared_database_url() -> &'static str {
    let shared = SHARED.get_or_init(|| {
        let name = unique_name("shared");
        copy_template(&name)?;
        Ok(database_url(server_url(), &name))
    });
    match shared {
        Ok(url) => url,
        Err(err) => panic!("pgview-testkit: {err}"),
    }
}

/// A new database of its own with the migrations applied, dropped when the
/// returned [`TestDatabase`] is dropped (or at the latest when the process
/// exits).
///
/// # Panics
///
/// If the server cannot be reached or started, or the database cannot be
/// created or migrated.
pub fn fresh_database() -> TestDatabase {
    // Two threads may read the same clock value.
    let n = FRESH_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("{}_{n}", unique_name("fresh"));
    if let Err(err) = copy_template(&name) {
        panic!("pgview-testkit: {err}");
    }
    TestDatabase {
        url: database_url(server_url(), &name),
        name,
    }
}

/// A database of its own with the migrations applied, made by
/// [`fresh_database`]; dropped (`WITH (FORCE)`, ending the sessions still
/// connected to it) when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// URL of the database (the server's URL with the database name replaced).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Name of the database.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match admin::drop_database(&self.name) {
            Ok(()) => cleanup::untrack_database(&self.name),
            Err(err) => eprintln!(
                "pgview-testkit: could not drop test database {} (retried at exit): {err}",
                self.name
            ),
        }
    }
}

/// Creates database `name` as a copy of the template.
fn copy_template(name: &str) -> Result<(), String> {
    let template = match TEMPLATE.get_or_init(create_template) {
        Ok(template) => template,
        Err(err) => return Err(err.clone()),
    };
    cleanup::track_database(name);
    admin::create_database(name, Some(template))
}

/// Creates the template database and runs the migrations in it; the
/// connection is closed afterwards, as a template cannot be copied while
/// someone is connected to it.
fn create_template() -> Result<String, String> {
    let name = unique_name("tpl");
    cleanup::track_database(&name);
    admin::create_database(&name, None)?;
    migrate(&database_url(server_url(), &name), &name)?;
    Ok(name)
}

/// Runs the workspace's migrations in the database `name` at `url`; the
/// connection is closed on return.
pub(crate) fn migrate(url: &str, name: &str) -> Result<(), String> {
    let mut conn = admin::connect(url)?;
    conn.run_pending_migrations(MIGRATIONS)
        .map(drop)
        .map_err(|err| format!("running the migrations in database {name} failed: {err}"))
}

/// `pgview_<kind>_<pid>_<nanos>`.
fn unique_name(kind: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("pgview_{kind}_{}_{nanos}", process::id())
}
