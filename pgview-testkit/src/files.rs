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

/// Runs the program `exe` with `args`, and `DATABASE_URL` set to `url` (or removed): its exit
/// code, stdout and stderr.
///
/// # Panics
/// When it cannot be started.
pub fn run_program(exe: &str, url: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(exe);
    command.args(args).env_remove("DATABASE_URL");
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
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
