//! What refreshing one view sends — the timeouts, the `REFRESH` statement, the row count —
//! and its tracing span. Both executors send these same query values; they only differ in how
//! they run them.

use std::time::Duration;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, BoxedSqlQuery, Query, QueryFragment, SqlQuery};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{QueryResult, QueryableByName};
use tracing::Span;

use crate::catalog::Relation;
use crate::ddl::{statement, Concurrent, RefreshMaterializedView, WithData};
use crate::error::{ConcurrentRefreshPrecondition, Error, Result};
use crate::ident::QualifiedName;

use super::plan::PlannedView;
use super::report::RefreshMode;
use super::request::ViewTimeouts;

/// The refresh of one view, as the executors run it.
#[derive(Debug)]
pub(crate) struct Job {
    /// Its position in the plan.
    pub(crate) index: usize,
    pub(crate) name: QualifiedName,
    pub(crate) view: Relation,
    pub(crate) mode: RefreshMode,
    refused: Option<ConcurrentRefreshPrecondition>,
    timeouts: ViewTimeouts,
    /// When it started, counted from the start of the run.
    pub(crate) started: Duration,
    /// `refresh_materialized_view`, with `view`, `mode`, and `duration_ms`, `rows`, `outcome`
    /// recorded when it ends.
    pub(crate) span: Span,
}

/// What running a job gave.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// How long the view's transaction took.
    pub(crate) duration: Duration,
    /// The rows counted after the refresh (`None` when not counted), or the error.
    pub(crate) outcome: Result<Option<u64>>,
}

impl Job {
    /// The job of the view at `index` of a plan.
    pub(crate) fn new(
        index: usize,
        planned: &PlannedView,
        started: Duration,
        parent: &Span,
    ) -> Result<Self> {
        let view = planned.view.clone();
        let span = tracing::info_span!(
            parent: parent,
            "refresh_materialized_view",
            view = %view,
            mode = %planned.mode,
            duration_ms = tracing::field::Empty,
            rows = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        Ok(Self {
            index,
            name: QualifiedName::new(Some(&view.schema), &view.name)?,
            view,
            mode: planned.mode,
            refused: planned.refused.clone(),
            timeouts: planned.timeouts,
            started,
            span,
        })
    }

    /// The error of a view that the policy refuses to refresh, before anything is sent.
    pub(crate) fn refusal(&self) -> Option<Error> {
        self.refused
            .clone()
            .map(|precondition| Error::ConcurrentRefresh {
                name: Some(self.view.fullname()),
                precondition,
            })
    }

    /// Sets the timeouts with `SET LOCAL` semantics (`set_config(…, true)`), the values as
    /// bind parameters, and returns the values they replace (read first: a materialized CTE).
    /// `None` when no timeout is set.
    pub(crate) fn timeouts_query(&self) -> Option<BoxedSqlQuery<'static, Pg, SqlQuery>> {
        let value = |d: Duration| format!("{}ms", d.as_nanos().div_ceil(1_000_000));
        let lock = self.timeouts.lock_timeout().map(value);
        let statement = self.timeouts.statement_timeout().map(value);
        if lock.is_none() && statement.is_none() {
            return None;
        }
        Some(
            diesel::sql_query(
                "WITH before AS MATERIALIZED (\
                 SELECT pg_catalog.current_setting('lock_timeout') AS lock_timeout, \
                 pg_catalog.current_setting('statement_timeout') AS statement_timeout) \
                 SELECT before.lock_timeout, before.statement_timeout, \
                 pg_catalog.set_config('lock_timeout', coalesce($1, before.lock_timeout), true), \
                 pg_catalog.set_config('statement_timeout', coalesce($2, before.statement_timeout), true) \
                 FROM before",
            )
            .into_boxed()
            .bind::<Nullable<Text>, _>(lock)
            .bind::<Nullable<Text>, _>(statement),
        )
    }

    /// Puts back the timeouts that [`timeouts_query`](Self::timeouts_query) replaced, before
    /// the view's transaction ends: when it is a savepoint of an enclosing transaction, a
    /// released savepoint keeps `SET LOCAL` values until the enclosing transaction ends.
    pub(crate) fn restore_query(before: Before) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        diesel::sql_query(
            "SELECT pg_catalog.set_config('lock_timeout', $1, true), \
             pg_catalog.set_config('statement_timeout', $2, true)",
        )
        .into_boxed()
        .bind::<Text, _>(before.lock_timeout)
        .bind::<Text, _>(before.statement_timeout)
    }

    /// The `REFRESH MATERIALIZED VIEW [CONCURRENTLY]` statement.
    pub(crate) fn statement(&self) -> RefreshStatement {
        let statement = RefreshMaterializedView::named(self.name.clone());
        match self.mode {
            RefreshMode::Concurrent => RefreshStatement::Concurrent(statement.concurrently()),
            RefreshMode::Plain => RefreshStatement::Plain(statement),
        }
    }

    /// `SELECT count(*) FROM` the view.
    pub(crate) fn count(&self) -> CountRows {
        CountRows(self.name.clone())
    }
}

/// The timeouts in force before a view's timeouts were set.
#[derive(Debug, QueryableByName)]
pub(crate) struct Before {
    #[diesel(sql_type = Text)]
    lock_timeout: String,
    #[diesel(sql_type = Text)]
    statement_timeout: String,
}

/// The refresh statement of a job: plain or concurrent, chosen at run time.
#[derive(Debug, Clone)]
pub(crate) enum RefreshStatement {
    Plain(RefreshMaterializedView),
    Concurrent(RefreshMaterializedView<Concurrent, WithData>),
}

statement!(RefreshStatement);

impl QueryFragment<Pg> for RefreshStatement {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        match self {
            Self::Plain(statement) => statement.walk_ast(out),
            Self::Concurrent(statement) => statement.walk_ast(out),
        }
    }
}

/// `SELECT count(*) FROM "schema"."view"`.
#[derive(Debug, Clone)]
pub(crate) struct CountRows(QualifiedName);

statement!(CountRows);

impl Query for CountRows {
    type SqlType = BigInt;
}

impl QueryFragment<Pg> for CountRows {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("SELECT count(*) FROM ");
        self.0.walk_ast(&mut out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(mode: RefreshMode, timeouts: ViewTimeouts) -> Job {
        let planned = PlannedView {
            view: Relation::new("s", "m", crate::RelationKind::MaterializedView),
            mode,
            refused: None,
            timeouts,
            after: Vec::new(),
            waits_for: Vec::new(),
            height: 1,
        };
        Job::new(0, &planned, Duration::ZERO, &Span::none()).unwrap()
    }

    #[test]
    fn statements() {
        let plain = job(RefreshMode::Plain, ViewTimeouts::new());
        assert_eq!(
            diesel::debug_query::<Pg, _>(&plain.statement()).to_string(),
            r#"REFRESH MATERIALIZED VIEW "s"."m" -- binds: []"#
        );
        assert!(plain.timeouts_query().is_none());
        assert_eq!(
            diesel::debug_query::<Pg, _>(&plain.count()).to_string(),
            r#"SELECT count(*) FROM "s"."m" -- binds: []"#
        );
        let concurrent = job(
            RefreshMode::Concurrent,
            ViewTimeouts::new()
                .lock(Duration::from_micros(1500))
                .statement(Duration::from_secs(2)),
        );
        assert_eq!(
            diesel::debug_query::<Pg, _>(&concurrent.statement()).to_string(),
            r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "s"."m" -- binds: []"#
        );
        let timeouts = concurrent.timeouts_query().unwrap();
        let sql = diesel::debug_query::<Pg, _>(&timeouts).to_string();
        assert!(
            sql.ends_with(r#"-- binds: [Some("2ms"), Some("2000ms")]"#),
            "{sql}"
        );
    }
}
