//! The `pgview` command line, as a library: the `pgview` binary is [`main`] with no derived
//! views, and an application mounts the same command line on its own derived views
//! (`#[derive(PgView)]`, collected by [`ViewSet::registered`]) in a three-line binary, through
//! the `cli` feature of `pgview`:
//!
//! ```no_run
//! // src/bin/views.rs of the application (pgview with `features = ["cli"]`)
//! fn main() {
//!     pgview_cli::main(pgview_core::ViewSet::registered()) // `pgview::cli::main(pgview::diff::ViewSet::registered())`
//! }
//! ```
//!
//! Every subcommand works on the declared views: the registered ones and the `.sql` files of
//! `--dir`, both when both are given (a name declared twice is an error naming both
//! declarations). `diff` and `generate` compare them with the database; `graph` draws them and
//! what they read (`--database` draws the whole database); `refresh` without view names
//! refreshes the declared materialized views.
//!
//! The connection comes from `--database-url` or `DATABASE_URL`. Exit statuses: 0 when all
//! went well (for `diff`: no difference), 1 when `diff` finds differences (like `diff`), 2 for
//! a usage or connection error, or views that cannot be declared (one readable line on
//! standard error), 3 when `generate` refuses to drop views that nothing declares.
//!
//! Implementation detail of `pgview`: use it as `pgview::cli`.

#![allow(
    clippy::needless_doctest_main,
    reason = "the three-line binary an application writes is the example"
)]

mod connection;
mod declared;
mod diff;
mod generate;
mod graph;
mod print_schema;
mod refresh;
mod viewdir;

use std::ffi::OsString;

use clap::{Parser, Subcommand};
use pgview_core::ViewSet;

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

/// The subcommands: one variant each, run by [`Command::run`].
#[derive(Debug, Subcommand)]
enum Command {
    /// Draw the dependency graph of the declared views (or of the whole database) with what
    /// they read (DOT or Mermaid).
    Graph(graph::Args),
    /// Compare the declared views (the program's derived views, the `.sql` files of --dir)
    /// with the database.
    #[command(after_long_help = viewdir::help(&format!("{SCOPE_HELP}\n\n{DIFF_STATUS}")))]
    Diff(diff::Args),
    /// Write the Diesel migration that makes the database match the declared views.
    #[command(after_long_help = viewdir::help(&format!("{SCOPE_HELP}\n\n{GENERATE_STATUS}")))]
    Generate(generate::Args),
    /// Refresh materialized views in dependency order, in parallel (progress bar, then a table
    /// of durations; non-zero exit when a view failed).
    Refresh(refresh::Args),
    /// Print Rust for the views of the database: one `#[derive(PgView)]` struct per view.
    PrintSchema(print_schema::Args),
}

impl Command {
    /// Runs the subcommand; its exit status when it does not fail.
    fn run(&self, context: &Context<'_>) -> Result<u8, Error> {
        match self {
            Self::Graph(args) => graph::run(context, args),
            Self::Diff(args) => diff::run(context, args),
            Self::Generate(args) => generate::run(context, args),
            Self::Refresh(args) => refresh::run(context, args),
            Self::PrintSchema(args) => print_schema::run(context.url, args).map(|()| 0),
        }
    }
}

/// What every subcommand is given: the database and the views the program registered.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// `--database-url` or `DATABASE_URL`.
    pub(crate) url: Option<&'a str>,
    /// The program's derived views ([`ViewSet::registered`]; none for the `pgview` binary).
    pub(crate) registered: &'a ViewSet,
}

/// Which views `diff` and `generate` compare, shown by their help.
const SCOPE_HELP: &str = "\
Scope: the declared views (the program's derived views, the files of --dir) are always
compared, unless excluded. By default the views pgview manages are
compared too: those created or declared by a migration pgview generated (recorded in the table
pgview.managed_views, which generated migrations keep up to date); a recorded view nothing
declares any more is dropped. A view of the declared views' schemas that nobody recorded (made by hand)
is reported as unmanaged (a `?` line of `pgview diff`, a line on standard error of `pgview
generate`), is not a difference and is left alone; declare it to adopt it (the next
migration generated records it).
Other scopes (one of them): --declared-schemas (every view of the declared schemas), --schema
SCHEMA (every view of these schemas), --all-schemas, --view VIEW (these views),
--declared-only (no other view); --exclude VIEW leaves a view out of the comparison entirely,
even a declared one (neither compared, created, changed, recorded nor dropped).";

/// The exit statuses of `pgview diff`.
const DIFF_STATUS: &str = "\
Exit status:
  0  the database matches the declared views (unmanaged views are not differences)
  1  the database differs from them, or a derived struct does not match its (unchanged) view
     (`PgView::verify`: each mismatch on standard error)
  2  usage or connection error";

/// The exit statuses of `pgview generate`.
const GENERATE_STATUS: &str = "\
A view nothing declares that reads a view the migration drops or rebuilds, and that cannot be
rebuilt on the new definitions, is never dropped silently: the command names it and why, writes
nothing and exits with status 3, unless --allow-drop VIEW or --allow-drop-any allows it.
Exit status:
  0  the migration is written (or nothing differs)
  2  usage or connection error
  3  refused: views nothing declares would be dropped";

/// The error of a command: printed as one line.
type Error = Box<dyn std::error::Error + Send + Sync>;

/// Runs the command line on the views `views` (the program's derived views, usually
/// [`ViewSet::registered`]) and exits the process with the command's exit status.
///
/// An error building `views` (two structs declaring the same view) is reported as any other
/// error: one line on standard error, exit status 2 (`--help` and `--version` still work).
pub fn main(views: pgview_core::Result<ViewSet>) -> ! {
    let status = run(views, std::env::args_os());
    std::process::exit(i32::from(status));
}

/// Runs the command line on `views` with the arguments `args` (the first one is the program's
/// name, as [`std::env::args_os`] gives) and returns the exit status ([`main`] exits with it):
/// for a program that does something before or after.
///
/// # Examples
/// ```no_run
/// let status = pgview_cli::run(pgview_core::ViewSet::registered(), ["views", "diff"]);
/// assert!(status == 0 || status == 1); // 1: the database differs
/// ```
pub fn run<I, T>(views: pgview_core::Result<ViewSet>, args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to standard output with status 0; usage errors exit with 2.
            let _ = error.print();
            return u8::try_from(error.exit_code()).unwrap_or(2);
        }
    };
    let outcome = views.map_err(Error::from).and_then(|registered| {
        let context = Context {
            url: cli.database_url.as_deref(),
            registered: &registered,
        };
        cli.command.run(&context)
    });
    match outcome {
        Ok(status) => status,
        Err(error) => {
            eprintln!("pgview: {}", one_line(error.as_ref()));
            2
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
