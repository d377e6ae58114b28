//! Parallel against sequential refresh when the refreshes do real work.
//!
//! The DAG of `refresh-schedule` (30 materialized views, 6 wide, 5 deep) over real aggregates
//! of a 1-million-row table: every view aggregates the table (one kind of event out of six),
//! and the views of levels 1–4 also join the two views of the level before that they read
//! (through a plain view on odd levels). Each view has a unique index, so the default policy
//! refreshes them all concurrently. Measures, for the sequential refresh on one connection and
//! the parallel one on a pool of 6 (`--runs` of each, alternated, default 3; medians reported),
//! on whatever cores the machine has:
//! - the wall time;
//! - the server's CPU time: every process of the server (backends, parallel workers, background
//!   processes), from `/proc` (`null` when the server is not on this machine);
//! - the client's CPU time (`getrusage`);
//! - the sum of the views' refresh durations (as the refresh report gives them).
//!
//! Targets: the parallel refresh is faster than the sequential one, and does not cost more than
//! 1.2× its server CPU (parallelism must not be paid for in work).
//!
//! Run: `cargo run --release -p pgview-bench --bin refresh-real-work [-- --runs 3]` (on a private
//! cluster of its own with default settings, see `pgview_bench::database`).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "measurements: milliseconds, ratios and percentiles computed as floats"
)]

use std::time::{Duration, Instant};

use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use pgview::refresh::{Refresh, RefreshReport};
use pgview_bench::{all_met, arg, median, ms, round, server_settings, target, ServerCpu, Usage};
use serde_json::json;

const WIDTH: usize = 6;
const DEPTH: usize = 5;
const ROWS: u32 = 1_000_000;

fn parents(level: usize, i: usize) -> [usize; 2] {
    [i, (i + level) % WIDTH]
}

fn name(level: usize, i: usize) -> String {
    format!("work_l{level}_{i}")
}

fn execute(conn: &mut PgConnection, statement: &str) {
    diesel::sql_query(statement)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

fn setup(conn: &mut PgConnection) {
    execute(
        conn,
        "CREATE TABLE work_events (id int PRIMARY KEY, user_id int NOT NULL, kind int NOT NULL, amount int NOT NULL)",
    );
    execute(
        conn,
        &format!(
            "INSERT INTO work_events SELECT g, (g::int8 * 7919 % 10000)::int, g % {WIDTH}, (g * 31) % 1000 \
             FROM generate_series(1, {ROWS}) AS g"
        ),
    );
    execute(conn, "ANALYZE work_events");
    for level in 0..DEPTH {
        for i in 0..WIDTH {
            let kind = (i + level) % WIDTH;
            let query = if level == 0 {
                format!(
                    "SELECT user_id, count(*) AS n, sum(amount) AS total FROM work_events \
                     WHERE kind = {kind} GROUP BY user_id"
                )
            } else {
                let [a, b] = parents(level, i);
                let (a, b) = if level % 2 == 1 {
                    (
                        format!("work_v{}_{a}", level - 1),
                        format!("work_v{}_{b}", level - 1),
                    )
                } else {
                    (name(level - 1, a), name(level - 1, b))
                };
                format!(
                    "SELECT e.user_id, count(*) AS n, sum(e.amount + p.total - q.n) AS total \
                     FROM work_events e JOIN {a} p USING (user_id) JOIN {b} q USING (user_id) \
                     WHERE e.kind = {kind} GROUP BY e.user_id"
                )
            };
            execute(
                conn,
                &format!(
                    "CREATE MATERIALIZED VIEW {} AS {query} WITH NO DATA",
                    name(level, i)
                ),
            );
            execute(
                conn,
                &format!("CREATE UNIQUE INDEX ON {} (user_id)", name(level, i)),
            );
            if level + 1 < DEPTH && level % 2 == 0 {
                execute(
                    conn,
                    &format!(
                        "CREATE VIEW work_v{level}_{i} AS SELECT user_id, n, total FROM {}",
                        name(level, i)
                    ),
                );
            }
        }
    }
}

fn check(report: &RefreshReport) {
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.views().len(), WIDTH * DEPTH);
}

/// What the refreshes of the whole DAG cost, one entry per run, in milliseconds.
#[derive(Default)]
struct Cost {
    wall: Vec<f64>,
    server_cpu: Vec<f64>,
    client_cpu: Vec<f64>,
    /// The sum of the views' refresh durations.
    views_sum: Vec<f64>,
}

impl Cost {
    /// Runs `refresh` and records its costs.
    fn measure(&mut self, server: Option<ServerCpu>, refresh: impl FnOnce() -> RefreshReport) {
        let server_before = server.map(|s| s.total());
        let client_before = Usage::now().cpu;
        let start = Instant::now();
        let report = refresh();
        let wall = start.elapsed();
        let client = Usage::now().cpu.saturating_sub(client_before);
        check(&report);
        self.wall.push(ms(wall));
        if let (Some(server), Some(before)) = (server, server_before) {
            self.server_cpu
                .push(ms(server.total().saturating_sub(before)));
        }
        self.client_cpu.push(ms(client));
        self.views_sum.push(ms(report
            .views()
            .iter()
            .map(|v| v.duration)
            .sum::<Duration>()));
    }

    fn median_server_cpu(&self) -> Option<f64> {
        (!self.server_cpu.is_empty()).then(|| median(self.server_cpu.clone()))
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "wall_median_ms": median(self.wall.clone()),
            "server_cpu_median_ms": self.median_server_cpu(),
            "client_cpu_median_ms": median(self.client_cpu.clone()),
            "views_refresh_sum_median_ms": median(self.views_sum.clone()),
            "wall_ms": self.wall,
            "server_cpu_ms": self.server_cpu,
            "client_cpu_ms": self.client_cpu,
            "views_refresh_sum_ms": self.views_sum,
        })
    }
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    setting: String,
}

fn main() {
    let runs = arg("--runs", 3).max(1);
    let db = pgview_bench::database();
    let conn = &mut PgConnection::establish(db.url()).expect("connect");
    let server = server_settings(conn);
    let server_cpu = ServerCpu::of(conn);
    let setup_start = Instant::now();
    setup(conn);
    // Populate (plainly: the views were created WITH NO DATA).
    check(&pgview::refresh::refresh_materialized_views(conn, &Refresh::all()).expect("refresh"));
    let setup_ms = ms(setup_start.elapsed());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let pool: Pool<AsyncPgConnection> = runtime.block_on(async {
        Pool::builder()
            .max_size(WIDTH as u32)
            .min_idle(Some(WIDTH as u32))
            .build(AsyncDieselConnectionManager::<AsyncPgConnection>::new(
                db.url(),
            ))
            .await
            .expect("pool")
    });
    let mut sequential = Cost::default();
    let mut parallel = Cost::default();
    for _ in 0..runs {
        sequential.measure(server_cpu, || {
            pgview::refresh::refresh_materialized_views(conn, &Refresh::all()).expect("refresh")
        });
        parallel.measure(server_cpu, || {
            runtime
                .block_on(pgview::aio::refresh_materialized_views(
                    &pool,
                    &Refresh::all(),
                ))
                .expect("refresh")
        });
    }
    let workers =
        diesel::sql_query("SELECT current_setting('max_parallel_workers_per_gather') AS setting")
            .get_result::<Setting>(conn)
            .map(|s| s.setting)
            .unwrap_or_default();
    let (sequential_wall, parallel_wall) = (
        median(sequential.wall.clone()),
        median(parallel.wall.clone()),
    );
    let speedup = round(sequential_wall / parallel_wall, 2);
    let cpu_ratio = match (parallel.median_server_cpu(), sequential.median_server_cpu()) {
        (Some(p), Some(s)) if s > 0.0 => Some(round(p / s, 2)),
        _ => None,
    };
    let targets = [
        target(
            "parallel faster than sequential (wall, medians): speedup > 1",
            speedup,
            speedup > 1.0,
        ),
        target(
            "parallel server CPU / sequential server CPU (medians) <= 1.2",
            cpu_ratio,
            cpu_ratio.is_some_and(|r| r <= 1.2),
        ),
    ];
    let out = json!({
        "benchmark": "refresh-real-work",
        "server": server,
        "rows": ROWS,
        "views": WIDTH * DEPTH,
        "runs": runs,
        "cores": std::thread::available_parallelism().map_or(0, usize::from),
        "max_parallel_workers_per_gather": workers,
        "setup_ms": setup_ms,
        "sequential": sequential.json(),
        "parallel_pool_6": parallel.json(),
        "speedup": speedup,
        "parallel_over_sequential_server_cpu": cpu_ratio,
        "targets": targets,
        "all_met": all_met(&targets),
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
