//! Whether a materialized view can be refreshed `CONCURRENTLY`: the facts the catalog gives
//! (`sql/refreshable.sql`) and the mode a policy gives.

use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, Bool, Text};
use diesel::QueryableByName;

use crate::catalog::Relation;
use crate::error::ConcurrentRefreshPrecondition;
use crate::prepared::Prepared;

use super::report::RefreshMode;
use super::request::RefreshPolicy;

/// One row of `sql/refreshable.sql`: a materialized view's population and whether it has a
/// unique index that `REFRESH … CONCURRENTLY` accepts.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct Refreshable {
    #[diesel(sql_type = Text)]
    pub(crate) schema: String,
    #[diesel(sql_type = Text)]
    pub(crate) name: String,
    #[diesel(sql_type = Bool)]
    pub(crate) is_populated: bool,
    #[diesel(sql_type = Bool)]
    pub(crate) has_unique_index: bool,
}

/// The query of those facts for `views` (one query, whatever their number).
pub(crate) fn refreshable_query<'a>(
    views: impl Iterator<Item = &'a Relation>,
) -> Prepared<BoxedSqlQuery<'static, Pg, SqlQuery>> {
    let (schemas, names): (Vec<String>, Vec<String>) =
        views.map(|v| (v.schema.clone(), v.name.clone())).unzip();
    Prepared(
        diesel::sql_query(include_str!("sql/refreshable.sql"))
            .into_boxed()
            .bind::<Array<Text>, _>(schemas)
            .bind::<Array<Text>, _>(names),
    )
}

impl Refreshable {
    /// Why it cannot be refreshed concurrently, or `None` when it can.
    pub(crate) fn blocker(&self) -> Option<ConcurrentRefreshPrecondition> {
        if !self.is_populated {
            Some(ConcurrentRefreshPrecondition::NotPopulated)
        } else if !self.has_unique_index {
            Some(ConcurrentRefreshPrecondition::MissingUniqueIndex)
        } else {
            None
        }
    }
}

/// The mode `policy` gives a view, and the precondition that refuses it (only under
/// [`RefreshPolicy::RequireConcurrent`]).
pub(crate) fn choose_mode(
    policy: RefreshPolicy,
    blocker: Option<ConcurrentRefreshPrecondition>,
) -> (RefreshMode, Option<ConcurrentRefreshPrecondition>) {
    match (policy, blocker) {
        (RefreshPolicy::Plain, _) | (RefreshPolicy::PreferConcurrent, Some(_)) => {
            (RefreshMode::Plain, None)
        }
        (RefreshPolicy::PreferConcurrent, None) => (RefreshMode::Concurrent, None),
        (RefreshPolicy::RequireConcurrent, blocker) => (RefreshMode::Concurrent, blocker),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blockers_and_policies() {
        use ConcurrentRefreshPrecondition::{MissingUniqueIndex as Missing, NotPopulated};
        use RefreshMode::{Concurrent, Plain};
        use RefreshPolicy::{PreferConcurrent, RequireConcurrent};
        let facts = |is_populated, has_unique_index| Refreshable {
            schema: "s".into(),
            name: "m".into(),
            is_populated,
            has_unique_index,
        };
        assert_eq!(facts(true, true).blocker(), None);
        assert_eq!(facts(true, false).blocker(), Some(Missing));
        assert_eq!(facts(false, true).blocker(), Some(NotPopulated));
        assert_eq!(choose_mode(PreferConcurrent, None), (Concurrent, None));
        assert_eq!(choose_mode(PreferConcurrent, Some(Missing)), (Plain, None));
        assert_eq!(
            choose_mode(RequireConcurrent, Some(Missing)),
            (Concurrent, Some(Missing))
        );
        assert_eq!(choose_mode(RefreshPolicy::Plain, None), (Plain, None));
    }
}
