//! The comparison engine: the views an application declares against a database.
//!
//! - [`ViewSet`] (`set.rs`): the declared views, from derived structs or built at run time.
//! - `registry.rs`: every `#[derive(PgView)]` of a program, for [`ViewSet::registered`].
//! - [`DiffScope`] (`scope.rs`): which other views of the database are compared.
//! - [`diff`] (`run.rs`, and [`aio::diff`](crate::aio::diff)): runs a [`Comparison`]
//!   (`compare.rs`): the live views are read ([`crate::snapshot`]), the declared views are
//!   created by the server inside a rolled-back transaction (`normalize.rs`) and read back the
//!   same way, and each aspect is compared separately.
//! - [`ViewDiff`] (`result.rs`): the result, which the planner ([`crate::plan`]) turns into a
//!   migration.

mod aspects;
mod batches;
mod compare;
mod display;
mod normalize;
mod options;
mod registry;
mod result;
mod run;
mod scope;
mod set;
mod steps;

pub use options::{DiffOptions, DEFAULT_BATCH_SIZE};
#[doc(hidden)]
pub use registry::{definition_of, verify_of, verify_registered, Registration, StructMismatch};
pub(crate) use result::Target;
pub use result::{Change, DiffEntry, DiffStatus, ViewDiff};
#[cfg(feature = "async")]
pub(crate) use run::diff_async;
pub use run::{diff, diff_with};
pub use scope::DiffScope;
pub use set::ViewSet;
