//! The declared views of a command: the program's derived views and the `.sql` files of
//! `--dir`.

use std::path::PathBuf;

use pgview_core::{AnyView, ViewSet};

use crate::viewdir::{read_dir, Declared};
use crate::{Context, Error};

/// `--dir`: a folder of view definitions, declared besides the program's derived views.
#[derive(Debug, clap::Args)]
pub(crate) struct Declarations {
    /// The folder of view definitions: one `.sql` file per view (see `help diff`). Declared
    /// besides the program's derived views, if any.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

impl Declarations {
    /// Whether any view is declared: a folder is given, or the program registered views.
    pub(crate) fn any(&self, context: &Context<'_>) -> bool {
        self.dir.is_some() || !context.registered.is_empty()
    }

    /// The registered views and those of the folder. A name declared twice (two files, a
    /// file and a struct) is an error naming both.
    pub(crate) fn set(&self, context: &Context<'_>) -> Result<ViewSet, Error> {
        let mut set = context.registered.clone();
        if let Some(dir) = &self.dir {
            for (path, declared) in read_dir(dir)? {
                let view: AnyView = match declared {
                    Declared::View(view) => view.into(),
                    Declared::Materialized(view) => view.into(),
                };
                set.declare(view, format!("file {}", path.display()))?;
            }
        }
        Ok(set)
    }

    /// [`set`](Self::set), refusing an empty declaration: `what` needs declared views.
    pub(crate) fn required(&self, context: &Context<'_>, what: &str) -> Result<ViewSet, Error> {
        if !self.any(context) {
            return Err(format!(
                "{what} needs declared views: pass --dir DIR (a folder of .sql files), or run \
                 the command line of a program that declares views with #[derive(PgView)] \
                 (pgview::cli::main)"
            )
            .into());
        }
        self.set(context)
    }
}
