//! A private cluster of one's own, started with given server settings.

use std::path::Path;

use crate::admin;
use crate::cleanup;
use crate::cluster::ClusterDir;
use crate::database::migrate;
use crate::server::start_private;
use crate::url::database_url;

/// The name of the migrated database of a [`DedicatedCluster`].
const DATABASE: &str = "pgview";

/// Private PostgreSQL clusters started on demand, each with the server settings it is given.
///
/// The databases of [`fresh_database`](crate::fresh_database) and
/// [`shared_database_url`](crate::shared_database_url) live on one server shared by every test
/// of the process (`DATABASE_URL`, or a private cluster tuned for the tests' speed:
/// `fsync = off`, `max_connections = 300`). Work that depends on the server's settings (how
/// many locks fit in its lock table, timings on a stock configuration) needs a server of its
/// own: [`Cluster::start_with`] starts one from the local PostgreSQL binaries, whatever
/// `DATABASE_URL` says.
#[derive(Debug)]
pub enum Cluster {}

impl Cluster {
    /// Starts a private cluster (`initdb` into `/tmp/pgview-cluster-*`, a server on a free port
    /// of `127.0.0.1`, as the `postgres` OS user when running as root) with `settings` as
    /// `(name, value)` pairs, and creates a database with the workspace's migrations applied
    /// ([`DedicatedCluster::url`]).
    ///
    /// The server runs with exactly these settings and the defaults of `initdb` for everything
    /// else: `&[]` gives a stock server (`max_connections = 100`,
    /// `max_locks_per_transaction = 64`, `fsync = on`), for benchmarks that must not be
    /// flattered by a tuned one. The only options added say where it listens (port, address,
    /// a unix socket in its directory).
    ///
    /// The cluster is removed (server stopped, directory deleted) when the returned value is
    /// dropped, at process exit if it never is, and by a watchdog process if the process is
    /// killed.
    ///
    /// # Examples
    /// ```no_run
    /// use diesel::{Connection, PgConnection};
    ///
    /// let cluster = pgview_testkit::Cluster::start_with(&[("max_locks_per_transaction", "10")]);
    /// let mut conn = PgConnection::establish(cluster.url()).unwrap();
    /// // ... the whole server is this test's; it is removed with `cluster`.
    /// ```
    ///
    /// # Panics
    ///
    /// When no PostgreSQL binaries are found, a setting name is not one, or the server does not
    /// start (the message has the failing command, its output and the server log), or the
    /// database cannot be created or migrated. Nothing is left behind.
    pub fn start_with(settings: &[(&str, &str)]) -> DedicatedCluster {
        let (cluster, server_url) = start_private(settings).unwrap_or_else(|err| {
            panic!("pgview-testkit: could not start a dedicated PostgreSQL cluster:\n{err}")
        });
        let url = database_url(&server_url, DATABASE);
        let dedicated = DedicatedCluster {
            cluster,
            server_url,
            url,
        };
        let created = admin::create_database_at(&dedicated.server_url, DATABASE)
            .and_then(|()| migrate(&dedicated.url, DATABASE));
        if let Err(err) = created {
            // Dropping it removes the cluster.
            drop(dedicated);
            panic!("pgview-testkit: {err}");
        }
        dedicated
    }
}

/// A private cluster started by [`Cluster::start_with`]; removed with all its databases when
/// dropped.
#[derive(Debug)]
pub struct DedicatedCluster {
    cluster: ClusterDir,
    server_url: String,
    url: String,
}

impl DedicatedCluster {
    /// URL of its database with the workspace's migrations applied.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// URL of its administrative database (`postgres`), as the superuser `postgres`.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// Its directory: the data directory (`data`), the server log (`log`) and the unix socket.
    pub fn dir(&self) -> &Path {
        self.cluster.dir()
    }
}

impl Drop for DedicatedCluster {
    /// Stops the server (ending the sessions still connected) and removes the directory.
    fn drop(&mut self) {
        cleanup::remove_cluster(self.cluster.dir());
    }
}
