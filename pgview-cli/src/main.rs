//! `pgview`: the command-line tool of pgview.
//!
//! The connection comes from `--database-url` or `DATABASE_URL`. Exit statuses: 0 when all
//! went well (for `pgview diff`: no difference), 1 when `pgview diff` finds differences (like
//! `diff`), 2 for a usage or connection error (one readable line on standard error), 3 when
//! `pgview generate` refuses to drop views that no file declares.

mod connection;
mod diff;
mod generate;
mod graph;
mod print_schema;
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
    #[command(after_long_help = viewdir::help(&format!("{SCOPE_HELP}\n\n{DIFF_STATUS}")))]
    Diff(diff::Args),
    /// Write the Diesel migration that makes the database match a folder of view definitions.
    #[command(after_long_help = viewdir::help(&format!("{SCOPE_HELP}\n\n{GENERATE_STATUS}")))]
    Generate(generate::Args),
    /// Refresh materialized views in dependency order, in parallel (progress bar, then a table
    /// of durations; non-zero exit when a view failed).
    Refresh(refresh::Args),
    /// Print Rust for the views of the database: one `#[derive(PgView)]` struct per view.
    PrintSchema(print_schema::Args),
}

/// Which views `diff` and `generate` compare, shown by their help.
const SCOPE_HELP: &str = "\
Scope: the views of the files are always compared. By default the views pgview manages are
compared too: those created or declared by a migration pgview generated (recorded in the table
pgview.managed_views, which generated migrations keep up to date); a recorded view no file
declares any more is dropped. A view of the files' schemas that nobody recorded (made by hand)
is reported as unmanaged (a `?` line of `pgview diff`, a line on standard error of `pgview
generate`), is not a difference and is left alone; declare it in a file to adopt it (the next
migration generated records it).
Other scopes (one of them): --declared-schemas (every view of the files' schemas), --schema
SCHEMA (every view of these schemas), --all-schemas, --view VIEW (these views),
--declared-only (no other view); --exclude VIEW leaves views out of any scope.";

/// The exit statuses of `pgview diff`.
const DIFF_STATUS: &str = "\
Exit status:
  0  the database matches the folder (unmanaged views are not differences)
  1  the database differs from the folder
  2  usage or connection error";

/// The exit statuses of `pgview generate`.
const GENERATE_STATUS: &str = "\
A view no file declares that reads a view the migration drops or rebuilds, and that cannot be
rebuilt on the new definitions, is never dropped silently: the command names it and why, writes
nothing and exits with status 3, unless --allow-drop VIEW or --allow-drop-any allows it.
Exit status:
  0  the migration is written (or nothing differs)
  2  usage or connection error
  3  refused: views no file declares would be dropped";

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
        Command::PrintSchema(args) => print_schema::run(url, &args),
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
