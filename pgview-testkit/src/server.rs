//! The Postgres server the databases are created on.

use std::env;
use std::sync::OnceLock;

use crate::cleanup;
use crate::cluster::{settings_text, ClusterDir};
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
            // What killed runs left (their processes are gone); a server that cannot be
            // reached fails loudly at the first database created.
            match cleanup::remove_dead_runs(&url) {
                Ok(dropped) if !dropped.is_empty() => eprintln!(
                    "pgview-testkit: dropped {} database(s) left by runs that were killed: {}",
                    dropped.len(),
                    dropped.join(", ")
                ),
                Ok(_) => {}
                Err(err) => eprintln!(
                    "pgview-testkit: could not remove what killed runs left on DATABASE_URL: {err}"
                ),
            }
            return Ok(url);
        }
    }
    start_cluster().map_err(|err| {
        format!("could not start a private PostgreSQL cluster (set DATABASE_URL to use a running server instead):\n{err}")
    })
}

/// The settings of the shared private cluster, for the tests' speed: no disk
/// flushes (nothing has to survive a crash), and room for the connections of
/// tests running in parallel. More connections also make the server's lock
/// table bigger (`max_locks_per_transaction` × `max_connections` + …): lock
/// and scale measurements belong on a [`Cluster`](crate::Cluster) started
/// with the settings they are about.
const SHARED_SETTINGS: &[(&str, &str)] = &[
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("max_connections", "300"),
];

/// Starts the private cluster, registered for removal before anything is in
/// it.
fn start_cluster() -> Result<String, String> {
    start_private(SHARED_SETTINGS).map(|(_, url)| url)
}

/// Creates, configures with `settings` and starts a private cluster, tracked
/// for removal at exit (and by a watchdog should the process be killed)
/// before anything is in it; returns it with its administrative URL. On a
/// failure it is removed at once.
pub(crate) fn start_private(settings: &[(&str, &str)]) -> Result<(ClusterDir, String), String> {
    settings_text(settings)?;
    let cluster = ClusterDir::create()?;
    let watchdog = watchdog::spawn(&cluster);
    cleanup::track_cluster(cluster.clone(), watchdog);
    let started = cluster
        .init()
        .and_then(|()| cluster.configure(settings))
        .and_then(|()| cluster.start());
    match started {
        Ok(port) => Ok((
            cluster,
            format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        )),
        Err(err) => {
            cleanup::remove_cluster(cluster.dir());
            Err(err)
        }
    }
}
