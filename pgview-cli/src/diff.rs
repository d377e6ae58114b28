//! `pgview diff`: how the database differs from a folder of view definitions.

use std::path::PathBuf;
use std::process::ExitCode;

use pgview::{DiffScope, ViewDiff, ViewSet};

use crate::connection::connect;
use crate::viewdir::{read_dir, Declared};
use crate::Error;

/// Where the definitions are and which views of the database they are compared with (shared
/// by `diff` and `generate`).
#[derive(Debug, clap::Args)]
pub(crate) struct Source {
    /// The folder of view definitions: one `.sql` file per view (see `pgview help diff`).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Compare every view of this schema (repeatable), not only the schemas of the files.
    #[arg(long, value_name = "SCHEMA", conflicts_with_all = ["all_schemas", "declared_only"])]
    schema: Vec<String>,
    /// Compare every view of every user schema.
    #[arg(long, conflicts_with = "declared_only")]
    all_schemas: bool,
    /// Compare the views of the files only: views of the database that no file declares are
    /// never reported as dropped.
    #[arg(long)]
    declared_only: bool,
    /// Leave this view (`name` or `schema.name`, repeatable) out of the comparison.
    #[arg(long, value_name = "VIEW")]
    exclude: Vec<String>,
}

impl Source {
    /// The comparison of the folder with the database at `url`.
    pub(crate) fn diff(&self, url: Option<&str>) -> Result<ViewDiff, Error> {
        let mut set = ViewSet::new();
        for declared in read_dir(&self.dir)? {
            set = match declared {
                Declared::View(view) => set.with_view(view),
                Declared::Materialized(view) => set.with_materialized(view),
            };
        }
        let scope = self.scope()?;
        let mut conn = connect(url)?;
        Ok(pgview::diff(&mut conn, &set, &scope)?)
    }

    fn scope(&self) -> Result<DiffScope, Error> {
        let scope = if self.all_schemas {
            DiffScope::all_schemas()
        } else if self.declared_only {
            DiffScope::declared_only()
        } else if self.schema.is_empty() {
            DiffScope::declared_schemas()
        } else {
            DiffScope::schemas(&self.schema)?
        };
        Ok(scope.exclude(&self.exclude)?)
    }
}

/// Arguments of `pgview diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    source: Source,
    /// Print one line per change (`definition`, `columns: (…) -> (…)`) instead of each change in
    /// full (definitions as a unified diff, columns and options one by one).
    #[arg(long)]
    stat: bool,
}

/// Prints the differences (in full, or one line per change with `--stat`); exit status 0 when
/// there are none, 1 when there are some.
pub(crate) fn run(url: Option<&str>, args: &Args) -> Result<ExitCode, Error> {
    let diff = args.source.diff(url)?;
    // Both reports end with a newline.
    if args.stat {
        print!("{}", diff.stat());
    } else {
        print!("{diff}");
    }
    Ok(if diff.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
