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
//! refreshes the declared materialized views; `completions` prints a shell's completion
//! script for the program (under its own name).
//!
//! Settings are found as diesel's command line finds them: the database in `--database-url`,
//! else `DATABASE_URL` in the environment, else in a `.env` file; the migrations directory
//! of `generate` in `--migration-dir`, else `MIGRATION_DIRECTORY`, else `diesel.toml`'s
//! `[migrations_directory] dir`, else the `migrations` directory found from the current
//! directory upwards. Global flags: `-q`/`--quiet`, `-v`/`--verbose`,
//! `--color auto|always|never`.
//!
//! Exit statuses: 0 success (for `diff`: no difference); 1 `diff` found differences; 2 a
//! usage, configuration or connection error, or views that cannot be declared (one readable
//! line on standard error); 3 refused: `generate` would drop views nothing declares, finds
//! migrations not applied to the database, or `refresh` had views that failed.
//!
//! Implementation detail of `pgview`: use it as `pgview::cli`.

#![allow(
    clippy::needless_doctest_main,
    reason = "the three-line binary an application writes is the example"
)]

mod config;
mod connection;
mod declared;
mod diff;
mod generate;
mod graph;
mod output;
mod pending;
mod print_schema;
mod refresh;
mod viewdir;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand};
use pgview_core::ViewSet;

use config::DotEnv;
use output::{ColorWhen, Verbosity};

/// PostgreSQL views for Diesel: dependency graphs, view diffs and migrations, refresh.
#[derive(Debug, Parser)]
#[command(name = "pgview", version, about, after_help = EXIT_STATUS)]
struct Cli {
    /// The database to work on [default: `DATABASE_URL` of the environment, else of the first
    /// `.env` file found from the current directory upwards].
    #[arg(long, global = true, value_name = "URL", help_heading = GLOBAL)]
    database_url: Option<String>,

    /// diesel's configuration file, read for its `[migrations_directory] dir` [default:
    /// `DIESEL_CONFIG_FILE`, else the first diesel.toml found from the current directory
    /// upwards].
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    config_file: Option<PathBuf>,

    /// Print only errors, warnings and what the command is for (the diff, the graph, the
    /// folder written, the plan of --dry-run): no notes, no progress bar, no refresh table.
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = GLOBAL)]
    quiet: bool,

    /// Also print each SQL statement sent and the library's log on standard error (-vv: its
    /// debug events too).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    verbose: u8,

    /// When to colour the output: `auto` colours a terminal unless `NO_COLOR` is set.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    color: ColorWhen,

    #[command(subcommand)]
    command: Command,
}

/// The heading of the options every subcommand takes, in the help.
const GLOBAL: &str = "Global Options";

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
    #[command(after_long_help = viewdir::help(&format!(
        "{SCOPE_HELP}\n\n{MIGRATIONS_HELP}\n\n{GENERATE_STATUS}"
    )))]
    Generate(generate::Args),
    /// Refresh materialized views in dependency order, in parallel (progress bar, then a table
    /// of durations; exit status 3 when a view failed).
    #[command(after_help = REFRESH_STATUS)]
    Refresh(refresh::Args),
    /// Print Rust for the views of the database: one `#[derive(PgView)]` struct per view.
    PrintSchema(print_schema::Args),
    /// Print the completion script of a shell for this program (under the name it was run
    /// as): `pgview completions bash > ~/.local/share/bash-completion/completions/pgview`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

impl Command {
    /// Runs the subcommand; its exit status when it does not fail.
    fn run(&self, context: &Context<'_>) -> Result<u8, Error> {
        match self {
            Self::Graph(args) => graph::run(context, args),
            Self::Diff(args) => diff::run(context, args),
            Self::Generate(args) => generate::run(context, args),
            Self::Refresh(args) => refresh::run(context, args),
            Self::PrintSchema(args) => print_schema::run(context, args).map(|()| SUCCESS),
            Self::Completions { shell } => {
                let mut command = Cli::command();
                clap_complete::generate(
                    *shell,
                    &mut command,
                    context.bin_name.as_str(),
                    &mut std::io::stdout(),
                );
                Ok(SUCCESS)
            }
        }
    }
}

/// What every subcommand is given: the settings and the views the program registered.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// `--database-url`, else `DATABASE_URL` (environment, then `.env`).
    pub(crate) url: Option<String>,
    /// The variables of the `.env` file found, behind those of the environment.
    pub(crate) env: DotEnv,
    /// `--config-file`.
    pub(crate) config_file: Option<&'a Path>,
    /// `-q`, `-v`.
    pub(crate) verbosity: Verbosity,
    /// The program's name (`pgview`, or the application's binary).
    pub(crate) bin_name: String,
    /// The program's derived views ([`ViewSet::registered`]; none for the `pgview` binary).
    pub(crate) registered: &'a ViewSet,
}

impl Context<'_> {
    /// The database URL, or the error saying where it is looked for.
    pub(crate) fn url(&self) -> Result<&str, Error> {
        self.url.as_deref().ok_or_else(|| {
            "no database: pass --database-url, set DATABASE_URL, or put DATABASE_URL=… in a \
             .env file"
                .into()
        })
    }
}

/// The exit status of success (for `diff`: no difference).
pub(crate) const SUCCESS: u8 = 0;
/// The exit status of `diff` when the database differs from the declared views.
pub(crate) const DIFFERENT: u8 = 1;
/// The exit status of an error: usage, configuration, connection, invalid declarations.
pub(crate) const FAILED: u8 = 2;
/// The exit status of a refusal: an unsafe plan, pending migrations, views that failed.
pub(crate) const REFUSED: u8 = 3;

/// The exit statuses of every command, shown by `--help`.
const EXIT_STATUS: &str = "\
Exit status:
  0  success (diff: the database matches the declared views)
  1  diff: the database differs from the declared views
  2  usage, configuration or connection error, or views that cannot be declared
  3  refused: generate would drop views nothing declares or finds migrations not applied to
     the database; refresh had views that failed";

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

/// Where `generate` writes, shown by its help.
const MIGRATIONS_HELP: &str = "\
Migrations directory, as diesel finds it: --migration-dir DIR, else MIGRATION_DIRECTORY, else
[migrations_directory] dir of diesel.toml (--config-file, DIESEL_CONFIG_FILE, else the first
diesel.toml from the current directory upwards; dir is relative to the file), else the first
`migrations` directory from the current directory upwards. A directory that does not exist is
created only with --create (else exit status 2). While the directory holds migrations the
database has not applied (their version is not in __diesel_schema_migrations), generate
refuses (exit status 3, naming them): apply them first (diesel migration run), so that the new
migration starts from what they do.";

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
  2  usage or connection error, or a missing migrations directory without --create
  3  refused: views nothing declares would be dropped, or migrations of the directory are not
     applied to the database";

/// The exit statuses of `pgview refresh`.
const REFRESH_STATUS: &str = "\
Exit status:
  0  every view was refreshed (or, with --dry-run, planned)
  2  usage or connection error
  3  a view failed (its readers were skipped): the table shows them, the last line names them";

/// The error of a command: printed as one line.
type Error = Box<dyn std::error::Error + Send + Sync>;

/// An error that is a refusal (exit status 3): the command ran and would not go on, because
/// going on would be unsafe or pointless (an unsafe plan, migrations not applied, views that
/// failed).
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

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
/// The process environment is read, never changed (a `.env` file is read, not loaded), and
/// `--color` sets `anstream`'s colour choice for the process.
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
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // Before parsing, so that clap's help and usage errors follow `--color` too.
    ColorWhen::from_raw_args(&args).unwrap_or_default().apply();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to standard output with status 0; usage errors exit with 2.
            let _ = error.print();
            return u8::try_from(error.exit_code()).unwrap_or(FAILED);
        }
    };
    cli.color.apply();
    let verbosity = Verbosity::new(cli.quiet, cli.verbose);
    verbosity.install_log();
    let bin_name = args
        .first()
        .and_then(|arg0| Path::new(arg0).file_stem())
        .map_or_else(|| "pgview".to_owned(), |s| s.to_string_lossy().into_owned());
    let outcome = views.map_err(Error::from).and_then(|registered| {
        let env = match cli.command {
            // Completions need no settings: a broken .env does not stop them.
            Command::Completions { .. } => DotEnv::default(),
            _ => DotEnv::find()?,
        };
        if let Some(file) = env.file() {
            tracing::info!(file = %file.display(), "read .env");
        }
        let context = Context {
            url: cli.database_url.clone().or_else(|| env.var("DATABASE_URL")),
            env,
            config_file: cli.config_file.as_deref(),
            verbosity,
            bin_name,
            registered: &registered,
        };
        cli.command.run(&context)
    });
    match outcome {
        Ok(status) => status,
        Err(error) => {
            output::error(one_line(error.as_ref()));
            if error.downcast_ref::<Refused>().is_some() {
                REFUSED
            } else {
                FAILED
            }
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
    line.trim_end().replace('\n', " ")
}
