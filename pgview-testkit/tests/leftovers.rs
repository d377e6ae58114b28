//! With `DATABASE_URL` set, nothing is left on that server: a run interrupted by `SIGINT` or
//! `SIGTERM` drops its databases before it ends, and what a run killed by `SIGKILL` left is
//! dropped by the next run, without touching the databases of a live run or of processes that
//! cannot be checked from here.
//!
//! The `DATABASE_URL` server is a private cluster of this test, so the test does not depend on
//! (or leave anything on) another server. The runs are child processes of this test binary
//! running [`child_run`].

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

/// Set for the child processes: what [`child_run`] does (`wait` or `sweep`).
const CHILD: &str = "PGVIEW_TESTKIT_LEFTOVERS_CHILD";

/// The child's part: with `wait`, makes the shared database and a fresh one (so the template
/// too), says so, and waits to be signalled; with `sweep`, only starts using the server (which
/// removes what dead runs left) and ends normally. Does nothing in a normal run.
#[test]
fn child_run() {
    let Some(mode) = std::env::var_os(CHILD) else {
        return;
    };
    if mode == "sweep" {
        let _ = pgview_testkit::server_url();
        println!("\nchild-ready");
        return;
    }
    let _ = pgview_testkit::shared_database_url();
    let _fresh = pgview_testkit::fresh_database();
    println!("\nchild-ready");
    thread::sleep(Duration::from_secs(60));
}

/// Starts a child run against `server_url`; returns once it is ready.
fn spawn(server_url: &str, mode: &str) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_run", "--nocapture", "--test-threads=1"])
        .env(CHILD, mode)
        .env("DATABASE_URL", server_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line == "child-ready");
    assert!(ready, "the child run did not get ready");
    // The rest of its output is read, so that it never writes to a closed pipe.
    thread::spawn(move || lines.for_each(drop));
    child
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The databases whose comment marks them as process `pid`'s.
fn databases_of(conn: &mut PgConnection, pid: u32) -> Vec<String> {
    diesel::sql_query(
        "SELECT datname::text AS name FROM pg_database \
         WHERE shobj_description(oid, 'pg_database') LIKE 'pgview-testkit run %' \
           AND shobj_description(oid, 'pg_database') LIKE '% pid=' || $1 || ' %' \
         ORDER BY 1",
    )
    .bind::<Text, _>(pid.to_string())
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|row| row.name)
    .collect()
}

/// Whether database `name` exists.
fn exists(conn: &mut PgConnection, name: &str) -> bool {
    !diesel::sql_query("SELECT datname::text AS name FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(name)
        .load::<Name>(conn)
        .unwrap()
        .is_empty()
}

/// Sends `signal` (`TERM`, `INT`, `KILL`) to `child` and waits for it: killed by that signal.
fn signal(child: &mut Child, signal: &str, number: i32) {
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(number), "{status:?}");
}

/// A line of a file, trimmed.
fn read(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|text| text.trim().to_owned())
        .unwrap_or_default()
}

/// A database marked (in the documented format) as a run of process `pid`, with `boot`,
/// `pidns` and `start` as given and this machine's id unless `machine` is given.
fn marked(conn: &mut PgConnection, name: &str, machine: Option<&str>, rest: &str) {
    let machine = machine.map_or_else(|| read("/etc/machine-id"), str::to_owned);
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(conn)
        .unwrap();
    diesel::sql_query(format!(
        "COMMENT ON DATABASE {name} IS 'pgview-testkit run machine={machine} {rest}'"
    ))
    .execute(conn)
    .unwrap();
}

#[test]
fn killed_runs_leave_nothing_behind() {
    let cluster = pgview_testkit::Cluster::start_with(&[]);
    let url = cluster.server_url();
    let conn = &mut PgConnection::establish(url).unwrap();

    // A live run: its template, shared and fresh databases.
    let mut live = spawn(url, "wait");
    let live_databases = databases_of(conn, live.id());
    assert_eq!(live_databases.len(), 3, "{live_databases:?}");

    // A run killed by SIGKILL leaves its databases.
    let mut killed = spawn(url, "wait");
    let killed_databases = databases_of(conn, killed.id());
    assert_eq!(killed_databases.len(), 3, "{killed_databases:?}");
    signal(&mut killed, "KILL", 9);
    assert_eq!(databases_of(conn, killed.id()), killed_databases);

    // Marked by this very process, with another start time: its pid was reused.
    let boot = read("/proc/sys/kernel/random/boot_id");
    let pidns = std::fs::read_link("/proc/self/ns/pid")
        .unwrap()
        .display()
        .to_string();
    let me = std::process::id();
    marked(
        conn,
        "pgview_fresh_reused",
        None,
        &format!("boot={boot} pidns={pidns} pid={me} start=1"),
    );
    // Marked by a process of another machine: cannot be checked, kept.
    marked(
        conn,
        "pgview_fresh_elsewhere",
        Some("another-machine"),
        "boot=another-boot pidns=pid:[1] pid=1 start=1",
    );
    // Not marked: kept.
    diesel::sql_query("CREATE DATABASE pgview_fresh_unmarked")
        .execute(conn)
        .unwrap();

    // The next run removes what the killed run left and the reused pid's database, and
    // nothing else.
    let mut next = spawn(url, "sweep");
    assert!(next.wait().unwrap().success());
    assert_eq!(databases_of(conn, killed.id()), Vec::<String>::new());
    assert!(!exists(conn, "pgview_fresh_reused"));
    assert_eq!(databases_of(conn, live.id()), live_databases);
    assert!(exists(conn, "pgview_fresh_elsewhere"));
    assert!(exists(conn, "pgview_fresh_unmarked"));

    // SIGTERM and SIGINT: the run drops its databases, then the signal ends it.
    signal(&mut live, "TERM", 15);
    assert_eq!(databases_of(conn, live.id()), Vec::<String>::new());
    let mut interrupted = spawn(url, "wait");
    assert_eq!(databases_of(conn, interrupted.id()).len(), 3);
    signal(&mut interrupted, "INT", 2);
    assert_eq!(databases_of(conn, interrupted.id()), Vec::<String>::new());
}
