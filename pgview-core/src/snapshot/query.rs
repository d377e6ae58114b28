//! The two queries that read views: `sql/select.sql` ([`Selection`]: which views, with what
//! costs no lock) and `sql/state.sql` ([`states_query`]: the whole state of given views, which
//! locks each view it prints until the transaction ends, so callers read a bounded number of
//! views per subtransaction and roll it back).

use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};
use diesel::QueryableByName;

use super::fingerprint::{SELECT_SQL, STATE_SQL};
use super::state::Key;

/// A query of this module with its binds.
pub(crate) type StateQuery = BoxedSqlQuery<'static, Pg, SqlQuery>;

/// Which views a selection query reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    /// Schemas in scope (`None`: every user schema).
    pub(crate) schemas: Option<Vec<String>>,
    /// Views named one by one.
    pub(crate) names: Vec<Key>,
    /// Also every view reading a selected one, transitively.
    pub(crate) dependents: bool,
}

impl Selection {
    /// The selection query (`sql/select.sql`): rows of [`SelectRow`].
    pub(crate) fn query(&self) -> StateQuery {
        let (schemas, names): (Vec<String>, Vec<String>) = self.names.iter().cloned().unzip();
        diesel::sql_query(SELECT_SQL.as_str())
            .into_boxed()
            .bind::<Nullable<Array<Text>>, _>(self.schemas.clone())
            .bind::<Array<Text>, _>(schemas)
            .bind::<Array<Text>, _>(names)
            .bind::<Bool, _>(self.dependents)
    }
}

/// One row of the selection query.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct SelectRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) oid: i64,
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    pub(crate) materialized: bool,
    #[diesel(sql_type = Bool)]
    pub(crate) in_scope: bool,
    #[diesel(sql_type = Text)]
    pub(crate) stamp: String,
    #[diesel(sql_type = Array<Text>)]
    read_schemas: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    read_names: Vec<String>,
}

/// A view found by a selection: what costs no lock to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selected {
    pub(crate) key: Key,
    pub(crate) oid: i64,
    pub(crate) materialized: bool,
    pub(crate) in_scope: bool,
    /// See `fingerprint.rs`.
    pub(crate) stamp: String,
    /// The views and materialized views it reads.
    pub(crate) reads: Vec<Key>,
}

impl SelectRow {
    pub(crate) fn into_selected(self) -> Selected {
        Selected {
            key: (self.schema, self.name),
            oid: self.oid,
            materialized: self.materialized,
            in_scope: self.in_scope,
            stamp: self.stamp,
            reads: self.read_schemas.into_iter().zip(self.read_names).collect(),
        }
    }
}

/// The state query (`sql/state.sql`) of the views `by_oid` (each with whether it is in scope)
/// and `by_name` (not in scope).
pub(crate) fn states_query(by_oid: &[(i64, bool)], by_name: &[Key]) -> StateQuery {
    let (oids, in_scope): (Vec<i64>, Vec<bool>) = by_oid.iter().copied().unzip();
    let (schemas, names): (Vec<String>, Vec<String>) = by_name.iter().cloned().unzip();
    diesel::sql_query(STATE_SQL.as_str())
        .into_boxed()
        .bind::<Array<BigInt>, _>(oids)
        .bind::<Array<Bool>, _>(in_scope)
        .bind::<Array<Text>, _>(schemas)
        .bind::<Array<Text>, _>(names)
}
