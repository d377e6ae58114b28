//! `pgview graph`: the dependency graph as Graphviz DOT or Mermaid.

use clap::ValueEnum;
use pgview::GraphScope;

use crate::connection::connect;
use crate::Error;

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
    /// Only the views of this schema and what they read.
    #[arg(long, conflicts_with = "around")]
    schema: Option<String>,
    /// Only this relation (`name` or `schema.name`), what it reads and what reads it.
    #[arg(long)]
    around: Option<String>,
}

/// Prints the graph.
pub(crate) fn run(url: Option<&str>, args: &Args) -> Result<(), Error> {
    let scope = match (&args.schema, &args.around) {
        (_, Some(name)) => GraphScope::around(name.as_str())?,
        (Some(schema), None) => GraphScope::schema(schema),
        (None, None) => GraphScope::database(),
    };
    let mut conn = connect(url)?;
    let graph = pgview::get_dependency_graph(&mut conn, &scope)?;
    let text = match args.format {
        Format::Dot => graph.to_dot(),
        Format::Mermaid => graph.to_mermaid(),
    };
    println!("{}", text.trim_end());
    Ok(())
}
