//! Where the command finds its settings, as diesel's command line does: `DATABASE_URL` in the
//! environment or a `.env` file, the migrations directory in `diesel.toml`.
//!
//! - The database: `--database-url`, else the environment's `DATABASE_URL`, else
//!   `DATABASE_URL` in the first `.env` file found from the current directory upwards (the
//!   environment wins over the file, as with diesel). The file is read, not loaded: the
//!   process environment is left as it is, since [`run`](crate::run) may be called by a
//!   program whose other threads read it. A `.env` file that cannot be parsed is an error
//!   naming it, as with diesel.
//! - `diesel.toml`: `--config-file`, else `DIESEL_CONFIG_FILE` (environment or `.env`), else
//!   the first `diesel.toml` found from the current directory upwards. A file named by the
//!   flag or the variable must exist; none found is no configuration.
//! - The migrations directory of `generate`: `--migration-dir`, else `MIGRATION_DIRECTORY`
//!   (environment or `.env`), else `[migrations_directory] dir` of `diesel.toml` (relative to
//!   the file's directory), else the first `migrations` directory found from the current
//!   directory upwards, else `migrations` in the project's root (the directory of
//!   `diesel.toml`, else of `Cargo.toml`, else the current directory), which `generate`
//!   creates only with `--create`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::Error;

/// The variables of a `.env` file, and where it is.
#[derive(Debug, Default)]
pub(crate) struct DotEnv {
    file: Option<PathBuf>,
    vars: HashMap<String, String>,
}

impl DotEnv {
    /// Reads the first `.env` found from the current directory upwards (none: empty).
    pub(crate) fn find() -> Result<Self, Error> {
        let Some(file) = find_upwards(&std::env::current_dir()?, ".env", Path::is_file) else {
            return Ok(Self::default());
        };
        let invalid = |e: dotenvy::Error| format!("cannot read {}: {e}", file.display());
        let mut vars = HashMap::new();
        for item in dotenvy::from_path_iter(&file).map_err(invalid)? {
            let (name, value) = item.map_err(invalid)?;
            // The first definition wins, as dotenvy's `dotenv()` loads them.
            vars.entry(name).or_insert(value);
        }
        Ok(Self {
            file: Some(file),
            vars,
        })
    }

    /// The variable `name`: the environment's, else the file's.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .or_else(|| self.vars.get(name).cloned())
    }

    /// Where the file is, if there is one.
    pub(crate) fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

/// The first `dir/name` (then its parents') that `wanted` accepts.
fn find_upwards(dir: &Path, name: &str, wanted: fn(&Path) -> bool) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(name))
        .find(|candidate| wanted(candidate))
}

/// The `diesel.toml` to read: named (`--config-file`, `DIESEL_CONFIG_FILE`; it must exist),
/// else the first found from the current directory upwards.
fn config_file(named: Option<&Path>, env: &DotEnv) -> Result<Option<PathBuf>, Error> {
    let named = named
        .map(Path::to_path_buf)
        .or_else(|| env.var("DIESEL_CONFIG_FILE").map(PathBuf::from));
    if let Some(file) = named {
        if !file.is_file() {
            return Err(format!(
                "the configuration file {} does not exist (given by --config-file or \
                 DIESEL_CONFIG_FILE)",
                file.display()
            )
            .into());
        }
        return Ok(Some(file));
    }
    Ok(find_upwards(
        &std::env::current_dir()?,
        "diesel.toml",
        Path::is_file,
    ))
}

/// `[migrations_directory] dir` of the `diesel.toml` at `file`, relative to its directory.
fn configured_migrations_dir(file: &Path) -> Result<Option<PathBuf>, Error> {
    let invalid = |e: &dyn std::fmt::Display| format!("cannot read {}: {e}", file.display());
    let text = std::fs::read_to_string(file).map_err(|e| invalid(&e))?;
    let table: toml::Table = text.parse().map_err(|e| invalid(&e))?;
    let Some(section) = table.get("migrations_directory") else {
        return Ok(None);
    };
    let dir = section
        .get("dir")
        .and_then(toml::Value::as_str)
        .ok_or_else(|| invalid(&"[migrations_directory] has no `dir = \"…\"` string"))?;
    let base = file.parent().unwrap_or(Path::new("."));
    Ok(Some(base.join(dir)))
}

/// Where the migrations directory was found, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `--migration-dir`.
    Flag,
    /// `MIGRATION_DIRECTORY`.
    Variable,
    /// `diesel.toml`.
    Config(PathBuf),
    /// A `migrations` directory found upwards.
    Found,
    /// None found: the default in the project's root.
    Default,
}

/// The migrations directory (see the module's documentation) and where it comes from.
pub(crate) fn migrations_dir(
    flag: Option<&Path>,
    config_flag: Option<&Path>,
    env: &DotEnv,
) -> Result<(PathBuf, Origin), Error> {
    if let Some(dir) = flag {
        return Ok((dir.to_path_buf(), Origin::Flag));
    }
    if let Some(dir) = env.var("MIGRATION_DIRECTORY") {
        return Ok((dir.into(), Origin::Variable));
    }
    let config = config_file(config_flag, env)?;
    if let Some(file) = &config {
        if let Some(dir) = configured_migrations_dir(file)? {
            return Ok((dir, Origin::Config(file.clone())));
        }
    }
    let current = std::env::current_dir()?;
    if let Some(dir) = find_upwards(&current, "migrations", Path::is_dir) {
        return Ok((dir, Origin::Found));
    }
    let root = match config.as_deref().and_then(Path::parent) {
        Some(dir) => dir.to_path_buf(),
        None => find_upwards(&current, "Cargo.toml", Path::is_file)
            .as_deref()
            .and_then(Path::parent)
            .map_or(current.clone(), Path::to_path_buf),
    };
    Ok((root.join("migrations"), Origin::Default))
}

impl Origin {
    /// Where the directory comes from, for messages: `` (from diesel.toml at …)``.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Flag => " (from --migration-dir)".to_owned(),
            Self::Variable => " (from MIGRATION_DIRECTORY)".to_owned(),
            Self::Config(file) => format!(" (from {})", file.display()),
            Self::Found | Self::Default => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_directory_is_relative_to_the_file() {
        let dir = std::env::temp_dir().join(format!("pgview-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("diesel.toml");
        std::fs::write(
            &file,
            "[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"db/migrations\"\n",
        )
        .unwrap();
        assert_eq!(
            configured_migrations_dir(&file).unwrap(),
            Some(dir.join("db/migrations"))
        );
        std::fs::write(&file, "[print_schema]\nfile = \"src/schema.rs\"\n").unwrap();
        assert_eq!(configured_migrations_dir(&file).unwrap(), None);
        std::fs::write(&file, "[migrations_directory]\ndir = 3\n").unwrap();
        let error = configured_migrations_dir(&file).unwrap_err().to_string();
        assert!(
            error.contains("diesel.toml") && error.contains("dir"),
            "{error}"
        );
        std::fs::write(&file, "[migrations_directory\n").unwrap();
        let error = configured_migrations_dir(&file).unwrap_err().to_string();
        assert!(error.contains("diesel.toml"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
