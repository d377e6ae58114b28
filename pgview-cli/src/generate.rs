//! `pgview generate`: a Diesel migration that makes the database match the declared views.

use std::path::PathBuf;

use pgview_core::{MigrationPlan, PlanOptions, ViewDiff};

use crate::diff::Source;
use crate::{Context, Error};

/// The exit status when planning refuses to drop views nothing declares.
const REFUSED: u8 = 3;

/// Arguments of `pgview generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    source: Source,
    /// The Diesel migrations folder the new migration is written to.
    #[arg(long, value_name = "DIR", default_value = "migrations")]
    migrations: PathBuf,
    /// The migration's name (ASCII letters, digits, `_`, `-`); the folder is
    /// `<version>_<name>`, the version being the current UTC time.
    #[arg(long, default_value = "update_views")]
    name: String,
    /// Allow the migration to drop this view that nothing declares (`name` or `schema.name`,
    /// parts may be double-quoted; repeatable), when it reads a view the migration drops or
    /// rebuilds and cannot be rebuilt. Without it, such a view makes the command refuse
    /// (exit status 3).
    #[arg(long, value_name = "VIEW", conflicts_with = "allow_drop_any")]
    allow_drop: Vec<String>,
    /// Allow the migration to drop any view that nothing declares and that cannot be rebuilt.
    #[arg(long)]
    allow_drop_any: bool,
}

impl Args {
    /// The plan options the flags give.
    fn options(&self) -> Result<PlanOptions, Error> {
        let options = PlanOptions::new();
        Ok(if self.allow_drop_any {
            options.allow_drop_any()
        } else if self.allow_drop.is_empty() {
            options
        } else {
            options.allow_drop(&self.allow_drop)?
        })
    }
}

/// Writes the migration (nothing when the database already matches) and prints its folder;
/// the views left alone (unmanaged) and the warnings go to standard error. When the migration
/// would drop views nothing declares and the flags do not allow it, prints why on standard
/// error, writes nothing and exits with status 3.
pub(crate) fn run(context: &Context<'_>, args: &Args) -> Result<u8, Error> {
    let options = args.options()?;
    let diff = args.source.diff(context)?;
    let plan = match diff.plan_with(&options) {
        Ok(plan) => plan,
        Err(error @ pgview_core::Error::UndeclaredViewsWouldBeDropped { .. }) => {
            eprintln!("pgview: {}", crate::one_line(&error));
            eprintln!("pgview: no migration written");
            return Ok(REFUSED);
        }
        Err(error) => return Err(error.into()),
    };
    report_unmanaged(&diff, &plan);
    if plan.is_empty() {
        println!("no differences: no migration written");
        return Ok(0);
    }
    for warning in &plan.warnings {
        eprintln!("pgview: warning: {}", warning.replace('\n', " "));
    }
    let folder = pgview_core::write_migration(&args.migrations, &args.name, &plan)?;
    // A plan without steps only records declared views (adopts them).
    let record_only = if plan.steps.is_empty() {
        "; it records the declared views in pgview.managed_views"
    } else {
        ""
    };
    println!(
        "wrote {} ({} step(s) up, {} down{record_only})",
        folder.display(),
        plan.steps.len(),
        plan.down_steps.len()
    );
    Ok(0)
}

/// Says on standard error what becomes of each unmanaged view: left alone, or what the plan does
/// to it (rebuilt because it reads a view the migration changes, or dropped as allowed).
fn report_unmanaged(diff: &ViewDiff, plan: &MigrationPlan) {
    for entry in diff.unmanaged() {
        let name = entry.fullname();
        let steps: Vec<&str> = plan
            .steps
            .iter()
            .filter(|step| step.view.as_deref() == Some(name.as_str()))
            .map(|step| step.kind.name())
            .collect();
        if steps.is_empty() {
            eprintln!(
                "pgview: left alone: {} {name} (unmanaged: not declared, not created by pgview)",
                entry.kind
            );
        } else {
            eprintln!(
                "pgview: unmanaged {} {name} (not declared, not created by pgview) reads a view \
                 the migration changes; steps: {}",
                entry.kind,
                steps.join(", ")
            );
        }
    }
}
