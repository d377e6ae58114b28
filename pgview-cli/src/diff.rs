//! `pgview diff`: how the database differs from the declared views.

use diesel::PgConnection;
use pgview_core::{DiffOptions, DiffScope, ViewDiff, ViewSet};

use crate::connection::{connect, require_schemas};
use crate::declared::Declarations;
use crate::{output, Context, Error, DIFFERENT, SUCCESS};

/// Where the definitions are and which views of the database they are compared with (shared
/// by `diff` and `generate`).
#[derive(Debug, clap::Args)]
pub(crate) struct Source {
    #[command(flatten)]
    declared: Declarations,
    #[command(flatten)]
    scope: Scope,
    /// Leave this view (`name` or `schema.name`, repeatable) out of the comparison entirely,
    /// even when it is declared: neither compared, created, changed, recorded nor dropped.
    #[arg(long, value_name = "VIEW")]
    exclude: Vec<String>,
    /// Compare every declared view through the server, even those the ownership record proves
    /// unchanged since pgview applied them.
    #[arg(long)]
    full: bool,
}

/// Which views of the database that no file declares are compared (at most one of these; by
/// default the views pgview manages, as [`DiffScope::managed`]).
#[derive(Debug, clap::Args)]
#[group(id = "scope", multiple = false)]
struct Scope {
    /// Compare every view of the schemas the files' views are in: a view no file declares is
    /// reported as dropped, whoever made it.
    #[arg(long)]
    declared_schemas: bool,
    /// Compare every view of this schema (repeatable).
    #[arg(long, value_name = "SCHEMA")]
    schema: Vec<String>,
    /// Compare every view of every user schema.
    #[arg(long)]
    all_schemas: bool,
    /// Compare this view (`name` or `schema.name`, parts may be double-quoted; repeatable):
    /// dropped when no file declares it.
    #[arg(long, value_name = "VIEW")]
    view: Vec<String>,
    /// Compare the views of the files only: views of the database that no file declares are
    /// never reported as dropped.
    #[arg(long)]
    declared_only: bool,
}

impl Scope {
    /// The library's scope.
    fn to_scope(&self) -> Result<DiffScope, Error> {
        Ok(if self.declared_schemas {
            DiffScope::declared_schemas()
        } else if !self.schema.is_empty() {
            DiffScope::schemas(&self.schema)?
        } else if self.all_schemas {
            DiffScope::all_schemas()
        } else if !self.view.is_empty() {
            DiffScope::views(&self.view)?
        } else if self.declared_only {
            DiffScope::declared_only()
        } else {
            DiffScope::managed()
        })
    }
}

impl Source {
    /// The declared views, read before connecting (an invalid file is reported first), and
    /// the comparison's options.
    pub(crate) fn prepare(&self, context: &Context<'_>) -> Result<(ViewSet, DiffOptions), Error> {
        let set = self.declared.required(context, "comparing")?;
        let scope = self.scope.to_scope()?.exclude(&self.exclude)?;
        Ok((set, DiffOptions::new().scope(scope).full(self.full)))
    }

    /// Refuses a `--schema` that does not exist, naming it: the comparison would look at
    /// nothing there, silently (and a view declared in it is refused by the server, since
    /// pgview creates no schema).
    pub(crate) fn require_schemas(&self, conn: &mut PgConnection) -> Result<(), Error> {
        require_schemas(conn, &self.scope.schema)
    }
}
/// The program's derived structs checked against their views ([`PgView::verify`]), for the
/// views the comparison found unchanged (their definitions are the program's, so a mismatch is
/// the struct's, not a pending migration's): each mismatch printed on standard error; whether
/// there was one.
///
/// [`PgView::verify`]: pgview_core::PgView::verify
fn verify_structs(
    context: &Context<'_>,
    diff: &ViewDiff,
    conn: &mut PgConnection,
) -> Result<bool, Error> {
    if context.registered.is_empty() {
        return Ok(false);
    }
    let unchanged: Vec<(&str, &str)> = diff
        .entries()
        .iter()
        .filter(|e| e.is_unchanged())
        .map(|e| (e.schema.as_str(), e.name.as_str()))
        .collect();
    let mismatches = pgview_core::verify_registered(conn, |view| {
        // A view declared without a schema is in the connection's current schema.
        unchanged.iter().any(|(schema, name)| {
            *name == view.name().as_str() && view.schema().is_none_or(|s| s.as_str() == *schema)
        })
    })?;
    for mismatch in &mismatches {
        eprintln!(
            "struct `{}` does not match its view {}: {}",
            mismatch.type_name, mismatch.view, mismatch.error
        );
    }
    Ok(!mismatches.is_empty())
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

/// Prints the differences (in full, or one line per change with `--stat`) and the unmanaged
/// views (`?` lines, not differences); exit status 0 when there are no differences, 1 when
/// there are some.
pub(crate) fn run(context: &Context<'_>, args: &Args) -> Result<u8, Error> {
    let (set, options) = args.source.prepare(context)?;
    let mut conn = connect(context)?;
    args.source.require_schemas(&mut conn)?;
    let diff = pgview_core::diff_with(&mut conn, &set, &options)?;
    // Both reports end with a newline.
    if args.stat {
        output::print_diff(&diff.stat().to_string());
    } else {
        output::print_diff(&diff.to_string());
    }
    let mismatched = verify_structs(context, &diff, &mut conn)?;
    Ok(if diff.is_empty() && !mismatched {
        SUCCESS
    } else {
        DIFFERENT
    })
}
