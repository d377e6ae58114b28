//! [`StructOperation`]: an operation rendered from a `PgView` type's current definition,
//! which can only be written into a migration folder; and the two traits that say, by type,
//! which operations a [`ViewMigration`](crate::ViewMigration) runs and which a
//! [`MigrationFolder`](crate::MigrationFolder) writes.

use super::operation::Operation;

/// An [`Operation`] rendered from the current definition of a [`PgView`](crate::PgView) type
/// ([`Operation::create::<V>()`](Operation::create), [`Operation::drop::<V>()`](Operation::drop)):
/// it can be written into a Diesel migration folder
/// ([`MigrationFolder::operation`](crate::MigrationFolder::operation)), and **cannot** be run by
/// a [`ViewMigration`](crate::ViewMigration) (it does not implement [`RuntimeOperation`]; the
/// compiler refuses it).
///
/// Why: a migration must mean the same thing forever. A `ViewMigration` is built each time the
/// program starts, so an operation built there from a struct would follow the struct as it is
/// *today*: once the struct reads a column that a later migration adds, migrating an empty
/// database fails in the old migration (`column orders.channel does not exist`). Written once
/// as SQL, the migration keeps the definition the struct had when it was written.
///
/// # Examples
/// ```
/// use pgview_core::{MigrationFolder, Operation, PgView, Result, View};
///
/// struct PaidOrders;
/// impl PgView for PaidOrders {
///     type Definition = View;
///     fn definition() -> Result<&'static View> {
///         static V: std::sync::OnceLock<View> = std::sync::OnceLock::new();
///         Ok(V.get_or_init(|| View::from_sql("paid_orders", "SELECT id FROM orders WHERE paid").unwrap()))
///     }
/// }
///
/// let op = Operation::create::<PaidOrders>()?;
/// assert_eq!(op.up_sql(), [r#"CREATE VIEW "paid_orders" AS SELECT id FROM orders WHERE paid"#]);
/// assert_eq!(op.down_sql(), [r#"DROP VIEW "paid_orders""#]);
/// assert!(op.source_type().ends_with("PaidOrders"));
/// // Written into a folder (`folder.write(dir)`), never run from the struct.
/// let folder = MigrationFolder::new("create_paid_orders")?.operation(op);
/// # let _ = folder;
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructOperation {
    operation: Operation,
    source_type: &'static str,
}

impl StructOperation {
    pub(super) fn new(operation: Operation, source_type: &'static str) -> Self {
        Self {
            operation,
            source_type,
        }
    }

    /// The type whose definition was rendered (`core::any::type_name`, as
    /// `app::views::PaidOrders`).
    pub fn source_type(&self) -> &'static str {
        self.source_type
    }

    /// What the operation does, as `create view app.paid_orders`.
    pub fn description(&self) -> &str {
        self.operation.description()
    }

    /// The statements the written `up.sql` holds for it, in order.
    pub fn up_sql(&self) -> &[String] {
        self.operation.up_sql()
    }

    /// The statements the written `down.sql` holds for it, in order.
    pub fn down_sql(&self) -> &[String] {
        self.operation.down_sql()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Operation {}
    impl Sealed for super::StructOperation {}
}

/// The operations a [`ViewMigration`](crate::ViewMigration) runs: [`Operation`], whose SQL comes
/// from what the migration's code states. Not implemented by [`StructOperation`], which reads a
/// struct's current definition (sealed: nothing else implements it).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run in a `ViewMigration`: it follows a struct's current definition",
    label = "rendered from the struct as it is now, not as it was when the migration was written",
    note = "a migration must mean the same thing forever: write it once as SQL with \
            `MigrationFolder::new(name)?.operation(op).write(dir)` and embed the folder \
            (`embed_migrations!`)"
)]
pub trait RuntimeOperation: sealed::Sealed {
    /// The operation.
    #[doc(hidden)]
    fn into_operation(self) -> Operation;
}

impl RuntimeOperation for Operation {
    fn into_operation(self) -> Operation {
        self
    }
}

/// The operations a [`MigrationFolder`](crate::MigrationFolder) writes: [`Operation`] and
/// [`StructOperation`] (sealed).
pub trait FolderOperation: sealed::Sealed {
    /// The operation.
    #[doc(hidden)]
    fn into_operation(self) -> Operation;
}

impl FolderOperation for Operation {
    fn into_operation(self) -> Operation {
        self
    }
}

impl FolderOperation for StructOperation {
    /// The operation, its description naming the type (`create view paid_orders (from
    /// app::PaidOrders)`), so that the written files say where their SQL came from.
    fn into_operation(self) -> Operation {
        let description = format!(
            "{} (from {})",
            self.operation.description(),
            self.source_type
        );
        self.operation.described(&description)
    }
}
