//! The public types of a migration plan: [`PlanOptions`], [`StepKind`], [`Step`] and
//! [`MigrationPlan`] with the text of its `up.sql` and `down.sql`.

use std::fmt::Write as _;

use crate::error::RelationKind;
use crate::snapshot::Source;
use crate::sql_text::string_constant;

/// Options of [`ViewDiff::plan_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
}

impl PlanOptions {
    /// The defaults: materialized views are dropped and created again.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`side_by_side_materialized`](Self::side_by_side_materialized).
    #[must_use]
    pub fn side_by_side_materialized(mut self, on: bool) -> Self {
        self.side_by_side_materialized = on;
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
}

impl StepKind {
    /// A short name: `create`, `drop`, `drop for rebuild`, `recreate`, `rebuild`, `replace`,
    /// `alter options`, `comment`, `indexes`, `tablespace`, `swap`, `table sql`, `move`.
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
    fn describe(&self, number: usize) -> String {
        let mut line = format!("{number}. {}", self.kind.name());
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

/// A migration: the steps of the up migration, the steps of the down migration, and warnings.
///
/// [`up_sql`](Self::up_sql) and [`down_sql`](Self::down_sql) give the text of `up.sql` and
/// `down.sql` (see [`write_migration`](crate::write_migration)): plain SQL, one statement per
/// line ending in `;`, each step introduced by a comment, without `BEGIN`/`COMMIT` (diesel runs
/// each migration in a transaction, which makes it all or nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationPlan {
    /// The up migration, in order.
    pub steps: Vec<Step>,
    /// The down migration, in order: back to the database as it was compared.
    pub down_steps: Vec<Step>,
    /// What the plan cannot do cleanly: a view the application does not declare that cannot
    /// be rebuilt on the new definitions (the plan drops it, explicitly), an object that is not
    /// a view and depends on a view the plan drops (the migration will fail), …
    pub warnings: Vec<String>,
    /// The `search_path` the declared SQL was compared with, which the migration sets for its
    /// own statements.
    pub search_path: Option<String>,
}

impl MigrationPlan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The text of `up.sql`.
    pub fn up_sql(&self) -> String {
        self.sql_text(&self.steps, "up")
    }

    /// The text of `down.sql`.
    pub fn down_sql(&self) -> String {
        self.sql_text(&self.down_steps, "down")
    }

    fn sql_text(&self, steps: &[Step], direction: &str) -> String {
        let mut text = format!(
            "-- Generated by pgview: {direction} migration, {} step(s). Runs in one transaction (as diesel runs migrations).\n",
            steps.len()
        );
        if steps.is_empty() {
            text.push_str("-- Nothing to do.\n");
            return text;
        }
        for warning in &self.warnings {
            let _ = writeln!(text, "-- WARNING: {}", one_line(warning));
        }
        if let Some(path) = &self.search_path {
            text.push_str(
                "-- The declared views' SQL is resolved with the search_path of the comparison; \
                 the runner's is restored at the end.\n",
            );
            let _ = writeln!(
                text,
                "SELECT pg_catalog.set_config('pgview.search_path', pg_catalog.current_setting('search_path'), true), \
                 pg_catalog.set_config('search_path', {}, true);",
                string_constant(path)
            );
        }
        for (i, step) in steps.iter().enumerate() {
            let _ = writeln!(text, "\n-- {}", one_line(&step.describe(i + 1)));
            for statement in &step.sql {
                text.push_str(statement.trim_end().trim_end_matches(';'));
                text.push_str(";\n");
            }
        }
        if self.search_path.is_some() {
            text.push_str(
                "\nSELECT pg_catalog.set_config('search_path', pg_catalog.current_setting('pgview.search_path'), true);\n",
            );
        }
        text
    }

    /// A readable account: the up steps, the down steps and the warnings, one line each.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for (title, steps) in [("up", &self.steps), ("down", &self.down_steps)] {
            let _ = writeln!(text, "{title}: {} step(s)", steps.len());
            for (i, step) in steps.iter().enumerate() {
                let _ = writeln!(text, "  {}", step.describe(i + 1));
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

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
