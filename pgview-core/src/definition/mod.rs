//! View and materialized view definitions.

mod any;
mod common;
mod index;
mod materialized;
mod view;

pub use any::AnyView;
pub use common::ColumnComment;
pub use index::{Index, IndexKey, IndexMethod, IndexPart, NullsOrder};
pub use materialized::{MaterializedView, StorageParameter};
pub use view::{CheckOption, View};

pub(crate) use common::{checked_query, Common, Origin};
pub(crate) use materialized::option_name_parts;
