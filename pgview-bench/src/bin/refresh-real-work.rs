//! Parallel against sequential refresh when the refreshes do real work.
//!
//! The DAG of `refresh-schedule` (30 materialized views, 6 wide, 5 deep) over real aggregates
//! of a 1-million-row table: every view aggregates the table (one kind of event out of six),
//! and the views of levels 1–4 also join the two views of the level before that they read
//! (through a plain view on odd levels). Each view has a unique index, so the default policy
//! refreshes them all concurrently. Measures the wall time of the sequential refresh on one
//! connection and of the parallel one on a pool of 6 (median of 2 each), on whatever cores the
//! machine has.
//!
//! Run: `cargo run --release -p pgview-bench --bin refresh-real-work` (a throwaway database on
//! `DATABASE_URL`'s server, or on a private cluster without it).

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
use pgview::{Refresh, RefreshReport};
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

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn check(report: &RefreshReport) {
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.views().len(), WIDTH * DEPTH);
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    setting: String,
}

fn main() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).expect("connect");
    let setup_start = Instant::now();
    setup(conn);
    // Populate (plainly: the views were created WITH NO DATA).
    check(&pgview::refresh_materialized_views(conn, &Refresh::all()).expect("refresh"));
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
    let mut sequential = Vec::new();
    let mut parallel = Vec::new();
    for _ in 0..2 {
        let start = Instant::now();
        check(&pgview::refresh_materialized_views(conn, &Refresh::all()).expect("refresh"));
        sequential.push(ms(start.elapsed()));
        let start = Instant::now();
        let report = runtime
            .block_on(pgview::aio::refresh_materialized_views(
                &pool,
                &Refresh::all(),
            ))
            .expect("refresh");
        check(&report);
        parallel.push(ms(start.elapsed()));
    }
    let workers =
        diesel::sql_query("SELECT current_setting('max_parallel_workers_per_gather') AS setting")
            .get_result::<Setting>(conn)
            .map(|s| s.setting)
            .unwrap_or_default();
    let (sequential_median, parallel_median) =
        (median(sequential.clone()), median(parallel.clone()));
    let out = json!({
        "benchmark": "refresh-real-work",
        "rows": ROWS,
        "views": WIDTH * DEPTH,
        "cores": std::thread::available_parallelism().map_or(0, usize::from),
        "max_parallel_workers_per_gather": workers,
        "setup_ms": setup_ms,
        "sequential_ms": sequential,
        "parallel_pool_6_ms": parallel,
        "sequential_median_ms": sequential_median,
        "parallel_median_ms": parallel_median,
        "speedup": (sequential_median / parallel_median * 100.0).round() / 100.0,
    });
    println!("{out}");
}
