//! The `pgview` command against a real database.

use std::process::Command;

use diesel::{Connection, PgConnection, RunQueryDsl};

fn pgview(url: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pgview"));
    command.args(args).env_remove("DATABASE_URL");
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    let output = command.output().expect("cannot run pgview");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn graph_prints_dot_and_mermaid() {
    let db = pgview_testkit::fresh_database();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    diesel::sql_query("CREATE VIEW cli_v AS SELECT id, name FROM users")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("CREATE MATERIALIZED VIEW cli_m AS SELECT count(*) AS n FROM cli_v")
        .execute(&mut conn)
        .unwrap();

    let (ok, dot, err) = pgview(Some(db.url()), &["graph"]);
    assert!(ok, "{err}");
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(
        dot.contains("cli_m") && dot.contains("cli_v") && dot.contains("users"),
        "{dot}"
    );

    let (ok, mermaid, err) = pgview(
        Some(db.url()),
        &["graph", "--format", "mermaid", "--around", "cli_v"],
    );
    assert!(ok, "{err}");
    assert!(mermaid.starts_with("flowchart"), "{mermaid}");
    assert!(mermaid.contains("cli_m"), "{mermaid}");
}

#[test]
fn errors_are_one_line_with_a_failure_code() {
    let (ok, _, err) = pgview(None, &["graph"]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("DATABASE_URL"), "{err}");

    // Without derived views (the `pgview` binary), diff, generate and refresh need --dir or
    // names: a one-line error before connecting.
    for (args, expected) in [
        (&["diff"][..], "pass --dir DIR"),
        (&["generate"][..], "pass --dir DIR"),
        (&["refresh"][..], "or pass --all"),
    ] {
        let (ok, _, err) = pgview(None, args);
        assert!(!ok, "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }

    let db = pgview_testkit::fresh_database();
    let (ok, _, err) = pgview(Some(db.url()), &["graph", "--around", "no_such_view"]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no_such_view"), "{err}");
}
