//! `pgview`: the command-line tool of pgview.
//!
//! The connection comes from `--database-url` or `DATABASE_URL`. Errors are one readable
//! line on standard error and exit status 2 (`pgview diff` exits with 1 when it finds
//! differences, like `diff`).

mod connection;
mod diff;
mod generate;
mod graph;
mod refresh;
mod viewdir;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// PostgreSQL views for Diesel: dependency graphs, view diffs and migrations, refresh.
#[derive(Debug, Parser)]
#[command(name = "pgview", version, about)]
struct Cli {
    /// The database to work on.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,

    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Draw the dependency graph of tables, views and materialized views (DOT or Mermaid).
    Graph(graph::Args),
    /// Compare a folder of view definitions (`.sql` files) with the database.
    #[command(after_long_help = viewdir::help(
        "Exit status: 0 when the database matches the folder, 1 when it differs, 2 on error."
    ))]
    Diff(diff::Args),
    /// Write the Diesel migration that makes the database match a folder of view definitions.
    #[command(after_long_help = viewdir::help(
        "Exit status: 0 when the migration is written (or nothing differs), 2 on error."
    ))]
    Generate(generate::Args),
    /// Refresh materialized views in dependency order, in parallel (progress bar, then a table
    /// of durations; non-zero exit when a view failed).
    Refresh(refresh::Args),
}

/// The error of a command: printed as one line.
type Error = Box<dyn std::error::Error + Send + Sync>;

/// Runs the command; its exit status when it does not fail.
fn run(cli: Cli) -> Result<ExitCode, Error> {
    let url = cli.database_url.as_deref();
    match cli.command {
        Command::Graph(args) => graph::run(url, &args),
        Command::Diff(args) => return diff::run(url, &args),
        Command::Generate(args) => return generate::run(url, &args),
        Command::Refresh(args) => refresh::run(url, &args),
    }?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(status) => status,
        Err(error) => {
            eprintln!("pgview: {}", one_line(error.as_ref()));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line.
fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line.replace('\n', " ")
}
