//! [`write_migration`]: a plan as a Diesel migration folder; the folder writing that
//! [`MigrationFolder`](crate::MigrationFolder) shares.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

use crate::plan::MigrationPlan;

/// Writes `plan` as a new Diesel migration: `dir/<version>_<name>/up.sql` and `down.sql`,
/// where the version is the current UTC time as the `diesel` CLI writes it
/// (`YYYY-MM-DD-HHMMSS`, for example `2024-05-01-093000_update_views`). `dir` (the migrations
/// directory) is created if needed. Returns the path of the new folder.
///
/// The files are plain SQL (see [`MigrationPlan::up_sql`]): `diesel migration run`,
/// `diesel migration revert` and `embed_migrations!` run them unchanged, each in one
/// transaction. When a migration of `dir` already has that version (two migrations written
/// within a second), the version is moved on by a second until it is unique, so that the
/// migrations keep a strict order.
///
/// # Examples
/// ```no_run
/// # fn run(conn: &mut diesel::PgConnection, declared: &pgview_core::ViewSet) -> pgview_core::Result<()> {
/// let plan = pgview_core::diff(conn, declared, &pgview_core::DiffScope::managed())?.plan()?;
/// if !plan.is_empty() {
///     let folder = pgview_core::write_migration("migrations".as_ref(), "update_views", &plan)?;
///     println!("wrote {}", folder.display());
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::InvalidMigration`] for an empty plan or a name that is empty or holds other
/// characters than ASCII letters, digits, `_` and `-`; [`Error::Io`] when a directory or file
/// cannot be written (nothing is left half-written: the folder is removed on failure).
pub fn write_migration(dir: &Path, name: &str, plan: &MigrationPlan) -> Result<PathBuf> {
    write_migration_at(dir, name, plan, SystemTime::now())
}

pub(crate) fn write_migration_at(
    dir: &Path,
    name: &str,
    plan: &MigrationPlan,
    now: SystemTime,
) -> Result<PathBuf> {
    check_folder_name(name)?;
    if plan.is_empty() {
        return Err(Error::InvalidMigration {
            name: name.to_owned(),
            reason: "the plan is empty: there is nothing to migrate".into(),
        });
    }
    write_folder(
        dir,
        name,
        FolderVersion::Now(now),
        &plan.up_sql(),
        &plan.down_sql(),
    )
}

/// The version of a folder to write.
#[derive(Debug, Clone, Copy)]
pub(super) enum FolderVersion<'a> {
    /// This time (`YYYY-MM-DD-HHMMSS`), moved on by a second until no folder has it.
    Now(SystemTime),
    /// This version; refused when a folder already has it.
    Fixed(&'a str),
}

/// Refuses a migration name other than ASCII letters, digits, `_` and `-`.
pub(super) fn check_folder_name(name: &str) -> Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::InvalidMigration {
            name: name.to_owned(),
            reason: "a migration name is made of ASCII letters, digits, `_` and `-`".into(),
        });
    }
    Ok(())
}

/// Writes the new folder `dir/<version>_<name>` with `up.sql` and `down.sql`, never over an
/// existing one; `dir` is created if needed.
pub(super) fn write_folder(
    dir: &Path,
    name: &str,
    version: FolderVersion<'_>,
    up: &str,
    down: &str,
) -> Result<PathBuf> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    let taken = existing_versions(dir).map_err(io(dir))?;
    let version = match version {
        FolderVersion::Now(mut time) => {
            let mut version = version_of(time);
            while taken.contains(&diesel_version(&version)) {
                time += Duration::from_secs(1);
                version = version_of(time);
            }
            version
        }
        FolderVersion::Fixed(version) => {
            if taken.contains(&diesel_version(version)) {
                return Err(Error::InvalidMigration {
                    name: format!("{version}_{name}"),
                    reason: format!(
                        "a migration of {} already has the version {version}; a written \
                         migration is never overwritten",
                        dir.display()
                    ),
                });
            }
            version.to_owned()
        }
    };
    let folder = dir.join(format!("{version}_{name}"));
    // `create_dir` fails on an existing folder: nothing is ever overwritten.
    fs::create_dir(&folder).map_err(io(&folder))?;
    let written = fs::write(folder.join("up.sql"), up)
        .map_err(io(&folder.join("up.sql")))
        .and_then(|()| {
            fs::write(folder.join("down.sql"), down).map_err(io(&folder.join("down.sql")))
        });
    if let Err(error) = written {
        let _ = fs::remove_dir_all(&folder);
        return Err(error);
    }
    Ok(folder)
}

/// The versions of the folders in `dir` as diesel reads them: the part before the first `_`,
/// without `-`.
fn existing_versions(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut versions = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        versions.push(diesel_version(name.split('_').next().unwrap_or_default()));
    }
    Ok(versions)
}

/// A version as diesel compares it (`2024-06-01-000000` is `20240601000000`).
fn diesel_version(version: &str) -> String {
    version.replace('-', "")
}

/// `YYYY-MM-DD-HHMMSS` in UTC.
pub(crate) fn version_of(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}-{:02}{:02}{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a day number counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Step, StepKind};

    #[test]
    fn versions_are_diesel_timestamps() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(version_of(at(0)), "1970-01-01-000000");
        assert_eq!(version_of(at(951_782_400)), "2000-02-29-000000");
        assert_eq!(version_of(at(1_709_251_199)), "2024-02-29-235959");
        assert_eq!(version_of(at(1_735_689_600 + 3_723)), "2025-01-01-010203");
        // Every day of 1970-2100 against chrono.
        for day in 0..47_847_u64 {
            let date = chrono::DateTime::from_timestamp(i64::try_from(day * 86_400).unwrap(), 0)
                .unwrap()
                .format("%Y-%m-%d-%H%M%S")
                .to_string();
            assert_eq!(version_of(at(day * 86_400)), date);
        }
    }

    fn table_step(sql: &str) -> Step {
        Step {
            kind: StepKind::TableSql,
            view: None,
            view_kind: None,
            reason: String::new(),
            sql: vec![sql.to_owned()],
        }
    }

    #[test]
    fn writes_a_folder_and_refuses_bad_names() {
        let dir = std::env::temp_dir().join(format!("pgview-write-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let plan = MigrationPlan {
            steps: vec![table_step("SELECT 1")],
            down_steps: vec![table_step("SELECT 2")],
            ..MigrationPlan::default()
        };
        let now = UNIX_EPOCH + Duration::from_secs(1_735_689_600);
        let first = write_migration_at(&dir, "views", &plan, now).unwrap();
        assert_eq!(first.file_name().unwrap(), "2025-01-01-000000_views");
        assert!(fs::read_to_string(first.join("up.sql"))
            .unwrap()
            .contains("SELECT 1;\n"));
        assert!(fs::read_to_string(first.join("down.sql"))
            .unwrap()
            .contains("SELECT 2;\n"));
        let second = write_migration_at(&dir, "views", &plan, now).unwrap();
        assert_eq!(second.file_name().unwrap(), "2025-01-01-000001_views");
        assert!(matches!(
            write_migration_at(&dir, "no/slash", &plan, now),
            Err(Error::InvalidMigration { .. })
        ));
        assert!(matches!(
            write_migration_at(&dir, "empty", &MigrationPlan::default(), now),
            Err(Error::InvalidMigration { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }
}
