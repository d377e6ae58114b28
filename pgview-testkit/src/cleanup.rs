//! Removing everything created: from an `atexit` handler, on `SIGINT` and `SIGTERM`, and,
//! for what a killed run left on the `DATABASE_URL` server, at the next run's start.
//!
//! Rust's test harness and a `main` that returns (or calls
//! `std::process::exit`) both end the process with libc `exit`, which runs the
//! `atexit` handlers: the handler registered here stops and removes the
//! private clusters (the shared one and the dedicated ones still running), and
//! drops the databases created on the `DATABASE_URL` server, before the
//! process is gone. `SIGINT` (Ctrl-C) and `SIGTERM` end a process without
//! running them: a thread waits for these signals, does the same, and then
//! lets the signal end the process as it would have. Nothing runs on `SIGKILL`:
//! the private clusters are removed by their watchdogs, and the databases left
//! on the `DATABASE_URL` server, marked with their process (see [`RunMark`]),
//! by the next process that uses that server ([`remove_dead_runs`]).

use std::mem;
use std::panic;
use std::path::Path;
use std::process::Child;
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::thread;

use diesel::sql_types::{Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use signal_hook::low_level::{emulate_default_handler, signal_name};

use crate::admin;
use crate::cluster::ClusterDir;
use crate::run::{RunMark, MARK_PREFIX};

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

/// Registers [`at_exit`] with libc `atexit`, and starts the thread that cleans up on
/// `SIGINT` and `SIGTERM`, once.
fn register() {
    REGISTER.call_once(|| {
        handle_signals();
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

/// Starts a thread that waits for `SIGINT` or `SIGTERM`, then removes everything created
/// ([`clean_up`]) and lets the signal end the process (its default action: terminated by the
/// signal, as without this thread).
fn handle_signals() {
    let mut signals = match Signals::new([SIGINT, SIGTERM]) {
        Ok(signals) => signals,
        Err(err) => {
            eprintln!(
                "pgview-testkit: cannot handle SIGINT and SIGTERM ({err}); test databases and \
                 clusters may be left behind when the process is interrupted"
            );
            return;
        }
    };
    let spawned = thread::Builder::new()
        .name("pgview-testkit-signals".to_owned())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                eprintln!(
                    "pgview-testkit: {} received: removing the test databases and clusters",
                    signal_name(signal).unwrap_or("a signal")
                );
                let _ = panic::catch_unwind(clean_up);
                // Later signals must not be taken by the iterator any more.
                signals.handle().close();
                if let Err(err) = emulate_default_handler(signal) {
                    eprintln!("pgview-testkit: cannot end the process with the signal: {err}");
                }
                std::process::exit(128 + signal);
            }
        });
    if let Err(err) = spawned {
        eprintln!("pgview-testkit: cannot start the signal thread: {err}");
    }
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

#[derive(QueryableByName)]
struct MarkedDatabase {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    comment: Option<String>,
}

/// Drops the databases of the server at `admin_url` that the testkit created (named
/// `pgview_*`, marked with their process in their comment, see [`RunMark`]) for processes that
/// are provably gone: killed runs. Databases of live runs, unmarked ones, and those of
/// processes that cannot be checked from here (another machine or container) are left alone.
///
/// Returns the names dropped.
pub(crate) fn remove_dead_runs(admin_url: &str) -> Result<Vec<String>, String> {
    let mut conn = admin::connect(admin_url)?;
    let marked = diesel::sql_query(format!(
        "SELECT d.datname::text AS name, \
                pg_catalog.shobj_description(d.oid, 'pg_database') AS comment \
         FROM pg_catalog.pg_database d \
         WHERE d.datname LIKE 'pgview\\_%' \
           AND pg_catalog.shobj_description(d.oid, 'pg_database') LIKE '{MARK_PREFIX}%' \
         ORDER BY d.datname"
    ))
    .load::<MarkedDatabase>(&mut conn)
    .map_err(|err| format!("cannot list the test databases: {err}"))?;
    let here = RunMark::current();
    let mut dropped = Vec::new();
    for database in marked {
        let Some(mark) = database.comment.as_deref().and_then(RunMark::parse) else {
            continue;
        };
        if !mark.is_gone(here) {
            continue;
        }
        admin::drop_database_with(&mut conn, &database.name)
            .map_err(|err| format!("cannot drop {}: {err}", database.name))?;
        dropped.push(database.name);
    }
    Ok(dropped)
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
