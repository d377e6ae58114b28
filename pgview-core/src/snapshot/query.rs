//! The state query: `sql/state.sql`, the one query that reads [`ViewState`](super::ViewState)s
//! (the live views a comparison looks at, the declared views as the server normalised them,
//! the dependent views a table change takes out of the way).

use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, Bool, Nullable, Text};

use super::fingerprint::STATE_SQL;
use super::state::Key;

/// The state query (`sql/state.sql`) with its binds.
pub(crate) type StateQuery = BoxedSqlQuery<'static, Pg, SqlQuery>;

/// Which views a state query reads.
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
    pub(crate) fn query(&self) -> StateQuery {
        let (schemas, names): (Vec<String>, Vec<String>) = self.names.iter().cloned().unzip();
        diesel::sql_query(STATE_SQL.as_str())
            .into_boxed()
            .bind::<Nullable<Array<Text>>, _>(self.schemas.clone())
            .bind::<Array<Text>, _>(schemas)
            .bind::<Array<Text>, _>(names)
            .bind::<Bool, _>(self.dependents)
    }
}
