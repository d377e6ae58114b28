//! One run of the benchmark (one mode, one size), in a process of its own so that its peak
//! memory is its own: set up the views, adopt them (with the record), then time the
//! comparison of the changed set + plan + write while a second connection watches the
//! comparison's locks; verify the migration on the smaller sizes.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Integer};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use pgview::{
    diff::{DiffOptions, DiffScope, ViewSet},
    migration::MigrationPlan,
};
use pgview_bench::{ms, server_settings, Usage};
use serde_json::{json, Value};

use crate::shape::{Shape, SCHEMAS};

/// How the changed set is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// No record: every declared view is compared through the server (`full(true)`).
    Full,
    /// The set was applied by pgview before the change (adopted: recorded in
    /// `pgview.managed_views`); the comparison may skip the views the record proves unchanged
    /// (`full(false)`).
    Record,
}

impl Mode {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Record => "record",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        [Self::Full, Self::Record]
            .into_iter()
            .find(|m| m.name() == text)
    }

    fn options(self) -> pgview::Result<DiffOptions> {
        Ok(DiffOptions::new()
            .scope(DiffScope::schemas(SCHEMAS)?)
            .full(self == Self::Full))
    }
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

#[derive(QueryableByName)]
struct LockCount {
    #[diesel(sql_type = BigInt)]
    own: i64,
    #[diesel(sql_type = BigInt)]
    all: i64,
}

/// Watches, from a second connection, the relation locks a session holds (`pg_locks`, every
/// few milliseconds) and those of the whole server.
struct LockWatch {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(i64, i64, usize)>,
}

impl LockWatch {
    /// Polls every `every`, or less often when reading `pg_locks` is slow: the pause is at
    /// least 4 times the last reading, so that the watch takes at most a fifth of the time.
    /// (Reading `pg_locks` takes every partition of the lock table, blocking the sessions that
    /// take or release locks meanwhile, about 10 ms when it holds 9,000 locks: polled every
    /// 5 ms, it made a comparison holding that many locks twice as slow.)
    fn start(url: &str, pid: i32, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let url = url.to_owned();
        let thread = std::thread::spawn(move || {
            let conn = &mut PgConnection::establish(&url).expect("connect (lock watch)");
            let (mut own, mut all, mut samples) = (0, 0, 0);
            loop {
                // The last sample is taken after the stop was asked.
                let last = stopped.load(Ordering::Relaxed);
                let read = Instant::now();
                let count: LockCount = diesel::sql_query(
                    "SELECT count(*) FILTER (WHERE pid = $1 AND locktype = 'relation') AS own, \
                     count(*) AS all FROM pg_catalog.pg_locks",
                )
                .bind::<Integer, _>(pid)
                .get_result(conn)
                .expect("pg_locks");
                own = own.max(count.own);
                all = all.max(count.all);
                samples += 1;
                if last {
                    return (own, all, samples);
                }
                std::thread::sleep(every.max(read.elapsed() * 4));
            }
        });
        Self { stop, thread }
    }

    /// Peak relation locks of the session, peak locks of the server, samples taken.
    fn stop(self) -> (i64, i64, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("lock watch")
    }
}

/// The peak resident memory since [`reset_peak_rss`] (`VmHWM`), in megabytes.
fn peak_rss_mb_since_reset() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kb * 1024.0 / 1e5).round() / 10.0)
}

/// Resets the peak resident memory the kernel reports in `VmHWM` (not `ru_maxrss`).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// An error as reported: its first 1,500 characters and its number of lines.
fn error_json(stage: &str, error: &dyn std::fmt::Display) -> Value {
    let text = error.to_string();
    let short: String = text.chars().take(1500).collect();
    json!({"stage": stage, "message": short, "message_lines": text.lines().count()})
}

/// Compares, plans and writes: (diff, plan, times).
fn compare(
    conn: &mut PgConnection,
    declared: &ViewSet,
    options: &DiffOptions,
    dir: &Path,
) -> Measured {
    let start = Instant::now();
    let diff =
        pgview::diff::diff_with(conn, declared, options).map_err(|e| error_json("diff", &e))?;
    let diff_ms = ms(start.elapsed());
    let planned = Instant::now();
    let plan = diff.plan().map_err(|e| error_json("plan", &e))?;
    let plan_ms = ms(planned.elapsed());
    let written = Instant::now();
    pgview::migration::write_migration(dir, "bench_views", &plan)
        .map_err(|e| error_json("write", &e))?;
    let write_ms = ms(written.elapsed());
    let times = json!({
        "diff_ms": diff_ms,
        "plan_ms": plan_ms,
        "write_ms": write_ms,
        "total_ms": ms(start.elapsed()),
    });
    Ok((diff, plan, times))
}

/// What [`compare`] gives.
type Measured = Result<(pgview::diff::ViewDiff, MigrationPlan, Value), Value>;

/// The comparison done `count` times before the measured one, each on a fresh connection (as
/// a new deploy's) and dropped before the next (so that the peak memory stays one
/// comparison's): the times of each (or the error), and the peak relation locks of these runs
/// (the session's and the server's).
fn earlier_runs(
    count: usize,
    url: &str,
    (target, options, dir): (&ViewSet, &DiffOptions, &Path),
    poll: Duration,
) -> (Vec<Result<Value, Value>>, (i64, i64)) {
    let mut runs = Vec::new();
    let mut peak = (0, 0);
    for _ in 0..count {
        let conn = &mut PgConnection::establish(url).expect("connect (earlier run)");
        let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<Pid>(conn)
            .expect("pid")
            .pid;
        let watch = LockWatch::start(url, pid, poll);
        let result = compare(conn, target, options, dir).map(|(_, _, times)| times);
        let (own, all, _) = watch.stop();
        peak = (peak.0.max(own), peak.1.max(all));
        let failed = result.is_err();
        runs.push(result);
        if failed {
            break;
        }
    }
    (runs, peak)
}

/// The measured run with the times of the fastest of all runs (the one least disturbed by
/// the machine's other work), and every run's total.
fn fastest(earlier: Vec<Result<Value, Value>>, measured: Measured) -> (Measured, Vec<Value>) {
    let total = |times: &Value| times["total_ms"].as_f64().unwrap_or(f64::MAX);
    let mut totals = Vec::new();
    let mut best: Option<Value> = None;
    for run in earlier {
        match run {
            Ok(times) => {
                totals.push(times["total_ms"].clone());
                if best.as_ref().is_none_or(|b| total(&times) < total(b)) {
                    best = Some(times);
                }
            }
            Err(error) => return (Err(error), totals),
        }
    }
    match measured {
        Ok((diff, plan, times)) => {
            totals.push(times["total_ms"].clone());
            let times = match best {
                Some(b) if total(&b) < total(&times) => b,
                _ => times,
            };
            (Ok((diff, plan, times)), totals)
        }
        Err(error) => (Err(error), totals),
    }
}

/// One run: prints its JSON object on one line.
pub(crate) fn run(
    mode: Mode,
    shape: Shape,
    verify_up_to: usize,
    repeat: usize,
    poll: Duration,
) -> Value {
    let db = pgview_bench::database();
    let conn = &mut PgConnection::establish(db.url()).expect("connect");
    let mut out = json!({
        "mode": mode.name(),
        "views": shape.views(),
        "materialized_views": shape.materialized_views(),
        "chains": shape.chains,
        "depth": shape.depth,
        "changed_declared_views": shape.changed_declared(),
        "lock_poll_ms": poll.as_millis(),
        "server": server_settings(conn),
    });
    eprintln!("migrate {} {}: setting up", mode.name(), shape.views());
    let setup = Instant::now();
    {
        // On a connection of its own, as the schema was made by earlier deploys: what the
        // setup leaves in a session's caches (100,000 views created, every materialized view
        // analyzed) is not the measured session's.
        let setup_conn = &mut PgConnection::establish(db.url()).expect("connect (setup)");
        for statement in shape.setup_sql() {
            setup_conn.batch_execute(&statement).expect("setup");
        }
        // Vacuumed and analyzed, as autovacuum leaves a database between two deploys: else
        // its workers vacuum the catalogs the setup filled during the measured comparison,
        // on a second core the comparison's client and server share.
        setup_conn.batch_execute("VACUUM ANALYZE").expect("vacuum");
    }
    out["setup_ms"] = json!(ms(setup.elapsed()));
    // The original set only when it is needed (to verify `down.sql`): an application holds
    // the set it declares, not the one before.
    let verifies = shape.views() <= verify_up_to;
    let original = verifies.then(|| shape.declared(false).expect("declared views"));
    let target = shape.declared(true).expect("declared views");
    let options = mode.options().expect("options");
    let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(conn)
        .expect("pid")
        .pid;
    let dir = std::env::temp_dir().join(format!("pgview-bench-migrate-{}", std::process::id()));

    if mode == Mode::Record {
        // In a process of its own, so that the memory of that full comparison is not counted
        // in this one's (as when the set was applied by an earlier deploy).
        eprintln!("migrate {} {}: adopting", mode.name(), shape.views());
        let adopted = adopt_in_child(db.url(), &shape, poll);
        for key in ["adopt_ms", "adopt_peak_relation_locks", "adopt_peak_rss_mb"] {
            out[key] = adopted.get(key).cloned().unwrap_or(Value::Null);
        }
        if adopted["ok"] != json!(true) {
            out["ok"] = json!(false);
            out["error"] = adopted
                .get("error")
                .cloned()
                .unwrap_or_else(|| error_json("adopt", &"the adopting process failed"));
            out["peak_rss_mb"] = json!(Usage::now().max_rss_mb());
            return out;
        }
        // The adoption's comparison created every view once in rolled-back batches: its
        // dead catalog rows vacuumed, as above.
        let vacuumed = Instant::now();
        PgConnection::establish(db.url())
            .expect("connect (vacuum)")
            .batch_execute("VACUUM ANALYZE")
            .expect("vacuum");
        out["vacuum_after_adopt_ms"] = json!(ms(vacuumed.elapsed()));
    }

    eprintln!("migrate {} {}: comparing", mode.name(), shape.views());
    let reset = reset_peak_rss();
    let (earlier, again_peak) =
        earlier_runs(repeat.max(1) - 1, db.url(), (&target, &options, &dir), poll);
    let watch = LockWatch::start(db.url(), pid, poll);
    let (measured, totals) = fastest(earlier, compare(conn, &target, &options, &dir));
    out["total_ms_of_each_run"] = json!(totals);
    let (own, all, samples) = watch.stop();
    let (own, all) = (own.max(again_peak.0), all.max(again_peak.1));
    out["peak_relation_locks"] = json!(own);
    out["peak_locks_all_sessions"] = json!(all);
    out["lock_samples"] = json!(samples);
    out["peak_rss_mb"] = json!(Usage::now().max_rss_mb());
    out["peak_rss_mb_during_comparison"] = json!(reset.then(peak_rss_mb_since_reset).flatten());
    match measured {
        Err(error) => {
            out["ok"] = json!(false);
            out["error"] = error;
        }
        Ok((diff, plan, times)) => {
            let count = |kind: &str| plan.steps.iter().filter(|s| s.kind.name() == kind).count();
            out["ok"] = json!(true);
            out["differing_views"] = json!(diff.changes().count());
            out["plan"] = json!({
                "up_steps": plan.steps.len(),
                "down_steps": plan.down_steps.len(),
                "replace": count("replace"),
                "recreate": count("recreate"),
                "rebuild": count("rebuild"),
                "refresh": count("refresh"),
                "up_sql_bytes": plan.up_sql().len(),
            });
            for (key, value) in times.as_object().expect("times") {
                out[key] = value.clone();
            }
            if let Some(original) = &original {
                eprintln!("migrate {} {}: verifying", mode.name(), shape.views());
                out["verified"] = verify(conn, &plan, original, &target, &options);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// Runs [`adopt`] in a child process (`--adopt-url`); its JSON object.
fn adopt_in_child(url: &str, shape: &Shape, poll: Duration) -> Value {
    let exe = std::env::current_exe().expect("current exe");
    let output = std::process::Command::new(exe)
        .args(["--adopt-url", url])
        .args(["--views", &shape.views().to_string()])
        .args(["--depth", &shape.depth.to_string()])
        .args(["--changed-percent", &shape.changed_percent().to_string()])
        .args(["--lock-poll-ms", &poll.as_millis().to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run the adopting process");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap_or_else(|| {
            json!({"ok": false, "error": error_json("adopt", &format!("the adopting process ended without a result ({})", output.status))})
        })
}

/// Applies the unchanged set through pgview on the database at `url` (made by the setup SQL):
/// a comparison that finds nothing to change, and the migration that adopts the views
/// (records every one of them in `pgview.managed_views`). Its JSON object: time, peak
/// relation locks of the session, peak memory.
pub(crate) fn adopt(url: &str, shape: &Shape, poll: Duration) -> Value {
    let conn = &mut PgConnection::establish(url).expect("connect");
    let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(conn)
        .expect("pid")
        .pid;
    let original = shape.declared(false).expect("declared views");
    let dir = std::env::temp_dir().join(format!("pgview-bench-adopt-{}", std::process::id()));
    let watch = LockWatch::start(url, pid, poll);
    let start = Instant::now();
    let adopted = compare(
        conn,
        &original,
        &Mode::Full.options().expect("options"),
        &dir,
    )
    .and_then(|(diff, plan, _)| {
        if !diff.is_empty() || !plan.steps.is_empty() || plan.is_empty() {
            return Err(error_json(
                "adopt",
                &format!("the database must match the original set:\n{diff}"),
            ));
        }
        conn.transaction(|c| c.batch_execute(&plan.up_sql()))
            .map_err(|e| error_json("adopt: apply", &e))
    });
    let (own, _, _) = watch.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let mut out = json!({
        "adopt_ms": ms(start.elapsed()),
        "adopt_peak_relation_locks": own,
        "adopt_peak_rss_mb": Usage::now().max_rss_mb(),
        "ok": adopted.is_ok(),
    });
    if let Err(error) = adopted {
        out["error"] = error;
    }
    out
}

/// Applies up, compares again, applies down, compares with the original set.
fn verify(
    conn: &mut PgConnection,
    plan: &MigrationPlan,
    original: &ViewSet,
    target: &ViewSet,
    options: &DiffOptions,
) -> Value {
    let applied = Instant::now();
    if let Err(e) = conn.transaction(|c| c.batch_execute(&plan.up_sql())) {
        return error_json("verify: apply up", &e);
    }
    let apply_up_ms = ms(applied.elapsed());
    let stale_after_up = pgview_testkit::stale_materialized_views(conn, &SCHEMAS);
    let again = Instant::now();
    let second = pgview::diff::diff_with(conn, target, options);
    let second_diff_ms = ms(again.elapsed());
    let reverted = Instant::now();
    if let Err(e) = conn.transaction(|c| c.batch_execute(&plan.down_sql())) {
        return error_json("verify: apply down", &e);
    }
    let apply_down_ms = ms(reverted.elapsed());
    let stale_after_down = pgview_testkit::stale_materialized_views(conn, &SCHEMAS);
    let restored = pgview::diff::diff_with(conn, original, options);
    let text = |d: &pgview::Result<pgview::diff::ViewDiff>| match d {
        Ok(d) if d.is_empty() => Value::Null,
        Ok(d) => json!(d.to_string().chars().take(1500).collect::<String>()),
        Err(e) => json!(format!("error: {e}")),
    };
    let empty = |d: &pgview::Result<pgview::diff::ViewDiff>| {
        d.as_ref().is_ok_and(pgview::diff::ViewDiff::is_empty)
    };
    json!({
        "apply_up_ms": apply_up_ms,
        "stale_materialized_views_after_up": stale_after_up,
        "second_diff_ms": second_diff_ms,
        "second_diff_empty": empty(&second),
        "second_diff": text(&second),
        "apply_down_ms": apply_down_ms,
        "stale_materialized_views_after_down": stale_after_down,
        "restored_diff_empty": empty(&restored),
        "restored_diff": text(&restored),
    })
}
