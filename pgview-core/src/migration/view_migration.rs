//! [`ViewMigration`]: a Diesel migration made of [`Operation`]s.

use std::fmt::{self, Write as _};

use diesel::connection::{BoxableConnection, LoadConnection};
use diesel::migration::{self, Migration, MigrationMetadata, MigrationName, MigrationVersion};
use diesel::pg::{Pg, PgConnection};
#[cfg(feature = "async")]
use diesel_async::AsyncConnection;

use super::dependents::DependentViews;
use super::operation::Operation;
use super::struct_operation::RuntimeOperation;
#[cfg(feature = "async")]
use super::transaction::in_transaction_async;
use crate::error::{Error, Result};
use crate::ident::QualifiedName;
use crate::lexer::pieces::unterminated;
use crate::lock::{lock_block, DEFAULT_LOCK_WAIT};
use crate::plan::{Direction, MigrationPlan};

/// A Diesel migration (`diesel::migration::Migration<Pg>`) made of view [`Operation`]s, named
/// like the folders of `diesel migration generate` (`2024-06-01-000000_user_views`).
///
/// It runs in one transaction: when a step fails, nothing of the migration remains
/// (PostgreSQL DDL is transactional). It first takes the pgview lock (one comparison or
/// migration of views at a time on a database, waiting at most
/// [`DEFAULT_LOCK_WAIT`](crate::DEFAULT_LOCK_WAIT), then [`Error::Busy`]). Run it through a
/// [`MigrationSource`](diesel::migration::MigrationSource) — [`ViewMigrations`](crate::ViewMigrations),
/// alone or chained with the `embed_migrations!` of the tables — and diesel's
/// `MigrationHarness` (`conn.run_pending_migrations(source)`), which records it in
/// `__diesel_schema_migrations`; or directly with [`up`](Self::up) / [`down`](Self::down)
/// (sync) and [`up_async`](Self::up_async) / [`down_async`](Self::down_async), which record
/// nothing.
///
/// Up runs the operations in order; down runs their reverses in the opposite order.
///
/// # Examples
/// ```
/// use pgview_core::{MaterializedView, Operation, View, ViewMigration};
/// let active = View::from_sql("active_users", "SELECT id FROM users WHERE active")?;
/// let counts = MaterializedView::from_sql("active_count", "SELECT count(*) AS n FROM active_users")?;
/// let migration = ViewMigration::new("2024-06-01-000000_active_users")?
///     .operation(Operation::create_view(&active)?)
///     .operation(Operation::create_materialized_view(&counts)?);
/// assert_eq!(migration.version(), "20240601000000");
/// assert_eq!(
///     migration.down_sql(),
///     "-- 2. undo create materialized view active_count\nDROP MATERIALIZED VIEW \"active_count\";\n\
///      -- 1. undo create view active_users\nDROP VIEW \"active_users\";\n"
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewMigration {
    id: MigrationId,
    operations: Vec<Operation>,
}

/// The name and version of a migration, as diesel reads them from a folder name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MigrationId {
    name: String,
    version: String,
}

impl MigrationName for MigrationId {
    fn version(&self) -> MigrationVersion<'_> {
        MigrationVersion::from(self.version.as_str())
    }
}

impl fmt::Display for MigrationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Metadata of every view migration: it always runs in a transaction.
#[derive(Debug, Clone, Copy)]
struct InTransaction;

impl MigrationMetadata for InTransaction {
    fn run_in_transaction(&self) -> bool {
        true
    }
}

/// One operation to run in one direction.
struct Unit<'a> {
    /// Its position in the migration (from 1).
    number: usize,
    description: String,
    statements: &'a [String],
    dependents_of: Option<&'a QualifiedName>,
}

impl Unit<'_> {
    /// The relation whose dependent views must be captured, dropped and restored around the
    /// statements (none when there is no statement).
    fn capture(&self) -> Option<&QualifiedName> {
        self.dependents_of.filter(|_| !self.statements.is_empty())
    }
}

impl ViewMigration {
    /// An empty migration named `name`: `<version>_<name>`, the version being digits and `-`
    /// (diesel's `2024-06-01-000000`), and ordered by it among all migrations.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] for a name of another form.
    pub fn new(name: &str) -> Result<Self> {
        Ok(Self {
            id: parse_name(name)?,
            operations: Vec::new(),
        })
    }

    /// The migration of an engine plan ([`ViewDiff::plan`](crate::ViewDiff::plan)), to run
    /// through a migration harness without writing files (what
    /// [`write_migration`](crate::write_migration) writes, as a [`ViewMigration`]).
    ///
    /// Each step of the plan is one operation, so an error names the step that failed; as in
    /// `up.sql`, the `search_path` the plan was compared with is set first, the guard takes
    /// the pgview lock and checks that the database is still as planned, and the ownership
    /// record is updated last. The reverse is the plan's down migration as a whole (the
    /// plan's `down.sql`): it is the reverse of the first operation, which runs last.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] for an invalid name or an empty plan.
    pub fn from_plan(name: &str, plan: &MigrationPlan) -> Result<Self> {
        let id = parse_name(name)?;
        if plan.is_empty() {
            return Err(Error::InvalidMigration {
                name: name.to_owned(),
                reason: "the plan is empty: the database already matches".into(),
            });
        }
        // Each unit of the up migration (the plan's search_path, the guard, each step, the
        // record, the runner's search_path) is one operation; the first one's reverse is the
        // whole down migration, which runs last.
        let mut operations = Vec::new();
        for (i, unit) in plan.units(Direction::Up).into_iter().enumerate() {
            let statements: Vec<String> = unit.statements.iter().map(|s| unterminated(s)).collect();
            let down = if i == 0 {
                plan.down_sql()
            } else {
                String::new()
            };
            operations.push(
                Operation::sql(&statements.join(";\n"), &down)?
                    .described(&unit.comment.replace(['\n', '\r'], " ")),
            );
        }
        Ok(Self { id, operations })
    }

    /// Adds an operation, run after the ones added before.
    ///
    /// Only an [`Operation`] ([`RuntimeOperation`]): a [`StructOperation`](crate::StructOperation)
    /// (`Operation::create::<V>()`) is refused by the compiler, since it would follow the
    /// struct's definition of the day the migration runs; write it into a
    /// [`MigrationFolder`](crate::MigrationFolder) instead. An [`Operation`] built from the
    /// definition value of a `#[derive(PgView)]` type (`Operation::create_view(V::definition()?)`,
    /// see [`Operation::source_type`]) has the same flaw but a type cannot show it: running
    /// the migration refuses it, before anything runs ([`Error::InvalidMigration`]).
    ///
    /// ```compile_fail,E0277
    /// # use pgview_core::{Operation, PgView, Result, View, ViewMigration};
    /// # fn run<PaidOrders: PgView<Definition = View>>() -> Result<()> {
    /// ViewMigration::new("2024-06-01-000000_paid_orders")?
    ///     .operation(Operation::create::<PaidOrders>()?); // error: cannot run in a `ViewMigration`
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn operation<O: RuntimeOperation>(mut self, operation: O) -> Self {
        self.operations.push(operation.into_operation());
        self
    }

    /// Adds operations, in order.
    #[must_use]
    pub fn operations<I>(mut self, operations: I) -> Self
    where
        I: IntoIterator,
        I::Item: RuntimeOperation,
    {
        self.operations
            .extend(operations.into_iter().map(RuntimeOperation::into_operation));
        self
    }

    /// The full name, as given (`2024-06-01-000000_user_views`).
    pub fn name(&self) -> &str {
        &self.id.name
    }

    /// The version diesel records: the part before the first `_`, without `-`
    /// (`20240601000000`).
    pub fn version(&self) -> &str {
        &self.id.version
    }

    /// The operations, in the order up runs them.
    pub fn steps(&self) -> &[Operation] {
        &self.operations
    }

    /// The SQL that up runs, each operation preceded by a comment line naming it (what
    /// `up.sql` would hold).
    pub fn up_sql(&self) -> String {
        script(&self.operations, Direction::Up)
    }

    /// The SQL that down runs (what `down.sql` would hold).
    pub fn down_sql(&self) -> String {
        script(&self.operations, Direction::Down)
    }

    /// Runs the operations on `conn` in one transaction (a savepoint inside an open
    /// transaction). Records nothing in `__diesel_schema_migrations`: use a migration harness
    /// for that.
    ///
    /// # Errors
    /// [`Error::MigrationStep`] naming the step that failed; the transaction is rolled back.
    pub fn up<C: LoadConnection<Backend = Pg>>(&self, conn: &mut C) -> Result<()> {
        self.run_sync(conn, Direction::Up)
    }

    /// Runs the reverse operations, last first, in one transaction.
    ///
    /// # Errors
    /// As [`up`](Self::up).
    pub fn down<C: LoadConnection<Backend = Pg>>(&self, conn: &mut C) -> Result<()> {
        self.run_sync(conn, Direction::Down)
    }

    /// [`up`](Self::up) on an async connection (`AsyncPgConnection`, pooled connections).
    ///
    /// # Errors
    /// As [`up`](Self::up).
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn up_async<C: AsyncConnection<Backend = Pg>>(&self, conn: &mut C) -> Result<()> {
        self.run_async(conn, Direction::Up).await
    }

    /// [`down`](Self::down) on an async connection.
    ///
    /// # Errors
    /// As [`up`](Self::up).
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn down_async<C: AsyncConnection<Backend = Pg>>(&self, conn: &mut C) -> Result<()> {
        self.run_async(conn, Direction::Down).await
    }

    fn run_sync<C: LoadConnection<Backend = Pg>>(
        &self,
        conn: &mut C,
        direction: Direction,
    ) -> Result<()> {
        self.refuse_struct_operations()?;
        conn.transaction(|conn| {
            conn.batch_execute(&lock_block(DEFAULT_LOCK_WAIT, false))?;
            for unit in units(&self.operations, direction) {
                self.run_unit(conn, &unit)?;
            }
            Ok(())
        })
    }

    #[cfg(feature = "async")]
    async fn run_async<C: AsyncConnection<Backend = Pg>>(
        &self,
        conn: &mut C,
        direction: Direction,
    ) -> Result<()> {
        self.refuse_struct_operations()?;
        in_transaction_async(conn, async |conn: &mut C| {
            conn.batch_execute(&lock_block(DEFAULT_LOCK_WAIT, false))
                .await?;
            for unit in units(&self.operations, direction) {
                self.run_unit_async(conn, &unit).await?;
            }
            Ok(())
        })
        .await
    }

    /// Runs one operation: its statements, with the dependent views of its relation dropped
    /// before and restored after when it has one.
    fn run_unit<C: LoadConnection<Backend = Pg>>(
        &self,
        conn: &mut C,
        unit: &Unit<'_>,
    ) -> Result<()> {
        let fail = |error: Error| self.unit_error(unit, error);
        let views = match unit.capture() {
            Some(relation) => Some(DependentViews::capture_in(conn, relation).map_err(fail)?),
            None => None,
        };
        if let Some(views) = &views {
            views.drop_views(conn).map_err(fail)?;
        }
        for statement in unit.statements {
            conn.batch_execute(statement).map_err(|e| fail(e.into()))?;
        }
        if let Some(views) = &views {
            views.restore(conn).map_err(fail)?;
        }
        Ok(())
    }

    /// [`run_unit`](Self::run_unit) on an async connection.
    #[cfg(feature = "async")]
    async fn run_unit_async<C: AsyncConnection<Backend = Pg>>(
        &self,
        conn: &mut C,
        unit: &Unit<'_>,
    ) -> Result<()> {
        let fail = |error: Error| self.unit_error(unit, error);
        let views = match unit.capture() {
            Some(relation) => Some(
                DependentViews::capture_in_async(conn, relation)
                    .await
                    .map_err(fail)?,
            ),
            None => None,
        };
        if let Some(views) = &views {
            views.drop_views_async(conn).await.map_err(fail)?;
        }
        for statement in unit.statements {
            conn.batch_execute(statement)
                .await
                .map_err(|e| fail(e.into()))?;
        }
        if let Some(views) = &views {
            views.restore_async(conn).await.map_err(fail)?;
        }
        Ok(())
    }

    /// Refuses, before anything runs, an operation rendered from a `PgView` type's current
    /// definition (`Operation::create_view(V::definition()?)`): the migration would follow the
    /// type, not the definition it had when the migration was written.
    fn refuse_struct_operations(&self) -> Result<()> {
        let found = self
            .operations
            .iter()
            .enumerate()
            .find_map(|(i, o)| o.source_type().map(|t| (i, o, t)));
        let Some((i, operation, source_type)) = found else {
            return Ok(());
        };
        Err(Error::InvalidMigration {
            name: self.id.name.clone(),
            reason: format!(
                "step {} of {} ({}) was rendered from the current definition of {source_type}: \
                 run later, it would follow that type, not the definition it had when the \
                 migration was written; write it once as SQL with MigrationFolder and embed \
                 the folder",
                i + 1,
                self.operations.len(),
                operation.description()
            ),
        })
    }

    fn unit_error(&self, unit: &Unit<'_>, source: Error) -> Error {
        Error::MigrationStep {
            migration: format!("migration {}", self.id.name),
            step: format!(
                "step {} of {} ({})",
                unit.number,
                self.operations.len(),
                unit.description
            ),
            source: Box::new(source),
        }
    }

    /// Runs one direction on the connection a migration harness gives (inside the harness's
    /// transaction).
    fn run_boxed(&self, conn: &mut dyn BoxableConnection<Pg>, direction: Direction) -> Result<()> {
        self.refuse_struct_operations()?;
        conn.batch_execute(&lock_block(DEFAULT_LOCK_WAIT, false))?;
        if let Some(conn) = conn.downcast_mut::<PgConnection>() {
            for unit in units(&self.operations, direction) {
                self.run_unit(conn, &unit)?;
            }
            return Ok(());
        }
        for unit in units(&self.operations, direction) {
            if unit.capture().is_some() {
                let reason = "capturing the dependent views needs the harness to run on a \
                              diesel::PgConnection";
                return Err(self.unit_error(
                    &unit,
                    Error::InvalidMigration {
                        name: self.id.name.clone(),
                        reason: reason.into(),
                    },
                ));
            }
            for statement in unit.statements {
                conn.batch_execute(statement)
                    .map_err(|e| self.unit_error(&unit, e.into()))?;
            }
        }
        Ok(())
    }
}

impl Migration<Pg> for ViewMigration {
    fn run(&self, conn: &mut dyn BoxableConnection<Pg>) -> migration::Result<()> {
        Ok(self.run_boxed(conn, Direction::Up)?)
    }

    fn revert(&self, conn: &mut dyn BoxableConnection<Pg>) -> migration::Result<()> {
        Ok(self.run_boxed(conn, Direction::Down)?)
    }

    fn metadata(&self) -> &dyn MigrationMetadata {
        &InTransaction
    }

    fn name(&self) -> &dyn MigrationName {
        &self.id
    }
}

/// The operations of one direction, in order, each with its statements.
fn units(operations: &[Operation], direction: Direction) -> Vec<Unit<'_>> {
    let mut operations: Vec<(usize, &Operation)> = operations.iter().enumerate().collect();
    if direction == Direction::Down {
        operations.reverse();
    }
    operations
        .into_iter()
        .map(|(i, operation)| match direction {
            Direction::Up => Unit {
                number: i + 1,
                description: operation.description().to_owned(),
                statements: operation.up_sql(),
                dependents_of: operation.dependents_of(),
            },
            Direction::Down => Unit {
                number: i + 1,
                description: format!("undo {}", operation.description()),
                statements: operation.down_sql(),
                dependents_of: operation.dependents_of(),
            },
        })
        .collect()
}

/// The SQL of one direction, each operation preceded by a comment line naming it (what
/// `up.sql` or `down.sql` holds).
pub(super) fn script(operations: &[Operation], direction: Direction) -> String {
    let mut script = String::new();
    for unit in units(operations, direction) {
        if unit.statements.is_empty() {
            continue;
        }
        // Names may hold line breaks: a comment stays on its line.
        let _ = writeln!(
            script,
            "-- {}. {}",
            unit.number,
            unit.description.replace(['\n', '\r'], " ")
        );
        if let Some(relation) = unit.dependents_of {
            let _ = writeln!(
                script,
                "-- (the views that depend on {} are dropped before and restored after, \
                 as the catalog describes them when the migration runs)",
                relation.fullname().replace(['\n', '\r'], " ")
            );
        }
        for statement in unit.statements {
            script.push_str(&unterminated(statement));
            script.push_str(";\n");
        }
    }
    if script.is_empty() && !operations.is_empty() {
        script.push_str("-- nothing to do\n");
    }
    script
}

/// Reads `<version>_<name>`.
fn parse_name(name: &str) -> Result<MigrationId> {
    let invalid = |reason: &str| Error::InvalidMigration {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    let Some((version, rest)) = name.split_once('_') else {
        return Err(invalid(
            "a migration is named `<version>_<name>`, as 2024-06-01-000000_create_views",
        ));
    };
    if version.is_empty()
        || !version.chars().all(|c| c.is_ascii_digit() || c == '-')
        || !version.chars().any(|c| c.is_ascii_digit())
    {
        return Err(invalid(
            "the version (before the first `_`) must be digits and `-`, as 2024-06-01-000000",
        ));
    }
    if rest.is_empty() {
        return Err(invalid("the name after the version is empty"));
    }
    if name.contains(['/', '\\', '\0']) || name.chars().any(char::is_control) {
        return Err(invalid(
            "the name must not contain `/`, `\\` or control characters",
        ));
    }
    Ok(MigrationId {
        name: name.to_owned(),
        version: version.replace('-', ""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_diesel_folder_names() {
        let id = parse_name("2024-06-01-000000_user_views").unwrap();
        assert_eq!(id.version, "20240601000000");
        assert_eq!(id.to_string(), "2024-06-01-000000_user_views");
        for bad in [
            "user_views",
            "_x",
            "2024-06-01",
            "2024_",
            "v1_x",
            "2024_a/b",
            "--_x",
        ] {
            assert!(
                matches!(parse_name(bad), Err(Error::InvalidMigration { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn down_reverses_the_operations() {
        let m = ViewMigration::new("1_m")
            .unwrap()
            .operation(Operation::sql("A", "a").unwrap())
            .operation(Operation::sql("B1; B2", "").unwrap())
            .operation(Operation::sql("C", "c").unwrap());
        assert_eq!(
            m.up_sql(),
            "-- 1. execute SQL\nA;\n-- 2. execute SQL\nB1; B2;\n-- 3. execute SQL\nC;\n"
        );
        assert_eq!(
            m.down_sql(),
            "-- 3. undo execute SQL\nc;\n-- 1. undo execute SQL\na;\n"
        );
    }
}
