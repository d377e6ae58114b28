//! The public types of a migration plan: [`PlanOptions`], [`StepKind`], [`Step`] and
//! [`MigrationPlan`] with the text of its `up.sql` and `down.sql`.

use std::fmt::Write as _;
use std::time::Duration;

use crate::error::{RelationKind, Result};
use crate::ident::QualifiedName;
use crate::lexer::pieces::unterminated;
use crate::lock::DEFAULT_LOCK_WAIT;
use crate::snapshot::{Key, Source};
use crate::sql_text::string_constant;

/// Options of [`ViewDiff::plan_with`](crate::ViewDiff::plan_with).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanOptions {
    /// Replace a changed materialized view side by side instead of dropping and re-creating
    /// it: build it under a temporary name (`<name>__pgview_new`) with its indexes, rename the
    /// old one away, rename the new one in, drop the old one and give the indexes their names,
    /// all in the migration's transaction. Readers keep reading the old data while the new
    /// one is built, and only wait for the renames at the end (a plain drop and create locks
    /// them out for the whole build). Only for a materialized view that no view reads and that
    /// reads no view the plan rebuilds; others are rebuilt. Off by default.
    pub side_by_side_materialized: bool,
    /// Which views the application does not declare the plan may drop because they read a
    /// view it drops or rebuilds and cannot be rebuilt on the new definitions. By default
    /// none: planning fails with
    /// [`Error::UndeclaredViewsWouldBeDropped`](crate::Error::UndeclaredViewsWouldBeDropped)
    /// naming each of them and why.
    pub allow_drop: AllowDrop,
    /// How long the migration waits for another comparison or migration of views running on
    /// the same database (the pgview lock) before it fails (default: 60 s).
    pub lock_wait: Duration,
}

/// Which undeclared views a plan may drop (see [`PlanOptions::allow_drop`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllowDrop {
    /// None (the default).
    #[default]
    None,
    /// These views (`schema.name`, or `name` in any schema).
    Views(Vec<QualifiedName>),
    /// Any of them.
    Any,
}

impl AllowDrop {
    /// Whether the view `key` may be dropped.
    pub(crate) fn allows(&self, key: &Key) -> bool {
        match self {
            Self::None => false,
            Self::Any => true,
            Self::Views(names) => names.iter().any(|name| {
                name.name().as_str() == key.1 && name.schema().is_none_or(|s| s.as_str() == key.0)
            }),
        }
    }
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            side_by_side_materialized: false,
            allow_drop: AllowDrop::None,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }
}

impl PlanOptions {
    /// The defaults: materialized views are dropped and created again, no undeclared view is
    /// dropped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`side_by_side_materialized`](Self::side_by_side_materialized).
    #[must_use]
    pub fn side_by_side_materialized(mut self, on: bool) -> Self {
        self.side_by_side_materialized = on;
        self
    }

    /// Allows the plan to drop these undeclared views (`"schema.name"`, or `"name"` in any
    /// schema) when they cannot be rebuilt (see [`allow_drop`](Self::allow_drop)).
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) for an invalid name.
    pub fn allow_drop<I, S>(mut self, names: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut allowed = match self.allow_drop {
            AllowDrop::Views(names) => names,
            AllowDrop::None | AllowDrop::Any => Vec::new(),
        };
        for name in names {
            allowed.push(QualifiedName::parse(name.as_ref())?);
        }
        self.allow_drop = AllowDrop::Views(allowed);
        Ok(self)
    }

    /// Allows the plan to drop any undeclared view that cannot be rebuilt.
    #[must_use]
    pub fn allow_drop_any(mut self) -> Self {
        self.allow_drop = AllowDrop::Any;
        self
    }

    /// Sets [`lock_wait`](Self::lock_wait).
    #[must_use]
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }
}

/// What a [`Step`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepKind {
    /// Creates a view that does not exist yet, with its indexes and comments.
    Create {
        /// The definition it is created from.
        from: Source,
    },
    /// Drops a view that the target state does not have.
    Drop,
    /// Drops a view that a later [`Recreate`](Self::Recreate) or [`Rebuild`](Self::Rebuild)
    /// step creates again (because it changed in a way that needs it, or because it reads a
    /// view that is dropped).
    DropForRebuild,
    /// Creates again a view that changed (dropped by an earlier
    /// [`DropForRebuild`](Self::DropForRebuild)), with its indexes, comments, options, owner,
    /// grants, triggers, rules and column defaults.
    Recreate {
        /// The definition it is created from.
        from: Source,
    },
    /// Creates again, unchanged, a view that reads a view the plan drops (dropped by an
    /// earlier [`DropForRebuild`](Self::DropForRebuild)), with everything it had.
    Rebuild {
        /// The definition it is created from: [`Source::Catalog`] for a view the application
        /// does not declare.
        from: Source,
    },
    /// `CREATE OR REPLACE VIEW` with the options re-stated: the view keeps its identity, its
    /// dependents, grants and comments.
    Replace {
        /// The definition it is replaced with.
        from: Source,
    },
    /// `ALTER [MATERIALIZED] VIEW … SET (…)` / `RESET (…)`.
    AlterOptions,
    /// `COMMENT ON` the view or its columns.
    Comment,
    /// `DROP INDEX` / `CREATE INDEX` on a materialized view.
    Indexes,
    /// `ALTER MATERIALIZED VIEW … SET TABLESPACE`.
    Tablespace,
    /// A materialized view built beside the old one and swapped in by renaming (see
    /// [`PlanOptions::side_by_side_materialized`]).
    SwapMaterialized {
        /// The definition it is built from.
        from: Source,
    },
    /// The table SQL of the set ([`ViewSet::with_table_sql`](crate::ViewSet::with_table_sql)),
    /// between the drops and the creations.
    TableSql,
    /// `ALTER [MATERIALIZED] VIEW … SET SCHEMA`: a view declared in another schema with the same
    /// query and columns keeps its identity, and the views reading it keep reading it.
    Move,
    /// `REFRESH MATERIALIZED VIEW [CONCURRENTLY]` of a populated materialized view that the
    /// migration keeps but whose inputs it changes in place (a view it reads, directly or
    /// through plain views, is replaced; a table it reads is changed by the table SQL; a
    /// materialized view it reads is refreshed), after the last of those changes.
    /// Concurrently when it has a unique index on plain columns that the migration keeps.
    Refresh {
        /// Whether it is `CONCURRENTLY` (readers are not blocked while it runs).
        concurrently: bool,
    },
}

impl StepKind {
    /// A short name: `create`, `drop`, `drop for rebuild`, `recreate`, `rebuild`, `replace`,
    /// `alter options`, `comment`, `indexes`, `tablespace`, `swap`, `table sql`, `move`,
    /// `refresh`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Create { .. } => "create",
            Self::Drop => "drop",
            Self::DropForRebuild => "drop for rebuild",
            Self::Recreate { .. } => "recreate",
            Self::Rebuild { .. } => "rebuild",
            Self::Replace { .. } => "replace",
            Self::AlterOptions => "alter options",
            Self::Comment => "comment",
            Self::Indexes => "indexes",
            Self::Tablespace => "tablespace",
            Self::SwapMaterialized { .. } => "swap",
            Self::TableSql => "table sql",
            Self::Move => "move",
            Self::Refresh { .. } => "refresh",
        }
    }

    /// The definition a creating step uses.
    pub fn source(self) -> Option<Source> {
        match self {
            Self::Create { from }
            | Self::Recreate { from }
            | Self::Rebuild { from }
            | Self::Replace { from }
            | Self::SwapMaterialized { from } => Some(from),
            _ => None,
        }
    }
}

/// One step of a plan: what it does, to which view, why, and its SQL statements (in order,
/// without the final `;`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Step {
    /// What it does.
    pub kind: StepKind,
    /// The view (`schema.name`); `None` for [`StepKind::TableSql`].
    pub view: Option<String>,
    /// The view's kind after the step (before it, for a drop).
    pub view_kind: Option<RelationKind>,
    /// Why, in words.
    pub reason: String,
    /// The statements.
    pub sql: Vec<String>,
}

impl Step {
    /// One line: number, kind, source, view and reason.
    pub(crate) fn describe(&self, number: usize) -> String {
        let mut line = format!("{number}. {}", self.kind.name());
        if self.kind == (StepKind::Refresh { concurrently: true }) {
            line.push_str(" (concurrently)");
        }
        if let Some(source) = self.kind.source() {
            let _ = write!(line, " (from {} definition)", source.as_str());
        }
        if let (Some(kind), Some(view)) = (self.view_kind, &self.view) {
            let _ = write!(line, " {kind} {view}");
        }
        if !self.reason.is_empty() {
            let _ = write!(line, ": {}", self.reason);
        }
        line
    }
}

/// Which way a migration goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Up,
    Down,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

/// What a migration does besides its steps, in one direction: the guard that runs first and
/// the change of the ownership record that runs last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bookkeeping {
    /// The `DO` block that takes the pgview lock and checks that every view the migration
    /// touches is still as planned (see `guard.rs`).
    pub(crate) guard: String,
    /// How many views the guard checks.
    pub(crate) guarded: usize,
    /// The statements changing the ownership record (see `record.rs`), and what they do.
    pub(crate) record: Vec<String>,
    pub(crate) record_note: String,
}

/// One unit of a migration's text: a comment and its statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    pub(crate) comment: String,
    pub(crate) statements: Vec<String>,
}

/// A migration: the steps of the up migration, the steps of the down migration, and warnings.
///
/// [`up_sql`](Self::up_sql) and [`down_sql`](Self::down_sql) give the text of `up.sql` and
/// `down.sql` (see [`write_migration`](crate::write_migration)): plain SQL, one statement per
/// line ending in `;`, each step introduced by a comment, without `BEGIN`/`COMMIT` (diesel runs
/// each migration in a transaction, which makes it all or nothing).
///
/// Besides its steps, each direction
/// - first takes the pgview lock (one comparison or migration of views at a time, waiting at
///   most [`PlanOptions::lock_wait`]) and checks that every view it drops, replaces, rebuilds,
///   alters or moves is still as it was planned against (kind, definition, columns, options,
///   and the views that read it), and that every view it creates does not exist yet; when
///   anything differs it fails before changing anything, naming each view and what differs
///   (the definition is compared when the server has the major version the plan was made on,
///   since `pg_get_viewdef` prints differently across versions);
/// - last, records the views it creates or declares and forgets those it drops in the
///   ownership record (`pgview.managed_views`, see [`DiffScope::managed`](crate::DiffScope::managed)),
///   which down puts back as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationPlan {
    /// The up migration, in order.
    pub steps: Vec<Step>,
    /// The down migration, in order: back to the database as it was compared.
    pub down_steps: Vec<Step>,
    /// What the plan does that deserves attention: an undeclared view it drops because it was
    /// allowed to ([`PlanOptions::allow_drop`]), an object that is not a view and depends on a
    /// view the plan drops (the migration will fail), …
    pub warnings: Vec<String>,
    /// The `search_path` the declared SQL was compared with, which the migration sets for its
    /// own statements.
    pub search_path: Option<String>,
    pub(crate) up: Bookkeeping,
    pub(crate) down: Bookkeeping,
}

impl MigrationPlan {
    /// Whether there is nothing to do: no step, and no change of the ownership record (a
    /// plan whose only change is to record declared views that already match, adopting them,
    /// is not empty).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.up.record.is_empty()
    }

    /// The text of `up.sql`.
    pub fn up_sql(&self) -> String {
        self.sql_text(Direction::Up)
    }

    /// The text of `down.sql`.
    pub fn down_sql(&self) -> String {
        self.sql_text(Direction::Down)
    }

    fn steps_of(&self, direction: Direction) -> (&[Step], &Bookkeeping) {
        match direction {
            Direction::Up => (&self.steps, &self.up),
            Direction::Down => (&self.down_steps, &self.down),
        }
    }

    /// One direction as the units it runs, in order: the `search_path` of the plan, the
    /// guard, the steps, the record, the runner's `search_path` back. Empty when there is no
    /// step.
    pub(crate) fn units(&self, direction: Direction) -> Vec<Unit> {
        let (steps, books) = self.steps_of(direction);
        if steps.is_empty() && books.record.is_empty() {
            return Vec::new();
        }
        let mut units = Vec::with_capacity(steps.len() + 4);
        if let Some(path) = &self.search_path {
            units.push(Unit {
                comment: "The declared views' SQL is resolved with the search_path of the \
                          comparison; the runner's is restored at the end."
                    .to_owned(),
                statements: vec![format!(
                    "SELECT pg_catalog.set_config('pgview.search_path', pg_catalog.current_setting('search_path'), true), \
                     pg_catalog.set_config('search_path', {}, true)",
                    string_constant(path)
                )],
            });
        }
        if !books.guard.is_empty() {
            units.push(Unit {
                comment: guard_note(books.guarded),
                statements: vec![books.guard.clone()],
            });
        }
        for (i, step) in steps.iter().enumerate() {
            units.push(Unit {
                comment: step.describe(i + 1),
                statements: step.sql.clone(),
            });
        }
        if !books.record.is_empty() {
            units.push(Unit {
                comment: books.record_note.clone(),
                statements: books.record.clone(),
            });
        }
        if self.search_path.is_some() {
            units.push(Unit {
                comment: "The runner's search_path back.".to_owned(),
                statements: vec!["SELECT pg_catalog.set_config('search_path', pg_catalog.current_setting('pgview.search_path'), true)".to_owned()],
            });
        }
        units
    }

    fn sql_text(&self, direction: Direction) -> String {
        let (steps, books) = self.steps_of(direction);
        let mut text = format!(
            "-- Generated by pgview: {} migration, {} step(s). Runs in one transaction (as diesel runs migrations).\n",
            direction.name(),
            steps.len()
        );
        if steps.is_empty() && books.record.is_empty() {
            text.push_str("-- Nothing to do.\n");
            return text;
        }
        for warning in &self.warnings {
            let _ = writeln!(text, "-- WARNING: {}", one_line(warning));
        }
        for unit in self.units(direction) {
            let _ = writeln!(text, "\n-- {}", one_line(&unit.comment));
            for statement in &unit.statements {
                text.push_str(&unterminated(statement));
                text.push_str(";\n");
            }
        }
        text
    }

    /// A readable account: the up steps, the down steps and the warnings, one line each.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for direction in [Direction::Up, Direction::Down] {
            let (steps, books) = self.steps_of(direction);
            let _ = writeln!(text, "{}: {} step(s)", direction.name(), steps.len());
            if steps.is_empty() && books.record.is_empty() {
                continue;
            }
            let _ = writeln!(text, "  first: {}", guard_note(books.guarded));
            for (i, step) in steps.iter().enumerate() {
                let _ = writeln!(text, "  {}", step.describe(i + 1));
            }
            if !books.record.is_empty() {
                let _ = writeln!(text, "  last: {}", books.record_note);
            }
        }
        if !self.warnings.is_empty() {
            text.push_str("warnings:\n");
            for warning in &self.warnings {
                let _ = writeln!(text, "  - {warning}");
            }
        }
        text
    }
}

fn guard_note(guarded: usize) -> String {
    format!(
        "takes the pgview lock and checks that the {guarded} view(s) it changes are still as planned (fails, changing nothing, when they are not)"
    )
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
