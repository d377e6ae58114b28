//! Throwaway Postgres databases for pgview's tests and examples.
//!
//! Every database handed out has the workspace's Diesel migrations
//! (`/migrations`) applied. No setup is needed:
//!
//! - With `DATABASE_URL` set, that server is used: the URL is connected to as
//!   given for administrative statements (`CREATE DATABASE`, `DROP DATABASE`),
//!   so its user needs the right to create databases.
//! - Without it, a private throwaway cluster is started from the Postgres
//!   binaries of `PGVIEW_PG_BIN` when set (a directory holding `initdb`,
//!   `pg_ctl` and `postgres`, e.g. another major version than the local one;
//!   an error if it holds none), else the local ones (`pg_config --bindir`,
//!   else the highest `/usr/lib/postgresql/*/bin`, else `PATH`), in a fresh
//!   directory under `/tmp`, listening on `127.0.0.1` on a free port. When the
//!   process runs as root, the cluster is run as the `postgres` OS user (who
//!   must be able to read and run the binaries).
//!
//! The migrations are run once per process into a template database; every
//! database handed out is a copy of it (`CREATE DATABASE ... TEMPLATE ...`):
//!
//! - [`shared_database_url`]: one database per process, shared by all callers,
//!   for tests that run inside a transaction they roll back.
//! - [`fresh_database`]: a database of its own, for tests that must commit;
//!   dropped when the returned [`TestDatabase`] is dropped.
//! - [`server_url`]: the server's administrative database.
//!
//! A test or benchmark that depends on the server's settings (its lock table,
//! timings on a stock configuration) starts a server of its own with
//! [`Cluster::start_with`]: a private cluster with exactly the settings given,
//! whatever `DATABASE_URL` says, with one migrated database
//! ([`DedicatedCluster::url`]), removed when dropped.
//!
//! Nothing is left behind: when the process exits, an `atexit` handler stops
//! and removes the private clusters, and drops every database created on the
//! `DATABASE_URL` server; on `SIGINT` or `SIGTERM` a thread does the same
//! before the signal ends the process. A detached watchdog process per private
//! cluster removes it should the process be killed otherwise (`SIGKILL`). On
//! the `DATABASE_URL` server, each database is marked with its process (its
//! comment: `pgview-testkit run machine=… boot=… pidns=… pid=… start=…`), and
//! the next process to use that server drops the marked databases whose
//! process is provably gone (the pid no longer exists or is another process,
//! or the machine has rebooted since); databases of live runs, unmarked ones
//! and those of processes that cannot be checked from here (another machine or
//! pid namespace) are never touched.
//!
//! Everything is created lazily on first use and may be called from many
//! threads at once.
//!
//! ```no_run
//! use diesel::{Connection, PgConnection};
//!
//! let db = pgview_testkit::fresh_database();
//! let mut conn = PgConnection::establish(db.url()).unwrap();
//! // ... commit freely; the database is dropped with `db`.
//! ```

mod admin;
mod check;
mod cleanup;
mod cluster;
mod command;
mod database;
mod dedicated;
mod files;
mod run;
mod server;
mod url;
mod watchdog;

pub use check::stale_materialized_views;
pub use database::{fresh_database, shared_database_url, TestDatabase};
pub use dedicated::{Cluster, DedicatedCluster};
pub use files::{
    only_migration, run_migrations, run_program, run_program_in, run_sql_file, scratch, Scratch,
};
pub use server::server_url;
