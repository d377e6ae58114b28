//! `pgview graph`: the dependency graph as Graphviz DOT or Mermaid.

use clap::ValueEnum;
use pgview_core::{GraphScope, ViewFilter};

use crate::connection::{connect, require_schemas};
use crate::declared::Declarations;
use crate::{Context, Error};

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// Mermaid (`flowchart`), rendered by GitHub and GitLab in Markdown.
    Mermaid,
}

/// Arguments of `pgview graph`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The output format.
    #[arg(long, value_enum, default_value = "dot")]
    format: Format,
    /// Only the views of this schema and what they read (a schema that does not exist is an
    /// error).
    #[arg(long, conflicts_with_all = ["around", "database"])]
    schema: Option<String>,
    /// Only this relation (`name` or `schema.name`), what it reads and what reads it.
    #[arg(long, conflicts_with = "database")]
    around: Option<String>,
    /// Every view of the database, even when views are declared (without declared views,
    /// the default).
    #[arg(long)]
    database: bool,
    #[command(flatten)]
    declared: Declarations,
}

impl Args {
    /// What to draw: `--around`, `--schema`, `--database`; else the declared views and what
    /// they read (they must exist in the database), or the whole database when none is
    /// declared.
    fn scope(&self, context: &Context<'_>) -> Result<GraphScope, Error> {
        Ok(match (&self.schema, &self.around) {
            (_, Some(name)) => GraphScope::around(name.as_str())?,
            (Some(schema), None) => GraphScope::schema(schema),
            (None, None) if self.draws_declared(context) => {
                let set = self.declared.set(context)?;
                let names = set.definitions().iter().map(|view| view.name().clone());
                GraphScope::views(ViewFilter::new().names(names)?)
            }
            (None, None) => GraphScope::database(),
        })
    }

    /// Whether the graph is the declared views' (no other scope given, views declared).
    fn draws_declared(&self, context: &Context<'_>) -> bool {
        self.schema.is_none()
            && self.around.is_none()
            && !self.database
            && self.declared.any(context)
    }
}

/// Prints the graph.
pub(crate) fn run(context: &Context<'_>, args: &Args) -> Result<u8, Error> {
    let scope = args.scope(context)?;
    let mut conn = connect(context)?;
    require_schemas(&mut conn, args.schema.as_slice())?;
    let graph = match pgview_core::get_dependency_graph(&mut conn, &scope) {
        Err(error @ pgview_core::Error::NotFound { .. }) if args.draws_declared(context) => {
            return Err(format!(
                "{error}: the declared views are drawn as the database has them (apply their \
                 migration first, or pass --database)"
            )
            .into())
        }
        graph => graph?,
    };
    let text = match args.format {
        Format::Dot => graph.to_dot(),
        Format::Mermaid => graph.to_mermaid(),
    };
    println!("{}", text.trim_end());
    Ok(0)
}
