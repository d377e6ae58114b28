//! What readers of a materialized view see while it is refreshed, concurrently or plainly.
//!
//! A 1-million-row table and a view aggregating it per user (100,000 rows, unique index). A
//! reader on its own connection looks up one user every 5 ms (open loop: a read's latency is
//! counted from when it was due, so a read stuck behind a lock delays the ones after it, as it
//! would for users). The view is refreshed 3 times with `RefreshPolicy::RequireConcurrent`, then
//! 3 times with `RefreshPolicy::Plain`; the latencies of the reads due during the refreshes are
//! reported (p50, p99, max) for each, with those of the reads due outside any refresh.
//!
//! Target: readers are not blocked by a concurrent refresh: the p99 latency during the
//! concurrent refreshes is below the p99 during the plain ones (which readers wait for).
//!
//! Run: `cargo run --release -p pgview-bench --bin refresh-readers` (on a private
//! cluster of its own with default settings, see `pgview_bench::database`).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "measurements: milliseconds, ratios and percentiles computed as floats"
)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Integer};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use pgview::refresh::{Refresh, RefreshPolicy};
use pgview_bench::{all_met, server_settings, target};
use serde_json::{json, Value};

const EVERY: Duration = Duration::from_millis(5);

fn execute(conn: &mut PgConnection, statement: &str) {
    diesel::sql_query(statement)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 100_000.0).round() / 100.0
}

/// Reads until `stop`: (when due, latency) of each read.
fn reader(url: &str, stop: &AtomicBool) -> Vec<(Instant, Duration)> {
    let conn = &mut PgConnection::establish(url).expect("connect");
    let mut reads = Vec::new();
    let start = Instant::now();
    let mut k: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        let due = start + EVERY * k;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let user = i32::try_from((k * 7919) % 100_000).unwrap_or(0);
        let found = diesel::sql_query("SELECT n FROM rd_mv WHERE user_id = $1")
            .bind::<Integer, _>(user)
            .get_result::<Count>(conn)
            .expect("read");
        assert!(found.n > 0);
        reads.push((due, due.elapsed()));
        k += 1;
    }
    reads
}

fn summary(mut latencies: Vec<Duration>) -> Value {
    latencies.sort();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(i).copied().map_or(0.0, ms)
    };
    json!({
        "reads": latencies.len(),
        "p50_ms": at(0.5),
        "p99_ms": at(0.99),
        "max_ms": latencies.last().copied().map_or(0.0, ms),
    })
}

fn main() {
    let db = pgview_bench::database();
    let conn = &mut PgConnection::establish(db.url()).expect("connect");
    let server = server_settings(conn);
    execute(
        conn,
        "CREATE TABLE rd_events (id int PRIMARY KEY, user_id int NOT NULL, amount int NOT NULL)",
    );
    execute(
        conn,
        "INSERT INTO rd_events SELECT g, g % 100000, g % 1000 FROM generate_series(1, 1000000) g",
    );
    execute(conn, "ANALYZE rd_events");
    execute(
        conn,
        "CREATE MATERIALIZED VIEW rd_mv AS SELECT user_id, count(*) AS n, sum(amount) AS total \
         FROM rd_events GROUP BY user_id",
    );
    execute(conn, "CREATE UNIQUE INDEX ON rd_mv (user_id)");
    execute(conn, "ANALYZE rd_mv");

    let stop = Arc::new(AtomicBool::new(false));
    let url = db.url().to_owned();
    let reading = {
        let stop = stop.clone();
        std::thread::spawn(move || reader(&url, &stop))
    };
    std::thread::sleep(Duration::from_millis(500));
    let mut windows = Vec::new();
    let mut durations = Vec::new();
    for policy in [RefreshPolicy::RequireConcurrent, RefreshPolicy::Plain] {
        for _ in 0..3 {
            // A change to refresh, then a pause between refreshes.
            execute(
                conn,
                "UPDATE rd_events SET amount = amount + 1 WHERE id % 100 = 0",
            );
            std::thread::sleep(Duration::from_millis(300));
            let start = Instant::now();
            let report = pgview::refresh::refresh_materialized_views(
                conn,
                &Refresh::views(["rd_mv"]).expect("name").policy(policy),
            )
            .expect("refresh");
            assert!(report.is_success(), "{report:?}");
            windows.push((policy, start, Instant::now()));
            durations.push((policy, report.views()[0].duration));
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let reads = reading.join().expect("reader");

    let during = |policy: RefreshPolicy| -> Vec<Duration> {
        reads
            .iter()
            .filter(|(due, _)| {
                windows
                    .iter()
                    .any(|(p, s, e)| *p == policy && due >= s && due <= e)
            })
            .map(|(_, latency)| *latency)
            .collect()
    };
    let outside: Vec<Duration> = reads
        .iter()
        .filter(|(due, _)| !windows.iter().any(|(_, s, e)| due >= s && due <= e))
        .map(|(_, latency)| *latency)
        .collect();
    let refresh_ms = |policy: RefreshPolicy| -> Vec<f64> {
        durations
            .iter()
            .filter(|(p, _)| *p == policy)
            .map(|(_, d)| ms(*d))
            .collect()
    };
    let concurrent = summary(during(RefreshPolicy::RequireConcurrent));
    let plain = summary(during(RefreshPolicy::Plain));
    let p99 = |v: &Value| v["p99_ms"].as_f64().unwrap_or(f64::INFINITY);
    let targets = [target(
        "p99 during concurrent refreshes < p99 during plain refreshes",
        json!([p99(&concurrent), p99(&plain)]),
        p99(&concurrent) < p99(&plain),
    )];
    let out = json!({
        "benchmark": "refresh-readers",
        "server": server,
        "view_rows": 100_000,
        "table_rows": 1_000_000,
        "read_every_ms": ms(EVERY),
        "concurrent_refresh_ms": refresh_ms(RefreshPolicy::RequireConcurrent),
        "plain_refresh_ms": refresh_ms(RefreshPolicy::Plain),
        "reads_during_concurrent_refresh": concurrent,
        "reads_during_plain_refresh": plain,
        "reads_outside_refreshes": summary(outside),
        "targets": targets,
        "all_met": all_met(&targets),
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
