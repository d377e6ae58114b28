//! `pgview generate`: a Diesel migration that makes the database match a folder of view
//! definitions.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::diff::Source;
use crate::Error;

/// Arguments of `pgview generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    source: Source,
    /// The Diesel migrations folder the new migration is written to.
    #[arg(long, value_name = "DIR", default_value = "migrations")]
    migrations: PathBuf,
    /// The migration's name (ASCII letters, digits, `_`, `-`); the folder is
    /// `<version>_<name>`, the version being the current UTC time.
    #[arg(long, default_value = "update_views")]
    name: String,
}

/// Writes the migration (nothing when the database already matches) and prints its folder.
pub(crate) fn run(url: Option<&str>, args: &Args) -> Result<ExitCode, Error> {
    let plan = args.source.diff(url)?.plan()?;
    if plan.is_empty() {
        println!("no differences: no migration written");
        return Ok(ExitCode::SUCCESS);
    }
    for warning in &plan.warnings {
        eprintln!("pgview: warning: {}", warning.replace('\n', " "));
    }
    let folder = pgview::write_migration(&args.migrations, &args.name, &plan)?;
    println!(
        "wrote {} ({} step(s) up, {} down)",
        folder.display(),
        plan.steps.len(),
        plan.down_steps.len()
    );
    Ok(ExitCode::SUCCESS)
}
