//! What the tests of command-line programs share: scratch folders, running a binary against a
//! database, reading the migration folder it wrote, running a migration file as diesel does.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// A new empty folder in the temporary directory, removed when dropped.
#[derive(Debug)]
pub struct Scratch(PathBuf);

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

/// A new empty folder named after `name`, this process and a counter.
///
/// # Panics
/// When it cannot be created.
pub fn scratch(name: &str) -> Scratch {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pgview-test-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a scratch folder");
    Scratch(dir)
}

/// The variables a command-line program of pgview reads besides `DATABASE_URL`, removed from
/// its environment so that the caller's shell cannot change what a test sees.
const PROGRAM_VARIABLES: [&str; 6] = [
    "DATABASE_URL",
    "MIGRATION_DIRECTORY",
    "DIESEL_CONFIG_FILE",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
];

/// Runs the program `exe` with `args`, and `DATABASE_URL` set to `url` (or removed): its exit
/// code, stdout and stderr. The other variables the programs read (`MIGRATION_DIRECTORY`,
/// `DIESEL_CONFIG_FILE`, `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`) are removed.
///
/// # Panics
/// When it cannot be started.
pub fn run_program(exe: &str, url: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let env: Vec<(&str, &str)> = url.map(|url| ("DATABASE_URL", url)).into_iter().collect();
    run_program_in(exe, None, &env, args)
}

/// Runs the program `exe` with `args` in the directory `dir` (else the test's), with the
/// variables `env` and without the others of [`run_program`]: its exit code, stdout and stderr.
///
/// # Panics
/// When it cannot be started.
pub fn run_program_in(
    exe: &str,
    dir: Option<&Path>,
    env: &[(&str, &str)],
    args: &[&str],
) -> (i32, String, String) {
    let mut command = Command::new(exe);
    command.args(args);
    for name in PROGRAM_VARIABLES {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {exe}: {e}"));
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs the pending migrations of the directory `migrations` as `diesel migration run` does
/// (diesel's own harness: each in a transaction, its version recorded in
/// `__diesel_schema_migrations`); the versions run.
///
/// # Panics
/// When one fails.
pub fn run_migrations(conn: &mut PgConnection, migrations: &Path) -> Vec<String> {
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};
    let source = FileBasedMigrations::from_path(migrations)
        .unwrap_or_else(|e| panic!("{}: {e}", migrations.display()));
    conn.run_pending_migrations(source)
        .unwrap_or_else(|e| panic!("{}: {e}", migrations.display()))
        .into_iter()
        .map(|version| version.to_string())
        .collect()
}

/// The only migration folder in `migrations`.
///
/// # Panics
/// When there is not exactly one.
pub fn only_migration(migrations: &Path) -> PathBuf {
    let folders: Vec<PathBuf> = fs::read_dir(migrations)
        .expect("read the migrations folder")
        .map(|e| e.expect("a folder entry").path())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    folders.into_iter().next().expect("one folder")
}

/// Runs a migration file as diesel does: in one transaction.
///
/// # Panics
/// When it fails (with the file's text).
pub fn run_sql_file(conn: &mut PgConnection, file: &Path) {
    let sql = fs::read_to_string(file).expect("read the migration file");
    conn.transaction(|conn| conn.batch_execute(&sql))
        .unwrap_or_else(|e| panic!("{}: {e}\n{sql}", file.display()));
}
