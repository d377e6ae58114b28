//! `pgview generate`: a Diesel migration that makes the database match the declared views.

use std::path::{Path, PathBuf};

use pgview_core::{MigrationPlan, PlanOptions, ViewDiff};

use crate::config::{migrations_dir, Origin};
use crate::connection::connect;
use crate::diff::Source;
use crate::output::{self, count};
use crate::{Context, Error, Refused, SUCCESS};

/// Arguments of `pgview generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    source: Source,
    /// The Diesel migrations directory the new migration is written to [default: as diesel
    /// finds it: `MIGRATION_DIRECTORY`, else `[migrations_directory] dir` of diesel.toml, else
    /// the first `migrations` directory from the current directory upwards].
    #[arg(
        long = "migration-dir",
        visible_alias = "migrations",
        value_name = "DIR"
    )]
    migration_dir: Option<PathBuf>,
    /// Create the migrations directory when it does not exist (without it, a missing
    /// directory is an error: a mistyped path is not created silently).
    #[arg(long)]
    create: bool,
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
/// the views left alone (unmanaged) and the warnings go to standard error.
///
/// Refuses (exit status 3, nothing written) while the migrations directory holds migrations
/// the database has not applied, since the comparison would then miss what they do (two runs
/// in a row would write the same migration twice), and when the migration would drop views
/// nothing declares and the flags do not allow it. A missing migrations directory is an error
/// unless `--create`.
pub(crate) fn run(context: &Context<'_>, args: &Args) -> Result<u8, Error> {
    let options = args.options()?;
    let (set, diff_options) = args.source.prepare(context)?;
    let (dir, origin) = migrations_dir(
        args.migration_dir.as_deref(),
        context.config_file,
        &context.env,
    )?;
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "the migrations directory {}{} is not a directory",
            dir.display(),
            origin.describe()
        )
        .into());
    }
    let missing = !dir.exists();
    if missing && !args.create {
        return Err(format!(
            "the migrations directory {}{} does not exist: pass --create to create it, or \
             --migration-dir DIR",
            dir.display(),
            origin.describe()
        )
        .into());
    }
    let mut conn = connect(context)?;
    refuse_pending(&mut conn, &dir, &origin)?;
    args.source.require_schemas(&mut conn)?;
    let diff = pgview_core::diff_with(&mut conn, &set, &diff_options)?;
    let plan = match diff.plan_with(&options) {
        Ok(plan) => plan,
        Err(error @ pgview_core::Error::UndeclaredViewsWouldBeDropped { .. }) => {
            return Err(
                Refused(format!("{}; no migration written", crate::one_line(&error))).into(),
            );
        }
        Err(error) => return Err(error.into()),
    };
    report_unmanaged(context, &diff, &plan);
    if plan.is_empty() {
        if context.verbosity.chatty() {
            println!("no differences: no migration written");
        }
        return Ok(SUCCESS);
    }
    for warning in &plan.warnings {
        output::warning(warning.replace('\n', " "));
    }
    let folder = pgview_core::write_migration(&dir, &args.name, &plan)?;
    if missing {
        output::note(
            context.verbosity,
            format_args!("created the migrations directory {}", dir.display()),
        );
    }
    // A plan without steps only records declared views (adopts them).
    let record_only = if plan.steps.is_empty() {
        "; it records the declared views in pgview.managed_views"
    } else {
        ""
    };
    println!(
        "wrote {} ({} up, {} down{record_only})",
        folder.display(),
        count(plan.steps.len(), "step", "steps"),
        plan.down_steps.len()
    );
    Ok(SUCCESS)
}

/// Refuses while `dir` holds migrations the database has not applied, naming them.
fn refuse_pending(
    conn: &mut diesel::PgConnection,
    dir: &Path,
    origin: &Origin,
) -> Result<(), Error> {
    let pending = crate::pending::pending(conn, dir)?;
    if pending.is_empty() {
        return Ok(());
    }
    let (verb, them) = if pending.len() == 1 {
        ("is", "it")
    } else {
        ("are", "them")
    };
    Err(Refused(format!(
        "the database is not up to date: {} of {}{} {verb} not applied: {}; apply {them} \
         (diesel migration run) and generate again, since the new migration must be planned \
         against the database with {them} applied; no migration written",
        count(pending.len(), "migration", "migrations"),
        dir.display(),
        origin.describe(),
        pending.join(", "),
    ))
    .into())
}

/// Says on standard error what becomes of each unmanaged view: left alone, or what the plan does
/// to it (rebuilt because it reads a view the migration changes, or dropped as allowed).
fn report_unmanaged(context: &Context<'_>, diff: &ViewDiff, plan: &MigrationPlan) {
    for entry in diff.unmanaged() {
        let name = entry.fullname();
        let steps: Vec<&str> = plan
            .steps
            .iter()
            .filter(|step| step.view.as_deref() == Some(name.as_str()))
            .map(|step| step.kind.name())
            .collect();
        if steps.is_empty() {
            output::note(
                context.verbosity,
                format_args!(
                    "left alone: {} {name} (unmanaged: not declared, not created by pgview)",
                    entry.kind
                ),
            );
        } else {
            output::note(
                context.verbosity,
                format_args!(
                    "unmanaged {} {name} (not declared, not created by pgview) reads a view \
                     the migration changes; steps: {}",
                    entry.kind,
                    steps.join(", ")
                ),
            );
        }
    }
}
