//! Catalog benchmark: `cargo bench --bench catalog` prints one JSON object.
//!
//! In a throwaway database (`DATABASE_URL`'s server, or a private cluster started by
//! `pgview-testkit`) it creates 10 schemas, each with two tables and 50 dependency chains of
//! 10 plain views and one materialized view (5,000 views and 500 materialized views in all,
//! chains 10 levels deep from the base table, the first level reading the next schema's
//! lookup table), then times `get_all_views`, `get_dependency_order`, the transitive reverse
//! dependencies of one base table and the whole-database dependency graph. For each it reports
//! the fastest and the median of several runs and the number of queries sent per call
//! (counted with Diesel's connection instrumentation): fixed, whatever the number of views.
//!
//! Run by `cargo test --benches` (no `--bench` argument), it only checks that it starts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::{Connection, PgConnection};
use pgview::{GraphScope, ViewFilter};

const SCHEMAS: usize = 10;
const CHAINS: usize = 50;
const RUNS: usize = 9;

/// The tables of schema `s`: `base` (read by the chains) and `lookup` (read across schemas).
fn tables_sql(s: usize) -> String {
    format!(
        "CREATE SCHEMA bench_s{s};
         CREATE TABLE bench_s{s}.base (id int PRIMARY KEY, grp int, amount numeric, note text);
         CREATE TABLE bench_s{s}.lookup (grp int PRIMARY KEY, label text);"
    )
}

/// The views of schema `s`, one `DO` block: per chain `v_c_0` (base joined with the next
/// schema's lookup) → `v_c_1` … `v_c_4` → `mv_c` (materialized, unique index) → `v_c_6` …
/// `v_c_9`, and a branch `x_c` reading `v_c_2`.
fn views_sql(s: usize) -> String {
    let other = (s + 1) % SCHEMAS;
    let last = CHAINS - 1;
    format!(
        "DO $$
DECLARE c int; l int; prev text; s text := 'bench_s{s}'; o text := 'bench_s{other}';
BEGIN
  FOR c IN 0..{last} LOOP
    EXECUTE format('CREATE VIEW %I.%I AS SELECT b.id, b.grp, b.amount, k.label
                    FROM %I.base b JOIN %I.lookup k ON k.grp = b.grp', s, 'v_' || c || '_0', s, o);
    FOR l IN 1..9 LOOP
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

/// Timings of one function.
struct Measure {
    name: &'static str,
    /// The first call on the connection: the server's caches for it are cold.
    first: Duration,
    runs: Vec<Duration>,
    round_trips: usize,
    size: usize,
}

impl Measure {
    fn json(&self) -> String {
        let mut ms: Vec<f64> = self.runs.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        format!(
            "\"{}\": {{\"first_ms\": {:.1}, \"min_ms\": {:.1}, \"median_ms\": {:.1}, \"round_trips\": {}, \"result_size\": {}}}",
            self.name,
            self.first.as_secs_f64() * 1e3,
            ms[0],
            ms[ms.len() / 2],
            self.round_trips,
            self.size
        )
    }
}

/// Runs `f` once (the first, cold call), then [`RUNS`] times; the round trips are those of
/// the last run.
fn measure(
    name: &'static str,
    conn: &mut PgConnection,
    counter: &QueryCounter,
    f: impl Fn(&mut PgConnection) -> pgview::Result<usize>,
) -> Measure {
    let start = Instant::now();
    f(conn).expect(name);
    let first = start.elapsed();
    let mut runs = Vec::with_capacity(RUNS);
    let mut size = 0;
    let mut round_trips = 0;
    for _ in 0..RUNS {
        counter.take();
        let start = Instant::now();
        size = f(conn).expect(name);
        runs.push(start.elapsed());
        round_trips = counter.take();
    }
    Measure {
        name,
        first,
        runs,
        round_trips,
        size,
    }
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        eprintln!("catalog benchmark: run it with `cargo bench --bench catalog`");
        return;
    }
    let started = Instant::now();
    let database = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(database.url()).expect("connect");
    for s in 0..SCHEMAS {
        conn.batch_execute(&tables_sql(s)).expect("tables");
    }
    for s in 0..SCHEMAS {
        conn.batch_execute(&views_sql(s)).expect("views");
    }
    // What autovacuum does on a live server soon after such a change (a warning, not an
    // error, for a user that does not own the catalogs).
    conn.batch_execute(
        "ANALYZE pg_catalog.pg_class, pg_catalog.pg_depend, pg_catalog.pg_rewrite, \
         pg_catalog.pg_attribute, pg_catalog.pg_index",
    )
    .expect("analyze");
    let setup = started.elapsed();
    let version: Version = diesel::RunQueryDsl::get_result(
        diesel::sql_query("SELECT current_setting('server_version') AS version"),
        conn,
    )
    .expect("version");

    let counter = QueryCounter::default();
    conn.set_instrumentation(counter.instrumentation());
    let measures = [
        measure("get_all_views", conn, &counter, |c| {
            Ok(pgview::get_all_views(c, &ViewFilter::new())?.len())
        }),
        measure("get_dependency_order", conn, &counter, |c| {
            Ok(pgview::get_dependency_order(c, &ViewFilter::new())?
                .creation_order()
                .len())
        }),
        measure("get_reverse_dependencies", conn, &counter, |c| {
            Ok(pgview::get_reverse_dependencies(c, "bench_s0.base")?.len())
        }),
        measure("get_dependency_graph", conn, &counter, |c| {
            Ok(pgview::get_dependency_graph(c, &GraphScope::database())?.len())
        }),
    ];
    let functions: Vec<String> = measures.iter().map(Measure::json).collect();
    println!(
        "{{\"server\": \"PostgreSQL {}\", \"schemas\": {SCHEMAS}, \"views\": {}, \
         \"materialized_views\": {}, \"max_depth\": 10, \"setup_s\": {:.1}, \"runs\": {RUNS}, \
         \"functions\": {{{}}}}}",
        version.version,
        SCHEMAS * CHAINS * 10,
        SCHEMAS * CHAINS,
        setup.as_secs_f64(),
        functions.join(", ")
    );
}
