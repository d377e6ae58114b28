//! The Postgres server the databases are created on.

use std::env;
use std::sync::OnceLock;

use crate::cleanup;
use crate::cluster::Cluster;
use crate::watchdog;

/// The server's administrative URL, or why there is no server.
static SERVER_URL: OnceLock<Result<String, String>> = OnceLock::new();

/// URL of the server's administrative database.
///
/// This is `DATABASE_URL` as given when that is set; otherwise a private
/// cluster is started on first use and this is
/// `postgres://postgres@127.0.0.1:<port>/postgres`.
///
/// # Panics
///
/// If the private cluster cannot be started (the message has the failing
/// command, its output and the server log).
pub fn server_url() -> &'static str {
    match SERVER_URL.get_or_init(connect) {
        Ok(url) => url,
        Err(err) => panic!("pgview-testkit: {err}"),
    }
}

/// Picks `DATABASE_URL`, or starts the private cluster.
fn connect() -> Result<String, String> {
    if let Ok(url) = env::var("DATABASE_URL") {
        if !url.trim().is_empty() {
            cleanup::track_external_server(&url);
            return Ok(url);
        }
    }
    start_cluster().map_err(|err| {
        format!("could not start a private PostgreSQL cluster (set DATABASE_URL to use a running server instead):\n{err}")
    })
}

/// Starts the private cluster, registered for removal before anything is in
/// it.
fn start_cluster() -> Result<String, String> {
    let cluster = Cluster::create()?;
    let watchdog = watchdog::spawn(&cluster);
    cleanup::track_cluster(cluster.clone(), watchdog);
    cluster.init()?;
    let port = cluster.start()?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}
