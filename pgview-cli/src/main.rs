//! `pgview`: the command-line tool of pgview.
//!
//! The connection comes from `--database-url` or `DATABASE_URL`. Errors are one readable
//! line on standard error and a non-zero exit code.

mod connection;
mod graph;
mod refresh;

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
    /// Refresh materialized views in dependency order, in parallel (progress bar, then a table
    /// of durations; non-zero exit when a view failed).
    Refresh(refresh::Args),
}

/// The error of a command: printed as one line.
type Error = Box<dyn std::error::Error + Send + Sync>;

fn run(cli: Cli) -> Result<(), Error> {
    let url = cli.database_url.as_deref();
    match cli.command {
        Command::Graph(args) => graph::run(url, &args),
        Command::Refresh(args) => refresh::run(url, &args),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pgview: {}", one_line(error.as_ref()));
            ExitCode::FAILURE
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
