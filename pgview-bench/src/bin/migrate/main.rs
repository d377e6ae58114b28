//! View migrations at scale: the comparison of declared views with a database, plan and write
//! of the migration, from 1,000 to 100,000 views, on a server with default settings.
//!
//! The views (see `shape.rs`): chains 8 deep over two schemas, 2 chains in 5 with a
//! materialized view (unique index and comment) at level 3, read by the levels above, 2 in 5
//! with one at the top; 5% of the declared views changed (compatible query changes, appended
//! columns, retyped columns that force rebuilds of the views above them, materialized views).
//! 1,000 views are 125 chains and 100 materialized views.
//!
//! Two modes, each size in a process of its own (with its own database, so that its peak
//! memory is its own):
//! - `full`: no record; `pgview::diff::diff_with(…full(true))` + plan + write of the changed set, at
//!   1,000, 10,000 and 50,000 views. Targets: 1,000 < 3 s, 10,000 < 20 s, 50,000 completes,
//!   time(50,000) / time(10,000) ≤ 5.5 (linear).
//! - `record`: the unchanged set is first applied through pgview (the views made by the setup
//!   SQL, then the migration of a plan where the set is declared unchanged, which adopts them:
//!   records every view in `pgview.managed_views`); then `diff_with(…full(false))` + plan +
//!   write of the changed set, at 10,000 and 100,000 views. Targets: 10,000 < 5 s,
//!   100,000 < 30 s, peak client memory (`ru_maxrss` of the run's process) < 500 MB.
//!
//! The database is vacuumed and analyzed after the setup (and, with the record, after the
//! adoption), as autovacuum leaves a database between two deploys: the setup and the
//! adoption fill the catalogs with hundreds of thousands of rows (dead ones, for the
//! adoption's rolled-back batches), and autovacuum's workers would otherwise vacuum them
//! during the measured comparison, on the second core.
//!
//! Each run compares, plans and writes `--repeat` times (default 2), each time on a fresh
//! connection (as a new deploy would; the results of the earlier ones dropped before the next,
//! so that the peak memory is one comparison's), and its times are those of the fastest: this
//! machine's speed moves by ±20% from minute to minute, and one slow sample at 10,000 views
//! moved the 50,000 / 10,000 ratio by as much; every total is reported
//! (`total_ms_of_each_run`, the measured run last).
//!
//! Each run also reports the peak number of relation locks the comparison's session held
//! (`pg_locks`, polled every 5 ms from a second connection, less often when the reading is slow:
//! see `run.rs`) and the peak over the server, and,
//! up to `--verify-up-to` views (default 10,000), applies `up.sql`, checks that no
//! materialized view is stale and that a second comparison is empty, applies `down.sql` and
//! checks the same against the original set. A run that fails reports the error (its stage and
//! message) and fails its targets.
//!
//! Run: `cargo run --release -p pgview-bench --bin migrate [-- OPTIONS]`:
//! - `--sizes 1000,10000`: both modes at these sizes (`--views N`: one size), instead of the
//!   default `--full-sizes 1000,10000,50000 --record-sizes 10000,100000`;
//! - `--depth 8`, `--changed-percent 5`, `--verify-up-to 10000`, `--repeat 2`,
//!   `--timeout-s 3600` (per run), `--lock-poll-ms 5` (the pause between two readings of
//!   `pg_locks`).

#![allow(
    clippy::cast_precision_loss,
    reason = "measurements: ratios computed as floats"
)]

mod run;
mod shape;

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pgview_bench::{all_met, arg, arg_list, arg_text, round, target};
use serde_json::{json, Value};

use run::Mode;
use shape::Shape;

/// The time targets (views, milliseconds) of each mode.
const TIME_TARGETS: [(Mode, usize, f64); 4] = [
    (Mode::Full, 1_000, 3_000.0),
    (Mode::Full, 10_000, 20_000.0),
    (Mode::Record, 10_000, 5_000.0),
    (Mode::Record, 100_000, 30_000.0),
];

/// Peak client memory at 100,000 views, in megabytes.
const MEMORY_TARGET_MB: f64 = 500.0;

struct Config {
    depth: usize,
    changed_percent: usize,
    verify_up_to: usize,
    repeat: usize,
    timeout: Duration,
    lock_poll: Duration,
}

impl Config {
    fn from_args() -> Self {
        Self {
            depth: arg("--depth", 8),
            changed_percent: arg("--changed-percent", 5),
            verify_up_to: arg("--verify-up-to", 10_000),
            repeat: arg("--repeat", 2),
            timeout: Duration::from_secs(arg("--timeout-s", 3_600) as u64),
            lock_poll: Duration::from_millis(arg("--lock-poll-ms", 5) as u64),
        }
    }

    fn shape(&self, views: usize) -> Shape {
        Shape::new(views, self.depth, self.changed_percent)
    }
}

fn main() {
    let config = Config::from_args();
    if let Some(url) = arg_text("--adopt-url") {
        // A grandchild: the adoption before a run with the record (see `run.rs`).
        let out = run::adopt(&url, &config.shape(arg("--views", 1_000)), config.lock_poll);
        println!("{out}");
        return;
    }
    if let Some(mode) = arg_text("--run") {
        // A child: one run.
        let mode = Mode::parse(&mode).expect("--run full|record");
        let out = run::run(
            mode,
            config.shape(arg("--views", 1_000)),
            config.verify_up_to,
            config.repeat,
            config.lock_poll,
        );
        println!("{out}");
        return;
    }
    let both = arg_list("--sizes").or_else(|| arg_text("--views").map(|_| vec![arg("--views", 0)]));
    let full_sizes = arg_list("--full-sizes")
        .or_else(|| both.clone())
        .unwrap_or_else(|| vec![1_000, 10_000, 50_000]);
    let record_sizes = arg_list("--record-sizes")
        .or(both)
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let mut runs = Vec::new();
    for (mode, sizes) in [(Mode::Full, &full_sizes), (Mode::Record, &record_sizes)] {
        for &views in sizes {
            runs.push(child(mode, views, &config));
        }
    }
    let targets = targets(&runs);
    let server = runs
        .iter()
        .find_map(|r| r.get("server").cloned())
        .unwrap_or(Value::Null);
    let by = |mode: Mode| -> Vec<Value> {
        runs.iter()
            .filter(|r| r["mode"] == mode.name())
            .map(|r| {
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.remove("server");
                    o.remove("mode");
                }
                r
            })
            .collect()
    };
    let report = json!({
        "benchmark": "migrate",
        "server": server,
        "shape": {
            "schemas": 2,
            "depth": config.depth,
            "materialized_views": "2 chains in 5 at level 3 (read above), 2 in 5 at the top; unique index and comment",
            "changed_percent": config.changed_percent,
        },
        "scope": "DiffScope::schemas([bench_a, bench_b])",
        "full": by(Mode::Full),
        "record": by(Mode::Record),
        "ratio_full_50000_over_10000": ratio(&runs, 50_000, 10_000),
        "targets": targets,
        "all_met": all_met(&targets),
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
    let verified_ok = runs.iter().all(|r| {
        r.get("verified").is_none_or(|v| {
            v["second_diff_empty"] == json!(true)
                && v["restored_diff_empty"] == json!(true)
                && v["stale_materialized_views_after_up"] == json!([])
                && v["stale_materialized_views_after_down"] == json!([])
        })
    });
    if !verified_ok {
        std::process::exit(1);
    }
}

/// Runs one mode at one size in a child process; its JSON object, or the failure.
fn child(mode: Mode, views: usize, config: &Config) -> Value {
    let exe = std::env::current_exe().expect("current exe");
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["--run", mode.name()])
        .args(["--views", &views.to_string()])
        .args(["--depth", &config.depth.to_string()])
        .args(["--changed-percent", &config.changed_percent.to_string()])
        .args(["--verify-up-to", &config.verify_up_to.to_string()])
        .args(["--repeat", &config.repeat.to_string()])
        .args(["--lock-poll-ms", &config.lock_poll.as_millis().to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the benchmark");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > config.timeout {
            // Ours: ended by its id; the testkit's watchdog removes its cluster.
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = reader.join().unwrap_or_default();
    let parsed = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok());
    match (status, parsed) {
        (Some(_), Some(out)) => out,
        (status, _) => json!({
            "mode": mode.name(),
            "views": config.shape(views).views(),
            "ok": false,
            "error": {
                "stage": "process",
                "message": match status {
                    Some(status) => format!("the run ended without a result ({status}); see its output above"),
                    None => format!("stopped after {} s (--timeout-s)", config.timeout.as_secs()),
                },
            },
        }),
    }
}

fn find(runs: &[Value], mode: Mode, views: usize) -> Option<&Value> {
    runs.iter()
        .find(|r| r["mode"] == mode.name() && r["views"] == json!(views))
}

fn total_ms(run: &Value) -> Option<f64> {
    (run["ok"] == json!(true))
        .then(|| run["total_ms"].as_f64())
        .flatten()
}

/// time(a) / time(b) of the full comparison, when both ran.
fn ratio(runs: &[Value], a: usize, b: usize) -> Option<f64> {
    let a = total_ms(find(runs, Mode::Full, a)?)?;
    let b = total_ms(find(runs, Mode::Full, b)?)?;
    Some(round(a / b, 2))
}

fn targets(runs: &[Value]) -> Vec<Value> {
    let mut targets = Vec::new();
    for run in runs {
        let mode = Mode::parse(run["mode"].as_str().unwrap_or("")).expect("mode");
        let views = usize::try_from(run["views"].as_u64().unwrap_or(0)).unwrap_or(0);
        let time = total_ms(run);
        let what = match mode {
            Mode::Full => "full comparison",
            Mode::Record => "with the record",
        };
        match TIME_TARGETS
            .iter()
            .find(|(m, v, _)| *m == mode && *v == views)
        {
            Some((_, _, limit)) => targets.push(target(
                &format!("{what}, {views} views: diff + plan + write < {limit} ms"),
                time,
                time.is_some_and(|t| t < *limit),
            )),
            None => targets.push(target(
                &format!("{what}, {views} views: diff + plan + write completes"),
                time,
                time.is_some(),
            )),
        }
        if views == 100_000 {
            let mb = run["peak_rss_mb"].as_f64();
            targets.push(target(
                &format!("{what}, {views} views: peak client memory < {MEMORY_TARGET_MB} MB"),
                mb,
                run["ok"] == json!(true) && mb.is_some_and(|m| m < MEMORY_TARGET_MB),
            ));
        }
        if let Some(verified) = run.get("verified") {
            let check = |key: &str, want: Value| verified.get(key) == Some(&want);
            let ok = check("second_diff_empty", json!(true))
                && check("restored_diff_empty", json!(true))
                && check("stale_materialized_views_after_up", json!([]))
                && check("stale_materialized_views_after_down", json!([]));
            targets.push(target(
                &format!(
                    "{what}, {views} views: after up no difference and no stale materialized \
                     view, after down the original set"
                ),
                ok,
                ok,
            ));
        }
    }
    if find(runs, Mode::Full, 50_000).is_some() && find(runs, Mode::Full, 10_000).is_some() {
        let r = ratio(runs, 50_000, 10_000);
        targets.push(target(
            "full comparison: time(50,000) / time(10,000) <= 5.5 (linear)",
            r,
            r.is_some_and(|r| r <= 5.5),
        ));
    }
    targets
}
