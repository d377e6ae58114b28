//! Scheduling of a parallel refresh against its physical limit.
//!
//! A DAG of 30 materialized views, 6 wide and 5 deep: each view of a level reads two views of
//! the level before (through a plain view on odd levels), and its refresh costs a `pg_sleep` of
//! a known duration, so the critical path (the longest chain of durations) is the least wall
//! time any schedule can reach. Each level has one long refresh (300 ms; the others take 50 to
//! 110 ms), placed so that no chain of reads goes through two of them: a scheduler that starts
//! a view as soon as what it reads is done follows the critical path (830 ms), while one that
//! refreshes level by level waits for each level's long refresh (1,500 ms, 1.8×; printed as
//! `level_by_level_ms`), and so fails the target.
//!
//! Measures the wall time of the parallel refresh on a pool at least as wide as the DAG
//! (`pgview::aio::refresh_materialized_views`, median of 3) against the critical path (target:
//! at most 1.15×) and against the sequential refresh on one connection
//! (`pgview::refresh::refresh_materialized_views`), plus narrower pools for information.
//!
//! Run: `cargo run --release -p pgview-bench --bin refresh-schedule` (on a private
//! cluster of its own with default settings, see `pgview_bench::database`).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "measurements: milliseconds, ratios and percentiles computed as floats"
)]

use std::time::Instant;

use diesel::{Connection, PgConnection, RunQueryDsl};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use pgview::refresh::Refresh;
use pgview_bench::{all_met, median, ms, round, server_settings, target};
use serde_json::json;

const WIDTH: usize = 6;
const DEPTH: usize = 5;

/// Per level, the view whose refresh is long: no chain of reads goes through two of them (see
/// [`parents`]).
const LONG: [usize; DEPTH] = [3, 4, 5, 2, 5];

/// The refresh cost of view `i` of `level`, in milliseconds: 300 for the level's long view,
/// else 50 to 110.
fn cost_ms(level: usize, i: usize) -> u64 {
    if LONG[level] == i {
        300
    } else {
        50 + ((level * 7 + i * 13) % 4) as u64 * 20
    }
}

/// The two views of the level before that view `i` of `level` reads.
fn parents(level: usize, i: usize) -> [usize; 2] {
    [i, (i + level) % WIDTH]
}

fn name(level: usize, i: usize) -> String {
    format!("sched_l{level}_{i}")
}

/// The longest chain of refresh costs.
fn critical_path_ms() -> u64 {
    let mut finish = vec![[0_u64; WIDTH]; DEPTH];
    for level in 0..DEPTH {
        for i in 0..WIDTH {
            let ready = if level == 0 {
                0
            } else {
                parents(level, i)
                    .iter()
                    .map(|&p| finish[level - 1][p])
                    .max()
                    .unwrap_or(0)
            };
            finish[level][i] = ready + cost_ms(level, i);
        }
    }
    finish[DEPTH - 1].iter().copied().max().unwrap_or(0)
}

/// The wall time of a schedule that refreshes level by level (a level starts when the whole
/// level before is done), with as many connections as views: the sum of each level's longest
/// refresh.
fn level_by_level_ms() -> u64 {
    (0..DEPTH)
        .map(|level| (0..WIDTH).map(|i| cost_ms(level, i)).max().unwrap_or(0))
        .sum()
}

fn setup(conn: &mut PgConnection) {
    let mut statements = Vec::new();
    for level in 0..DEPTH {
        for i in 0..WIDTH {
            let sleep = cost_ms(level, i) as f64 / 1000.0;
            let reads = if level == 0 {
                "0".to_owned()
            } else {
                let [a, b] = parents(level, i);
                let (a, b) = if level % 2 == 1 {
                    // Through the plain views over the level before.
                    (
                        format!("sched_v{}_{a}", level - 1),
                        format!("sched_v{}_{b}", level - 1),
                    )
                } else {
                    (name(level - 1, a), name(level - 1, b))
                };
                format!("(SELECT count(*) FROM {a}) + (SELECT count(*) FROM {b})")
            };
            statements.push(format!(
                "CREATE MATERIALIZED VIEW {} AS SELECT 1 AS id, {reads} AS n FROM pg_sleep({sleep}) WITH NO DATA",
                name(level, i)
            ));
            statements.push(format!("CREATE UNIQUE INDEX ON {} (id)", name(level, i)));
            if level + 1 < DEPTH && level % 2 == 0 {
                statements.push(format!(
                    "CREATE VIEW sched_v{level}_{i} AS SELECT id, n FROM {}",
                    name(level, i)
                ));
            }
        }
    }
    for statement in &statements {
        diesel::sql_query(statement)
            .execute(conn)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// What a parallel run's report says of its schedule: the critical path of the measured
/// refresh durations (what the server took, with every per-view overhead), and the scheduler's
/// own delays (how long after the views it reads had finished each view started: the largest
/// and the longest chain of them along the DAG's paths).
#[derive(Debug, Clone, Copy, Default)]
struct Schedule {
    measured_critical_path_ms: f64,
    max_start_delay_ms: f64,
}

fn schedule(report: &pgview::refresh::RefreshReport) -> Schedule {
    let at = |level: usize, i: usize| {
        let view = report
            .views()
            .iter()
            .find(|v| v.view.name == name(level, i))
            .expect("every view is in the report");
        (view.started, view.duration)
    };
    let mut path = vec![[0.0_f64; WIDTH]; DEPTH];
    let mut max_delay = 0.0_f64;
    for level in 0..DEPTH {
        for i in 0..WIDTH {
            let (started, duration) = at(level, i);
            let (ready, before) = if level == 0 {
                (std::time::Duration::ZERO, 0.0)
            } else {
                let [a, b] = parents(level, i);
                let finish = |p: usize| {
                    let (s, d) = at(level - 1, p);
                    s + d
                };
                (
                    finish(a).max(finish(b)),
                    path[level - 1][a].max(path[level - 1][b]),
                )
            };
            max_delay = max_delay.max(ms(started.saturating_sub(ready)));
            path[level][i] = before + ms(duration);
        }
    }
    Schedule {
        measured_critical_path_ms: round(path[DEPTH - 1].iter().copied().fold(0.0, f64::max), 1),
        max_start_delay_ms: max_delay,
    }
}

async fn parallel(url: &str, pool_size: u32, runs: usize) -> Vec<(f64, Schedule)> {
    let pool: Pool<AsyncPgConnection> = Pool::builder()
        .max_size(pool_size)
        .min_idle(Some(pool_size))
        .build(AsyncDieselConnectionManager::<AsyncPgConnection>::new(url))
        .await
        .expect("pool");
    let mut walls = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let report = pgview::aio::refresh_materialized_views(&pool, &Refresh::all())
            .await
            .expect("refresh");
        let wall = ms(start.elapsed());
        assert!(report.is_success(), "{report:?}");
        assert_eq!(report.views().len(), WIDTH * DEPTH);
        walls.push((wall, schedule(&report)));
    }
    walls
}

fn main() {
    let db = pgview_bench::database();
    let conn = &mut PgConnection::establish(db.url()).expect("connect");
    let server = server_settings(conn);
    setup(conn);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Warm-up: populates every view (plainly: they were created WITH NO DATA).
    runtime.block_on(parallel(db.url(), 8, 1));

    let critical = critical_path_ms() as f64;
    let total: u64 = (0..DEPTH)
        .flat_map(|l| (0..WIDTH).map(move |i| cost_ms(l, i)))
        .sum();
    let mut wide_runs = runtime.block_on(parallel(db.url(), 8, 3));
    let wide: Vec<f64> = wide_runs.iter().map(|(wall, _)| *wall).collect();
    let wide_median = median(wide.clone());
    wide_runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median_schedule = wide_runs[wide_runs.len() / 2].1;
    let narrow: Vec<(u32, f64)> = [1_u32, 2, 4]
        .iter()
        .map(|&size| (size, runtime.block_on(parallel(db.url(), size, 1))[0].0))
        .collect();
    let sequential: Vec<f64> = (0..2)
        .map(|_| {
            let start = Instant::now();
            let report = pgview::refresh::refresh_materialized_views(conn, &Refresh::all())
                .expect("refresh");
            assert!(report.is_success());
            ms(start.elapsed())
        })
        .collect();
    let sequential_median = median(sequential.clone());

    let level_by_level = level_by_level_ms() as f64;
    let over_critical = round(wide_median / critical, 3);
    let level_over_critical = round(level_by_level / critical, 3);
    let targets = [
        target(
            "parallel (pool 8, median) / critical path <= 1.15",
            over_critical,
            over_critical <= 1.15,
        ),
        target(
            "the DAG tells schedules apart: level by level / critical path > 1.15",
            level_over_critical,
            level_over_critical > 1.15,
        ),
    ];
    let out = json!({
        "benchmark": "refresh-schedule",
        "server": server,
        "views": WIDTH * DEPTH,
        "width": WIDTH,
        "depth": DEPTH,
        "policy": "prefer concurrent (every view has a unique index: all concurrent)",
        "sum_of_costs_ms": total,
        "critical_path_ms": critical,
        "level_by_level_ms": level_by_level,
        "level_by_level_over_critical_path": level_over_critical,
        "parallel_pool_8_ms": wide,
        "parallel_pool_8_median_ms": wide_median,
        "parallel_over_critical_path": over_critical,
        "median_run_measured_critical_path_ms": median_schedule.measured_critical_path_ms,
        "median_run_max_start_delay_ms": median_schedule.max_start_delay_ms,
        "sequential_ms": sequential,
        "sequential_median_ms": sequential_median,
        "sequential_over_parallel": round(sequential_median / wide_median, 2),
        "narrower_pools_ms": narrow.iter().map(|(size, wall)| json!({"pool": size, "wall_ms": wall})).collect::<Vec<_>>(),
        "targets": targets,
        "all_met": all_met(&targets),
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
