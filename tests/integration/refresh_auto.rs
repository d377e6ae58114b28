//! Automatic refresh on data change: triggers installed and removed, the refresher after commit
//! and not after rollback, downstream order, recovery after a lost listening connection; every
//! way the refresher's task can be stopped or killed, and its status telling the truth.

#[cfg(any(feature = "bb8", feature = "deadpool"))]
use std::time::Duration;

use diesel::prelude::*;
#[cfg(feature = "bb8")]
use diesel_async::pooled_connection::bb8::Pool;
#[cfg(any(feature = "bb8", feature = "deadpool"))]
use diesel_async::{pooled_connection::AsyncDieselConnectionManager, AsyncPgConnection};
#[cfg(feature = "bb8")]
use pgview::aio::RefresherState;
#[cfg(any(feature = "bb8", feature = "deadpool"))]
use pgview::aio::{AutoRefreshHandle, AutoRefresher, RefresherStatus};
#[cfg(any(feature = "bb8", feature = "deadpool"))]
use pgview::refresh::Refresh;
use pgview::{catalog::RelationKind, Error};

use crate::support::{count, sql};

// What auto-refresh left in the database: triggers, functions, the schema.
fn leftovers(conn: &mut PgConnection) -> i64 {
    count(
        conn,
        "SELECT (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgview_refresh%')
              + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = 'pgview')
              + (SELECT count(*) FROM pg_namespace WHERE nspname = 'pgview') AS n",
    )
}

// ra_a reads ra_t through the plain view ra_v, and ra_u; ra_b reads ra_a (materialized).
const SCHEMA: &str = "
CREATE TABLE ra_t (id int PRIMARY KEY, amount int NOT NULL);
CREATE TABLE ra_u (id int);
CREATE VIEW ra_v AS SELECT id, amount FROM ra_t;
CREATE MATERIALIZED VIEW ra_a AS SELECT count(*) AS n, coalesce(sum(amount), 0) AS total
  FROM ra_v, (SELECT count(*) FROM ra_u) u;
CREATE UNIQUE INDEX ON ra_a (n);
CREATE MATERIALIZED VIEW ra_b AS SELECT n * 10 AS n10 FROM ra_a";

#[test]
fn install_is_idempotent_and_uninstall_leaves_nothing() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    let long = format!("ra_{}", "é".repeat(30)); // 63 bytes
    sql(
        conn,
        &format!("CREATE MATERIALIZED VIEW \"{long}\" AS SELECT id FROM ra_t"),
    );
    assert_eq!(leftovers(conn), 0);

    let info = pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    let tables: Vec<String> = info
        .tables
        .iter()
        .map(pgview::catalog::Relation::fullname)
        .collect();
    assert_eq!(
        tables,
        ["public.ra_t", "public.ra_u"],
        "through the plain view"
    );
    assert!(info.tables.iter().all(|t| t.kind == RelationKind::Table));
    // Again: same function, same triggers.
    let again = pgview::refresh::install_auto_refresh(conn, "public.ra_a").unwrap();
    assert_eq!(again, info);
    pgview::refresh::install_auto_refresh(conn, long.as_str()).unwrap();
    // ra_b reads ra_a, a materialized view: no trigger (the refresher follows it).
    let downstream = pgview::refresh::install_auto_refresh(conn, "ra_b").unwrap();
    assert!(downstream.tables.is_empty());
    let listed = pgview::refresh::list_auto_refresh(conn).unwrap();
    let views: Vec<String> = listed.iter().map(|i| i.view.fullname()).collect();
    assert_eq!(views.len(), 3, "{views:?}");
    assert!(views.contains(&format!("public.{long}")));
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM pg_trigger WHERE tgname LIKE 'pgview_refresh%'"
        ),
        3
    );

    // Errors: unknown, plain view, table.
    let error = pgview::refresh::install_auto_refresh(conn, "ra_nope").unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    let error = pgview::refresh::install_auto_refresh(conn, "ra_v").unwrap_err();
    assert!(
        matches!(
            error,
            Error::WrongKind {
                actual: RelationKind::View,
                ..
            }
        ),
        "{error:?}"
    );
    let error = pgview::refresh::install_auto_refresh(conn, "ra_t").unwrap_err();
    assert!(matches!(error, Error::WrongKind { .. }), "{error:?}");

    assert!(pgview::refresh::uninstall_auto_refresh(conn, "ra_a").unwrap());
    assert!(
        !pgview::refresh::uninstall_auto_refresh(conn, "ra_a").unwrap(),
        "idempotent"
    );
    let error = pgview::refresh::uninstall_auto_refresh(conn, "ra_nope").unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    assert!(pgview::refresh::uninstall_auto_refresh(conn, long.as_str()).unwrap());
    assert!(pgview::refresh::uninstall_auto_refresh(conn, "ra_b").unwrap());
    assert_eq!(leftovers(conn), 0, "no trigger, function or schema left");

    // Uninstall everything at once.
    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    pgview::refresh::install_auto_refresh(conn, "ra_b").unwrap();
    assert_eq!(
        pgview::refresh::uninstall_all_auto_refresh(conn).unwrap(),
        2
    );
    assert_eq!(leftovers(conn), 0);
    // Installing is transactional: nothing stays after a rollback.
    conn.transaction::<(), Error, _>(|conn| {
        pgview::refresh::install_auto_refresh(conn, "ra_a")?;
        Err(Error::InvalidDefinition {
            name: "test".into(),
            reason: "roll back".into(),
        })
    })
    .unwrap_err();
    assert_eq!(leftovers(conn), 0);
}

#[cfg(feature = "bb8")]
async fn start(
    url: &str,
    configure: impl FnOnce(AutoRefresher) -> AutoRefresher,
) -> AutoRefreshHandle {
    let pool: Pool<AsyncPgConnection> = Pool::builder()
        .max_size(3)
        .build(AsyncDieselConnectionManager::<AsyncPgConnection>::new(url))
        .await
        .unwrap();
    start_on(pool, configure).await
}

/// [`start`] on `pool`.
#[cfg(feature = "bb8")]
async fn start_on(
    pool: Pool<AsyncPgConnection>,
    configure: impl FnOnce(AutoRefresher) -> AutoRefresher,
) -> AutoRefreshHandle {
    let refresher = configure(
        AutoRefresher::new(pool)
            .debounce(Duration::from_millis(50))
            .retry_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .refresh_options(Refresh::all().count_rows(false)),
    )
    .spawn();
    // Caught up after the start: listening, one batch done, nothing owed.
    wait(&refresher, |s| s.is_idle() && s.batches >= 1).await;
    refresher
}

#[cfg(any(feature = "bb8", feature = "deadpool"))]
async fn wait(
    refresher: &AutoRefreshHandle,
    until: impl FnMut(&RefresherStatus) -> bool,
) -> RefresherStatus {
    tokio::time::timeout(Duration::from_secs(20), refresher.wait_for(until))
        .await
        .unwrap_or_else(|_| panic!("the refresher did not get there: {:?}", refresher.status()))
}

#[cfg(feature = "bb8")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_after_commit_not_after_rollback_downstream_last() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    pgview::refresh::install_auto_refresh(conn, "ra_b").unwrap();
    let refresher = start(db.url(), |r| r).await;
    let before = refresher.status();

    // Committed writes from another client (this sync connection): ra_a, then ra_b.
    sql(conn, "INSERT INTO ra_t VALUES (1, 10), (2, 20)");
    let after = wait(&refresher, |s| {
        s.refreshed >= before.refreshed + 2 && s.is_idle()
    })
    .await;
    assert_eq!(count(conn, "SELECT total AS n FROM ra_a"), 30);
    assert_eq!(
        count(conn, "SELECT n10 AS n FROM ra_b"),
        20,
        "downstream after upstream"
    );
    assert!(after.notifications > before.notifications);

    // A rolled-back transaction notifies nothing.
    sql(conn, "BEGIN;\nINSERT INTO ra_t VALUES (3, 30);\nROLLBACK");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let now = refresher.status();
    assert_eq!(now.notifications, after.notifications, "{now:?}");
    assert_eq!(now.refreshed, after.refreshed);

    // Many statements in one transaction: one notification, one refresh.
    sql(
        conn,
        "BEGIN;\nINSERT INTO ra_t VALUES (4, 1);\nINSERT INTO ra_t VALUES (5, 1);\nUPDATE ra_t SET amount = amount + 1;\nCOMMIT",
    );
    let last = wait(&refresher, |s| {
        s.refreshed >= now.refreshed + 2 && s.is_idle()
    })
    .await;
    assert_eq!(last.notifications, now.notifications + 1);
    assert_eq!(count(conn, "SELECT total AS n FROM ra_a"), 36);
    refresher.shutdown().await.unwrap();
}

#[cfg(feature = "bb8")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_planned_before_its_window_closes() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    pgview::refresh::install_auto_refresh(conn, "ra_b").unwrap();
    let refresher = start(db.url(), |r| r.debounce(Duration::from_millis(400))).await;
    let before = refresher.status();

    // Each write opens a window; its batch is planned before the window closes and runs on
    // that plan, downstream views included.
    for (round, total) in [(1, 10), (2, 30)] {
        let at = refresher.status();
        sql(
            conn,
            &format!("INSERT INTO ra_t VALUES ({round}, {})", round * 10),
        );
        let after = wait(&refresher, |s| {
            s.refreshed >= at.refreshed + 2 && s.is_idle()
        })
        .await;
        assert_eq!(count(conn, "SELECT total AS n FROM ra_a"), total);
        assert_eq!(count(conn, "SELECT n10 AS n FROM ra_b"), round * 10);
        assert!(after.planned_ahead > at.planned_ahead, "{after:?}");
    }
    assert!(refresher.status().planned_ahead >= before.planned_ahead + 2);
    refresher.shutdown().await.unwrap();
}

#[cfg(feature = "bb8")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_after_its_connection_is_terminated() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    let refresher = start(db.url(), |r| {
        r.reconnect_backoff(Duration::from_millis(800), Duration::from_secs(2))
    })
    .await;
    let before = refresher.status();
    assert_eq!(before.connections, 1);
    let pid = before.listener_pid.unwrap();

    sql(conn, &format!("SELECT pg_terminate_backend({pid})"));
    wait(&refresher, |s| !s.listening).await;
    // Written while nobody listens: the notification is lost, the catch-up sees the write.
    sql(conn, "INSERT INTO ra_t VALUES (7, 70)");
    let back = wait(&refresher, |s| {
        s.connections >= 2 && s.is_idle() && s.refreshed > before.refreshed
    })
    .await;
    assert_ne!(back.listener_pid, Some(pid));
    assert!(back.last_error.is_some());
    assert_eq!(count(conn, "SELECT total AS n FROM ra_a"), 70);

    // And it listens again.
    sql(conn, "INSERT INTO ra_t VALUES (8, 1)");
    wait(&refresher, |s| s.refreshed > back.refreshed && s.is_idle()).await;
    assert_eq!(count(conn, "SELECT total AS n FROM ra_a"), 71);
    refresher.shutdown().await.unwrap();
}

#[cfg(feature = "bb8")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_and_the_refresher_goes_on() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(
        conn,
        "CREATE TABLE rb_t (x int);
INSERT INTO rb_t VALUES (1);
CREATE MATERIALIZED VIEW rb_m AS SELECT 10 / max(x) AS q FROM rb_t",
    );
    pgview::refresh::install_auto_refresh(conn, "rb_m").unwrap();
    let refresher = start(db.url(), |r| r).await;
    let before = refresher.status();
    // Division by zero: the refresh fails and is retried with backoff.
    sql(conn, "UPDATE rb_t SET x = 0");
    let failing = wait(&refresher, |s| s.failures >= before.failures + 2).await;
    assert!(
        failing
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("division by zero"),
        "{failing:?}"
    );
    // Fixed: the next retry succeeds.
    sql(conn, "UPDATE rb_t SET x = 5");
    wait(&refresher, |s| {
        s.is_idle() && s.refreshed > before.refreshed
    })
    .await;
    assert_eq!(count(conn, "SELECT q::int8 AS n FROM rb_m"), 2);
    refresher.shutdown().await.unwrap();
}

/// `Duration::MAX` as the debounce, heartbeat and backoffs: nothing overflows; a notified view
/// is owed a refresh that never comes (the status says so, and that it listens); a lost
/// connection is retried never, and the status says it is reconnecting; `shutdown` still ends
/// the task at once.
#[cfg(feature = "bb8")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durations_of_duration_max_saturate_and_the_status_tells_the_truth() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    let refresher = start(db.url(), |r| {
        r.debounce(Duration::MAX)
            .heartbeat(Duration::MAX)
            .reconnect_backoff(Duration::MAX, Duration::MAX)
            .retry_backoff(Duration::MAX, Duration::MAX)
    })
    .await;
    let before = refresher.status();
    assert_eq!(before.state, RefresherState::Listening, "{before:?}");

    sql(conn, "INSERT INTO ra_t VALUES (1, 10)");
    let notified = wait(&refresher, |s| s.notifications > before.notifications).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let owed = refresher.status();
    assert_eq!(owed.state, RefresherState::Listening, "{owed:?}");
    assert_eq!(owed.pending, 1, "{owed:?}");
    assert_eq!(owed.refreshed, before.refreshed, "{owed:?}");
    assert_eq!(owed.notifications, notified.notifications);
    assert_eq!(count(conn, "SELECT total AS n FROM ra_a"), 0);

    // The listener terminated: reconnecting (after a backoff of 30 years).
    let pid = owed.listener_pid.unwrap();
    sql(conn, &format!("SELECT pg_terminate_backend({pid})"));
    let lost = wait(&refresher, |s| s.state == RefresherState::Reconnecting).await;
    assert!(!lost.listening && lost.listener_pid.is_none(), "{lost:?}");
    assert!(lost.last_error.is_some(), "{lost:?}");

    let stopped = tokio::time::timeout(Duration::from_secs(5), refresher.shutdown())
        .await
        .expect("shutdown ends the task at once")
        .unwrap();
    assert_eq!(stopped.state, RefresherState::Stopped, "{stopped:?}");
    assert!(stopped.is_ended() && !stopped.listening);
}

/// `heartbeat(Duration::MAX)` with a normal debounce: it refreshes as usual.
#[cfg(feature = "bb8")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_of_duration_max_still_refreshes() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    let refresher = start(db.url(), |r| r.heartbeat(Duration::MAX)).await;
    let before = refresher.status();
    sql(conn, "INSERT INTO ra_t VALUES (1, 10)");
    wait(&refresher, |s| {
        s.refreshed > before.refreshed && s.is_idle()
    })
    .await;
    assert_eq!(count(conn, "SELECT total AS n FROM ra_a"), 10);
    let stopped = refresher.shutdown().await.unwrap();
    assert_eq!(stopped.state, RefresherState::Stopped);
}

/// A panic in the task (here in the pool's connection setup, which runs in the task when it
/// reconnects): the status says failed, with the panic's message; `wait_for` returns rather
/// than wait for ever; `shutdown` returns the failure.
#[cfg(feature = "bb8")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_task_is_reported() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use diesel_async::pooled_connection::ManagerConfig;
    use diesel_async::AsyncConnection;

    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    let broken = Arc::new(AtomicBool::new(false));
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    let setup_broken = Arc::clone(&broken);
    config.custom_setup = Box::new(move |url| {
        assert!(
            !setup_broken.load(Ordering::SeqCst),
            "the connection setup is broken"
        );
        Box::pin(AsyncPgConnection::establish(url))
    });
    let pool = Pool::builder()
        .max_size(3)
        .build(AsyncDieselConnectionManager::new_with_config(
            db.url(),
            config,
        ))
        .await
        .unwrap();
    let refresher = start_on(pool, |r| {
        r.reconnect_backoff(Duration::from_millis(10), Duration::from_millis(10))
    })
    .await;
    let pid = refresher.status().listener_pid.unwrap();

    broken.store(true, Ordering::SeqCst);
    sql(conn, &format!("SELECT pg_terminate_backend({pid})"));
    // It never connects again: `wait_for` returns when the task ends.
    let ended = wait(&refresher, |s| s.connections >= 2).await;
    let RefresherState::Failed(reason) = &ended.state else {
        panic!("{ended:?}");
    };
    assert!(
        reason.contains("panicked") && reason.contains("the connection setup is broken"),
        "{reason}"
    );
    assert!(ended.is_ended() && !ended.listening && ended.listener_pid.is_none());
    let err = refresher.shutdown().await.unwrap_err();
    let Error::RefresherFailed { reason: said } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(said, reason);
}

/// The database of the pool dropped (its sessions ended): the status says reconnecting, with
/// why; `shutdown` ends it at once, stopped.
#[cfg(feature = "bb8")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_gone_is_reported() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    let refresher = start(db.url(), |r| {
        r.reconnect_backoff(Duration::from_millis(50), Duration::from_millis(200))
    })
    .await;
    let admin = &mut PgConnection::establish(pgview_testkit::server_url()).unwrap();
    sql(
        admin,
        &format!("DROP DATABASE \"{}\" WITH (FORCE)", db.name()),
    );
    let gone = wait(&refresher, |s| {
        s.state == RefresherState::Reconnecting
            && s.last_error
                .as_deref()
                .is_some_and(|e| e.contains("does not exist"))
    })
    .await;
    assert!(!gone.listening && gone.listener_pid.is_none(), "{gone:?}");
    let stopped = tokio::time::timeout(Duration::from_secs(5), refresher.shutdown())
        .await
        .expect("shutdown ends the task at once")
        .unwrap();
    assert_eq!(stopped.state, RefresherState::Stopped);
    assert!(stopped.last_error.is_some());
}

/// The task cancelled with its runtime: the status says failed (cancelled), and so does
/// `shutdown`.
#[cfg(feature = "bb8")]
#[tokio::test]
async fn a_cancelled_task_is_reported() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    let url = db.url().to_owned();
    let refresher = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let refresher = runtime.block_on(start(&url, |r| r));
        // Shutting the runtime down drops the task unfinished.
        drop(runtime);
        refresher
    })
    .join()
    .unwrap();
    let status = refresher.status();
    let RefresherState::Failed(reason) = &status.state else {
        panic!("{status:?}");
    };
    assert!(reason.contains("cancelled"), "{reason}");
    assert!(!status.listening);
    let err = refresher.shutdown().await.unwrap_err();
    assert!(matches!(err, Error::RefresherFailed { .. }), "{err:?}");
}

/// The same refresher and the parallel refresh on a deadpool pool: refreshes after commit,
/// downstream last, and the listening connection is its own (not one of the pool's).
#[cfg(feature = "deadpool")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadpool_pool_refreshes_like_a_bb8_one() {
    use diesel_async::pooled_connection::deadpool::Pool as Deadpool;

    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    sql(conn, SCHEMA);
    let pool: Deadpool<AsyncPgConnection> = Deadpool::builder(AsyncDieselConnectionManager::<
        AsyncPgConnection,
    >::new(db.url()))
    .max_size(2)
    .build()
    .unwrap();

    // Parallel refresh: both views, ra_b after ra_a.
    sql(conn, "INSERT INTO ra_t VALUES (1, 5)");
    let report = pgview::aio::refresh_materialized_views(&pool, &Refresh::all())
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(report.views().len(), 2);
    assert_eq!(count(conn, "SELECT n10 AS n FROM ra_b"), 10);

    pgview::refresh::install_auto_refresh(conn, "ra_a").unwrap();
    pgview::refresh::install_auto_refresh(conn, "ra_b").unwrap();
    let refresher = AutoRefresher::new(pool.clone())
        .debounce(Duration::from_millis(50))
        .refresh_options(Refresh::all().count_rows(false))
        .spawn();
    wait(&refresher, |s| s.is_idle() && s.batches >= 1).await;
    let before = refresher.status();
    sql(conn, "INSERT INTO ra_t VALUES (2, 20)");
    wait(&refresher, |s| {
        s.refreshed >= before.refreshed + 2 && s.is_idle()
    })
    .await;
    assert_eq!(count(conn, "SELECT total AS n FROM ra_a"), 25);
    assert_eq!(count(conn, "SELECT n10 AS n FROM ra_b"), 20);
    // The listener is not one of the pool's two connections: both are free.
    assert!(pool.status().max_size == 2 && pool.status().available <= 2);
    refresher.shutdown().await.unwrap();
}
