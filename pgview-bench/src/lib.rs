//! Benchmarks of pgview, each a binary printing one JSON object (run them in release mode):
//!
//! - `compile-time`: compile time of a crate with 100 `#[derive(PgView)]` views against the
//!   same crate with 100 `diesel::table!` declarations (builds alternated, median of the paired
//!   ratios).
//! - `migrate`: the comparison of declared views with a database, plan and write, at 1,000 to
//!   100,000 views: full comparison, and with the ownership record; peak locks and memory.
//! - `refresh-schedule`: parallel refresh of a DAG of 30 materialized views against its critical
//!   path, the sequential refresh and a simulated level-by-level schedule.
//! - `refresh-real-work`: the same DAG over aggregates of a 1-million-row table: wall and CPU
//!   time (server and client), sequential and parallel.
//! - `refresh-auto`: automatic refresh under 500 writes/s with a 200 ms debounce.
//! - `refresh-readers`: reader latency during concurrent and plain refreshes.
//!
//! Each JSON object has a `"targets"` list (`{"target", "value", "met"}`) and, for those
//! against a database, the server's settings that bound them (`"server"`).
//!
//! `cargo run --release -p pgview-bench --bin <name>`; the catalog benchmark is
//! `cargo bench --bench catalog` in the root package.
//!
//! This library holds what the benchmarks share: the database, the server's settings, the
//! targets, argument parsing and resource usage.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "measurements: milliseconds, megabytes and ratios computed as floats"
)]

use std::time::Duration;

use diesel::sql_types::Text;
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use serde_json::{json, Value};

/// A database for one benchmark, alone on a server of its own with default settings.
///
/// A private cluster started from the local PostgreSQL binaries with no setting changed
/// (`pgview_testkit::Cluster::start_with(&[])`: `max_connections = 100`,
/// `max_locks_per_transaction = 64`, `fsync = on`), whatever `DATABASE_URL` says: the
/// benchmarks measure pgview on a stock server, not on the tests' tuned one, and nothing else
/// runs on it. Removed when dropped. The benchmarks print the server's settings (see
/// [`server_settings`]) so that a result is never read without them.
#[derive(Debug)]
pub struct BenchDatabase {
    cluster: pgview_testkit::DedicatedCluster,
}

impl BenchDatabase {
    /// The database's URL (the workspace's migrations applied).
    pub fn url(&self) -> &str {
        self.cluster.url()
    }
}

/// Starts the server and returns its database.
///
/// # Panics
/// When no server can be started.
pub fn database() -> BenchDatabase {
    BenchDatabase {
        cluster: pgview_testkit::Cluster::start_with(&[]),
    }
}

#[derive(QueryableByName)]
struct Settings {
    #[diesel(sql_type = Text)]
    server_version: String,
    #[diesel(sql_type = Text)]
    max_connections: String,
    #[diesel(sql_type = Text)]
    max_locks_per_transaction: String,
    #[diesel(sql_type = Text)]
    fsync: String,
    #[diesel(sql_type = Text)]
    synchronous_commit: String,
    #[diesel(sql_type = Text)]
    shared_buffers: String,
}

/// The server's settings that bound the results (the lock table is
/// `max_locks_per_transaction` × about `max_connections` slots), as a JSON object.
///
/// # Panics
/// When the query fails.
pub fn server_settings(conn: &mut PgConnection) -> Value {
    let s: Settings = diesel::sql_query(
        "SELECT current_setting('server_version') AS server_version, \
         current_setting('max_connections') AS max_connections, \
         current_setting('max_locks_per_transaction') AS max_locks_per_transaction, \
         current_setting('fsync') AS fsync, \
         current_setting('synchronous_commit') AS synchronous_commit, \
         current_setting('shared_buffers') AS shared_buffers",
    )
    .get_result(conn)
    .expect("server settings");
    let number = |text: &str| {
        text.parse::<i64>()
            .map_or_else(|_| json!(text), |n| json!(n))
    };
    json!({
        "version": s.server_version,
        "max_connections": number(&s.max_connections),
        "max_locks_per_transaction": number(&s.max_locks_per_transaction),
        "fsync": s.fsync == "on",
        "synchronous_commit": s.synchronous_commit,
        "shared_buffers": s.shared_buffers,
    })
}

/// One entry of a benchmark's `"targets"` list.
pub fn target(target: &str, value: impl Into<Value>, met: bool) -> Value {
    json!({"target": target, "value": value.into(), "met": met})
}

/// Whether every entry of a `"targets"` list is met.
pub fn all_met(targets: &[Value]) -> bool {
    targets.iter().all(|t| t["met"] == json!(true))
}

/// The value of `--name N` on the command line, or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    arg_text(name)
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The value of `--name A,B,C` on the command line (`_` allowed in numbers: `10_000`).
///
/// # Panics
/// When a value is not a number.
pub fn arg_list(name: &str) -> Option<Vec<usize>> {
    arg_text(name).map(|v| {
        v.split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.replace('_', "")
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: `{s}` is not a number"))
            })
            .collect()
    })
}

/// The text after `--name` on the command line.
pub fn arg_text(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Milliseconds, one decimal.
pub fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}

/// The median (the mean of the middle two of an even count); 0 for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => f64::midpoint(values[n / 2 - 1], values[n / 2]),
    }
}

/// Rounded to `digits` decimals.
pub fn round(value: f64, digits: i32) -> f64 {
    let scale = 10_f64.powi(digits);
    (value * scale).round() / scale
}

/// This process's CPU time (user and system, every thread) and peak resident memory, from
/// `getrusage(RUSAGE_SELF)`.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Peak resident set size (`ru_maxrss`), in bytes.
    pub max_rss_bytes: u64,
}

impl Usage {
    /// The usage so far.
    ///
    /// # Panics
    /// When `getrusage` fails (it does not for `RUSAGE_SELF`).
    pub fn now() -> Self {
        use nix::sys::resource::{getrusage, UsageWho};
        use nix::sys::time::TimeValLike;
        let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
        let micros = usage.user_time().num_microseconds() + usage.system_time().num_microseconds();
        Self {
            cpu: Duration::from_micros(u64::try_from(micros).unwrap_or(0)),
            // Linux reports kilobytes.
            max_rss_bytes: u64::try_from(usage.max_rss()).unwrap_or(0) * 1024,
        }
    }

    /// The peak resident memory in megabytes (10^6 bytes), one decimal.
    pub fn max_rss_mb(&self) -> f64 {
        round(self.max_rss_bytes as f64 / 1e6, 1)
    }
}

/// The CPU time of every process of a PostgreSQL server running on this machine: the
/// postmaster, its live children (backends, parallel workers, background processes) and the
/// children it has reaped (parallel workers that ended), read from `/proc` (clock ticks of
/// 10 ms).
#[derive(Debug, Clone, Copy)]
pub struct ServerCpu {
    postmaster: u32,
}

/// `USER_HZ`: the unit of the times in `/proc/<pid>/stat` (100 on every Linux architecture).
const TICKS_PER_SECOND: u64 = 100;

#[derive(QueryableByName)]
struct BackendPid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// The fields of `/proc/<pid>/stat` after the command name (the first is field 3, the state).
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    Some(
        rest.split_whitespace()
            .map(|field| field.parse().unwrap_or(0))
            .collect(),
    )
}

impl ServerCpu {
    /// The server `conn` is connected to, when it runs on this machine (its backend is a
    /// process here whose parent runs `postgres`); `None` otherwise.
    pub fn of(conn: &mut PgConnection) -> Option<Self> {
        let backend = diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<BackendPid>(conn)
            .ok()?;
        let backend = u32::try_from(backend.pid).ok()?;
        // Field 4 (index 1 here) is the parent's pid.
        let parent = u32::try_from(*stat_fields(backend)?.get(1)?).ok()?;
        let command = std::fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
        (command.trim() == "postgres").then_some(Self { postmaster: parent })
    }

    /// The CPU time used so far by the server's processes (user and system).
    pub fn total(&self) -> Duration {
        // utime, stime, cutime, cstime are fields 14-17 (indexes 11-14 here).
        let own = |fields: &[u64], children: bool| -> u64 {
            let end = if children { 15 } else { 13 };
            fields.get(11..end).map_or(0, |f| f.iter().sum())
        };
        let mut ticks = stat_fields(self.postmaster).map_or(0, |f| own(&f, true));
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                    continue;
                };
                if let Some(fields) = stat_fields(pid) {
                    if fields.get(1) == Some(&u64::from(self.postmaster)) {
                        ticks += own(&fields, false);
                    }
                }
            }
        }
        Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
    }
}
