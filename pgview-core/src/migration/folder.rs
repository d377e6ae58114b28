//! [`MigrationFolder`]: operations written once as a Diesel migration folder (`up.sql`,
//! `down.sql`), the SQL of that moment being the migration from then on.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::operation::Operation;
use super::struct_operation::FolderOperation;
use super::view_migration::script;
use super::write::{check_folder_name, write_folder, FolderVersion};
use crate::error::{Error, Result};
use crate::plan::Direction;

/// The first lines of every file a [`MigrationFolder`] writes.
const HEADER: &str =
    "-- Written by pgview. This SQL is the migration: it does not follow later changes \
                      to the Rust definitions it was rendered from.\n";

/// Operations written once as a new Diesel migration folder, `<version>_<name>/up.sql` and
/// `down.sql`, as `diesel migration generate` lays them out: the way to put a view of a
/// `#[derive(PgView)]` struct into a migration.
///
/// The SQL is rendered when the folder is written and the files are what runs from then on
/// (`embed_migrations!` embeds them at compile time; `diesel migration run` reads them), so a
/// migration keeps meaning what it meant when it was written: changing the struct later does
/// not change the old migration, and migrating an empty database replays each definition as it
/// was. Write the folder once (from a small program, an `xtask`, or a test you run by hand),
/// commit it, and add a new folder for the next change. An existing folder or version is never
/// overwritten: writing again is an error.
///
/// Accepts every [`Operation`] and the [`StructOperation`](crate::StructOperation)s of
/// [`Operation::create::<V>()`](Operation::create) and [`Operation::drop::<V>()`](Operation::drop),
/// but not [`Operation::with_dependent_views`], which captures the views when it runs (keep it
/// in a [`ViewMigration`](crate::ViewMigration)).
///
/// # Examples
/// ```
/// use pgview_core::{MigrationFolder, Operation, View};
/// let active = View::from_sql("active_users", "SELECT id FROM users WHERE active")?;
/// let folder = MigrationFolder::new("active_users")?
///     .version("2024-06-01-000000")?
///     .operation(Operation::create_view(&active)?);
/// assert_eq!(
///     folder.up_sql(),
///     "-- Written by pgview. This SQL is the migration: it does not follow later changes to the \
///      Rust definitions it was rendered from.\n\
///      -- 1. create view active_users\n\
///      CREATE VIEW \"active_users\" AS SELECT id FROM users WHERE active;\n"
/// );
/// assert!(folder.down_sql().ends_with("-- 1. undo create view active_users\nDROP VIEW \"active_users\";\n"));
/// # let dir = std::env::temp_dir().join(format!("pgview-doc-folder-{}", std::process::id()));
/// let written = folder.write(&dir)?;                 // dir/2024-06-01-000000_active_users/
/// assert!(written.ends_with("2024-06-01-000000_active_users"));
/// assert!(folder.write(&dir).is_err());               // never overwritten
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFolder {
    name: String,
    version: Option<String>,
    operations: Vec<Operation>,
}

impl MigrationFolder {
    /// A migration named `name` (as `diesel migration generate name`), without operations.
    /// Its version is the UTC time when it is written (`2024-06-01-093000`) unless
    /// [`version`](Self::version) gives one.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] for a name that is empty or holds other characters than
    /// ASCII letters, digits, `_` and `-`.
    pub fn new(name: &str) -> Result<Self> {
        check_folder_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            version: None,
            operations: Vec::new(),
        })
    }

    /// Gives the version (as `diesel migration generate --version`): digits and `-`, as
    /// `2024-06-01-000000`; migrations run in version order.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] for a version of another form.
    pub fn version(mut self, version: &str) -> Result<Self> {
        if version.is_empty()
            || !version.chars().all(|c| c.is_ascii_digit() || c == '-')
            || !version.chars().any(|c| c.is_ascii_digit())
        {
            return Err(Error::InvalidMigration {
                name: format!("{version}_{}", self.name),
                reason: "a version is digits and `-`, as 2024-06-01-000000".into(),
            });
        }
        self.version = Some(version.to_owned());
        Ok(self)
    }

    /// Adds an operation, after the ones added before ([`Operation`] or
    /// [`StructOperation`](crate::StructOperation)). The files name the type a
    /// `StructOperation` was rendered from.
    #[must_use]
    pub fn operation<O: FolderOperation>(mut self, operation: O) -> Self {
        self.operations.push(operation.into_operation());
        self
    }

    /// Adds operations, in order.
    #[must_use]
    pub fn operations<I>(mut self, operations: I) -> Self
    where
        I: IntoIterator,
        I::Item: FolderOperation,
    {
        self.operations
            .extend(operations.into_iter().map(FolderOperation::into_operation));
        self
    }

    /// What `up.sql` holds: each operation's statements, in order, after a comment line
    /// naming it.
    pub fn up_sql(&self) -> String {
        format!("{HEADER}{}", script(&self.operations, Direction::Up))
    }

    /// What `down.sql` holds: the reverses, last operation first.
    pub fn down_sql(&self) -> String {
        format!("{HEADER}{}", script(&self.operations, Direction::Down))
    }

    /// Writes the new folder `dir/<version>_<name>` with `up.sql` and `down.sql` (`dir`, the
    /// migrations directory, is created if needed) and returns its path. Without a
    /// [`version`](Self::version), the version is the current UTC time, moved on by a second
    /// while a migration of `dir` has it.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] without operations, for an operation with dependent views
    /// (captured when it runs: it has no SQL to write), or when a migration of `dir` already
    /// has the version given (nothing is overwritten); [`Error::Io`] when a directory or file
    /// cannot be written (the new folder is removed then).
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        self.write_at(dir, SystemTime::now())
    }

    fn write_at(&self, dir: &Path, now: SystemTime) -> Result<PathBuf> {
        let invalid = |reason: String| Error::InvalidMigration {
            name: self.name.clone(),
            reason,
        };
        if self.operations.is_empty() {
            return Err(invalid(
                "it has no operation: there is nothing to write".into(),
            ));
        }
        if let Some((i, operation)) = self
            .operations
            .iter()
            .enumerate()
            .find(|(_, o)| o.dependents_of().is_some())
        {
            return Err(invalid(format!(
                "step {} ({}) captures the dependent views when it runs, so it has no SQL to \
                 write; run it in a ViewMigration",
                i + 1,
                operation.description()
            )));
        }
        let version = match &self.version {
            Some(version) => FolderVersion::Fixed(version),
            None => FolderVersion::Now(now),
        };
        write_folder(dir, &self.name, version, &self.up_sql(), &self.down_sql())
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn writes_new_folders_only() {
        let dir = std::env::temp_dir().join(format!("pgview-folder-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let folder = MigrationFolder::new("views")
            .unwrap()
            .operation(Operation::sql("SELECT 1", "SELECT 2").unwrap());
        let now = UNIX_EPOCH + Duration::from_secs(1_735_689_600);
        let first = folder.write_at(&dir, now).unwrap();
        assert_eq!(first.file_name().unwrap(), "2025-01-01-000000_views");
        assert_eq!(
            fs::read_to_string(first.join("up.sql")).unwrap(),
            format!("{HEADER}-- 1. execute SQL\nSELECT 1;\n")
        );
        assert_eq!(
            fs::read_to_string(first.join("down.sql")).unwrap(),
            format!("{HEADER}-- 1. undo execute SQL\nSELECT 2;\n")
        );
        // Written again at the same second: the next version.
        let second = folder.write_at(&dir, now).unwrap();
        assert_eq!(second.file_name().unwrap(), "2025-01-01-000001_views");
        // A version given twice (as diesel reads it, without `-`) is refused, the files kept.
        let fixed = folder.clone().version("20250101000000").unwrap();
        let err = fixed.write_at(&dir, now).unwrap_err();
        assert!(err.to_string().contains("never overwritten"), "{err}");
        fs::write(first.join("up.sql"), "kept").unwrap();
        let again = folder.clone().version("2025-01-01-000000").unwrap();
        assert!(again.write_at(&dir, now).is_err());
        assert_eq!(fs::read_to_string(first.join("up.sql")).unwrap(), "kept");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_what_it_cannot_write() {
        let dir = std::env::temp_dir().join(format!("pgview-folder-bad-{}", std::process::id()));
        for bad in ["", "a/b", "é", "a b"] {
            assert!(MigrationFolder::new(bad).is_err(), "{bad}");
        }
        let folder = MigrationFolder::new("m").unwrap();
        for bad in ["", "v1", "2024_01", "--"] {
            assert!(folder.clone().version(bad).is_err(), "{bad}");
        }
        let err = folder.write(&dir).unwrap_err();
        assert!(err.to_string().contains("no operation"), "{err}");
        let dependents = Operation::with_dependent_views("orders", "SELECT 1", "").unwrap();
        let err = folder.operation(dependents).write(&dir).unwrap_err();
        assert!(
            err.to_string()
                .contains("step 1 (change orders with its dependent views) captures"),
            "{err}"
        );
        assert!(!dir.exists());
    }
}
