//! Removing everything created, from an `atexit` handler.
//!
//! Rust's test harness and a `main` that returns (or calls
//! `std::process::exit`) both end the process with libc `exit`, which runs the
//! `atexit` handlers: the handler registered here stops and removes the
//! private clusters (the shared one and the dedicated ones still running), and
//! drops the databases created on the `DATABASE_URL` server, before the
//! process is gone.

use std::mem;
use std::panic;
use std::path::Path;
use std::process::Child;
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

use crate::admin;
use crate::cluster::ClusterDir;

/// What is to be removed at exit.
#[derive(Debug)]
struct Registry {
    /// The private clusters (the shared one, dedicated ones not dropped yet),
    /// each with its watchdog process, ended once the cluster is gone.
    clusters: Vec<(ClusterDir, Option<Child>)>,
    /// `DATABASE_URL`, if that server is used.
    external_admin_url: Option<String>,
    /// Databases created and not dropped yet, oldest first.
    databases: Vec<String>,
}

impl Registry {
    const EMPTY: Self = Self {
        clusters: Vec::new(),
        external_admin_url: None,
        databases: Vec::new(),
    };
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry::EMPTY);

static REGISTER: Once = Once::new();

/// Removes `cluster` (and ends `watchdog`) at exit.
pub(crate) fn track_cluster(cluster: ClusterDir, watchdog: Option<Child>) {
    register();
    registry().clusters.push((cluster, watchdog));
}

/// Stops and removes the cluster in `dir` now, and ends its watchdog (a
/// dedicated cluster being dropped); nothing is left for exit.
pub(crate) fn remove_cluster(dir: &Path) {
    let removed = {
        let mut registry = registry();
        let at = registry.clusters.iter().position(|(c, _)| c.dir() == dir);
        at.map(|at| registry.clusters.remove(at))
    };
    if let Some((cluster, watchdog)) = removed {
        remove(&cluster, watchdog);
    }
}

/// Stops and removes `cluster`, then ends its watchdog.
fn remove(cluster: &ClusterDir, watchdog: Option<Child>) {
    // Dropping the cluster drops its databases.
    cluster.stop();
    if let Some(mut watchdog) = watchdog {
        // The cluster is gone: the watchdog has nothing left to do.
        let _ = watchdog.kill();
        let _ = watchdog.wait();
    }
}

/// Drops the tracked databases at exit by connecting to `admin_url`.
pub(crate) fn track_external_server(admin_url: &str) {
    register();
    registry().external_admin_url = Some(admin_url.to_owned());
}

/// Drops database `name` at exit (on the `DATABASE_URL` server).
pub(crate) fn track_database(name: &str) {
    register();
    registry().databases.push(name.to_owned());
}

/// Forgets database `name` (it has been dropped).
pub(crate) fn untrack_database(name: &str) {
    registry().databases.retain(|tracked| tracked != name);
}

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers [`at_exit`] with libc `atexit`, once.
fn register() {
    REGISTER.call_once(|| {
        // SAFETY: `at_exit` is an `extern "C" fn()` taking no arguments that
        // never unwinds (it catches panics), as `atexit` requires, and stays
        // valid for the life of the process; `atexit` has no other
        // preconditions.
        #[allow(unsafe_code)]
        let status = unsafe { libc::atexit(at_exit) };
        if status != 0 {
            eprintln!(
                "pgview-testkit: could not register the atexit cleanup handler; \
                 test databases and clusters may be left behind"
            );
        }
    });
}

/// The `atexit` handler.
extern "C" fn at_exit() {
    // A panic must not unwind into libc; its message is printed regardless.
    let _ = panic::catch_unwind(clean_up);
}

/// Stops and removes the private clusters and ends their watchdogs, and drops
/// the databases created on the `DATABASE_URL` server (the databases of a
/// private cluster go with it). Idempotent.
fn clean_up() {
    let registry = mem::replace(&mut *registry(), Registry::EMPTY);
    if let Some(admin_url) = &registry.external_admin_url {
        drop_databases(admin_url, &registry.databases);
    }
    for (cluster, watchdog) in registry.clusters {
        remove(&cluster, watchdog);
    }
}

/// Drops `databases` (newest first) on the server at `admin_url`, with a
/// connection of its own: the shared administrative connection may be held by
/// a thread that is still running.
fn drop_databases(admin_url: &str, databases: &[String]) {
    if databases.is_empty() {
        return;
    }
    let mut conn = match admin::connect(admin_url) {
        Ok(conn) => conn,
        Err(err) => {
            eprintln!(
                "pgview-testkit: could not drop the test databases {databases:?} at exit: {err}"
            );
            return;
        }
    };
    for name in databases.iter().rev() {
        if let Err(err) = admin::drop_database_with(&mut conn, name) {
            eprintln!("pgview-testkit: could not drop test database {name} at exit: {err}");
        }
    }
}
