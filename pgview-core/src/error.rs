//! The one error type of pgview.

use std::fmt;

/// The kind of a relation, as pgview names it in errors and catalog results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RelationKind {
    /// An ordinary table (`relkind = 'r'`) or a partitioned table (`'p'`).
    Table,
    /// A plain view (`relkind = 'v'`).
    View,
    /// A materialized view (`relkind = 'm'`).
    MaterializedView,
    /// A foreign table (`relkind = 'f'`).
    ForeignTable,
    /// Anything else (index, sequence, composite type, …).
    Other,
}

impl RelationKind {
    /// [`MaterializedView`](Self::MaterializedView) or [`View`](Self::View).
    pub(crate) fn of_view(materialized: bool) -> Self {
        if materialized {
            Self::MaterializedView
        } else {
            Self::View
        }
    }

    /// The kind behind a `pg_class.relkind` letter.
    pub fn from_relkind(relkind: &str) -> Self {
        match relkind {
            "r" | "p" => Self::Table,
            "v" => Self::View,
            "m" => Self::MaterializedView,
            "f" => Self::ForeignTable,
            _ => Self::Other,
        }
    }
}

impl fmt::Display for RelationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Table => "table",
            Self::View => "view",
            Self::MaterializedView => "materialized view",
            Self::ForeignTable => "foreign table",
            Self::Other => "relation",
        })
    }
}

/// Why `REFRESH MATERIALIZED VIEW CONCURRENTLY` cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConcurrentRefreshPrecondition {
    /// The materialized view has no `UNIQUE` index on plain column names without a `WHERE`
    /// clause.
    MissingUniqueIndex,
    /// The materialized view was created `WITH NO DATA` (or refreshed so) and has never been
    /// populated since.
    NotPopulated,
}

impl fmt::Display for ConcurrentRefreshPrecondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MissingUniqueIndex => {
                "it has no unique index on plain columns without a WHERE clause"
            }
            Self::NotPopulated => "it is not populated yet (refresh it without CONCURRENTLY first)",
        })
    }
}

/// Every error pgview reports.
///
/// Database errors that pgview recognises (a concurrent refresh whose precondition fails, a
/// `DROP VIEW` aimed at a materialized view, …) are turned into their precise variant by the
/// [`From<diesel::result::Error>`](#impl-From%3CError%3E-for-Error) conversion, so `?` on a
/// statement's `execute` result inside a function returning `pgview::Result` gives them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An identifier (view, schema, column, index name…) that PostgreSQL would reject or
    /// silently change: empty, containing a NUL byte, or longer than 63 bytes (the server
    /// truncates longer names).
    #[error("invalid identifier {name:?}: {reason}")]
    InvalidIdentifier {
        /// The identifier as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A definition or statement whose options do not fit together (for example a temporary
    /// view in a schema, or a recursive view without a column list).
    #[error("invalid definition of {name}: {reason}")]
    InvalidDefinition {
        /// The fullname of the view concerned.
        name: String,
        /// What is wrong.
        reason: String,
    },

    /// A value of a view's query whose SQL type pgview cannot write as a literal. `CREATE
    /// VIEW` takes no bind parameters, so every value of a view's query is written into its
    /// SQL (the types pgview writes are listed in the README). Reported when the definition is
    /// built (`View::new`, `MaterializedView::new`, the first `definition()` or `create()` of a
    /// `#[derive(PgView)]` struct), naming the view and where the value is.
    #[error("{value}: pgview cannot write a value of SQL type `{type_name}` as a literal, and a view's query takes no parameters")]
    UnsupportedLiteralType {
        /// Where the value is: the view, its number among the query's values, its column.
        value: Box<QueryValue>,
        /// The SQL type of the value (its name, or `oid <n>` when the type is not known).
        type_name: String,
    },

    /// A value of a view's query whose serialized form could not be turned into a literal (for
    /// example text containing a NUL byte, which PostgreSQL cannot store).
    #[error("{value}: cannot write it as a literal of SQL type `{type_name}`: {reason}")]
    InvalidLiteral {
        /// Where the value is: the view, its number among the query's values, its column.
        value: Box<QueryValue>,
        /// The SQL type of the value.
        type_name: String,
        /// What is wrong with the value.
        reason: String,
    },

    /// SQL text given to pgview (`from_sql`) that contains a bind parameter placeholder such
    /// as `$1`: view definitions cannot have parameters.
    #[error("the SQL text of {name} contains the parameter placeholder `{placeholder}`; views take no parameters, write the value as a literal")]
    ParameterInSql {
        /// The fullname of the view concerned.
        name: String,
        /// The placeholder found.
        placeholder: String,
    },

    /// The query of a view holds more than one statement. A view's query is exactly one
    /// `SELECT`, `VALUES`, `WITH … SELECT` or `TABLE` statement (a trailing `;` and comments
    /// are allowed): pgview sends a view with its comments or indexes in a `DO` block whose
    /// `EXECUTE` would run every statement of the text. Checked when the definition is built
    /// (`from_sql`, `new`, `#[pgview(sql = …)]`, the `.sql` files of the `pgview` command, a
    /// definition read from the catalog), so such text never reaches the server.
    ///
    /// A text that is not a query at all (empty, starting with another keyword, ending inside
    /// a string or comment that is not closed) is an [`Error::InvalidDefinition`].
    #[error("the query of {kind} {name} holds more than one statement: `{following}` follows the end of the first{}; a view's query is exactly one SELECT, VALUES, WITH … SELECT or TABLE statement", if *standard_conforming_strings { "" } else { " as the server reads it with standard_conforming_strings off" })]
    MultipleStatements {
        /// The fullname of the view concerned.
        name: String,
        /// [`RelationKind::View`] or [`RelationKind::MaterializedView`].
        kind: RelationKind,
        /// The start of what follows the first statement, on one line: the second statement
        /// (up to its `;`), followed by ` …` when more follows, at most 60 characters.
        following: String,
        /// `false` when the second statement is only there as the server reads `'…'` strings
        /// with `standard_conforming_strings` off (a backslash then escapes the quote after
        /// it), which a session may set: write such backslashes in `E'…'` strings.
        standard_conforming_strings: bool,
    },

    /// `REFRESH MATERIALIZED VIEW CONCURRENTLY` cannot run on this materialized view.
    #[error("cannot refresh materialized view {} concurrently: {precondition}", name.as_deref().unwrap_or("(name not reported by the server)"))]
    ConcurrentRefresh {
        /// The materialized view (the server does not report it for an unpopulated view).
        name: Option<String>,
        /// The precondition that failed.
        precondition: ConcurrentRefreshPrecondition,
    },

    /// A statement for one kind of relation aimed at a relation of another kind (`DROP VIEW`
    /// on a materialized view, `REFRESH` on a plain view, …).
    #[error("{name} is a {actual}, not a {expected}")]
    WrongKind {
        /// The relation named by the statement.
        name: String,
        /// The kind the statement is for.
        expected: RelationKind,
        /// The kind the relation really is.
        actual: RelationKind,
    },

    /// A `DROP VIEW` or `DROP MATERIALIZED VIEW` of one view without `CASCADE` (a
    /// [`DropView`](crate::DropView), a [`DropMaterializedView`](crate::DropMaterializedView),
    /// such a statement in SQL text) refused by the server because other objects depend on the
    /// view: views and materialized views that read it, and objects that use its row type
    /// (functions, columns, casts, …) or read it (rules, policies, triggers, …), directly or
    /// through other dependents. Nothing was dropped. In a migration it is the `source` of
    /// [`Error::MigrationStep`].
    ///
    /// pgview never adds `CASCADE` by itself, since it would silently drop objects that pgview
    /// does not manage: drop the dependents first (readers before what they read), or ask for
    /// [`cascade()`](crate::DropRelation::cascade) knowing what goes with it.
    ///
    /// Names are as the server prints them: schema-qualified when the schema is not on the
    /// connection's `search_path`, quoted where SQL needs it (`s."odd name"`).
    #[error("{}", dependent_objects(name, *kind, dependents, *more))]
    DependentObjects {
        /// The view the statement tried to drop.
        name: String,
        /// Its kind: [`RelationKind::View`] or [`RelationKind::MaterializedView`].
        kind: RelationKind,
        /// Each dependent the server lists, in its order, as `(kind, name)`: the kind as the
        /// server words it (`"view"`, `"materialized view"`, `"function"`, `"type"`,
        /// `"column"`, `"rule"`, `"default value"`, …; `"object"` for a description pgview does
        /// not recognise, whose name is then the whole description) and the rest of the
        /// description (`"public.w"`, `"f(integer)"`, `"r on table t"`, `"x of table t"`,
        /// `"for column c of table t"`), so `format!("{kind} {name}")` is the server's text.
        dependents: Vec<(String, String)>,
        /// How many more dependents the server did not list: it tells the client of 100 at
        /// most and writes the others to its log only. `None` when all are listed.
        more: Option<u64>,
    },

    /// Planning a migration would drop views the application does not declare: each reads a
    /// view the migration drops or rebuilds, and cannot be rebuilt on the new definitions (the
    /// server refused its catalog definition in the comparison). pgview never drops a view it
    /// does not own as a side effect: declare them, change or drop them yourself first, or
    /// allow the drop with [`PlanOptions::allow_drop`](crate::PlanOptions::allow_drop).
    #[error("the migration would drop {} view(s) the application does not declare; nothing was planned: {}. Declare them, drop them first, or allow it (PlanOptions::allow_drop, `pgview generate --allow-drop`)", views.len(), views.iter().map(|(name, why)| format!("{name} ({why})")).collect::<Vec<_>>().join("; "))]
    UndeclaredViewsWouldBeDropped {
        /// Each view (`schema.name`) with why it would be dropped.
        views: Vec<(String, String)>,
    },

    /// Another comparison or migration of views held the pgview lock on the database longer
    /// than the wait allowed ([`DiffOptions::lock_wait`](crate::DiffOptions::lock_wait),
    /// [`PlanOptions::lock_wait`](crate::PlanOptions::lock_wait)). Two of them at once would
    /// lock the same views in different orders; they run one after the other.
    #[error("{message}")]
    Busy {
        /// The server's message, with the time waited.
        message: String,
    },

    /// A generated migration found the database no longer as it was planned against (a view
    /// it replaces, drops, rebuilds, alters or moves changed since, gained a reader, or
    /// disappeared; a view it creates exists already, for example when it is applied twice)
    /// and changed nothing. The message names each view and what differs.
    #[error("{message}")]
    Drift {
        /// The server's message: every view concerned and what differs.
        message: String,
    },

    /// The server's lock table is full (`out of shared memory`, with the hint to increase
    /// `max_locks_per_transaction`): the statement needed a lock that no slot was left for.
    ///
    /// Every relation a transaction opens stays locked until it ends, and the lock table is
    /// shared by the whole server: it has room for `max_locks_per_transaction` ×
    /// (`max_connections` + `max_prepared_transactions`) locks (about 6,400 with the defaults),
    /// so a transaction that touches thousands of relations, or several busy sessions at once,
    /// can fill it, and then other sessions fail too. pgview's catalog functions read views in
    /// bounded chunks; this comes from work that still held too many locks: raise
    /// `max_locks_per_transaction` (a server restart), or work in smaller batches (fewer views
    /// per transaction, [`DiffOptions::batch_size`](crate::DiffOptions::batch_size)).
    #[error("the server's lock table is full ({message}): it holds max_locks_per_transaction × (max_connections + max_prepared_transactions) locks, shared by all sessions; raise max_locks_per_transaction or work in smaller batches")]
    OutOfLocks {
        /// The server's message.
        message: String,
    },

    /// A relation that does not exist.
    #[error("{kind} {name} not found")]
    NotFound {
        /// What was looked for.
        kind: RelationKind,
        /// The name looked for, as given.
        name: String,
    },

    /// A struct that does not match its view in the database
    /// ([`PgView::verify`](crate::PgView::verify)): every difference at once (missing and extra
    /// columns, wrong SQL types, non-`Option` fields over columns not proven `NOT NULL`).
    #[error("{view} does not match its struct: {}", mismatches.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    ViewMismatch {
        /// The view's fullname.
        view: String,
        /// Each difference.
        mismatches: Vec<crate::verify::ColumnMismatch>,
    },

    /// An unqualified name that exists in several schemas.
    #[error("{name} is ambiguous: it exists as {}", candidates.join(", "))]
    Ambiguous {
        /// The name looked for, as given.
        name: String,
        /// The schema-qualified candidates.
        candidates: Vec<String>,
    },

    /// A migration that cannot be run: a name that is not `<version>_<name>` (diesel's
    /// `2024-01-01-000000_create_views`), two migrations of one source with the same version,
    /// or an operation whose reverse cannot be written.
    #[error("invalid migration {name}: {reason}")]
    InvalidMigration {
        /// The migration's name as given.
        name: String,
        /// What is wrong.
        reason: String,
    },

    /// A step of a migration (or of a rebuild of dependent views) failed. The migration runs in
    /// one transaction, which is rolled back: nothing of it remains in the database.
    #[error("{migration}: {step} failed: {source}")]
    MigrationStep {
        /// The migration (its name), or what was being done.
        migration: String,
        /// The step that failed: its number and description.
        step: String,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },

    /// Declared views that the server refuses to create (a syntax error, an unknown column, a
    /// relation that does not exist, …), found by [`diff`](crate::diff) when it creates them
    /// inside its rolled-back transaction. Every refused view is listed, with the server's
    /// message.
    #[error("the server refuses {} declared view(s): {}", views.len(), views.iter().map(|(name, message)| format!("{name}: {message}")).collect::<Vec<_>>().join("; "))]
    DeclaredViewsRejected {
        /// Each refused view (`schema.name`) with the server's message.
        views: Vec<(String, String)>,
    },

    /// Something the server's PostgreSQL version does not have:
    /// - the view option `security_invoker` exists from PostgreSQL 15 on, and older servers
    ///   refuse it as an "unrecognized parameter" (recognised from that message; a materialized
    ///   view, which never has it, gets the same message on any version);
    /// - [`diff`](crate::diff) needs PostgreSQL 13 or later (the oldest version pgview is tested
    ///   on), and refuses older servers before it reads anything.
    #[error("{feature} needs PostgreSQL {since} or later: {message}")]
    UnsupportedByServer {
        /// What needs a newer server (`the view option security_invoker`).
        feature: &'static str,
        /// The first major version of PostgreSQL that has it.
        since: u32,
        /// The server's message, or the server's version.
        message: String,
    },

    /// A file or directory of a migration could not be written (by
    /// [`write_migration`](crate::write_migration)).
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// Some materialized views of a refresh failed and the views that read them were skipped;
    /// every other view was refreshed. Given by
    /// [`RefreshReport::into_result`](crate::RefreshReport::into_result) (and so by
    /// [`refresh_after_writes`](crate::refresh_after_writes)), which keep the full report.
    #[error("{}", refresh_failure(failed, skipped))]
    RefreshFailed {
        /// The materialized views that failed (`schema.name`) with their error, in plan order.
        failed: Vec<(String, String)>,
        /// The materialized views skipped because they read a failed one (`schema.name`), in
        /// plan order.
        skipped: Vec<String>,
    },

    /// The auto-refresher's task had ended abnormally when it was shut down
    /// ([`AutoRefreshHandle::shutdown`](crate::aio::AutoRefreshHandle::shutdown)): it panicked
    /// (for example in the pool's connection setup), or it was cancelled with its runtime. Its
    /// status said so meanwhile
    /// ([`RefresherState::Failed`](crate::aio::RefresherState::Failed)).
    #[error("the auto-refresher failed: {reason}")]
    RefresherFailed {
        /// Why: the panic's message, or the cancellation.
        reason: String,
    },

    /// No database connection could be had: a pool gave none (it timed out, or the server
    /// could not be reached), or a dedicated connection could not be established.
    #[error("cannot get a database connection: {0}")]
    Connection(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// Any other error from Diesel or the server.
    #[error(transparent)]
    Diesel(diesel::result::Error),
}

/// Where a value of a view's query is, in [`Error::UnsupportedLiteralType`] and
/// [`Error::InvalidLiteral`]: the view, the value's number among the query's values, and the
/// column it is in when it is in the query's select list.
///
/// # Examples
/// ```
/// use diesel::data_types::PgMoney;
/// use diesel::prelude::*;
/// use diesel::sql_types::{Integer, Money};
/// use pgview_core::{Error, View};
///
/// let query = diesel::select((1.into_sql::<Integer>(), PgMoney(100).into_sql::<Money>()));
/// let Err(Error::UnsupportedLiteralType { value, type_name }) = View::new("prices", query) else {
///     panic!("money is not written as a literal");
/// };
/// assert_eq!((value.view.as_str(), value.number, value.select_item), ("prices", 2, Some(2)));
/// assert_eq!(type_name, "money");
/// assert_eq!(
///     value.to_string(),
///     "the value $2 in the query of view prices (select item 2, after `SELECT $1, `)"
/// );
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueryValue {
    /// The view, as far as its name is known where its query is written: `View::new` and
    /// `MaterializedView::new` give the name they are given (the schema is set after them);
    /// `#[derive(PgView)]` gives the schema-qualified name.
    pub view: String,
    /// [`RelationKind::View`] or [`RelationKind::MaterializedView`].
    pub kind: RelationKind,
    /// The value's number among the query's values, from 1: its placeholder `$n` in the SQL
    /// Diesel renders for the query (`diesel::debug_query` shows it, with the values).
    pub number: usize,
    /// The position, from 1, of the item of the query's select list that holds the value, when
    /// it is in the select list of the query's top-level `SELECT` (or of one of its `UNION`,
    /// `INTERSECT` or `EXCEPT` arms): the view's column of that position.
    pub select_item: Option<usize>,
    /// The name of that column, when known: `#[derive(PgView)]` gives it (the column of the
    /// struct's field at that position).
    pub column: Option<String>,
    /// The end of the query's SQL text before the value, on one line (at most 40 characters,
    /// starting with `…` when cut), to find it in the query; other values are their
    /// placeholders there.
    pub after: String,
}

impl fmt::Display for QueryValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the value ${} in the query of {} {} (",
            self.number, self.kind, self.view
        )?;
        match (&self.column, self.select_item) {
            (Some(column), _) => write!(f, "column {column:?}, ")?,
            (None, Some(item)) => write!(f, "select item {item}, ")?,
            (None, None) => {}
        }
        write!(f, "after `{}`)", self.after)
    }
}

/// `Result` with pgview's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        crate::server_error::classify(error)
    }
}

impl Error {
    /// Wraps this error for a Diesel `walk_ast`, so that converting the resulting
    /// `diesel::result::Error` back with `From` gives this error again.
    pub(crate) fn into_diesel(self) -> diesel::result::Error {
        diesel::result::Error::QueryBuilderError(Box::new(self))
    }
}

/// The message of [`Error::DependentObjects`].
fn dependent_objects(
    name: &str,
    kind: RelationKind,
    dependents: &[(String, String)],
    more: Option<u64>,
) -> String {
    let listed: Vec<String> = dependents
        .iter()
        .map(|(kind, name)| format!("{kind} {name}"))
        .collect();
    let listed = if listed.is_empty() {
        String::new()
    } else {
        format!(": {}", listed.join(", "))
    };
    let unlisted = match more {
        None => String::new(),
        Some(1) => " and 1 other object the server does not list".to_owned(),
        Some(count) => format!(" and {count} other objects the server does not list"),
    };
    format!(
        "cannot drop {kind} {name}: other objects depend on it{listed}{unlisted} \
         (drop them first; pgview never adds CASCADE by itself)"
    )
}

/// The message of [`Error::RefreshFailed`].
fn refresh_failure(failed: &[(String, String)], skipped: &[String]) -> String {
    let mut message = String::from("refresh failed for ");
    let failures: Vec<String> = failed
        .iter()
        .map(|(view, error)| format!("{view} ({error})"))
        .collect();
    message.push_str(&failures.join(", "));
    if !skipped.is_empty() {
        message.push_str("; skipped because they read a failed view: ");
        message.push_str(&skipped.join(", "));
    }
    message
}
