//! `pgview print-schema`: Rust for the views a database already has, one
//! `#[derive(PgView)]` struct per view or materialized view, like `diesel print-schema` for
//! tables.
//!
//! Each struct declares the view as the server prints it (`sql = "…"`, options, indexes,
//! comments), so that declaring the printed structs gives no difference with the database,
//! and types its fields from [`pgview_core::get_all_view_columns`]: nullability inferred (a field is
//! `Option` unless the server proves the column `NOT NULL`), custom types (enums and types
//! without a Rust mapping) as markers in a `sql_types` module, as diesel does. What cannot be
//! declared with the derive's attributes (an expression or partial index) or typed (a type
//! without a Rust mapping) is printed as a `// TODO` comment and reported on standard error.

mod names;
mod render;
mod types;

use pgview_core::{ViewColumns, ViewFilter, ViewInfo};

use crate::connection::{connect, require_schemas};
use crate::output;
use crate::{Context, Error};

use names::Scope;

/// Arguments of `pgview print-schema`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only the views of this schema (default: every user schema; a schema that does not
    /// exist is an error).
    #[arg(short, long)]
    schema: Option<String>,
    /// Only the views whose name (or `schema.name`) matches one of these regular expressions.
    #[arg(short = 'o', long = "only-views", num_args = 1.., conflicts_with = "except_views")]
    only_views: Vec<String>,
    /// Leave out the views whose name (or `schema.name`) matches one of these regular
    /// expressions.
    #[arg(short = 'e', long = "except-views", num_args = 1..)]
    except_views: Vec<String>,
    /// Leave out materialized views.
    #[arg(long)]
    no_materialized: bool,
    /// Where the markers of custom SQL types (enums…) are, such as
    /// `crate::schema::sql_types` from `diesel print-schema`; by default they are printed in a
    /// `sql_types` module.
    #[arg(long, value_name = "PATH")]
    sql_types_path: Option<String>,
}

/// Prints the structs.
pub(crate) fn run(context: &Context<'_>, args: &Args) -> Result<(), Error> {
    let only = regexes(&args.only_views)?;
    let except = regexes(&args.except_views)?;
    let mut filter = ViewFilter::new().include_materialized(!args.no_materialized);
    if let Some(schema) = &args.schema {
        filter = filter.schema(schema);
    }
    let mut conn = connect(context)?;
    require_schemas(&mut conn, args.schema.as_slice())?;
    let infos = pgview_core::get_all_views(&mut conn, &filter)?;
    let columns = pgview_core::get_all_view_columns(&mut conn, &filter)?;
    let wanted = |schema: &str, name: &str| {
        let full = format!("{schema}.{name}");
        let matches = |r: &regex::Regex| r.is_match(name) || r.is_match(&full);
        (only.is_empty() || only.iter().any(matches)) && !except.iter().any(matches)
    };
    let views: Vec<(ViewInfo, ViewColumns)> = infos
        .into_iter()
        .filter(|info| wanted(&info.schema, &info.name))
        .filter_map(|info| {
            let cols = columns
                .iter()
                .find(|c| c.schema == info.schema && c.name == info.name)?
                .clone();
            Some((info, cols))
        })
        .collect();
    let printed = render::Printed::new(&views, args.sql_types_path.as_deref());
    for warning in &printed.warnings {
        output::warning(warning);
    }
    print!("{}", printed.text);
    Ok(())
}

/// The regular expressions of a filter option (unanchored, as diesel's `-o`/`-e`).
fn regexes(patterns: &[String]) -> Result<Vec<regex::Regex>, Error> {
    patterns
        .iter()
        .map(|p| {
            regex::Regex::new(p)
                .map_err(|e| format!("invalid regular expression {p:?}: {e}").into())
        })
        .collect()
}

/// Field, struct and module names of one output.
#[derive(Debug, Default)]
struct Names {
    structs: Scope,
    modules: Scope,
    markers: Scope,
}
