//! Automatic refresh under a steady stream of writes.
//!
//! A table of 100,000 rows and a materialized view aggregating it (100 groups, unique index);
//! auto-refresh installed; the refresher runs on a pool of 4 with a 200 ms debounce window.
//! Another client writes 500 single-row transactions per second for 10 s (paced, one connection,
//! `synchronous_commit = off` so that the disk's flush rate does not pace it).
//! Measures the number of refreshes during the writes (target: at most 10 s / 200 ms + 2 = 52)
//! and the staleness of every write: from its commit to the end of the first refresh that
//! started after it (a refresh that includes it: its snapshot is taken after it started). The
//! target is on the worst write of the run, not only the last one: at most the debounce plus
//! the longest refresh, both ends of a refresh taken as the staleness's end is (the progress
//! callback's `Started` and `Finished`). A write that no refresh followed counts as never refreshed (the target
//! is then not met).
//!
//! Run: `cargo run --release -p pgview-bench --bin refresh-auto` (on a private
//! cluster of its own with default settings, see `pgview_bench::database`).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines,
    reason = "measurements: milliseconds, ratios and percentiles computed as floats; one \
              scenario told from top to bottom"
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use pgview::aio::AutoRefresher;
use pgview::refresh::{Refresh, RefreshEvent};
use pgview_bench::{all_met, ms, server_settings, target};
use serde_json::json;

const DEBOUNCE: Duration = Duration::from_millis(200);
const WRITES_PER_SECOND: u32 = 500;
const SECONDS: u32 = 10;

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

/// A refresh of the view, as the progress callback saw it.
#[derive(Debug, Clone, Copy)]
struct Seen {
    started: Instant,
    finished: Option<Instant>,
    duration: Duration,
}

fn main() {
    let db = pgview_bench::database();
    let conn = &mut PgConnection::establish(db.url()).expect("connect");
    let server = server_settings(conn);
    execute(
        conn,
        "CREATE TABLE auto_t (id bigserial PRIMARY KEY, bucket int NOT NULL, amount int NOT NULL)",
    );
    execute(
        conn,
        "INSERT INTO auto_t (bucket, amount) SELECT g % 100, g % 1000 FROM generate_series(1, 100000) g",
    );
    execute(
        conn,
        "CREATE MATERIALIZED VIEW auto_mv AS SELECT bucket, count(*) AS n, sum(amount) AS total \
         FROM auto_t GROUP BY bucket",
    );
    execute(conn, "CREATE UNIQUE INDEX ON auto_mv (bucket)");
    pgview::refresh::install_auto_refresh(conn, "auto_mv").expect("install");

    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let record = seen.clone();
    let options = Refresh::all().on_progress(move |event| {
        let now = Instant::now();
        let mut seen = record.lock().expect("lock");
        match event {
            RefreshEvent::Started { .. } => seen.push(Seen {
                started: now,
                finished: None,
                duration: Duration::ZERO,
            }),
            RefreshEvent::Finished { view, .. } if view.is_refreshed() => {
                if let Some(last) = seen.last_mut() {
                    last.finished = Some(now);
                    // As the staleness is measured: from the refresh's start to its end as
                    // the progress callback sees them (the connection taken from the pool,
                    // the transaction, the row count), not only the transaction.
                    last.duration = now - last.started;
                }
            }
            _ => {}
        }
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let refresher = runtime.block_on(async {
        let pool: Pool<AsyncPgConnection> = Pool::builder()
            .max_size(4)
            .build(AsyncDieselConnectionManager::<AsyncPgConnection>::new(
                db.url(),
            ))
            .await
            .expect("pool");
        let refresher = AutoRefresher::new(pool)
            .debounce(DEBOUNCE)
            .refresh_options(options)
            .spawn();
        refresher.wait_for(|s| s.is_idle() && s.batches >= 1).await;
        refresher
    });

    // The writer: paced single-row transactions on their own connection.
    let url = db.url().to_owned();
    let writer = std::thread::spawn(move || {
        let conn = &mut PgConnection::establish(&url).expect("connect");
        // One client can only commit as fast as the disk flushes; the benchmark is about the
        // refresher, so the writer does not wait for the flush.
        execute(conn, "SET synchronous_commit = off");
        let total = WRITES_PER_SECOND * SECONDS;
        let interval = Duration::from_secs(1) / WRITES_PER_SECOND;
        let start = Instant::now();
        let mut commits = Vec::with_capacity(total as usize);
        for k in 0..total {
            let due = start + interval * k;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            execute(
                conn,
                "INSERT INTO auto_t (bucket, amount) VALUES ((random() * 99)::int, 1)",
            );
            commits.push(Instant::now());
        }
        (start, commits)
    });
    let (writes_start, commits) = writer.join().expect("writer");
    let last_commit = *commits.last().expect("writes");
    let writes_span = last_commit - writes_start;

    // Wait for the refresh that follows the last write.
    runtime.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(30),
            refresher.wait_for(pgview::aio::RefresherStatus::is_idle),
        )
        .await
        .expect("the refresher caught up");
        tokio::time::sleep(DEBOUNCE * 3).await;
    });
    let status = refresher.status();
    runtime
        .block_on(refresher.shutdown())
        .expect("the auto-refresher ended normally");

    let seen = seen.lock().expect("lock").clone();
    let during: Vec<Seen> = seen
        .iter()
        .copied()
        .filter(|s| s.started >= writes_start && s.finished.is_some())
        .collect();
    // For a commit, the end of the first refresh that started after it.
    let caught_up = |commit: Instant| {
        during
            .iter()
            .find(|s| s.started >= commit)
            .and_then(|s| s.finished)
            .map(|f| f - commit)
    };
    let staleness: Vec<Option<Duration>> = commits.iter().map(|&c| caught_up(c)).collect();
    let never_refreshed = staleness.iter().filter(|s| s.is_none()).count();
    let mut sorted_staleness: Vec<Duration> = staleness.iter().flatten().copied().collect();
    sorted_staleness.sort();
    let staleness_max = sorted_staleness.last().copied().unwrap_or_default();
    let staleness_at = |q: f64| {
        let i = ((sorted_staleness.len() as f64 - 1.0) * q).round() as usize;
        sorted_staleness.get(i).copied().map_or(0.0, ms)
    };
    let worst_write = staleness
        .iter()
        .position(|s| *s == Some(staleness_max))
        .unwrap_or(0);
    let staleness_last = staleness.last().copied().flatten();
    let durations: Vec<Duration> = during.iter().map(|s| s.duration).collect();
    let max_refresh = durations.iter().copied().max().unwrap_or_default();
    let mut sorted = durations.clone();
    sorted.sort();
    let median_refresh = sorted.get(sorted.len() / 2).copied().unwrap_or_default();

    let rows = diesel::sql_query("SELECT count(*) AS n FROM auto_t")
        .get_result::<Count>(conn)
        .expect("count")
        .n;
    let in_view = diesel::sql_query("SELECT sum(n)::int8 AS n FROM auto_mv")
        .get_result::<Count>(conn)
        .expect("count")
        .n;
    // The target: one refresh per debounce window while the writes last, plus two.
    let budget = (writes_span.as_secs_f64() / DEBOUNCE.as_secs_f64()).ceil() + 2.0;
    let budget_ms = ms(DEBOUNCE + max_refresh);
    let targets = [
        target(
            &format!("refreshes during the writes <= writes span / debounce + 2 = {budget}"),
            during.len(),
            during.len() as f64 <= budget,
        ),
        target(
            &format!(
                "worst staleness over all writes <= debounce + longest refresh = {budget_ms} ms \
                 (every write refreshed)"
            ),
            ms(staleness_max),
            never_refreshed == 0 && ms(staleness_max) <= budget_ms,
        ),
        target(
            "the view matches the table at the end",
            rows == in_view,
            rows == in_view,
        ),
    ];
    let out = json!({
        "benchmark": "refresh-auto",
        "server": server,
        "debounce_ms": ms(DEBOUNCE),
        "writes": commits.len(),
        "writes_span_ms": ms(writes_span),
        "writes_per_second": (commits.len() as f64 / writes_span.as_secs_f64()).round(),
        "notifications": status.notifications,
        "refreshes": during.len(),
        "refresh_median_ms": ms(median_refresh),
        "refresh_max_ms": ms(max_refresh),
        "staleness_max_over_writes_ms": ms(staleness_max),
        "staleness_worst_write_index": worst_write,
        "staleness_p50_ms": staleness_at(0.5),
        "staleness_p99_ms": staleness_at(0.99),
        "staleness_after_last_write_ms": staleness_last.map(ms),
        "writes_never_refreshed": never_refreshed,
        "view_matches_table": rows == in_view,
        "failures": status.failures,
        "batches": status.batches,
        "batches_planned_ahead": status.planned_ahead,
        "targets": targets,
        "all_met": all_met(&targets),
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
