//! [`ViewDiff`]: what differs between the declared views and a database.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::error::RelationKind;
use crate::record::{Declared, Record};
use crate::snapshot::{Blueprint, Key, ViewState};

use super::set::TableSql;

/// What differs about one view.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A view became a materialized view, or the reverse.
    Kind {
        /// The kind in the database.
        before: RelationKind,
        /// The declared kind.
        after: RelationKind,
    },
    /// The columns differ: names, types (with their collation) or order. Each column is
    /// `(name, type)` with the type as `format_type` prints it.
    Columns {
        /// In the database.
        before: Vec<(String, String)>,
        /// Declared.
        after: Vec<(String, String)>,
    },
    /// The query differs, as the server prints both (`pg_get_viewdef`, names qualified).
    Definition {
        /// In the database.
        before: String,
        /// Declared, as the server stores it.
        after: String,
    },
    /// The options differ (`check_option`, `security_barrier`, `security_invoker`, storage
    /// parameters), as `name=value`.
    Options {
        /// In the database.
        before: Vec<String>,
        /// Declared.
        after: Vec<String>,
    },
    /// The comment on the view (`column` is `None`) or on one of its columns differs.
    Comment {
        /// The column, for a column comment.
        column: Option<String>,
        /// In the database.
        before: Option<String>,
        /// Declared.
        after: Option<String>,
    },
    /// The indexes of a materialized view differ (by name; `changed`: same name, another
    /// definition).
    Indexes {
        /// Declared, not in the database.
        added: Vec<String>,
        /// In the database, not declared.
        removed: Vec<String>,
        /// In both, defined differently.
        changed: Vec<String>,
    },
    /// The tablespace of a materialized view differs (`None`: the database's default).
    Tablespace {
        /// In the database.
        before: Option<String>,
        /// Declared.
        after: Option<String>,
    },
}

impl Change {
    /// What the change is about: `kind`, `columns`, `definition`, `options`, `comment`,
    /// `indexes` or `tablespace`.
    pub fn aspect(&self) -> &'static str {
        match self {
            Self::Kind { .. } => "kind",
            Self::Columns { .. } => "columns",
            Self::Definition { .. } => "definition",
            Self::Options { .. } => "options",
            Self::Comment { .. } => "comment",
            Self::Indexes { .. } => "indexes",
            Self::Tablespace { .. } => "tablespace",
        }
    }
}

/// How one view compares.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiffStatus {
    /// Declared and identical in the database.
    Unchanged,
    /// Declared, not in the database.
    Created,
    /// In the database (in scope), not declared.
    Dropped,
    /// Declared and in the database, with differences.
    Changed(Vec<Change>),
    /// Declared in another schema than the one the database has it in, with the same query and
    /// columns: the plan moves it (`ALTER … SET SCHEMA`), which keeps it and everything that
    /// reads it, then applies the other differences.
    Moved {
        /// The schema it is in now.
        from_schema: String,
        /// The other differences (comments, options, indexes, …).
        changes: Vec<Change>,
    },
    /// In the database, in a schema that holds declared views, neither declared nor created by
    /// a pgview migration (not in the ownership record, see [`DiffScope`](crate::DiffScope)):
    /// someone else's view, left alone. Declare it to adopt it, or leave it out with
    /// [`DiffScope::exclude`](crate::DiffScope::exclude). Not a difference.
    Unmanaged,
}

/// One view of a comparison: a declared view, or a view of the database in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffEntry {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Its kind: the declared one, or for a dropped view the one in the database.
    pub kind: RelationKind,
    /// How it compares.
    pub status: DiffStatus,
}

impl DiffEntry {
    /// `schema.name`.
    pub fn fullname(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// Whether it is [`DiffStatus::Unchanged`].
    pub fn is_unchanged(&self) -> bool {
        self.status == DiffStatus::Unchanged
    }

    /// Whether it is a difference the plan acts on: neither
    /// [`Unchanged`](DiffStatus::Unchanged) nor [`Unmanaged`](DiffStatus::Unmanaged).
    pub fn is_difference(&self) -> bool {
        !matches!(self.status, DiffStatus::Unchanged | DiffStatus::Unmanaged)
    }
}

/// A view of a target state: what it will be, and how to create it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// (Shared with [`ViewDiff`]'s `before` for a view kept as it is: one copy per view.)
    pub(crate) state: Arc<ViewState>,
    /// How to create it (shared with [`ViewDiff`]'s `before_blueprints` for a view kept as it
    /// is: one copy per view, however many views).
    pub(crate) blueprint: Arc<Blueprint>,
    /// Why it cannot be re-created on the new definitions, when it cannot (a view outside the
    /// scope whose catalog definition no longer works).
    pub(crate) unrebuildable: Option<String>,
    /// For a view the application does not declare, the state it has once rebuilt on the new
    /// definitions (its catalog definition created again in the comparison), when it differs
    /// from `state`: the columns of a view reading a changed view follow it.
    pub(crate) rebuilt: Option<Arc<ViewState>>,
}

/// The result of [`diff`](crate::diff()): every declared view and every view in scope, each
/// [`Unchanged`](DiffStatus::Unchanged), [`Created`](DiffStatus::Created),
/// [`Dropped`](DiffStatus::Dropped) or [`Changed`](DiffStatus::Changed) with what changed;
/// [`plan`](Self::plan) turns it into a migration.
///
/// `Display` writes a readable report: one line per view that differs (`+` created, `-`
/// dropped, `~` changed, `>` moved to another schema, `?` unmanaged), with each change under
/// it in detail (a changed definition as a unified diff of the two server-printed texts,
/// columns and options one line each), then the number of unchanged (and unmanaged) views and
/// a newline; [`stat`](Self::stat) writes one line per change instead.
#[derive(Debug, Clone)]
pub struct ViewDiff {
    pub(crate) entries: Vec<DiffEntry>,
    /// The declared views, as the ownership record would hold them.
    pub(crate) declared: BTreeMap<Key, Declared>,
    /// The stamp of every view the comparison found (see `snapshot/fingerprint.rs`).
    pub(crate) stamps: BTreeMap<Key, String>,
    /// How many declared views the ownership record proved unchanged (not compared through
    /// the server).
    pub(crate) proven: usize,
    /// The rows of the ownership record whose view is still the object they recorded (empty
    /// when there is no record).
    pub(crate) record: Record,
    /// The other rows (their view was dropped, or another object has its name).
    pub(crate) stale_record: Record,
    /// The live state of every view the comparison read.
    pub(crate) before: BTreeMap<Key, Arc<ViewState>>,
    /// How to re-create each of them from the catalog (for down migrations).
    pub(crate) before_blueprints: BTreeMap<Key, Arc<Blueprint>>,
    /// The state after the migration.
    pub(crate) after: BTreeMap<Key, Target>,
    pub(crate) changes: BTreeMap<Key, Vec<Change>>,
    /// Views moved to another schema: new place → old place.
    pub(crate) moves: BTreeMap<Key, Key>,
    pub(crate) search_path: String,
    /// The major version of the server compared with (`server_version_num / 10000`).
    pub(crate) server_major: i32,
    pub(crate) table_sql: Option<TableSql>,
    /// The tables the table SQL changes.
    pub(crate) table_changes: TableChanges,
}

/// The tables (and their ancestors) whose rows, storage or columns the table SQL of a set
/// changes: found in the comparison by running it (see `normalize.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableChanges {
    /// By `up`.
    pub(crate) up: BTreeSet<Key>,
    /// By `down`, run after `up`; `None` when `down` failed in the comparison (the plan then
    /// takes the tables `up` changes).
    pub(crate) down: Option<BTreeSet<Key>>,
}

impl ViewDiff {
    /// Whether the database already matches: every view unchanged, none created or dropped
    /// (unmanaged views are not differences).
    pub fn is_empty(&self) -> bool {
        !self.entries.iter().any(DiffEntry::is_difference)
    }

    /// Every view compared, ordered by schema and name.
    pub fn entries(&self) -> &[DiffEntry] {
        &self.entries
    }

    /// The views that differ.
    pub fn changes(&self) -> impl Iterator<Item = &DiffEntry> {
        self.entries.iter().filter(|e| e.is_difference())
    }

    /// How many declared views were found unchanged without being compared through the
    /// server: the ownership record shows that pgview applied their definition as declared and
    /// that nothing changed them since (see [`DiffOptions::full`](crate::DiffOptions::full)).
    pub fn proven_unchanged(&self) -> usize {
        self.proven
    }

    /// The views of the database that are [`Unmanaged`](DiffStatus::Unmanaged).
    pub fn unmanaged(&self) -> impl Iterator<Item = &DiffEntry> {
        self.entries
            .iter()
            .filter(|e| e.status == DiffStatus::Unmanaged)
    }

    /// The entry of `schema.name`.
    pub fn get(&self, schema: &str, name: &str) -> Option<&DiffEntry> {
        self.entries
            .iter()
            .find(|e| e.schema == schema && e.name == name)
    }
}
