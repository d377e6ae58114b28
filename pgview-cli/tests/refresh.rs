//! `pgview refresh` against a real database.

use diesel::{Connection, PgConnection, RunQueryDsl};

fn pgview(url: &str, args: &[&str]) -> (bool, String, String) {
    let (code, out, err) = status(url, args);
    (code == 0, out, err)
}

/// Runs `pgview`: exit code, stdout, stderr.
fn status(url: &str, args: &[&str]) -> (i32, String, String) {
    pgview_testkit::run_program(env!("CARGO_BIN_EXE_pgview"), Some(url), args)
}

fn setup(url: &str) {
    let mut conn = PgConnection::establish(url).unwrap();
    for statement in [
        "CREATE TABLE cr_t (x int)",
        "INSERT INTO cr_t VALUES (1)",
        "CREATE MATERIALIZED VIEW cr_a AS SELECT x FROM cr_t",
        "CREATE UNIQUE INDEX ON cr_a (x)",
        "CREATE VIEW cr_v AS SELECT x FROM cr_a",
        "CREATE MATERIALIZED VIEW cr_b AS SELECT 10 / max(x) AS q FROM cr_v",
        "CREATE MATERIALIZED VIEW cr_c AS SELECT q FROM cr_b",
        "CREATE MATERIALIZED VIEW cr_d AS SELECT count(*) AS n FROM cr_t",
    ] {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }
}

#[test]
fn refresh_prints_a_table_and_fails_in_one_line() {
    let db = pgview_testkit::fresh_database();
    setup(db.url());

    let (ok, out, err) = pgview(db.url(), &["refresh", "--all", "--concurrency", "2"]);
    assert!(ok, "{out}{err}");
    let order: Vec<&str> = out
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|v| v.starts_with("public."))
        .collect();
    assert_eq!(
        order,
        ["public.cr_a", "public.cr_b", "public.cr_c", "public.cr_d"],
        "{out}"
    );
    assert!(
        out.contains("concurrently") && out.contains("refreshed"),
        "{out}"
    );
    assert!(out.contains("4 views in"), "{out}");

    let (ok, out, err) = pgview(db.url(), &["refresh", "cr_a", "--downstream", "--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("public.cr_b") && out.contains("public.cr_a"),
        "{out}"
    );
    assert!(!out.contains("cr_d"), "{out}");

    // cr_b divides by zero: it fails, cr_c is skipped, the others are refreshed; a refusal
    // (exit status 3), not a usage error.
    let mut conn = PgConnection::establish(db.url()).unwrap();
    diesel::sql_query("UPDATE cr_t SET x = 0")
        .execute(&mut conn)
        .unwrap();
    let (code, out, err) = status(
        db.url(),
        &[
            "refresh",
            "--all",
            "--policy",
            "plain",
            "--lock-timeout",
            "2s",
        ],
    );
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("FAILED") && out.contains("skipped"), "{out}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: refresh failed for public.cr_b"),
        "{err}"
    );
    assert!(
        last.contains("division by zero") && last.contains("public.cr_c"),
        "{err}"
    );

    let (code, _, err) = status(db.url(), &["refresh", "cr_nope"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cr_nope"), "{err}");

    let (code, _, err) = status(db.url(), &["refresh", "cr_a", "--lock-timeout", "soon"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("soon"), "{err}");
}
