//! Refreshing sets of materialized views: dependency order through plain views, failures that
//! skip only what is downstream, the concurrency policies, timeouts, parallel refresh on a pool.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
#[cfg(feature = "bb8")]
use diesel_async::pooled_connection::bb8::Pool;
#[cfg(feature = "bb8")]
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
#[cfg(feature = "bb8")]
use diesel_async::AsyncPgConnection;
use pgview::{
    catalog::RelationKind,
    refresh::{
        ConcurrentRefreshPrecondition, Refresh, RefreshEvent, RefreshMode, RefreshPolicy,
        RefreshReport, ViewTimeouts,
    },
    Error,
};

use crate::support::{conn, seed};

use crate::support::{count, sql};

fn names(report: &RefreshReport, which: fn(&pgview::refresh::ViewRefresh) -> bool) -> Vec<String> {
    report
        .views()
        .iter()
        .filter(|v| which(v))
        .map(|v| v.view.name.clone())
        .collect()
}

// rfo_a reads users; rfo_v (plain) reads rfo_a; rfo_b reads rfo_v; rfo_c reads rfo_b and users.
const CHAIN: &str = "
CREATE MATERIALIZED VIEW rfo_a AS SELECT id, name FROM users;
CREATE UNIQUE INDEX ON rfo_a (id);
CREATE VIEW rfo_v AS SELECT id FROM rfo_a;
CREATE MATERIALIZED VIEW rfo_b AS SELECT count(*) AS n FROM rfo_v;
CREATE MATERIALIZED VIEW rfo_c AS SELECT b.n, (SELECT count(*) FROM users) AS users FROM rfo_b b";

#[test]
fn order_follows_edges_through_plain_views() {
    let conn = &mut conn();
    seed(conn);
    sql(conn, CHAIN);
    let plan =
        pgview::refresh::plan_refresh(conn, &Refresh::views(["rfo_c"]).unwrap().upstream(true))
            .unwrap();
    let order: Vec<&str> = plan.views().iter().map(|v| v.view.name.as_str()).collect();
    assert_eq!(order, ["rfo_a", "rfo_b", "rfo_c"]);
    assert_eq!(
        plan.views()[1].after[0].name,
        "rfo_a",
        "rfo_b waits for rfo_a through rfo_v"
    );
    assert_eq!(plan.views()[0].mode, RefreshMode::Concurrent);
    assert_eq!(plan.views()[1].mode, RefreshMode::Plain);

    // New data reaches the end of the chain in one refresh, and the progress events come in
    // dependency order.
    sql(conn, "INSERT INTO users (name) VALUES ('Dave')");
    let started = Arc::new(Mutex::new(Vec::new()));
    let seen = started.clone();
    let refresh = Refresh::views(["public.rfo_a"])
        .unwrap()
        .downstream(true)
        .on_progress(move |event| {
            if let RefreshEvent::Started { view, .. } = event {
                seen.lock().unwrap().push(view.name.clone());
            }
        });
    let report = pgview::refresh::refresh_materialized_views(conn, &refresh).unwrap();
    assert!(report.is_success(), "{report:?}");
    assert_eq!(*started.lock().unwrap(), ["rfo_a", "rfo_b", "rfo_c"]);
    assert_eq!(report.views()[0].rows(), Some(4));
    assert_eq!(count(conn, "SELECT n FROM rfo_c"), 4);

    // From the plain view: what reads it.
    let from_view = Refresh::views(["rfo_v"]).unwrap().downstream(true);
    let plan = pgview::refresh::plan_refresh(conn, &from_view).unwrap();
    let order: Vec<&str> = plan.views().iter().map(|v| v.view.name.as_str()).collect();
    assert_eq!(order, ["rfo_b", "rfo_c"]);
}

#[test]
fn unknown_and_wrong_kinds_are_errors() {
    let conn = &mut conn();
    sql(conn, CHAIN);
    let error =
        pgview::refresh::refresh_materialized_views(conn, &Refresh::views(["rfo_nope"]).unwrap())
            .unwrap_err();
    assert!(
        matches!(&error, Error::NotFound { name, .. } if name == "rfo_nope"),
        "{error:?}"
    );
    let error =
        pgview::refresh::plan_refresh(conn, &Refresh::views(["rfo_v"]).unwrap()).unwrap_err();
    assert!(
        matches!(
            &error,
            Error::WrongKind {
                expected: RelationKind::MaterializedView,
                actual: RelationKind::View,
                ..
            }
        ),
        "{error:?}"
    );
    let error =
        pgview::refresh::plan_refresh(conn, &Refresh::views(["users"]).unwrap()).unwrap_err();
    assert!(matches!(&error, Error::WrongKind { .. }), "{error:?}");
}

// rff_a fine; rff_b reads rff_a and divides by zero once rff_t is empty; rff_c reads rff_b;
// rff_d reads rff_a; rff_e reads nothing of them.
const FAILING: &str = "
CREATE TABLE rff_t (x int);
INSERT INTO rff_t VALUES (1);
CREATE MATERIALIZED VIEW rff_a AS SELECT 1 AS id;
CREATE MATERIALIZED VIEW rff_b AS SELECT a.id / (SELECT count(*) FROM rff_t)::int AS x FROM rff_a a;
CREATE MATERIALIZED VIEW rff_c AS SELECT x FROM rff_b;
CREATE MATERIALIZED VIEW rff_d AS SELECT id FROM rff_a;
CREATE MATERIALIZED VIEW rff_e AS SELECT 2 AS id;
DELETE FROM rff_t";

fn check_failure_report(report: RefreshReport) {
    assert_eq!(names(&report, |v| v.error().is_some()), ["rff_b"]);
    let skipped: Vec<String> = report.skipped().map(|v| v.view.name.clone()).collect();
    assert_eq!(skipped, ["rff_c"]);
    let mut refreshed = names(&report, pgview::refresh::ViewRefresh::is_refreshed);
    refreshed.sort();
    assert_eq!(refreshed, ["rff_a", "rff_d", "rff_e"]);
    let failure = report
        .views()
        .iter()
        .find(|v| v.view.name == "rff_b")
        .unwrap();
    assert!(
        failure.to_string().contains("division by zero"),
        "{failure}"
    );
    match report.into_result() {
        Err(Error::RefreshFailed { failed, skipped }) => {
            assert_eq!(failed.len(), 1);
            assert_eq!(failed[0].0, "public.rff_b");
            assert_eq!(skipped, ["public.rff_c"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failure_skips_only_what_is_downstream() {
    let conn = &mut conn();
    sql(conn, FAILING);
    let refresh = Refresh::views(["rff_a", "rff_b", "rff_c", "rff_d", "rff_e"]).unwrap();
    let report = pgview::refresh::refresh_materialized_views(conn, &refresh).unwrap();
    check_failure_report(report);
    // The connection is still usable: the failed view's savepoint was rolled back.
    assert_eq!(count(conn, "SELECT count(*) AS n FROM rff_d"), 1);
}

// rfp_u: unique index; rfp_n: no index; rfp_x: unique expression index; rfp_w: partial
// unique index; rfp_e: unique index, never populated.
const POLICIES: &str = "
CREATE TABLE rfp_t (id int);
INSERT INTO rfp_t VALUES (1), (2);
CREATE MATERIALIZED VIEW rfp_u AS SELECT id FROM rfp_t;
CREATE UNIQUE INDEX ON rfp_u (id);
CREATE MATERIALIZED VIEW rfp_n AS SELECT id FROM rfp_t;
CREATE MATERIALIZED VIEW rfp_x AS SELECT id FROM rfp_t;
CREATE UNIQUE INDEX ON rfp_x ((id + 1));
CREATE MATERIALIZED VIEW rfp_w AS SELECT id FROM rfp_t;
CREATE UNIQUE INDEX ON rfp_w (id) WHERE id > 0;
CREATE MATERIALIZED VIEW rfp_e AS SELECT id FROM rfp_t WITH NO DATA;
CREATE UNIQUE INDEX ON rfp_e (id)";

const POLICY_VIEWS: [&str; 5] = ["rfp_u", "rfp_n", "rfp_x", "rfp_w", "rfp_e"];

#[test]
fn prefer_concurrent_falls_back_to_plain() {
    let conn = &mut conn();
    sql(conn, POLICIES);
    sql(conn, "INSERT INTO rfp_t VALUES (3)");
    let report =
        pgview::refresh::refresh_materialized_views(conn, &Refresh::views(POLICY_VIEWS).unwrap())
            .unwrap();
    assert!(report.is_success(), "{report:?}");
    let mode = |n: &str| {
        report
            .views()
            .iter()
            .find(|v| v.view.name == n)
            .unwrap()
            .mode
    };
    assert_eq!(mode("rfp_u"), RefreshMode::Concurrent);
    for plain in ["rfp_n", "rfp_x", "rfp_w", "rfp_e"] {
        assert_eq!(mode(plain), RefreshMode::Plain, "{plain}");
    }
    for view in POLICY_VIEWS {
        assert_eq!(count(conn, &format!("SELECT count(*) AS n FROM {view}")), 3);
    }
}

#[test]
fn require_concurrent_names_the_missing_precondition() {
    use ConcurrentRefreshPrecondition::{MissingUniqueIndex, NotPopulated};
    let conn = &mut conn();
    sql(conn, POLICIES);
    let refresh = Refresh::views(POLICY_VIEWS)
        .unwrap()
        .policy(RefreshPolicy::RequireConcurrent);
    let report = pgview::refresh::refresh_materialized_views(conn, &refresh).unwrap();
    let precondition = |n: &str| {
        let view = report.views().iter().find(|v| v.view.name == n).unwrap();
        match view.error() {
            Some(Error::ConcurrentRefresh { name, precondition }) => {
                assert_eq!(name.as_deref(), Some(format!("public.{n}").as_str()));
                assert!(view.to_string().contains(&format!("public.{n}")), "{view}");
                Some(precondition.clone())
            }
            None => None,
            Some(other) => panic!("{other:?}"),
        }
    };
    assert_eq!(precondition("rfp_u"), None);
    assert_eq!(precondition("rfp_n"), Some(MissingUniqueIndex));
    assert_eq!(precondition("rfp_x"), Some(MissingUniqueIndex));
    assert_eq!(precondition("rfp_w"), Some(MissingUniqueIndex));
    assert_eq!(precondition("rfp_e"), Some(NotPopulated));
    let message = report.into_result().unwrap_err().to_string();
    assert!(message.contains("has no unique index"), "{message}");
}

#[test]
fn plain_policy_never_refreshes_concurrently() {
    let conn = &mut conn();
    sql(conn, POLICIES);
    let refresh = Refresh::views(POLICY_VIEWS)
        .unwrap()
        .policy(RefreshPolicy::Plain);
    let report = pgview::refresh::refresh_materialized_views(conn, &refresh).unwrap();
    assert!(report.is_success());
    assert!(report.views().iter().all(|v| v.mode == RefreshMode::Plain));
}

#[test]
fn statement_timeout_per_view() {
    let conn = &mut conn();
    sql(
        conn,
        "CREATE MATERIALIZED VIEW rft_slow AS SELECT 1 AS id FROM pg_sleep(0.3);
CREATE MATERIALIZED VIEW rft_fast AS SELECT 1 AS id",
    );
    let refresh = Refresh::views(["rft_slow", "rft_fast"])
        .unwrap()
        .statement_timeout(Duration::from_millis(50));
    let report = pgview::refresh::refresh_materialized_views(conn, &refresh).unwrap();
    let slow = report
        .views()
        .iter()
        .find(|v| v.view.name == "rft_slow")
        .unwrap();
    assert!(slow.to_string().contains("statement timeout"), "{slow}");
    assert_eq!(
        names(&report, pgview::refresh::ViewRefresh::is_refreshed),
        ["rft_fast"]
    );
    // The timeout was local to the view's transaction.
    assert_eq!(count(conn, "SELECT count(*) AS n FROM pg_sleep(0.1)"), 1);

    // A longer timeout for the slow view alone.
    let refresh = refresh
        .timeouts_for(
            "rft_slow",
            ViewTimeouts::new().statement(Duration::from_secs(5)),
        )
        .unwrap();
    let report = pgview::refresh::refresh_materialized_views(conn, &refresh).unwrap();
    assert!(report.is_success(), "{report:?}");
}

#[test]
fn refresh_after_writes_commits_both_or_neither() {
    let conn = &mut conn();
    seed(conn);
    sql(
        conn,
        "CREATE MATERIALIZED VIEW rfw_orders AS SELECT count(*) AS n FROM orders",
    );
    let refresh = Refresh::views(["rfw_orders"]).unwrap();
    let inserted = pgview::refresh::refresh_after_writes(conn, &refresh, |conn| {
        Ok(diesel::sql_query(
            "INSERT INTO orders (user_id, total, status) SELECT id, 1, 'new' FROM users",
        )
        .execute(conn)?)
    })
    .unwrap();
    assert_eq!(inserted, 3);
    assert_eq!(count(conn, "SELECT n FROM rfw_orders"), 6);

    let failed: pgview::Result<()> =
        pgview::refresh::refresh_after_writes(conn, &refresh, |conn| {
            diesel::sql_query(
                "INSERT INTO orders (user_id, total, status) SELECT id, 1, 'x' FROM users",
            )
            .execute(conn)?;
            Err(Error::InvalidDefinition {
                name: "test".into(),
                reason: "the writes fail".into(),
            })
        });
    assert!(failed.is_err());
    assert_eq!(count(conn, "SELECT count(*) AS n FROM orders"), 6);
    assert_eq!(count(conn, "SELECT n FROM rfw_orders"), 6);
}

#[cfg(feature = "bb8")]
async fn pool(url: &str, size: u32) -> Pool<AsyncPgConnection> {
    Pool::builder()
        .max_size(size)
        .build(AsyncDieselConnectionManager::<AsyncPgConnection>::new(url))
        .await
        .unwrap()
}

#[cfg(feature = "bb8")]
#[tokio::test]
async fn parallel_on_a_pool_starts_views_when_what_they_read_is_done() {
    let db = pgview_testkit::fresh_database();
    {
        let conn = &mut PgConnection::establish(db.url()).unwrap();
        // Four independent sleepers, then one reading two of them, then one reading that.
        sql(
            conn,
            "CREATE MATERIALIZED VIEW rfq_1 AS SELECT 1 AS id FROM pg_sleep(0.3);
CREATE MATERIALIZED VIEW rfq_2 AS SELECT 2 AS id FROM pg_sleep(0.3);
CREATE MATERIALIZED VIEW rfq_3 AS SELECT 3 AS id FROM pg_sleep(0.3);
CREATE MATERIALIZED VIEW rfq_4 AS SELECT 4 AS id FROM pg_sleep(0.3);
CREATE VIEW rfq_v AS SELECT id FROM rfq_1 UNION ALL SELECT id FROM rfq_2;
CREATE MATERIALIZED VIEW rfq_5 AS SELECT count(*) AS n FROM rfq_v, pg_sleep(0.1);
CREATE MATERIALIZED VIEW rfq_6 AS SELECT n FROM rfq_5",
        );
    }
    let pool = pool(db.url(), 4).await;
    let report = pgview::aio::refresh_materialized_views(&pool, &Refresh::all())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.views().len(), 6);
    // The four sleepers ran together: well under the 1.2 s they take one after the other.
    assert!(
        report.elapsed() < Duration::from_secs(1),
        "{:?}",
        report.elapsed()
    );
    let find = |n: &str| report.views().iter().find(|v| v.view.name == n).unwrap();
    let end = |n: &str| find(n).started + find(n).duration;
    assert!(find("rfq_5").started >= end("rfq_1").max(end("rfq_2")));
    assert!(find("rfq_6").started >= end("rfq_5"));

    // A failure on the pool skips only what is downstream.
    {
        let conn = &mut PgConnection::establish(db.url()).unwrap();
        sql(conn, FAILING);
    }
    let refresh = Refresh::views(["rff_a", "rff_b", "rff_c", "rff_d", "rff_e"]).unwrap();
    let report = pgview::aio::refresh_materialized_views(&pool, &refresh)
        .await
        .unwrap();
    check_failure_report(report);
}

#[cfg(feature = "bb8")]
#[tokio::test]
async fn lock_timeout_per_view() {
    let db = pgview_testkit::fresh_database();
    let holder = &mut PgConnection::establish(db.url()).unwrap();
    sql(holder, "CREATE MATERIALIZED VIEW rfl_m AS SELECT 1 AS id");
    // A plain refresh in an open transaction holds the view's ACCESS EXCLUSIVE lock.
    sql(holder, "BEGIN;\nREFRESH MATERIALIZED VIEW rfl_m");
    let pool = pool(db.url(), 2).await;
    let refresh = Refresh::views(["rfl_m"])
        .unwrap()
        .lock_timeout(Duration::from_millis(100));
    let report = pgview::aio::refresh_materialized_views(&pool, &refresh)
        .await
        .unwrap();
    let view = &report.views()[0];
    assert!(view.to_string().contains("lock timeout"), "{view}");
    sql(holder, "ROLLBACK");
    let report = pgview::aio::refresh_materialized_views(&pool, &refresh)
        .await
        .unwrap();
    assert!(report.is_success());
}
