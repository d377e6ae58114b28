//! The `views` binary (`pgview::cli::main(pgview::diff::ViewSet::registered())` on three derived
//! views) against a real database: what an application gets from mounting the command line.

use std::fs;
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use pgview_testkit::{only_migration, run_program, run_sql_file, scratch};

/// Runs `views`: exit code, stdout, stderr.
fn views(url: Option<&str>, args: &[&str]) -> (i32, String, String) {
    run_program(env!("CARGO_BIN_EXE_views"), url, args)
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Whether a relation exists.
fn exists(conn: &mut PgConnection, name: &str) -> bool {
    use diesel::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "to_regclass('{name}') IS NOT NULL"
    )))
    .get_result(conn)
    .unwrap()
}

const VIEWS: [&str; 3] = ["app_user_orders", "app_order_counts", "app_busy_users"];

/// `diff` shows the registered views as new (status 1), `generate` writes a Diesel migration,
/// once applied `diff` finds nothing (status 0); `graph` draws the declared views and what
/// they read; `refresh` without names refreshes the declared materialized view; `down.sql`
/// removes them.
#[test]
fn registered_views_diff_generate_graph_refresh() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let migrations = scratch("migrations");

    let (code, out, err) = views(url, &["diff"]);
    assert_eq!(code, 1, "{out}{err}");
    for name in VIEWS {
        assert!(out.contains(&format!("public.{name}: created")), "{out}");
    }
    assert!(
        out.contains("materialized view public.app_order_counts"),
        "{out}"
    );

    let (code, out, err) = views(
        url,
        &[
            "generate",
            "--migrations",
            text(&migrations),
            "--name",
            "app_views",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("wrote "), "{out}");
    let folder = only_migration(&migrations);
    assert!(text(&folder).ends_with("_app_views"), "{folder:?}");
    run_sql_file(conn, &folder.join("up.sql"));
    for name in VIEWS {
        assert!(exists(conn, name), "{name}");
    }

    let (code, out, err) = views(url, &["diff"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 unchanged"), "{out}");

    // The graph of the declared views: them and what they read, not the other views.
    conn.batch_execute("CREATE VIEW app_not_declared AS SELECT id FROM users")
        .unwrap();
    let (code, dot, err) = views(url, &["graph"]);
    assert_eq!(code, 0, "{err}");
    assert!(dot.starts_with("digraph"), "{dot}");
    for name in VIEWS.iter().chain(&["users", "orders"]) {
        assert!(dot.contains(name), "{name}\n{dot}");
    }
    assert!(!dot.contains("app_not_declared"), "{dot}");
    let (code, mermaid, err) = views(url, &["graph", "--database", "--format", "mermaid"]);
    assert_eq!(code, 0, "{err}");
    assert!(mermaid.contains("app_not_declared"), "{mermaid}");

    let (code, out, err) = views(url, &["refresh", "--no-count"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("app_order_counts"), "{out}");
    assert!(out.contains("1 view in"), "{out}");

    conn.batch_execute("DROP VIEW app_not_declared").unwrap();
    run_sql_file(conn, &folder.join("down.sql"));
    for name in VIEWS {
        assert!(!exists(conn, name), "{name}");
    }
}

/// A registered view and a `.sql` file of `--dir` are declared together; a name declared by
/// both is refused, naming the struct and the file.
#[test]
fn registered_views_and_a_folder_together() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let dir = scratch("views");
    fs::write(dir.join("app_extra.sql"), "SELECT id FROM users\n").unwrap();
    let (code, out, err) = views(url, &["diff", "--dir", text(&dir)]);
    assert_eq!(code, 1, "{out}{err}");
    for name in VIEWS.iter().chain(&["app_extra"]) {
        assert!(out.contains(&format!("public.{name}: created")), "{out}");
    }

    fs::write(dir.join("app_busy_users.sql"), "SELECT 1 AS user_id\n").unwrap();
    for command in ["diff", "generate", "graph", "refresh"] {
        let (code, _, err) = views(url, &[command, "--dir", text(&dir)]);
        assert_eq!(code, 2, "{command}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("app_busy_users: it is declared twice: by struct `views::views::BusyUsers` and by file"),
            "{command}: {err}"
        );
        assert!(err.contains("app_busy_users.sql"), "{err}");
    }
}

/// `--exclude` leaves a registered view out of the comparison entirely: not reported, not
/// created, and once it exists with another index, not changed (its index is kept).
#[test]
fn an_excluded_registered_view_is_left_alone() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let migrations = scratch("migrations");

    let (code, out, err) = views(url, &["diff", "--exclude", "app_busy_users"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("app_busy_users"), "{out}");

    // The excluded materialized view exists with an expression index the declaration lacks.
    conn.batch_execute(
        "CREATE MATERIALIZED VIEW app_order_counts AS SELECT user_id, count(*) AS orders FROM orders GROUP BY user_id;
         CREATE INDEX app_order_counts_expr ON app_order_counts ((orders * 2));",
    )
    .unwrap();
    let excluded = [
        "--exclude",
        "app_order_counts",
        "--exclude",
        "app_busy_users",
    ];
    let (code, out, err) = views(url, &[&["diff"], &excluded[..]].concat());
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("app_order_counts"), "{out}");
    assert!(out.contains("public.app_user_orders: created"), "{out}");

    let (code, out, err) = views(
        url,
        &[
            &["generate", "--migrations", text(&migrations)],
            &excluded[..],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{out}{err}");
    let folder = only_migration(&migrations);
    let up = fs::read_to_string(folder.join("up.sql")).unwrap();
    assert!(up.contains("app_user_orders"), "{up}");
    assert!(!up.contains("app_order_counts"), "{up}");
    assert!(!up.contains("app_busy_users"), "{up}");
    run_sql_file(conn, &folder.join("up.sql"));
    assert!(exists(conn, "app_order_counts_expr"));
    let (code, out, err) = views(url, &[&["diff"], &excluded[..]].concat());
    assert_eq!(code, 0, "{out}{err}");

    // Without --exclude the view is compared: its index differs.
    let (code, out, _) = views(url, &["diff"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("public.app_order_counts: changed"), "{out}");
}

/// The derived view from a Diesel query and the same view written by hand in a `.sql` file
/// (with table aliases) are one definition: no false difference either way, since both are
/// compared as the server stores them.
#[test]
fn a_derived_view_and_its_sql_file_are_one_definition() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let by_hand = "SELECT u.id AS user_id, u.name, count(o.id) AS order_count \
                   FROM users u LEFT JOIN orders AS o ON o.user_id = u.id \
                   GROUP BY u.id, u.name";

    // The database made from the file, compared with the derived view.
    conn.batch_execute(&format!("CREATE VIEW app_user_orders AS {by_hand}"))
        .unwrap();
    let excluded = [
        "--exclude",
        "app_order_counts",
        "--exclude",
        "app_busy_users",
    ];
    let (code, out, err) = views(url, &[&["diff"], &excluded[..]].concat());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 unchanged"), "{out}");

    // The database made from the derived view, compared with the file.
    conn.batch_execute("DROP VIEW app_user_orders").unwrap();
    let migrations = scratch("migrations");
    let (code, out, err) = views(
        url,
        &[
            &["generate", "--migrations", text(&migrations)],
            &excluded[..],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{out}{err}");
    run_sql_file(conn, &only_migration(&migrations).join("up.sql"));
    let declared = pgview::diff::ViewSet::new()
        .with_view(pgview::View::from_sql("app_user_orders", by_hand).unwrap());
    let diff =
        pgview::diff::diff(conn, &declared, &pgview::diff::DiffScope::declared_only()).unwrap();
    assert!(diff.is_empty(), "{diff}");
}

/// `diff` checks the program's structs against their views once the views are what the
/// program declares: a mismatch is printed (struct, view, field, types) and the exit status is
/// 1, though the definitions do not differ.
#[test]
fn diff_reports_a_struct_that_does_not_match_its_view() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let run = |args: &[&str]| run_program(env!("CARGO_BIN_EXE_mismatched"), url, args);
    // Not in the database yet: a difference, nothing to verify.
    let (code, out, err) = run(&["diff"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!err.contains("does not match"), "{err}");
    let migrations = scratch("mismatched");
    let dir = migrations.to_str().unwrap();
    let (code, out, err) = run(&["generate", "--migrations", dir, "--name", "counts"]);
    assert_eq!(code, 0, "{out}{err}");
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    run_sql_file(conn, &only_migration(&migrations).join("up.sql"));
    let (code, out, err) = run(&["diff"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("1 unchanged"), "{out}");
    assert!(
        err.contains("struct `mismatched::MismatchedCounts` does not match its view"),
        "{err}"
    );
    assert!(err.contains('n') && err.contains("integer"), "{err}");
}

/// A program mounting the command line completes under its own name (`views`), not
/// `pgview`; its `--help` documents the exit statuses.
#[test]
fn completions_and_help_use_the_program_name() {
    let (code, out, err) = views(None, &["completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("_views()") && out.contains("complete -F _views"),
        "{out}"
    );
    assert!(!out.contains("pgview"), "{out}");
    let (code, out, _) = views(None, &["completions", "zsh"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("#compdef views"), "{out}");
    let (code, out, _) = views(None, &["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Usage: views "), "{out}");
    assert!(out.contains("  3  refused"), "{out}");
}

/// Two `generate` in a row: the second refuses (exit status 3) while the first migration is
/// not applied, instead of writing it again; applied, nothing differs.
#[test]
fn generate_twice_refuses_until_the_migration_is_applied() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let migrations = scratch("twice");
    let args = ["generate", "--migration-dir", text(&migrations)];
    let (code, out, err) = views(url, &args);
    assert_eq!(code, 0, "{out}{err}");
    let folder = only_migration(&migrations);
    let (code, out, err) = views(url, &args);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("not up to date"), "{err}");
    assert!(
        err.contains(folder.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
    assert_eq!(fs::read_dir(&*migrations).unwrap().count(), 1);
    pgview_testkit::run_migrations(conn, &migrations);
    let (code, out, err) = views(url, &args);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "no differences: no migration written\n");
}
