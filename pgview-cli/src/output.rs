//! What the command prints besides its result: `--color`, `-q`/`-v`, the `error:`, `warning:`
//! and `note:` lines on standard error, the colours of `diff`, and the log of `-v` (the SQL
//! sent, tracing events).
//!
//! Colour goes through `anstream`, which strips it from a stream that should not have any:
//! `--color auto` (the default) colours a stream only when it is a terminal and neither
//! `NO_COLOR` nor `CLICOLOR=0` is set (`CLICOLOR_FORCE` forces it), `always` colours even a
//! pipe (whatever `NO_COLOR` says: the flag is the more specific request), `never` never.
//! The choice is made once for the process (clap's help and usage errors follow it too).

use std::ffi::OsString;
use std::fmt::{Display, Write as _};

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;
use diesel::connection::{Instrumentation, InstrumentationEvent};

/// `--color`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorWhen {
    /// Colour a stream when it is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Colour always, even into a pipe or a file.
    Always,
    /// Never colour.
    Never,
}

impl ColorWhen {
    /// Makes this the choice of the process: the streams of `anstream` and clap's output.
    pub(crate) fn apply(self) {
        match self {
            Self::Auto => anstream::ColorChoice::Auto,
            Self::Always => anstream::ColorChoice::Always,
            Self::Never => anstream::ColorChoice::Never,
        }
        .write_global();
    }

    /// The `--color` of raw arguments, read before clap parses them so that clap's own help
    /// and usage errors follow it (the last one wins, as clap's; none when absent or
    /// invalid, which clap then reports).
    pub(crate) fn from_raw_args(args: &[OsString]) -> Option<Self> {
        let mut found = None;
        let mut iter = args.iter().skip(1).map(|a| a.to_string_lossy());
        while let Some(arg) = iter.next() {
            let value = match arg.as_ref() {
                "--" => break,
                "--color" => iter.next().map(std::borrow::Cow::into_owned),
                other => other.strip_prefix("--color=").map(str::to_owned),
            };
            if let Some(value) = value {
                found = Self::from_str(&value, false).ok();
            }
        }
        found
    }
}

/// How much the command says: `-q`, nothing, `-v`, `-vv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    /// `-q`: errors, warnings and the command's result only (no notes, no progress bar, no
    /// refresh table).
    Quiet,
    /// The default: the result, notes, warnings, the progress bar.
    Normal,
    /// `-v`: also each SQL statement sent and the library's tracing events (`-vv`: debug
    /// events too).
    Verbose(u8),
}

impl Verbosity {
    /// From the flags (clap refuses `-q` with `-v`).
    pub(crate) fn new(quiet: bool, verbose: u8) -> Self {
        match (quiet, verbose) {
            (true, _) => Self::Quiet,
            (false, 0) => Self::Normal,
            (false, n) => Self::Verbose(n),
        }
    }

    /// Whether notes and reports beyond the result are printed.
    pub(crate) fn chatty(self) -> bool {
        self != Self::Quiet
    }

    /// Sends the library's tracing events to standard error from this level on (warnings by
    /// default, errors only with `-q`, info with `-v`, debug with `-vv`, trace with `-vvv`),
    /// and with `-v` every SQL statement the connections send (diesel's instrumentation, as
    /// `INFO sql:` lines). A program that already installed a subscriber keeps it.
    pub(crate) fn install_log(self) {
        let level = match self {
            Self::Quiet => tracing::Level::ERROR,
            Self::Normal => tracing::Level::WARN,
            Self::Verbose(1) => tracing::Level::INFO,
            Self::Verbose(2) => tracing::Level::DEBUG,
            Self::Verbose(_) => tracing::Level::TRACE,
        };
        let colored =
            anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
        // A program that installed its own subscriber keeps it (and receives the events).
        let _ = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .with_ansi(colored)
            .without_time()
            .try_init();
        if matches!(self, Self::Verbose(_)) {
            // Every connection made from now on (the plain one and the pool's) logs what it
            // sends. The only error is a poisoned lock, which nothing else takes.
            let _ = diesel::connection::set_default_instrumentation(sql_log);
        }
    }
}

/// The instrumentation of `-v`: each statement as an `INFO` event of target `sql`.
#[allow(
    clippy::unnecessary_wraps,
    reason = "the signature diesel's set_default_instrumentation takes"
)]
fn sql_log() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            tracing::info!(target: "sql", "{query}");
        }
    }))
}

/// Red bold: `error:`, removed lines.
const ERROR: Style = AnsiColor::Red.on_default().bold();
/// Yellow bold: `warning:`.
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
/// Cyan bold: `note:`.
const NOTE: Style = AnsiColor::Cyan.on_default().bold();
/// A created view, an added line.
const ADDED: Style = AnsiColor::Green.on_default();
/// A dropped view, a removed line.
const REMOVED: Style = AnsiColor::Red.on_default();
/// A changed view.
const CHANGED: Style = AnsiColor::Yellow.on_default();
/// A moved view, a hunk header.
const MOVED: Style = AnsiColor::Cyan.on_default();
/// An unmanaged view (not a difference).
const DIM: Style = Style::new().dimmed();
/// The file headers of a unified diff.
const BOLD: Style = Style::new().bold();

/// `error: <message>` on standard error.
pub(crate) fn error(message: impl Display) {
    anstream::eprintln!("{ERROR}error:{ERROR:#} {message}");
}

/// `warning: <message>` on standard error (printed even with `-q`: a warning says that the
/// result may not do what is expected).
pub(crate) fn warning(message: impl Display) {
    anstream::eprintln!("{WARNING}warning:{WARNING:#} {message}");
}

/// `note: <message>` on standard error, unless `-q`.
pub(crate) fn note(verbosity: Verbosity, message: impl Display) {
    if verbosity.chatty() {
        anstream::eprintln!("{NOTE}note:{NOTE:#} {message}");
    }
}

/// Prints a `diff` report on standard output, coloured by line: `+` created (green), `-`
/// dropped (red), `~` changed (yellow), `>` moved (cyan), `?` unmanaged (dim), and in the
/// unified diffs of definitions the file headers (bold), hunk headers (cyan), added (green)
/// and removed (red) lines.
pub(crate) fn print_diff(report: &str) {
    let mut out = String::with_capacity(report.len() + report.len() / 4);
    for line in report.split_inclusive('\n') {
        let style = diff_line_style(line);
        if style == Style::new() {
            out.push_str(line);
        } else {
            let (text, end) = line
                .strip_suffix('\n')
                .map_or((line, ""), |text| (text, "\n"));
            let _ = write!(out, "{style}{text}{style:#}{end}");
        }
    }
    anstream::print!("{out}");
}

/// The style of one line of a `diff` report.
fn diff_line_style(line: &str) -> Style {
    if let Some(detail) = line.strip_prefix("    ") {
        return if detail.starts_with("--- ") || detail.starts_with("+++ ") {
            BOLD
        } else if detail.starts_with("@@") {
            MOVED
        } else if detail.starts_with('+') {
            ADDED
        } else if detail.starts_with('-') {
            REMOVED
        } else {
            Style::new()
        };
    }
    match line.get(..2) {
        Some("+ ") => ADDED,
        Some("- ") => REMOVED,
        Some("~ ") => CHANGED,
        Some("> ") => MOVED,
        Some("? ") => DIM,
        _ => Style::new(),
    }
}

/// The style of a refresh status cell: `FAILED` red, skipped yellow.
pub(crate) fn status_style(status: &str) -> Style {
    if status == "FAILED" {
        ERROR
    } else if status.starts_with("skipped") {
        CHANGED
    } else {
        Style::new()
    }
}

/// `1 view`, `2 views`: a count and its noun, singular for one.
pub(crate) fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(count(0, "view", "views"), "0 views");
        assert_eq!(count(1, "view", "views"), "1 view");
        assert_eq!(count(2, "step", "steps"), "2 steps");
    }

    #[test]
    fn color_is_read_from_raw_arguments() {
        let args = |list: &[&str]| -> Vec<OsString> { list.iter().map(Into::into).collect() };
        assert_eq!(ColorWhen::from_raw_args(&args(&["p", "diff"])), None);
        assert_eq!(
            ColorWhen::from_raw_args(&args(&["p", "--color", "never", "diff"])),
            Some(ColorWhen::Never)
        );
        assert_eq!(
            ColorWhen::from_raw_args(&args(&["p", "diff", "--color=always"])),
            Some(ColorWhen::Always)
        );
        assert_eq!(
            ColorWhen::from_raw_args(&args(&["p", "--", "--color=always"])),
            None
        );
    }

    #[test]
    fn diff_lines_are_styled_by_their_sign() {
        assert_eq!(diff_line_style("+ view public.a: created\n"), ADDED);
        assert_eq!(diff_line_style("- view public.a: dropped\n"), REMOVED);
        assert_eq!(diff_line_style("~ view public.a: changed\n"), CHANGED);
        assert_eq!(diff_line_style("    --- public.a (database)\n"), BOLD);
        assert_eq!(diff_line_style("    @@ -1 +1 @@\n"), MOVED);
        assert_eq!(diff_line_style("    + SELECT 1\n"), ADDED);
        assert_eq!(diff_line_style("    -SELECT 1\n"), REMOVED);
        assert_eq!(diff_line_style("    definition\n"), Style::new());
        assert_eq!(diff_line_style("3 unchanged\n"), Style::new());
    }
}
