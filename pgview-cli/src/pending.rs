//! The migrations of a directory that the database has not applied, read as diesel reads them:
//! every folder of the directory whose name does not start with `.` and that holds an
//! `up.sql` is a migration; its version is its name up to the first `_`, without `-`
//! (`2024-05-01-093000_add_views` → `20240501093000`); it is applied when its version is in
//! diesel's table `__diesel_schema_migrations` (looked up through the `search_path`, as
//! diesel creates it). Without that table, every migration is pending. Nothing is written:
//! the table is not created.

use std::collections::HashSet;
use std::path::Path;

use diesel::sql_types::{Nullable, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

use crate::Error;

/// The migrations (folder names, sorted) of `dir` that the database has not applied; none
/// when `dir` does not exist.
pub(crate) fn pending(conn: &mut PgConnection, dir: &Path) -> Result<Vec<String>, Error> {
    let folders = migration_folders(dir)?;
    if folders.is_empty() {
        return Ok(folders);
    }
    let applied = applied_versions(conn)?;
    Ok(folders
        .into_iter()
        .filter(|name| !applied.contains(&version(name)))
        .collect())
}

/// The migration folders of `dir`, sorted by name.
fn migration_folders(dir: &Path) -> Result<Vec<String>, Error> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let unreadable = |e: std::io::Error| format!("cannot read {}: {e}", dir.display());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.path().join("up.sql").is_file() {
            continue;
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// The version of a migration folder, as diesel reads it.
fn version(name: &str) -> String {
    name.split('_').next().unwrap_or(name).replace('-', "")
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Nullable<Text>)]
    version: Option<String>,
}

/// The versions recorded in `__diesel_schema_migrations` (none without the table).
fn applied_versions(conn: &mut PgConnection) -> Result<HashSet<String>, Error> {
    let table: Vec<Version> = diesel::sql_query(
        "SELECT pg_catalog.to_regclass('__diesel_schema_migrations')::text AS version",
    )
    .load(conn)?;
    if table.iter().all(|row| row.version.is_none()) {
        return Ok(HashSet::new());
    }
    let rows: Vec<Version> =
        diesel::sql_query("SELECT version::text AS version FROM __diesel_schema_migrations")
            .load(conn)?;
    Ok(rows.into_iter().filter_map(|row| row.version).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_as_diesel_reads_them() {
        assert_eq!(version("2024-05-01-093000_add_views"), "20240501093000");
        assert_eq!(version("20240501093000_add_views"), "20240501093000");
        assert_eq!(
            version("00000000000000_diesel_initial_setup"),
            "00000000000000"
        );
        assert_eq!(version("nounderscore"), "nounderscore");
    }
}
