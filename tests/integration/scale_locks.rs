//! Bounded locks on a server with a small lock table: every catalog function, the refresh
//! planner and executors, and auto-refresh install/list hold a bounded number of locks however
//! many views there are, on sync and async connections, in autocommit and inside an open
//! transaction.
//!
//! A dedicated cluster (`max_locks_per_transaction = 10`, `max_connections = 20`, fewer
//! background workers: a lock table of a few hundred slots) holds 800 views and materialized
//! views in two schemas (chains, fans, cross-schema reads). Reading them all in one transaction
//! does not fit in its lock table (the first test shows it); pgview's functions must. After each
//! function, run inside a transaction, the session's relation locks are counted: what is left
//! must be a fixed set of catalog relations, not one lock per view.

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
#[cfg(feature = "bb8")]
use std::time::Duration;

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
#[cfg(feature = "bb8")]
use diesel_async::pooled_connection::bb8::Pool;
#[cfg(feature = "bb8")]
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
#[cfg(feature = "bb8")]
use diesel_async::{AsyncConnection, AsyncPgConnection};
#[cfg(feature = "bb8")]
use pgview::aio::RefresherStatus;
use pgview::{
    catalog::{GraphScope, RelationKind, ViewFilter, ViewInfo},
    refresh::{Refresh, RefreshMode},
    Error,
};
use pgview_testkit::DedicatedCluster;

/// Chains of plain views in `scale_a`, each [`CHAIN`] views long, the first reading the base
/// table.
const CHAINS: usize = 40;
const CHAIN: usize = 14;
/// Materialized views per chain in `scale_b`: `m_c_0` reads the end of chain `c` (another
/// schema), `m_c_k` reads `m_c_{k-1}` through the plain view `w_c_k`; `fan_c` reads them all.
const MATERIALIZED: usize = 3;
/// Views and materialized views in all: 560 + 120 + 80 + 40.
const VIEWS: usize = CHAINS * (CHAIN + MATERIALIZED + (MATERIALIZED - 1) + 1);
/// Rows of the base table.
const ROWS: i64 = 20;

/// The most relation locks a session may hold after a catalog function ran inside its
/// transaction: the catalog tables and indexes its queries read (about 25), the same for 5 views
/// as for 100,000. Far below [`VIEWS`].
const BOUND: i64 = 30;

/// The most relation locks a session may hold while a catalog function runs: [`BOUND`] and one
/// chunk (views and what their queries name: `max_locks_per_transaction`) with the catalog
/// tables and index of its query.
const PEAK: i64 = BOUND + 10 + 5;

/// The cluster of this file, with the views; removed at exit.
static CLUSTER: OnceLock<DedicatedCluster> = OnceLock::new();

/// Held by each test of this file: they run one after the other. The one that fills the lock
/// table must be alone (meanwhile every other session of the server fails too), and refreshes
/// running beside catalog reads of the same views could deadlock (a reader's chunk waits for a
/// refresh that waits for another refresh queued behind the reader).
static SERIAL: Mutex<()> = Mutex::new(());

fn cluster() -> &'static DedicatedCluster {
    CLUSTER.get_or_init(|| {
        let cluster = pgview_testkit::Cluster::start_with(&[
            ("max_locks_per_transaction", "10"),
            ("max_connections", "20"),
            ("max_worker_processes", "0"),
            ("max_wal_senders", "0"),
            ("autovacuum_max_workers", "1"),
            // Speed only: nothing here is about durability.
            ("fsync", "off"),
            ("synchronous_commit", "off"),
        ]);
        create_views(&mut connect_to(cluster.url()));
        cluster
    })
}

fn connect_to(url: &str) -> PgConnection {
    PgConnection::establish(url).expect("connect to the dedicated cluster")
}

/// This test's turn, and a connection.
fn serial() -> (MutexGuard<'static, ()>, PgConnection) {
    let guard = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    (guard, connect_to(cluster().url()))
}

/// The views, created a chain per transaction (a few dozen locks each).
fn create_views(conn: &mut PgConnection) {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(&format!(
        "CREATE SCHEMA scale_a; CREATE SCHEMA scale_b;
         CREATE TABLE scale_a.base (id int PRIMARY KEY, val int NOT NULL);
         INSERT INTO scale_a.base SELECT g, g * 10 FROM generate_series(1, {ROWS}) g;"
    ))
    .unwrap();
    for c in 0..CHAINS {
        let mut sql = vec!["BEGIN".to_owned()];
        for i in 0..CHAIN {
            let read = if i == 0 {
                "scale_a.base".to_owned()
            } else {
                format!("scale_a.a_{c}_{}", i - 1)
            };
            sql.push(format!(
                "CREATE VIEW scale_a.a_{c}_{i} AS SELECT id, val + 1 AS val FROM {read}"
            ));
        }
        let mut fan = Vec::new();
        for k in 0..MATERIALIZED {
            let read = if k == 0 {
                format!("scale_a.a_{c}_{}", CHAIN - 1)
            } else {
                sql.push(format!(
                    "CREATE VIEW scale_b.w_{c}_{k} AS SELECT id, val FROM scale_b.m_{c}_{}",
                    k - 1
                ));
                format!("scale_b.w_{c}_{k}")
            };
            sql.push(format!(
                "CREATE MATERIALIZED VIEW scale_b.m_{c}_{k} AS SELECT id, val FROM {read}"
            ));
            if k % 2 == 0 {
                sql.push(format!(
                    "CREATE UNIQUE INDEX m_{c}_{k}_id ON scale_b.m_{c}_{k} (id)"
                ));
            }
            fan.push(format!("SELECT id, val FROM scale_b.m_{c}_{k}"));
        }
        sql.push(format!(
            "CREATE VIEW scale_b.fan_{c} AS {}",
            fan.join(" UNION ALL ")
        ));
        sql.push("COMMIT".to_owned());
        conn.batch_execute(&sql.join(";\n")).unwrap();
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The relation locks this session holds.
const LOCKS_SQL: &str = "SELECT count(*) AS n FROM pg_catalog.pg_locks \
                         WHERE pid = pg_catalog.pg_backend_pid() AND locktype = 'relation'";

fn locks(conn: &mut PgConnection) -> i64 {
    diesel::sql_query(LOCKS_SQL)
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

#[cfg(feature = "bb8")]
async fn locks_async(conn: &mut AsyncPgConnection) -> i64 {
    diesel_async::RunQueryDsl::get_result::<Count>(diesel::sql_query(LOCKS_SQL), conn)
        .await
        .unwrap()
        .n
}

fn count(conn: &mut PgConnection, query: &str) -> i64 {
    diesel::sql_query(query)
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

/// Runs `f` on `conn` while another session samples the relation locks `conn` holds, and
/// returns its result with the most locks seen (at most the true peak: samples can miss it, not
/// exceed it).
fn peak_locks<T>(conn: &mut PgConnection, f: impl FnOnce(&mut PgConnection) -> T) -> (T, i64) {
    use std::sync::atomic::{AtomicBool, Ordering};
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(conn)
        .unwrap()
        .pid;
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut watcher = connect_to(cluster().url());
            let mut peak = 0;
            let mut samples = 0;
            // At least a few samples, however fast `f` is.
            while samples < 3 || !done.load(Ordering::Relaxed) {
                let n = diesel::sql_query(
                    "SELECT count(*) AS n FROM pg_catalog.pg_locks \
                     WHERE pid = $1 AND locktype = 'relation'",
                )
                .bind::<diesel::sql_types::Integer, _>(pid)
                .get_result::<Count>(&mut watcher)
                .unwrap()
                .n;
                peak = peak.max(n);
                samples += 1;
            }
            peak
        });
        let value = f(conn);
        done.store(true, Ordering::Relaxed);
        (value, sampler.join().unwrap())
    })
}

/// Runs `f` inside a transaction of `conn` (rolled back), and asserts that the session holds
/// at most `bound` relation locks right after it.
fn in_transaction<T>(
    conn: &mut PgConnection,
    bound: i64,
    what: &str,
    f: impl FnOnce(&mut PgConnection) -> T,
) -> T {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    AnsiTransactionManager::begin_transaction(conn).unwrap();
    let value = f(conn);
    let held = locks(conn);
    AnsiTransactionManager::rollback_transaction(conn).unwrap();
    assert!(
        held <= bound,
        "{what}: {held} relation locks held in the transaction"
    );
    value
}

/// Runs `f` in autocommit, or inside a transaction with the lock check.
fn run<T>(
    conn: &mut PgConnection,
    transaction: bool,
    what: &str,
    f: impl FnOnce(&mut PgConnection) -> pgview::Result<T>,
) -> T {
    let result = if transaction {
        in_transaction(conn, BOUND, what, f)
    } else {
        f(conn)
    };
    result.unwrap_or_else(|err| panic!("{what}: {err}"))
}

#[cfg(feature = "bb8")]
/// The async [`in_transaction`]: with diesel-async's transaction manager, so that pgview's
/// chunks become savepoints of it.
async fn locks_after_async(conn: &mut AsyncPgConnection, what: &str) {
    let held = locks_async(conn).await;
    assert!(
        held <= BOUND,
        "{what}: {held} relation locks held in the transaction"
    );
}

fn ours(views: &[ViewInfo]) -> Vec<&ViewInfo> {
    views
        .iter()
        .filter(|v| v.schema.starts_with("scale_"))
        .collect()
}

fn every_view_name() -> Vec<String> {
    let mut names = Vec::new();
    for c in 0..CHAINS {
        names.extend((0..CHAIN).map(|i| format!("scale_a.a_{c}_{i}")));
        names.extend((0..MATERIALIZED).map(|k| format!("scale_b.m_{c}_{k}")));
        names.extend((1..MATERIALIZED).map(|k| format!("scale_b.w_{c}_{k}")));
        names.push(format!("scale_b.fan_{c}"));
    }
    names
}

#[test]
fn reading_every_definition_at_once_overflows_the_lock_table() {
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        value: String,
    }
    let (_turn, mut conn) = serial();
    let mut show = |name: &str| -> i64 {
        diesel::sql_query("SELECT current_setting($1) AS value")
            .bind::<Text, _>(name)
            .get_result::<Setting>(&mut conn)
            .map(|row| row.value)
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(show("max_locks_per_transaction"), 10);
    assert_eq!(show("max_connections"), 20);
    // PostgreSQL 15's lock table: max_locks_per_transaction × (max_connections + the
    // background processes + max_prepared_transactions), plus some slack.
    let slots = show("max_locks_per_transaction")
        * (show("max_connections")
            + show("autovacuum_max_workers")
            + 1
            + show("max_worker_processes")
            + show("max_wal_senders")
            + show("max_prepared_transactions"));
    assert!(
        i64::try_from(VIEWS).unwrap() > 3 * slots,
        "{VIEWS} views for {slots} slots"
    );
    let views = count(
        &mut conn,
        "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('scale_a', 'scale_b') AND c.relkind IN ('v', 'm')",
    );
    assert_eq!(views, i64::try_from(VIEWS).unwrap());
    // What the catalog functions did before: one statement printing every definition.
    let err = diesel::sql_query(
        "SELECT pg_get_viewdef(c.oid) AS definition FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('scale_a', 'scale_b') AND c.relkind IN ('v', 'm')",
    )
    .execute(&mut conn)
    .unwrap_err();
    let err = Error::from(err);
    assert!(matches!(err, Error::OutOfLocks { .. }), "{err:?}");
    assert!(
        err.to_string().contains("max_locks_per_transaction"),
        "{err}"
    );
}

/// Every catalog function on `conn`, its results checked.
fn catalog(conn: &mut PgConnection, transaction: bool) {
    let all = run(conn, transaction, "get_all_views", |c| {
        pgview::catalog::get_all_views(c, &ViewFilter::new())
    });
    let all = ours(&all);
    assert_eq!(all.len(), VIEWS);
    assert!(all.iter().all(|v| !v.definition.is_empty()));
    let m = all
        .iter()
        .find(|v| v.fullname() == "scale_b.m_4_2")
        .unwrap();
    assert!(m.is_materialized && m.is_populated);
    assert_eq!(m.indexes.len(), 1);
    assert_eq!(m.indexes[0].name, "m_4_2_id");
    assert!(m.indexes[0].is_unique);
    assert_eq!(m.indexes[0].columns, ["id"]);
    let a = all
        .iter()
        .find(|v| v.fullname() == "scale_a.a_9_3")
        .unwrap();
    let columns: Vec<(&str, &str)> = a
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.sql_type.as_str()))
        .collect();
    assert_eq!(columns, [("id", "integer"), ("val", "integer")]);
    assert!(a.definition.contains("a_9_2"), "{}", a.definition);

    let few = run(conn, transaction, "get_all_views (5 views)", |c| {
        pgview::catalog::get_all_views(c, &ViewFilter::new().name_like("m\\_0\\_%"))
    });
    assert_eq!(few.len(), MATERIALIZED);
    let every_name = every_view_name();
    let listed = run(conn, transaction, "get_all_views (names)", |c| {
        pgview::catalog::get_all_views(c, &ViewFilter::new().names(&every_name)?)
    });
    assert_eq!(listed.len(), VIEWS);

    let view = run(conn, transaction, "get_view", |c| {
        pgview::catalog::get_view(c, "scale_b.m_3_2")
    });
    assert!(view.is_materialized);
    assert!(view.definition.contains("w_3_2"), "{}", view.definition);
    let definition = run(conn, transaction, "get_view_definition", |c| {
        pgview::catalog::get_view_definition(c, "a_7_9")
    });
    assert!(definition.contains("a_7_8"), "{definition}");

    let direct = run(conn, transaction, "get_view_dependencies", |c| {
        pgview::catalog::get_view_dependencies(c, "scale_b.m_3_0")
    });
    let direct: Vec<String> = direct
        .iter()
        .map(pgview::catalog::ViewDependency::referenced_fullname)
        .collect();
    assert_eq!(direct, ["scale_a.a_3_13"]);
    let transitive = run(conn, transaction, "get_view_dependencies_transitive", |c| {
        pgview::catalog::get_view_dependencies_transitive(c, "scale_b.fan_2")
    });
    // fan → 5 materialized views, 4 through plain views (8 edges), the first → the chain's
    // end, 10 edges down the chain to the base table.
    assert_eq!(
        transitive.len(),
        MATERIALIZED + 2 * (MATERIALIZED - 1) + 1 + CHAIN
    );
    let reverse = run(conn, transaction, "get_reverse_dependencies", |c| {
        pgview::catalog::get_reverse_dependencies(c, "scale_a.base")
    });
    assert_eq!(reverse.len(), VIEWS);

    let order = run(conn, transaction, "get_dependency_order", |c| {
        pgview::catalog::get_dependency_order(c, &ViewFilter::new())
    });
    let created: Vec<String> = order
        .creation_order()
        .iter()
        .map(pgview::catalog::Relation::fullname)
        .collect();
    assert_eq!(created.len(), VIEWS);
    let at = |name: &str| created.iter().position(|n| n == name).unwrap();
    assert!(at("scale_a.a_5_13") < at("scale_b.m_5_0"));
    assert!(at("scale_b.m_5_0") < at("scale_b.w_5_1"));
    assert!(at("scale_b.m_5_2") < at("scale_b.fan_5"));
    let graph = run(conn, transaction, "get_dependency_graph", |c| {
        pgview::catalog::get_dependency_graph(c, &GraphScope::database())
    });
    assert_eq!(graph.len(), VIEWS + 1);
    let around = run(conn, transaction, "get_dependency_graph (around)", |c| {
        pgview::catalog::get_dependency_graph(c, &GraphScope::around("scale_b.m_6_1")?)
    });
    // The chain below, the materialized views above, the fan.
    assert_eq!(around.len(), 1 + CHAIN + 2 * MATERIALIZED - 1 + 1);
}

#[test]
fn catalog_functions_in_autocommit() {
    let (_turn, mut conn) = serial();
    catalog(&mut conn, false);
}

#[test]
fn catalog_functions_inside_a_transaction() {
    let (_turn, mut conn) = serial();
    catalog(&mut conn, true);
    // The locks left are a fixed set of catalog relations: the same for 5 views as for 800.
    let five = ViewFilter::new().name_like("m\\_0\\_%");
    let left = |conn: &mut PgConnection, filter: &ViewFilter| {
        in_transaction(conn, BOUND, "get_all_views + get_dependency_order", |c| {
            pgview::catalog::get_all_views(c, filter).unwrap();
            pgview::catalog::get_dependency_order(c, filter).unwrap();
            locks(c)
        })
    };
    let after_five = left(&mut conn, &five);
    let after_all = left(&mut conn, &ViewFilter::new());
    // While they run: one chunk at a time, in autocommit and inside a transaction.
    let (views, peak) = peak_locks(&mut conn, |c| {
        pgview::catalog::get_all_views(c, &ViewFilter::new()).unwrap()
    });
    assert_eq!(ours(&views).len(), VIEWS);
    assert!(peak <= PEAK, "{peak} relation locks at once in autocommit");
    let (views, peak) = peak_locks(&mut conn, |c| {
        in_transaction(c, BOUND, "get_all_views", |c| {
            pgview::catalog::get_all_views(c, &ViewFilter::new()).unwrap()
        })
    });
    assert_eq!(ours(&views).len(), VIEWS);
    assert!(
        peak <= PEAK,
        "{peak} relation locks at once inside a transaction"
    );
    assert_eq!(
        after_five, after_all,
        "locks after 5 views and after {VIEWS}"
    );
    // Inside a transaction that already read views: its locks stay, pgview adds only the
    // catalog's.
    in_transaction(&mut conn, 2 * BOUND, "after reading views", |c| {
        count(c, "SELECT count(*) AS n FROM scale_b.fan_0");
        let before = locks(c);
        pgview::catalog::get_all_views(c, &ViewFilter::new()).unwrap();
        pgview::catalog::get_dependency_order(c, &ViewFilter::new()).unwrap();
        let after = locks(c);
        assert!(
            after <= before + after_all,
            "{after} > {before} + {after_all}"
        );
    });
}

#[cfg(feature = "bb8")]
async fn async_catalog(conn: &mut AsyncPgConnection) {
    let all = pgview::aio::get_all_views(conn, &ViewFilter::new())
        .await
        .unwrap();
    assert_eq!(ours(&all).len(), VIEWS);
    let view = pgview::aio::get_view(conn, "scale_b.m_8_2").await.unwrap();
    assert_eq!(view.indexes.len(), 1);
    let definition = pgview::aio::get_view_definition(conn, "scale_b.fan_8")
        .await
        .unwrap();
    assert!(definition.contains("m_8_2"), "{definition}");
    let order = pgview::aio::get_dependency_order(conn, &ViewFilter::new())
        .await
        .unwrap();
    assert_eq!(order.creation_order().len(), VIEWS);
    let reverse = pgview::aio::get_reverse_dependencies(conn, "scale_a.base")
        .await
        .unwrap();
    assert_eq!(reverse.len(), VIEWS);
    let graph = pgview::aio::get_dependency_graph(conn, &GraphScope::schema("scale_b"))
        .await
        .unwrap();
    assert_eq!(graph.len(), VIEWS + 1);
    let transitive = pgview::aio::get_view_dependencies_transitive(conn, "scale_b.m_8_0")
        .await
        .unwrap();
    assert_eq!(transitive.len(), 1 + CHAIN);
}

#[cfg(feature = "bb8")]
/// Runs `future` to completion, on the test's thread (which holds its turn).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[cfg(feature = "bb8")]
#[test]
fn async_catalog_functions() {
    let (_turn, _) = serial();
    block_on(async_catalog_functions_on(cluster().url()));
}

#[cfg(feature = "bb8")]
async fn async_catalog_functions_on(url: &str) {
    // Autocommit, on a bb8 pool.
    let pool = pool(url, 2).await;
    let mut pooled = pool.get().await.unwrap();
    async_catalog(&mut pooled).await;
    drop(pooled);
    // Inside a transaction.
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    conn.begin_test_transaction().await.unwrap();
    async_catalog(&mut conn).await;
    locks_after_async(&mut conn, "async catalog functions").await;
}

#[cfg(feature = "bb8")]
async fn pool(url: &str, size: u32) -> Pool<AsyncPgConnection> {
    Pool::builder()
        .max_size(size)
        .build(AsyncDieselConnectionManager::<AsyncPgConnection>::new(url))
        .await
        .unwrap()
}

/// Whether the ends of some chains of materialized views have the row `id`.
fn refreshed_with(conn: &mut PgConnection, id: i32) -> bool {
    [0, 17, CHAINS - 1].iter().all(|c| {
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM scale_b.m_{c}_{} WHERE id = {id}",
                MATERIALIZED - 1
            ),
        ) == 1
    })
}

fn check_plan(plan: &pgview::refresh::RefreshPlan) {
    assert_eq!(plan.len(), CHAINS * MATERIALIZED);
    let names: Vec<String> = plan.views().iter().map(|v| v.view.fullname()).collect();
    let at = |name: &str| names.iter().position(|n| n == name).unwrap();
    assert!(at("scale_b.m_11_0") < at("scale_b.m_11_1"));
    assert!(at("scale_b.m_11_1") < at("scale_b.m_11_2"));
    let m = |name: &str| {
        plan.views()
            .iter()
            .find(|v| v.view.fullname() == name)
            .unwrap()
    };
    assert_eq!(m("scale_b.m_11_2").mode, RefreshMode::Concurrent);
    assert_eq!(m("scale_b.m_11_1").mode, RefreshMode::Plain);
    let after: Vec<String> = m("scale_b.m_11_1")
        .after
        .iter()
        .map(pgview::catalog::Relation::fullname)
        .collect();
    assert_eq!(after, ["scale_b.m_11_0"]);
}

#[test]
fn refresh_on_a_connection() {
    let (_turn, mut conn) = serial();
    let plan = run(&mut conn, false, "plan_refresh", |c| {
        pgview::refresh::plan_refresh(c, &Refresh::all())
    });
    check_plan(&plan);
    let plan = run(&mut conn, true, "plan_refresh", |c| {
        pgview::refresh::plan_refresh(c, &Refresh::all())
    });
    check_plan(&plan);
    let downstream = run(&mut conn, true, "plan_refresh (downstream)", |c| {
        pgview::refresh::plan_refresh(c, &Refresh::views(["scale_a.a_12_4"])?.downstream(true))
    });
    assert_eq!(downstream.len(), MATERIALIZED);

    count(
        &mut conn,
        "WITH i AS (INSERT INTO scale_a.base VALUES (1000, 1) RETURNING id)
         SELECT count(*) AS n FROM i",
    );
    let report =
        pgview::refresh::refresh_materialized_views(&mut conn, &Refresh::all().count_rows(false))
            .unwrap()
            .into_result()
            .unwrap();
    assert_eq!(report.refreshed().count(), CHAINS * MATERIALIZED);
    assert!(refreshed_with(&mut conn, 1000));

    // Inside a transaction: planning is bounded; the refreshes' own locks (each view, its
    // indexes, the new heap, what its query reads) are held until the caller's transaction
    // ends, by design, so a few views.
    let report = in_transaction(&mut conn, BOUND + 20 * 3, "refresh in a transaction", |c| {
        pgview::refresh::refresh_materialized_views(
            c,
            &Refresh::views(["scale_b.m_13_2"])?.upstream(true),
        )
    })
    .unwrap();
    assert_eq!(report.refreshed().count(), MATERIALIZED);
}

#[cfg(feature = "bb8")]
#[test]
fn refresh_on_a_pool() {
    let (_turn, mut sync) = serial();
    block_on(refresh_on_a_pool_with(&mut sync, cluster().url()));
}

#[cfg(feature = "bb8")]
async fn refresh_on_a_pool_with(sync: &mut PgConnection, url: &str) {
    let pool = pool(url, 3).await;
    {
        let mut conn = pool.get().await.unwrap();
        let plan = pgview::aio::plan_refresh(&mut conn, &Refresh::all())
            .await
            .unwrap();
        check_plan(&plan);
    }
    // Planning inside a transaction.
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    conn.begin_test_transaction().await.unwrap();
    let plan = pgview::aio::plan_refresh(&mut conn, &Refresh::all())
        .await
        .unwrap();
    check_plan(&plan);
    locks_after_async(&mut conn, "async plan_refresh").await;
    drop(conn);

    count(
        sync,
        "WITH i AS (INSERT INTO scale_a.base VALUES (2000, 2) RETURNING id)
         SELECT count(*) AS n FROM i",
    );
    let report = pgview::aio::refresh_materialized_views(&pool, &Refresh::all())
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(report.refreshed().count(), CHAINS * MATERIALIZED);
    assert!(refreshed_with(sync, 2000));
}

#[test]
fn auto_refresh_install_and_list() {
    let (_turn, mut conn) = serial();
    let conn = &mut conn;
    let base = pgview::catalog::Relation::new("scale_a", "base", RelationKind::Table);
    let info = pgview::refresh::install_auto_refresh(conn, "scale_b.m_6_0").unwrap();
    assert_eq!(info.tables, std::slice::from_ref(&base));
    let listed = in_transaction(conn, BOUND, "install and list in a transaction", |c| {
        let info = pgview::refresh::install_auto_refresh(c, "scale_b.m_7_0").unwrap();
        assert_eq!(info.tables, std::slice::from_ref(&base));
        pgview::refresh::list_auto_refresh(c).unwrap()
    });
    let views: Vec<String> = listed.iter().map(|i| i.view.fullname()).collect();
    assert_eq!(views, ["scale_b.m_6_0", "scale_b.m_7_0"]);

    #[cfg(feature = "bb8")]
    block_on(auto_refresh_on_a_pool(conn, base));
    let installed = if cfg!(feature = "bb8") { 2 } else { 1 };
    assert_eq!(
        pgview::refresh::uninstall_all_auto_refresh(conn).unwrap(),
        installed
    );
}

/// The async install and list, and the refresher, with the views installed by
/// [`auto_refresh_install_and_list`].
#[cfg(feature = "bb8")]
async fn auto_refresh_on_a_pool(conn: &mut PgConnection, base: pgview::catalog::Relation) {
    let pool = pool(cluster().url(), 1).await;
    let mut pooled = pool.get().await.unwrap();
    let info = pgview::aio::install_auto_refresh(&mut pooled, "scale_b.m_8_0")
        .await
        .unwrap();
    assert_eq!(info.tables, [base]);
    let listed = pgview::aio::list_auto_refresh(&mut pooled).await.unwrap();
    let views: Vec<String> = listed.iter().map(|i| i.view.fullname()).collect();
    assert_eq!(views, ["scale_b.m_6_0", "scale_b.m_8_0"]);
    drop(pooled);

    // The refresher: its catch-up batch and a batch after a write, each planned over the whole
    // catalog.
    let refresher = pgview::aio::AutoRefresher::new(pool)
        .debounce(Duration::from_millis(20))
        .refresh_options(Refresh::all().count_rows(false))
        .spawn();
    let wait = |until: fn(&RefresherStatus) -> bool| {
        tokio::time::timeout(Duration::from_secs(20), refresher.wait_for(until))
    };
    let started = wait(|s| s.is_idle() && s.batches >= 1).await.unwrap();
    count(
        conn,
        "WITH i AS (INSERT INTO scale_a.base VALUES (3000, 3) RETURNING id)
         SELECT count(*) AS n FROM i",
    );
    let fresh = |conn: &mut PgConnection| {
        ["scale_b.m_6_0", "scale_b.m_8_0"].iter().all(|view| {
            count(
                conn,
                &format!("SELECT count(*) AS n FROM {view} WHERE id = 3000"),
            ) == 1
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !fresh(conn) {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            refresher.status()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The rows show as soon as the refreshes commit, before the batch's end is published.
    let wanted = started.refreshed + 2;
    let status = tokio::time::timeout(
        Duration::from_secs(20),
        refresher.wait_for(|s| s.refreshed >= wanted && s.is_idle()),
    )
    .await
    .unwrap_or_else(|_| panic!("{:?}", refresher.status()));
    assert_eq!(status.failures, 0, "{status:?}");
    assert!(status.refreshed >= wanted, "{status:?}");
    refresher.shutdown().await.unwrap();
}

/// The declared set of every view of the cluster, from their catalog definitions (with the
/// indexes of the materialized views), and with `changed` of the chain views changed.
fn declared_from_catalog(conn: &mut PgConnection, changed: usize) -> pgview::diff::ViewSet {
    let infos = pgview::catalog::get_all_views(conn, &ViewFilter::new()).unwrap();
    let mut set = pgview::diff::ViewSet::new();
    let mut left = changed;
    for info in infos {
        let mut sql = info.definition.trim().trim_end_matches(';').to_owned();
        if !info.is_materialized && info.name.starts_with("a_") && left > 0 {
            sql = format!("SELECT id, val FROM ({sql}) AS s WHERE id > 1");
            left -= 1;
        }
        if info.is_materialized {
            let mut view = pgview::MaterializedView::from_sql(&info.name, &sql)
                .unwrap()
                .schema(&info.schema)
                .unwrap();
            for index in &info.indexes {
                view = view
                    .index(
                        pgview::ddl::Index::unique(&index.columns)
                            .unwrap()
                            .named(&index.name)
                            .unwrap(),
                    )
                    .unwrap();
            }
            set = set.with_materialized(view);
        } else {
            set = set.with_view(
                pgview::View::from_sql(&info.name, &sql)
                    .unwrap()
                    .schema(&info.schema)
                    .unwrap(),
            );
        }
    }
    set
}

/// A comparison of all 800 views, and its plan, fit in the small lock table: its batches are
/// sized by the server's lock table and release their locks; in one transaction it would not.
#[test]
fn a_comparison_of_every_view_fits_in_a_small_lock_table() {
    let (_turn, mut conn) = serial();
    let conn = &mut conn;
    let declared = declared_from_catalog(conn, 0);
    assert_eq!(declared.len(), VIEWS);
    let scope = pgview::diff::DiffScope::schemas(["scale_a", "scale_b"]).unwrap();
    let options = pgview::diff::DiffOptions::new()
        .scope(scope.clone())
        .full(true);
    let (diff, peak) = peak_locks(conn, |conn| {
        pgview::diff::diff_with(conn, &declared, &options)
    });
    let diff = diff.unwrap();
    assert!(diff.is_empty(), "{}", diff.stat());
    assert!(peak < 200, "{peak} locks at the peak");
    // Changed views, and inside an open transaction: each step in a savepoint rolled back
    // and released (not left open under the next one, each level keeping a transaction ID
    // and its lock until the caller's transaction ends).
    let changed = declared_from_catalog(conn, 30);
    let diff = conn
        .transaction(|conn| {
            let diff = pgview::diff::diff_with(conn, &changed, &options);
            let all = diesel::sql_query(
                "SELECT count(*) AS n FROM pg_catalog.pg_locks \
                 WHERE pid = pg_catalog.pg_backend_pid()",
            )
            .get_result::<Count>(conn)?
            .n;
            assert!(all < BOUND, "{all} locks held after the comparison");
            diff
        })
        .unwrap();
    assert_eq!(diff.changes().count(), 30, "{}", diff.stat());
    let plan = diff.plan().unwrap();
    assert!(plan.steps.iter().any(|s| s.kind.name() == "refresh"));
    assert!(locks(conn) < BOUND);
}
