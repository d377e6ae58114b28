//! Migration sources: [`ViewMigrations`] (a list of [`ViewMigration`]s) and
//! [`MigrationChain`] (several sources, such as `embed_migrations!` and view migrations,
//! ordered by version).

use std::fmt;
use std::sync::Arc;

use diesel::connection::BoxableConnection;
use diesel::migration::{self, Migration, MigrationMetadata, MigrationName, MigrationSource};
use diesel::pg::Pg;

use super::view_migration::ViewMigration;
use crate::error::{Error, Result};

/// A [`MigrationSource`] of [`ViewMigration`]s, for diesel's `MigrationHarness`; chain it
/// with the `embed_migrations!` of the tables ([`chain`](Self::chain)) so that
/// `run_pending_migrations` runs both, ordered by version.
///
/// # Examples
/// ```
/// use diesel::migration::{MigrationSource, MigrationVersion};
/// use diesel::pg::Pg;
/// use pgview_core::{Operation, View, ViewMigration, ViewMigrations};
///
/// # fn run<S: MigrationSource<Pg>>(tables: S) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// // `tables`: the `embed_migrations!("migrations")` of the tables.
/// let active = View::from_sql("active_users", "SELECT id FROM users WHERE active")?;
/// let views = ViewMigrations::new().migration(
///     ViewMigration::new("2024-06-01-000000_active_users")?
///         .operation(Operation::create_view(&active)?),
/// )?;
/// let all = views.chain(tables);          // conn.run_pending_migrations(all)?
/// let versions: Vec<String> = all.migrations()?.iter().map(|m| m.name().version().to_string()).collect();
/// assert!(versions.contains(&"20240601000000".to_owned()));
/// # Ok(()) }
/// # run(ViewMigrations::new()).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct ViewMigrations {
    migrations: Vec<Arc<ViewMigration>>,
}

impl ViewMigrations {
    /// No migration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a migration.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] when a migration of the same version was added before
    /// (diesel would run only one of them).
    pub fn migration(mut self, migration: ViewMigration) -> Result<Self> {
        if let Some(other) = self
            .migrations
            .iter()
            .find(|m| m.version() == migration.version())
        {
            return Err(duplicate(other.name(), migration.name()));
        }
        self.migrations.push(Arc::new(migration));
        Ok(self)
    }

    /// The migrations, in the order they were added.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &ViewMigration> {
        self.migrations.iter().map(AsRef::as_ref)
    }

    /// The number of migrations.
    pub fn len(&self) -> usize {
        self.migrations.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty()
    }

    /// These migrations and those of `other` (an `EmbeddedMigrations`, a `FileBasedMigrations`,
    /// …), ordered by version. The migrations are shared, not copied, so calling it for each
    /// harness call is cheap.
    pub fn chain<S: MigrationSource<Pg>>(&self, other: S) -> MigrationChain<Self, S> {
        MigrationChain::new(self.clone(), other)
    }
}

impl MigrationSource<Pg> for ViewMigrations {
    fn migrations(&self) -> migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        (&self).migrations()
    }
}

impl MigrationSource<Pg> for &ViewMigrations {
    fn migrations(&self) -> migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        Ok(self
            .migrations
            .iter()
            .map(|m| Box::new(Shared(Arc::clone(m))) as Box<dyn Migration<Pg>>)
            .collect())
    }
}

/// A view migration shared by the boxes a source hands out.
struct Shared(Arc<ViewMigration>);

impl Migration<Pg> for Shared {
    fn run(&self, conn: &mut dyn BoxableConnection<Pg>) -> migration::Result<()> {
        self.0.run(conn)
    }

    fn revert(&self, conn: &mut dyn BoxableConnection<Pg>) -> migration::Result<()> {
        self.0.revert(conn)
    }

    fn metadata(&self) -> &dyn MigrationMetadata {
        Migration::<Pg>::metadata(self.0.as_ref())
    }

    fn name(&self) -> &dyn MigrationName {
        Migration::<Pg>::name(self.0.as_ref())
    }
}

/// Two migration sources as one, their migrations ordered by version: for example the
/// `embed_migrations!` of the tables and the [`ViewMigrations`] of the views, so that one
/// `conn.run_pending_migrations(chain)` runs both in version order (each migration in its own
/// transaction, as diesel runs them). Chain more with [`chain`](Self::chain).
///
/// # Examples
/// ```no_run
/// use diesel::migration::MigrationSource;
/// use diesel::pg::Pg;
/// use pgview_core::{MigrationChain, ViewMigrations};
/// # fn run<S: MigrationSource<Pg>, T: MigrationSource<Pg>>(tables: S, reporting: T, views: ViewMigrations) {
/// // `tables`: `embed_migrations!("migrations")`; `reporting`: another source.
/// let all = MigrationChain::new(tables, &views).chain(reporting);
/// // conn.run_pending_migrations(all)?;
/// # let _ = all; }
/// ```
///
/// # Errors
/// Listing the migrations fails with [`Error::InvalidMigration`] when two of them have the
/// same version (diesel would silently run only one).
pub struct MigrationChain<A, B> {
    first: A,
    second: B,
}

impl<A, B> MigrationChain<A, B> {
    /// The migrations of `first` and `second`, ordered by version.
    pub fn new(first: A, second: B) -> Self {
        Self { first, second }
    }

    /// Adds the migrations of another source.
    pub fn chain<S>(self, next: S) -> MigrationChain<Self, S> {
        MigrationChain::new(self, next)
    }
}

impl<A, B> fmt::Debug for MigrationChain<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MigrationChain").finish_non_exhaustive()
    }
}

impl<A, B> MigrationSource<Pg> for MigrationChain<A, B>
where
    A: MigrationSource<Pg>,
    B: MigrationSource<Pg>,
{
    fn migrations(&self) -> migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        let mut all = self.first.migrations()?;
        all.extend(self.second.migrations()?);
        all.sort_by(|a, b| a.name().version().cmp(&b.name().version()));
        for pair in all.windows(2) {
            if pair[0].name().version() == pair[1].name().version() {
                let first = pair[0].name().to_string();
                let second = pair[1].name().to_string();
                return Err(Box::new(duplicate(&first, &second)));
            }
        }
        Ok(all)
    }
}

fn duplicate(first: &str, second: &str) -> Error {
    Error::InvalidMigration {
        name: second.to_owned(),
        reason: format!("it has the same version as {first}"),
    }
}
