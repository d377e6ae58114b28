//! `pgview diff` and `pgview generate` on a folder of `.sql` view definitions, against a real
//! database.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// Runs `pgview`: exit code, stdout, stderr.
fn pgview(url: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pgview"));
    command.args(args).env_remove("DATABASE_URL");
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    let output = command.output().expect("cannot run pgview");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A new empty directory in the temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

fn scratch(name: &str) -> Scratch {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pgview-cli-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn write(dir: &Path, file: &str, text: &str) {
    fs::write(dir.join(file), text).unwrap();
}

/// The only migration folder written in `migrations`.
fn only_migration(migrations: &Path) -> PathBuf {
    let folders: Vec<PathBuf> = fs::read_dir(migrations)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    folders.into_iter().next().unwrap()
}

/// Runs a migration file as diesel does: in one transaction.
fn run_sql(conn: &mut PgConnection, file: &Path) {
    let sql = fs::read_to_string(file).unwrap();
    conn.transaction(|conn| conn.batch_execute(&sql))
        .unwrap_or_else(|e| panic!("{}: {e}\n{sql}", file.display()));
}

#[test]
fn diff_then_generate_then_no_difference() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let views = scratch("views");
    let migrations = scratch("migrations");
    write(
        &views,
        "cli_active.sql",
        "-- pgview: security_barrier, comment=\"users with an e-mail\"\n\
         -- the query follows\n\
         SELECT id, name FROM users WHERE email IS NOT NULL -- no NULLs\n",
    );
    write(
        &views,
        "reporting.cli_revenue.sql",
        "-- pgview: materialized, unique_index(user_id), comment=\"revenue per user\"\n\
         SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id\n",
    );
    write(&views, "README.md", "not a view");
    let dir = views.to_str().unwrap();

    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("cli_active") && out.contains("created"),
        "{out}"
    );
    assert!(out.contains("reporting.cli_revenue"), "{out}");

    let (code, out, err) = pgview(
        url,
        &[
            "generate",
            "--dir",
            dir,
            "--migrations",
            migrations.to_str().unwrap(),
            "--name",
            "add_cli_views",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("wrote "), "{out}");
    let folder = only_migration(&migrations);
    assert!(
        folder.to_str().unwrap().ends_with("_add_cli_views"),
        "{folder:?}"
    );
    run_sql(conn, &folder.join("up.sql"));

    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 unchanged"), "{out}");
    let (code, out, _) = pgview(
        url,
        &[
            "generate",
            "--dir",
            dir,
            "--migrations",
            migrations.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("no differences"), "{out}");
    assert_eq!(fs::read_dir(&*migrations).unwrap().count(), 1);

    // A changed query is a difference again; the migration's down goes back.
    write(
        &views,
        "cli_active.sql",
        "-- pgview: security_barrier, comment=\"users with an e-mail\"\n\
         SELECT id, name FROM users WHERE email IS NOT NULL AND id > 0\n",
    );
    let (code, out, _) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("~ view public.cli_active"), "{out}");
    run_sql(conn, &folder.join("down.sql"));
    let (code, out, _) = pgview(url, &["diff", "--dir", dir, "--declared-only"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("created"), "{out}");
}

/// `pgview diff` shows a changed query as a unified diff of the two definitions; `--stat` says
/// only `definition`. Both end with a newline.
#[test]
fn diff_shows_a_changed_definition_and_stat_does_not() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE VIEW cli_unified AS SELECT id, name FROM users WHERE email IS NOT NULL",
    )
    .unwrap();
    let views = scratch("unified");
    write(
        &views,
        "cli_unified.sql",
        "SELECT id, name FROM users WHERE email IS NOT NULL AND id > 0\n",
    );
    let dir = views.to_str().unwrap();

    let (code, out, err) = pgview(url, &["diff", "--dir", dir, "--declared-only"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("~ view public.cli_unified: changed\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "    --- public.cli_unified (database)\n    +++ public.cli_unified (declared)\n    @@ "
        ),
        "{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    -") && l.contains("IS NOT NULL") && !l.contains("> 0")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    +") && l.contains("> 0")),
        "{out}"
    );
    assert!(out.ends_with("0 unchanged\n"), "{out}");

    let (code, out, err) = pgview(url, &["diff", "--dir", dir, "--declared-only", "--stat"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        out,
        "~ view public.cli_unified: changed\n    definition\n0 unchanged\n"
    );
}

#[test]
fn errors_are_one_line_with_exit_status_2() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let views = scratch("bad");
    write(
        &views,
        "v.sql",
        "-- pgview: materialized\n-- pgview: refresh_every=5\nSELECT 1 AS id\n",
    );
    let dir = views.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["diff", "--dir", dir],
            "v.sql:2: unknown option `refresh_every`",
        ),
        (
            vec!["generate", "--dir", dir, "--migrations", dir],
            "v.sql:2: unknown option",
        ),
        (vec!["diff", "--dir", "/no/such/folder"], "/no/such/folder"),
    ] {
        let (code, out, err) = pgview(url, &args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }

    // The server refuses a declared view.
    let broken = scratch("broken");
    write(&broken, "broken.sql", "SELECT no_such_column FROM users\n");
    let (code, _, err) = pgview(url, &["diff", "--dir", broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no_such_column"), "{err}");

    // No database.
    let (code, _, err) = pgview(None, &["diff", "--dir", dir]);
    assert_eq!(code, 2);
    assert!(
        err.contains("DATABASE_URL") || err.contains("v.sql"),
        "{err}"
    );
}

#[test]
fn the_folder_format_is_in_the_help() {
    let (code, out, _) = pgview(None, &["help", "diff"]);
    assert_eq!(code, 0);
    for expected in [
        "-- pgview:",
        "materialized",
        "unique_index",
        "schema.name.sql",
        "Exit status",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
}
