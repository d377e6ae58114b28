//! `pgview refresh`: refresh materialized views in dependency order, in parallel on a pool, with
//! a progress bar on standard error and a table of durations on standard output.

use std::fmt::Write as _;
use std::time::Duration;

use anstyle::Style;
use clap::ValueEnum;
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pgview_core::{
    QualifiedName, Refresh, RefreshEvent, RefreshPlan, RefreshPolicy, RefreshReport, RefreshStatus,
};

use crate::connection::connect;
use crate::declared::Declarations;
use crate::output::{count, status_style, Verbosity};
use crate::{Context, Error, Refused, SUCCESS};

/// The concurrency policy.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Policy {
    /// Concurrently where the view allows it (populated, with a suitable unique index),
    /// plainly otherwise.
    PreferConcurrent,
    /// Concurrently, always: a view that does not allow it fails (and what reads it is
    /// skipped).
    RequireConcurrent,
    /// Plainly, always (readers of a view wait during its refresh).
    Plain,
}

impl From<Policy> for RefreshPolicy {
    fn from(policy: Policy) -> Self {
        match policy {
            Policy::PreferConcurrent => Self::PreferConcurrent,
            Policy::RequireConcurrent => Self::RequireConcurrent,
            Policy::Plain => Self::Plain,
        }
    }
}

/// Arguments of `pgview refresh`.
#[derive(Debug, clap::Args)]
#[allow(clippy::struct_excessive_bools, reason = "command-line flags")]
pub(crate) struct Args {
    /// Materialized views to refresh (`name` or `schema.name`); a plain view with
    /// `--upstream`/`--downstream` stands for the materialized views it reads / that read it.
    /// Without names nor --all: the declared materialized views (the program's derived views,
    /// the files of --dir).
    views: Vec<String>,
    #[command(flatten)]
    declared: Declarations,
    /// Refresh every materialized view of the database.
    #[arg(long, conflicts_with = "views")]
    all: bool,
    /// Also refresh the materialized views the given ones read, transitively.
    #[arg(long)]
    upstream: bool,
    /// Also refresh the materialized views that read the given ones, transitively.
    #[arg(long)]
    downstream: bool,
    /// Whether views are refreshed CONCURRENTLY.
    #[arg(long, value_enum, default_value = "prefer-concurrent")]
    policy: Policy,
    /// How many views are refreshed at once (the size of the connection pool).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    concurrency: u32,
    /// `lock_timeout` of each view's refresh: a duration with its unit (`500ms`, `5s`,
    /// `2min`, `1h 30min`; `0s` turns it off, as in PostgreSQL). A bare number is refused.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    lock_timeout: Option<Duration>,
    /// `statement_timeout` of each view's refresh (a duration with its unit, as
    /// --lock-timeout).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    statement_timeout: Option<Duration>,
    /// Do not count the rows of each view after its refresh.
    #[arg(long)]
    no_count: bool,
    /// Print the plan (order, mode, what each view waits for) and refresh nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Parses a duration with its unit (`humantime`: `500ms`, `5s`, `2min`, `1h 30min`).
///
/// A bare number is refused rather than read in some unit: PostgreSQL reads `5` as 5 ms and
/// pgview 0.1 did too, while a reader of `--lock-timeout 5` likely means seconds; either
/// reading would be silently wrong for someone, so the message asks for the unit.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!(
            "`{text}` has no unit: write {text}s for seconds or {text}ms for milliseconds"
        ));
    }
    humantime::parse_duration(text).map_err(|e| {
        format!("`{text}` is not a duration ({e}); write it with its unit: 500ms, 5s, 2min, 1h")
    })
}

impl Args {
    /// The views named, else the declared materialized views.
    fn names(&self, context: &Context<'_>) -> Result<Vec<QualifiedName>, Error> {
        if !self.views.is_empty() {
            return Ok(self
                .views
                .iter()
                .map(|name| QualifiedName::parse(name))
                .collect::<Result<_, _>>()?);
        }
        if !self.declared.any(context) {
            return Err("name the materialized views to refresh, or pass --all (or --dir)".into());
        }
        let names: Vec<QualifiedName> = (self.declared.set(context)?.definitions().iter())
            .filter(|view| view.is_materialized())
            .map(|view| view.name().clone())
            .collect();
        if names.is_empty() {
            return Err("no declared view is a materialized view: nothing to refresh".into());
        }
        Ok(names)
    }

    fn refresh(&self, context: &Context<'_>) -> Result<Refresh, Error> {
        let mut refresh = if self.all {
            Refresh::all()
        } else {
            Refresh::views(self.names(context)?)?
                .upstream(self.upstream)
                .downstream(self.downstream)
        };
        refresh = refresh
            .policy(self.policy.into())
            .count_rows(!self.no_count)
            .max_parallel(self.concurrency as usize);
        if let Some(timeout) = self.lock_timeout {
            refresh = refresh.lock_timeout(timeout);
        }
        if let Some(timeout) = self.statement_timeout {
            refresh = refresh.statement_timeout(timeout);
        }
        Ok(refresh)
    }
}

/// Refreshes and prints the table (not with `-q`); a view that failed is a refusal (exit
/// status 3) naming the failed and skipped views.
///
/// One plain connection is made first: an unreachable database fails at once with the
/// server's (libpq's) error, as the other subcommands do, instead of the pool's timeout
/// after retrying. `--dry-run` plans on that connection.
pub(crate) fn run(context: &Context<'_>, args: &Args) -> Result<u8, Error> {
    let refresh = args.refresh(context)?;
    let mut conn = connect(context)?;
    if args.dry_run {
        let plan = pgview_core::plan_refresh(&mut conn, &refresh)?;
        print!("{}", plan_table(&plan));
        return Ok(SUCCESS);
    }
    drop(conn);
    let url = context.url()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        // Without retries, a connection the pool cannot open later fails with its error too,
        // not with the pool's timeout.
        let pool = Pool::builder()
            .max_size(args.concurrency)
            .retry_connection(false)
            .connection_timeout(Duration::from_secs(10))
            .build(AsyncDieselConnectionManager::<AsyncPgConnection>::new(url))
            .await
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        let bar = progress_bar(context.verbosity);
        let shown = bar.clone();
        let refresh = refresh.on_progress(move |event| show(&shown, event));
        let report = pgview_core::aio::refresh_materialized_views(&pool, &refresh).await;
        bar.finish_and_clear();
        Ok::<_, Error>(report?)
    })?;
    if context.verbosity.chatty() {
        anstream::print!("{}", report_table(&report));
    }
    match report.into_result() {
        Ok(_) => Ok(SUCCESS),
        Err(error) => Err(Refused(error.to_string()).into()),
    }
}

/// A bar on standard error, drawn only when it is a terminal (never with `-q`).
fn progress_bar(verbosity: Verbosity) -> ProgressBar {
    let target = if verbosity.chatty() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(0), target);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn show(bar: &ProgressBar, event: &RefreshEvent<'_>) {
    match event {
        RefreshEvent::Started { view, total, .. } => {
            bar.set_length(*total as u64);
            bar.set_message(format!("{view}"));
        }
        RefreshEvent::Finished { view, total, .. } => {
            bar.set_length(*total as u64);
            bar.inc(1);
            if !view.is_refreshed() {
                bar.println(format!("{view}"));
            }
        }
        _ => {}
    }
}

/// Milliseconds with one decimal.
fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// The table of durations, in plan order, and a summary line.
fn report_table(report: &RefreshReport) -> String {
    let mut rows = vec![[
        "view".to_owned(),
        "mode".to_owned(),
        "status".to_owned(),
        "start".to_owned(),
        "duration".to_owned(),
        "rows".to_owned(),
    ]];
    for view in report.views() {
        let (status, rows_text) = match &view.status {
            RefreshStatus::Refreshed { rows } => (
                "refreshed".to_owned(),
                rows.map_or_else(String::new, |r| r.to_string()),
            ),
            RefreshStatus::Failed { .. } => ("FAILED".to_owned(), String::new()),
            RefreshStatus::Skipped { because } => {
                (format!("skipped ({because} failed)"), String::new())
            }
            _ => (String::new(), String::new()),
        };
        let ran = matches!(
            view.status,
            RefreshStatus::Refreshed { .. } | RefreshStatus::Failed { .. }
        );
        rows.push([
            view.view.fullname(),
            view.mode.to_string(),
            status,
            if ran { ms(view.started) } else { String::new() },
            if ran {
                ms(view.duration)
            } else {
                String::new()
            },
            rows_text,
        ]);
    }
    let mut out = table(
        &rows,
        &[false, false, false, true, true, true],
        |column, cell| {
            if column == 2 {
                status_style(cell)
            } else {
                Style::new()
            }
        },
    );
    let _ = writeln!(
        out,
        "{} in {:.2} s: {} refreshed, {} failed, {} skipped",
        count(report.views().len(), "view", "views"),
        report.elapsed().as_secs_f64(),
        report.refreshed().count(),
        report.failed().count(),
        report.skipped().count(),
    );
    out
}

/// The plan, in order.
fn plan_table(plan: &RefreshPlan) -> String {
    let mut rows = vec![["view".to_owned(), "mode".to_owned(), "after".to_owned()]];
    for view in plan.views() {
        let mode = match &view.refused {
            Some(missing) => format!("refused: {missing}"),
            None => view.mode.to_string(),
        };
        let after: Vec<String> = view.after.iter().map(ToString::to_string).collect();
        rows.push([view.view.fullname(), mode, after.join(", ")]);
    }
    let mut out = table(&rows, &[false, false, false], |_, _| Style::new());
    let _ = writeln!(out, "{}", count(plan.len(), "view", "views"));
    out
}

/// Aligned columns (numbers to the right), each cell of a row after the first (the header)
/// in the style `style(column, text)` gives.
fn table<const N: usize>(
    rows: &[[String; N]],
    right: &[bool; N],
    style: impl Fn(usize, &str) -> Style,
) -> String {
    let mut widths = [0; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for (r, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[i] - cell.chars().count());
            let cell_style = if r == 0 { Style::new() } else { style(i, cell) };
            let styled = format!("{cell_style}{cell}{cell_style:#}");
            if right[i] {
                line.push_str(&pad);
                line.push_str(&styled);
            } else {
                line.push_str(&styled);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_their_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h 30min"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        let bare = parse_duration("5").unwrap_err();
        assert!(bare.contains("5s") && bare.contains("5ms"), "{bare}");
        assert!(parse_duration("1.5").unwrap_err().contains("no unit"));
        assert!(parse_duration("5 parsecs")
            .unwrap_err()
            .contains("5 parsecs"));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn tables_align() {
        let rows = [
            ["a".to_owned(), "1".to_owned()],
            ["long".to_owned(), "100".to_owned()],
        ];
        assert_eq!(
            table(&rows, &[false, true], |_, _| Style::new()),
            "a       1\nlong  100\n"
        );
    }
}
