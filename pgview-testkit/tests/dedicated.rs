//! Dedicated clusters: started with exactly the settings given, migrated, removed when dropped,
//! and by the watchdog when the process is killed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use diesel::dsl::sql;
use diesel::sql_types::{Bool, Text};
use diesel::{select, Connection, PgConnection, QueryableByName, RunQueryDsl};

/// Set for the child process of [`killed_process_leaves_nothing`].
const CHILD: &str = "PGVIEW_TESTKIT_DEDICATED_CHILD";

fn connect(url: &str) -> PgConnection {
    PgConnection::establish(url).unwrap_or_else(|err| panic!("connecting to {url}: {err}"))
}

fn show(conn: &mut PgConnection, setting: &str) -> String {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        value: String,
    }
    diesel::sql_query("SELECT current_setting($1) AS value")
        .bind::<Text, _>(setting)
        .get_result::<Row>(conn)
        .unwrap()
        .value
}

fn is_migrated(conn: &mut PgConnection) -> bool {
    select(sql::<Bool>(
        "to_regclass('public.users') IS NOT NULL AND to_regtype('public.mood') IS NOT NULL",
    ))
    .get_result(conn)
    .unwrap()
}

/// Waits up to 10 s for `dir` to be gone.
fn gone(dir: &Path) -> bool {
    let start = Instant::now();
    while dir.exists() {
        if start.elapsed() > Duration::from_secs(10) {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
    true
}

#[test]
fn settings_are_the_given_ones_and_drop_removes_the_cluster() {
    let cluster = pgview_testkit::Cluster::start_with(&[
        ("max_locks_per_transaction", "10"),
        ("max_connections", "20"),
        ("application_name", "it's a test"),
    ]);
    let dir = cluster.dir().to_path_buf();
    assert!(dir.join("data").is_dir());
    let mut conn = connect(cluster.url());
    assert!(is_migrated(&mut conn));
    assert_eq!(show(&mut conn, "max_locks_per_transaction"), "10");
    assert_eq!(show(&mut conn, "max_connections"), "20");
    assert_eq!(show(&mut conn, "application_name"), "it's a test");
    // Not the shared cluster's speed settings.
    assert_eq!(show(&mut conn, "fsync"), "on");
    let mut admin = connect(cluster.server_url());
    assert_eq!(show(&mut admin, "max_locks_per_transaction"), "10");
    // The shared server is another one, with its own settings.
    if std::env::var("DATABASE_URL").is_err() {
        let mut shared = connect(pgview_testkit::shared_database_url());
        assert_eq!(show(&mut shared, "max_connections"), "300");
    }
    drop(cluster);
    assert!(!dir.exists(), "{} is left behind", dir.display());
    // The server is gone: its sessions are ended.
    let ended = diesel::sql_query("SELECT 1").execute(&mut conn).is_err();
    assert!(ended, "the server still answers");
    std::mem::forget(conn);
    std::mem::forget(admin);
}

#[test]
fn no_settings_is_a_stock_server() {
    let cluster = pgview_testkit::Cluster::start_with(&[]);
    let mut conn = connect(cluster.url());
    assert!(is_migrated(&mut conn));
    assert_eq!(show(&mut conn, "max_connections"), "100");
    assert_eq!(show(&mut conn, "max_locks_per_transaction"), "64");
    assert_eq!(show(&mut conn, "fsync"), "on");
    assert_eq!(show(&mut conn, "synchronous_commit"), "on");
}

#[test]
#[should_panic(expected = "invalid server setting name")]
fn invalid_setting_names_are_refused() {
    let _cluster = pgview_testkit::Cluster::start_with(&[("fsync = off\nport", "1")]);
}

/// The child's part of [`killed_process_leaves_nothing`]: starts a cluster, prints its
/// directory, and waits to be killed. Does nothing in a normal run.
#[test]
fn child_waits_to_be_killed() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let cluster = pgview_testkit::Cluster::start_with(&[("max_connections", "10")]);
    println!("cluster-dir={}", cluster.dir().display());
    thread::sleep(Duration::from_secs(60));
}

#[test]
fn killed_process_leaves_nothing() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_waits_to_be_killed", "--nocapture"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let dir = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("cluster-dir=").map(PathBuf::from))
        .expect("the child prints its cluster's directory");
    assert!(dir.is_dir());
    child.kill().unwrap(); // SIGKILL: no atexit handler runs.
    child.wait().unwrap();
    assert!(gone(&dir), "{} is left behind", dir.display());
}
