//! DDL statements as Diesel query fragments.
//!
//! Every statement is a plain value implementing `QueryFragment<Pg>` and `QueryId` (never
//! cached as a prepared statement: each one has its own SQL), run with `.execute(conn)` through
//! `diesel::RunQueryDsl` on a `PgConnection` or `diesel_async::RunQueryDsl` on an
//! `AsyncPgConnection` or a pooled connection.

mod batch;
mod comment;
mod create_view;
mod drop;
mod grant;
mod index;
mod materialized;
mod options;
mod owner;
mod rebuild;
mod refresh;
mod rename;
#[cfg(test)]
mod tests;

pub use comment::{CommentOn, CommentTarget};
pub use create_view::CreateView;
pub use drop::{
    DropKind, DropMaterializedView, DropRelation, DropView, MaterializedViewKind, ViewKind,
};
pub(crate) use grant::walk_privileges;
pub use grant::{Grant, Grantee, Privilege};
pub use index::CreateIndex;
pub use materialized::CreateMaterializedView;
pub use options::{
    ResetMaterializedViewOptions, ResetOptions, ResetViewOptions, SetMaterializedViewOptions,
    SetOptions, SetViewOptions,
};
pub use owner::{SetMaterializedViewOwner, SetOwner, SetViewOwner};
pub(crate) use rebuild::{
    statement_sql, CreateIndexAs, DropIndex, RenameIndex, RevokeFromOwner, SetSchema, SetTablespace,
};
pub use refresh::{
    Concurrent, NoData, NotConcurrent, RefreshMaterializedView, RefreshOption, WithData,
};
pub use rename::{RenameMaterializedView, RenameRelation, RenameView};

/// Implements `QueryId` (no static id: the SQL differs per value) and `diesel::RunQueryDsl`
/// for a statement type.
macro_rules! statement {
    ($ty:ident $(< $($gen:tt),* >)?) => {
        impl $(< $($gen),* >)? ::diesel::query_builder::QueryId for $ty $(< $($gen),* >)? {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }

        impl<$($($gen,)*)? Conn> ::diesel::RunQueryDsl<Conn> for $ty $(< $($gen),* >)? {}
    };
}
pub(crate) use statement;
