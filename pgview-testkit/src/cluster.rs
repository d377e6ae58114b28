//! A private throwaway Postgres cluster in a temporary directory.

use std::env;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{ErrorKind, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::command::{is_root, pg_command, postgres_ids, run};

/// How many ports are tried before giving up starting the server (another
/// process may take the free port found before the server binds it).
const START_ATTEMPTS: usize = 5;

/// How many trailing lines of the server log go into error messages.
const LOG_TAIL_LINES: usize = 60;

/// A cluster directory `/tmp/pgview-cluster-<pid>-<nanos>` holding the data
/// directory (`data`), the server log (`log`) and the server's unix socket.
#[derive(Debug, Clone)]
pub(crate) struct ClusterDir {
    bin_dir: PathBuf,
    dir: PathBuf,
    as_postgres: bool,
}

impl ClusterDir {
    /// Finds the Postgres binaries and creates the (empty) cluster
    /// directory, owned by the `postgres` OS user when running as root.
    pub(crate) fn create() -> Result<Self, String> {
        let bin_dir = find_bin_dir()?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let dir = PathBuf::from(format!(
            "/tmp/pgview-cluster-{}-{nanos}",
            std::process::id()
        ));
        DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|err| format!("could not create {}: {err}", dir.display()))?;
        let cluster = Self {
            bin_dir,
            dir,
            as_postgres: is_root(),
        };
        if cluster.as_postgres {
            if let Err(err) = chown_to_postgres(&cluster.dir) {
                cluster.remove_dir();
                return Err(err);
            }
        }
        Ok(cluster)
    }

    /// The cluster directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The data directory.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The `pg_ctl` program.
    pub(crate) fn pg_ctl(&self) -> PathBuf {
        self.bin_dir.join("pg_ctl")
    }

    /// Whether the Postgres programs run as the `postgres` OS user.
    pub(crate) fn as_postgres(&self) -> bool {
        self.as_postgres
    }

    /// Creates the data directory with `initdb`.
    pub(crate) fn init(&self) -> Result<(), String> {
        let mut initdb = self.command("initdb");
        initdb
            .arg("-D")
            .arg(self.data_dir())
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .arg("--locale=C");
        run(&mut initdb).map(drop)
    }

    /// Appends `settings` (`name = 'value'` lines) to the data directory's `postgresql.conf`,
    /// after `initdb` wrote its own: the last line for a name wins. Written to the file rather
    /// than given on the `pg_ctl -o` command line, which a shell splits: values need no
    /// quoting for it.
    pub(crate) fn configure(&self, settings: &[(&str, &str)]) -> Result<(), String> {
        if settings.is_empty() {
            return Ok(());
        }
        let lines = format!("\n# pgview-testkit\n{}", settings_text(settings)?);
        let path = self.data_dir().join("postgresql.conf");
        OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(lines.as_bytes()))
            .map_err(|err| format!("could not write {}: {err}", path.display()))
    }

    /// Starts the server on a free port of `127.0.0.1` and returns the port. The command line
    /// only says where to listen (port, address, the unix socket in the cluster directory);
    /// every other setting is the server's default or was written by
    /// [`configure`](Self::configure).
    pub(crate) fn start(&self) -> Result<u16, String> {
        let log = self.dir.join("log");
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let options = format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={}",
                self.dir.display()
            );
            let mut pg_ctl = self.command("pg_ctl");
            pg_ctl
                .arg("-w")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-o")
                .arg(options)
                .arg("-l")
                .arg(&log)
                .arg("start");
            match run(&mut pg_ctl) {
                Ok(_) => return Ok(port),
                Err(err) => {
                    failures.push(err);
                    // In case it came up after all (e.g. `pg_ctl` timed out).
                    self.stop_server();
                }
            }
        }
        Err(format!(
            "{}\n--- server log {} (tail) ---\n{}",
            failures.join("\n"),
            log.display(),
            log_tail(&log)
        ))
    }

    /// Stops the server (`pg_ctl stop -m immediate -w`, if it runs) and
    /// removes the cluster directory. Synchronous: both are gone on return.
    pub(crate) fn stop(&self) {
        self.stop_server();
        self.remove_dir();
    }

    /// Stops the server if it runs.
    fn stop_server(&self) {
        if !self.data_dir().join("postmaster.pid").exists() {
            return;
        }
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl
            .arg("stop")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w"]);
        if let Err(err) = run(&mut pg_ctl) {
            eprintln!("pgview-testkit: could not stop the private PostgreSQL cluster: {err}");
        }
    }

    /// Removes the cluster directory.
    fn remove_dir(&self) {
        match fs::remove_dir_all(&self.dir) {
            Err(err) if err.kind() != ErrorKind::NotFound => eprintln!(
                "pgview-testkit: could not remove {}: {err}",
                self.dir.display()
            ),
            _ => {}
        }
    }

    /// A command running the Postgres program `program` from the cluster
    /// directory.
    fn command(&self, program: &str) -> Command {
        pg_command(&self.bin_dir.join(program), self.as_postgres, &self.dir)
    }
}

/// The lines of `settings` for `postgresql.conf`; an error for an invalid one (checked before
/// a cluster is made for them).
pub(crate) fn settings_text(settings: &[(&str, &str)]) -> Result<String, String> {
    settings
        .iter()
        .map(|(name, value)| setting_line(name, value))
        .collect()
}

/// `name = 'value'` for `postgresql.conf`, refusing a name that is not one (which could
/// otherwise add other lines).
fn setting_line(name: &str, value: &str) -> Result<String, String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid {
        return Err(format!("invalid server setting name {name:?}"));
    }
    if value.contains(['\n', '\r', '\0']) {
        return Err(format!("invalid value {value:?} for server setting {name}"));
    }
    let quoted = value.replace('\\', "\\\\").replace('\'', "''");
    Ok(format!("{name} = '{quoted}'\n"))
}

/// The environment variable naming the directory of the PostgreSQL server programs
/// (`initdb`, `pg_ctl`, `postgres`) the private clusters are started from, e.g. to run the
/// tests against another major version than the local one.
pub(crate) const PG_BIN_VAR: &str = "PGVIEW_PG_BIN";

/// Whether `dir` holds `initdb` and `pg_ctl`.
fn has_tools(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}

/// The directory holding `initdb` and `pg_ctl`: [`PG_BIN_VAR`] when set (an error if it holds
/// no such programs: a run meant for one version never silently uses another), else
/// `pg_config --bindir`, else the highest version under `/usr/lib/postgresql`, else the first
/// one on `PATH`.
fn find_bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os(PG_BIN_VAR).filter(|dir| !dir.is_empty()) {
        let dir = PathBuf::from(dir);
        if has_tools(&dir) {
            return Ok(dir);
        }
        return Err(format!(
            "{PG_BIN_VAR}={} holds no PostgreSQL server programs (initdb, pg_ctl)",
            dir.display()
        ));
    }
    local_bin_dir().ok_or_else(|| {
        format!(
            "no PostgreSQL server binaries (initdb, pg_ctl) found: looked in `pg_config --bindir`, \
             /usr/lib/postgresql/*/bin and PATH; install PostgreSQL, set {PG_BIN_VAR} to a \
             directory holding them, or set DATABASE_URL"
        )
    })
}

/// The local PostgreSQL's `initdb` and `pg_ctl` (see [`find_bin_dir`]).
fn local_bin_dir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_tools(&dir) {
            return Some(dir);
        }
    }
    let versioned = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(str::parse::<u32>)
                .collect::<Result<Vec<_>, _>>()
                .ok()?;
            let dir = entry.path().join("bin");
            has_tools(&dir).then_some((version, dir))
        })
        .max();
    if let Some((_, dir)) = versioned {
        return Some(dir);
    }
    env::split_paths(&env::var_os("PATH")?).find(|dir| has_tools(dir))
}

/// Gives `dir` to the `postgres` OS user.
fn chown_to_postgres(dir: &Path) -> Result<(), String> {
    let (uid, gid) = postgres_ids()?;
    std::os::unix::fs::chown(dir, Some(uid), Some(gid))
        .map_err(|err| format!("could not chown {} to postgres: {err}", dir.display()))
}

/// A currently free TCP port on `127.0.0.1`.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| format!("could not find a free port on 127.0.0.1: {err}"))
}

/// The last lines of the server log.
fn log_tail(log: &Path) -> String {
    match fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
        }
        Err(err) => format!("(could not read the log: {err})"),
    }
}

#[cfg(test)]
mod tests {
    use super::setting_line;

    #[test]
    fn settings_are_quoted_and_names_checked() {
        assert_eq!(
            setting_line("max_locks_per_transaction", "10").unwrap(),
            "max_locks_per_transaction = '10'\n"
        );
        assert_eq!(
            setting_line("search_path", r"it's\here").unwrap(),
            "search_path = 'it''s\\\\here'\n"
        );
        assert!(setting_line("fsync = off\nport", "1").is_err());
        assert!(setting_line("", "1").is_err());
        assert!(setting_line("fsync", "off\nport = 1").is_err());
    }
}
