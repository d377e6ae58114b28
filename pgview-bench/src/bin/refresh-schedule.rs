//! Scheduling of a parallel refresh against its physical limit.
//!
//! A DAG of 30 materialized views, 6 wide and 5 deep: each view of a level reads two views of
//! the level before (through a plain view on odd levels), and its refresh costs a `pg_sleep` of
//! a known duration (50 to 250 ms), so the critical path (the longest chain of durations) is the
//! least wall time any schedule can reach. Measures the wall time of the parallel refresh on a
//! pool at least as wide as the DAG (`pgview::aio::refresh_materialized_views`, median of 3)
//! against the critical path (target: at most 1.15×) and against the sequential refresh on one
//! connection (`pgview::refresh_materialized_views`), plus narrower pools for information.
//!
//! Run: `cargo run --release -p pgview-bench --bin refresh-schedule` (a throwaway database on
//! `DATABASE_URL`'s server, or on a private cluster without it).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "measurements: milliseconds, ratios and percentiles computed as floats"
)]

use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use pgview::Refresh;
use serde_json::json;

const WIDTH: usize = 6;
const DEPTH: usize = 5;

/// The refresh cost of view `i` of `level`, in milliseconds (50 to 250).
fn cost_ms(level: usize, i: usize) -> u64 {
    50 + ((level * 7 + i * 13) % 11) as u64 * 20
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

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}

async fn parallel(url: &str, pool_size: u32, runs: usize) -> Vec<f64> {
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
        walls.push(ms(start.elapsed()));
        assert!(report.is_success(), "{report:?}");
        assert_eq!(report.views().len(), WIDTH * DEPTH);
    }
    walls
}

fn main() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).expect("connect");
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
    let wide = runtime.block_on(parallel(db.url(), 8, 3));
    let wide_median = median(wide.clone());
    let narrow: Vec<(u32, f64)> = [1_u32, 2, 4]
        .iter()
        .map(|&size| (size, runtime.block_on(parallel(db.url(), size, 1))[0]))
        .collect();
    let sequential: Vec<f64> = (0..2)
        .map(|_| {
            let start = Instant::now();
            let report =
                pgview::refresh_materialized_views(conn, &Refresh::all()).expect("refresh");
            assert!(report.is_success());
            ms(start.elapsed())
        })
        .collect();
    let sequential_median = median(sequential.clone());

    let out = json!({
        "benchmark": "refresh-schedule",
        "views": WIDTH * DEPTH,
        "width": WIDTH,
        "depth": DEPTH,
        "policy": "prefer concurrent (every view has a unique index: all concurrent)",
        "sum_of_costs_ms": total,
        "critical_path_ms": critical,
        "parallel_pool_8_ms": wide,
        "parallel_pool_8_median_ms": wide_median,
        "parallel_over_critical_path": (wide_median / critical * 1000.0).round() / 1000.0,
        "target_parallel_over_critical_path": 1.15,
        "sequential_ms": sequential,
        "sequential_median_ms": sequential_median,
        "sequential_over_parallel": (sequential_median / wide_median * 100.0).round() / 100.0,
        "narrower_pools_ms": narrow.iter().map(|(size, wall)| json!({"pool": size, "wall_ms": wall})).collect::<Vec<_>>(),
    });
    println!("{out}");
}
