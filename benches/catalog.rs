//! Catalog benchmark: `cargo bench --bench catalog` prints one JSON object.
//!
//! On a private cluster of its own with default settings (`pgview_testkit::Cluster::start_with(&[])`:
//! `max_connections = 100`, `max_locks_per_transaction = 64`, `fsync = on`, printed in the
//! JSON), it creates 10 schemas, each with two tables (`base`, `lookup`) and
//! dependency chains of 10 relations: `v_c_0` (the schema's base table joined with the next
//! schema's lookup table) → `v_c_1` … `v_c_4` → `mv_c` (materialized, unique index) → `v_c_6` …
//! `v_c_8`, and a branch `x_c` reading `v_c_2` and the next schema's lookup table. The
//! database grows to each size in turn (default 5,000, 20,000 and 100,000 relations: views and
//! materialized views, one in ten materialized), created by `DO` blocks of at most 1,000
//! relations (one transaction each).
//!
//! At each size it times `get_all_views`, `get_dependency_order`, the transitive reverse
//! dependencies of `bench_s0.base` and the whole-database dependency graph:
//! - warm: on a connection that has already made the call (median and fastest of 5 calls);
//! - cold: the first call on a new connection, whose server process has empty catalog caches
//!   (median of 3; the connection time apart);
//!
//! with the number of queries each call sends (counted with Diesel's connection
//! instrumentation: fixed, whatever the number of views) and the size of its result. A call
//! that fails is reported with its error. Targets: at 5,000 relations each function < 300 ms
//! warm; the other sizes complete; linear growth: the warm time grows at most 1.25× as fast as
//! the number of relations (time(20,000) / time(5,000) ≤ 5).
//!
//! Options (after `--`): `--sizes 5000,20000` (multiples of 100).
//!
//! Run by `cargo test --benches` (no `--bench` argument), it only checks that it starts.

#![allow(
    clippy::cast_precision_loss,
    reason = "measurements: milliseconds and ratios computed as floats"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use pgview::catalog::{GraphScope, ViewFilter};
use serde_json::{json, Value};

const SCHEMAS: usize = 10;
/// Relations per chain: 9 in the chain, one branch.
const PER_CHAIN: usize = 10;
/// Chains per `DO` block (one transaction): 1,000 relations and 100 indexes at most, well
/// under the lock table of a server with default settings.
const CHAINS_PER_BLOCK: usize = 100;
const WARM_RUNS: usize = 5;
const COLD_RUNS: usize = 3;
/// At 5,000 relations, each function's warm median must be under this.
const TARGET_5000_MS: f64 = 300.0;
/// Linear growth: time ratio at most this times the size ratio.
const LINEAR_SLACK: f64 = 1.25;

/// The tables of schema `s`: `base` (read by the chains) and `lookup` (read across schemas).
fn tables_sql(s: usize) -> String {
    format!(
        "CREATE SCHEMA bench_s{s};
         CREATE TABLE bench_s{s}.base (id int PRIMARY KEY, grp int, amount numeric, note text);
         CREATE TABLE bench_s{s}.lookup (grp int PRIMARY KEY, label text);"
    )
}

/// The chains `first..=last` of schema `s`, one `DO` block.
fn views_sql(s: usize, first: usize, last: usize) -> String {
    let other = (s + 1) % SCHEMAS;
    format!(
        "DO $$
DECLARE c int; l int; prev text; s text := 'bench_s{s}'; o text := 'bench_s{other}';
BEGIN
  FOR c IN {first}..{last} LOOP
    EXECUTE format('CREATE VIEW %I.%I AS SELECT b.id, b.grp, b.amount, k.label
                    FROM %I.base b JOIN %I.lookup k ON k.grp = b.grp', s, 'v_' || c || '_0', s, o);
    FOR l IN 1..8 LOOP
      prev := CASE WHEN l = 6 THEN 'mv_' || c ELSE 'v_' || c || '_' || (l - 1) END;
      IF l = 5 THEN
        EXECUTE format('CREATE MATERIALIZED VIEW %I.%I AS SELECT id, grp, amount, label FROM %I.%I',
                       s, 'mv_' || c, s, prev);
        EXECUTE format('CREATE UNIQUE INDEX ON %I.%I (id)', s, 'mv_' || c);
      ELSE
        EXECUTE format('CREATE VIEW %I.%I AS SELECT id, grp, amount, label FROM %I.%I WHERE amount > %s',
                       s, 'v_' || c || '_' || l, s, prev, l);
      END IF;
    END LOOP;
    EXECUTE format('CREATE VIEW %I.%I AS SELECT v.id, v.amount, k.label
                    FROM %I.%I v JOIN %I.lookup k USING (grp)', s, 'x_' || c, s, 'v_' || c || '_2', o);
  END LOOP;
END $$;"
    )
}

/// Grows the database from `from` to `to` chains per schema.
fn grow(conn: &mut PgConnection, from: usize, to: usize) {
    for s in 0..SCHEMAS {
        let mut first = from;
        while first < to {
            let last = (first + CHAINS_PER_BLOCK).min(to) - 1;
            conn.batch_execute(&views_sql(s, first, last))
                .expect("views");
            first = last + 1;
        }
    }
    // What autovacuum does on a live server soon after such a change (a warning, not an
    // error, for a user that does not own the catalogs).
    conn.batch_execute(
        "ANALYZE pg_catalog.pg_class, pg_catalog.pg_depend, pg_catalog.pg_rewrite, \
         pg_catalog.pg_attribute, pg_catalog.pg_index",
    )
    .expect("analyze");
}

/// Counts the queries a connection starts.
#[derive(Debug, Clone, Default)]
struct QueryCounter(Arc<AtomicUsize>);

impl QueryCounter {
    fn instrumentation(&self) -> impl Instrumentation {
        let count = Arc::clone(&self.0);
        move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn take(&self) -> usize {
        self.0.swap(0, Ordering::Relaxed)
    }
}

type Call = fn(&mut PgConnection) -> pgview::Result<usize>;

/// The functions measured.
const FUNCTIONS: [(&str, Call); 4] = [
    ("get_all_views", |c| {
        Ok(pgview::catalog::get_all_views(c, &ViewFilter::new())?.len())
    }),
    ("get_dependency_order", |c| {
        Ok(
            pgview::catalog::get_dependency_order(c, &ViewFilter::new())?
                .creation_order()
                .len(),
        )
    }),
    ("get_reverse_dependencies", |c| {
        Ok(pgview::catalog::get_reverse_dependencies(c, "bench_s0.base")?.len())
    }),
    ("get_dependency_graph", |c| {
        Ok(pgview::catalog::get_dependency_graph(c, &GraphScope::database())?.len())
    }),
];

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => f64::midpoint(values[n / 2 - 1], values[n / 2]),
    }
}

fn error(e: &pgview::Error) -> Value {
    let text = e.to_string();
    json!({"message": text.chars().take(1000).collect::<String>(), "message_lines": text.lines().count()})
}

/// One function at one size: warm on `conn`, cold on new connections.
fn measure(url: &str, conn: &mut PgConnection, counter: &QueryCounter, f: Call) -> Value {
    // The call that warms the connection (not timed).
    if let Err(e) = f(conn) {
        return json!({"ok": false, "error": error(&e)});
    }
    let mut warm = Vec::with_capacity(WARM_RUNS);
    let (mut size, mut round_trips) = (0, 0);
    for _ in 0..WARM_RUNS {
        counter.take();
        let start = Instant::now();
        match f(conn) {
            Ok(n) => size = n,
            Err(e) => return json!({"ok": false, "error": error(&e)}),
        }
        warm.push(ms(start.elapsed()));
        round_trips = counter.take();
    }
    let (mut cold, mut connect) = (Vec::new(), Vec::new());
    for _ in 0..COLD_RUNS {
        let start = Instant::now();
        let fresh = &mut PgConnection::establish(url).expect("connect");
        connect.push(ms(start.elapsed()));
        let start = Instant::now();
        if let Err(e) = f(fresh) {
            return json!({"ok": false, "warm_median_ms": median(warm), "error": error(&e)});
        }
        cold.push(ms(start.elapsed()));
    }
    let fastest = warm.iter().copied().fold(f64::INFINITY, f64::min);
    json!({
        "ok": true,
        "warm_median_ms": median(warm.clone()),
        "warm_min_ms": fastest,
        "cold_median_ms": median(cold.clone()),
        "connect_median_ms": median(connect),
        "warm_ms": warm,
        "cold_ms": cold,
        "round_trips": round_trips,
        "result_size": size,
    })
}

#[derive(QueryableByName)]
struct Settings {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Text)]
    max_connections: String,
    #[diesel(sql_type = Text)]
    max_locks_per_transaction: String,
    #[diesel(sql_type = Text)]
    fsync: String,
}

fn server_settings(conn: &mut PgConnection) -> Value {
    let s: Settings = diesel::sql_query(
        "SELECT current_setting('server_version') AS version, \
         current_setting('max_connections') AS max_connections, \
         current_setting('max_locks_per_transaction') AS max_locks_per_transaction, \
         current_setting('fsync') AS fsync",
    )
    .get_result(conn)
    .expect("settings");
    json!({
        "version": s.version,
        "max_connections": s.max_connections.parse::<i64>().ok(),
        "max_locks_per_transaction": s.max_locks_per_transaction.parse::<i64>().ok(),
        "fsync": s.fsync == "on",
    })
}

fn target(name: &str, value: impl Into<Value>, met: bool) -> Value {
    json!({"target": name, "value": value.into(), "met": met})
}

/// `--sizes 5000,20000,100000`, each rounded up to whole chains in every schema.
fn sizes() -> Vec<usize> {
    let args: Vec<String> = std::env::args().collect();
    let given = args
        .iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.split(',')
                .map(|s| s.replace('_', "").parse().expect("--sizes: numbers"))
                .collect::<Vec<usize>>()
        });
    let mut sizes: Vec<usize> = given
        .unwrap_or_else(|| vec![5_000, 20_000, 100_000])
        .into_iter()
        .map(|n| n.div_ceil(SCHEMAS * PER_CHAIN) * SCHEMAS * PER_CHAIN)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

fn targets(results: &[(usize, Value)]) -> Vec<Value> {
    let mut targets = Vec::new();
    for (name, _) in FUNCTIONS {
        for (size, result) in results {
            let warm = result[name]["warm_median_ms"].as_f64();
            let ok = result[name]["ok"] == json!(true);
            if *size == 5_000 {
                targets.push(target(
                    &format!("{name}, 5000 relations: warm median < {TARGET_5000_MS} ms"),
                    warm,
                    ok && warm.is_some_and(|w| w < TARGET_5000_MS),
                ));
            } else {
                targets.push(target(
                    &format!("{name}, {size} relations: completes (warm and cold)"),
                    ok,
                    ok,
                ));
            }
        }
        for pair in results.windows(2) {
            let ((a, ra), (b, rb)) = (&pair[0], &pair[1]);
            let size_ratio = *b as f64 / *a as f64;
            let ratio = match (
                ra[name]["warm_median_ms"].as_f64(),
                rb[name]["warm_median_ms"].as_f64(),
            ) {
                (Some(ta), Some(tb)) if rb[name]["ok"] == json!(true) && ta > 0.0 => {
                    Some((tb / ta * 100.0).round() / 100.0)
                }
                _ => None,
            };
            let limit = (size_ratio * LINEAR_SLACK * 100.0).round() / 100.0;
            targets.push(target(
                &format!("{name}: time({b}) / time({a}) <= {limit} (linear: {size_ratio} x {LINEAR_SLACK})"),
                ratio,
                ratio.is_some_and(|r| r <= limit),
            ));
        }
    }
    targets
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        eprintln!("catalog benchmark: run it with `cargo bench --bench catalog`");
        return;
    }
    let sizes = sizes();
    let database = pgview_testkit::Cluster::start_with(&[]);
    let conn = &mut PgConnection::establish(database.url()).expect("connect");
    let server = server_settings(conn);
    for s in 0..SCHEMAS {
        conn.batch_execute(&tables_sql(s)).expect("tables");
    }
    let mut results = Vec::new();
    let mut chains = 0;
    for &size in &sizes {
        let started = Instant::now();
        let to = size / (SCHEMAS * PER_CHAIN);
        eprintln!("catalog: growing to {size} relations");
        grow(conn, chains, to);
        chains = to;
        let setup = ms(started.elapsed());
        let counter = QueryCounter::default();
        let warm = &mut PgConnection::establish(database.url()).expect("connect");
        warm.set_instrumentation(counter.instrumentation());
        let mut result = json!({
            "relations": size,
            "views": size - size / PER_CHAIN,
            "materialized_views": size / PER_CHAIN,
            "setup_ms": setup,
        });
        for (name, f) in FUNCTIONS {
            eprintln!("catalog: {size} relations: {name}");
            result[name] = measure(database.url(), warm, &counter, f);
        }
        results.push((size, result));
    }
    let targets = targets(&results);
    let all_met = targets.iter().all(|t| t["met"] == json!(true));
    let report = json!({
        "benchmark": "catalog",
        "server": server,
        "shape": "10 schemas; chains of 10 relations (9 deep from the base table with a materialized view in the middle, a branch), reading the next schema's lookup table",
        "warm_runs": WARM_RUNS,
        "cold_runs": COLD_RUNS,
        "sizes": results.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        "targets": targets,
        "all_met": all_met,
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
