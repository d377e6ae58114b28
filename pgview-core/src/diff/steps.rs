//! The queries of a comparison, in order: [`Steps`] turns a [`Comparison`] into a sequence of
//! [`Request`]s, each answered by a [`Reply`] that the sync and async drivers (`run.rs`) get
//! from the connection. The order of the queries is therefore written once, and the drivers
//! only send them.

use std::collections::VecDeque;

use crate::error::Result;
use crate::record::RecordRow;
use crate::snapshot::{SelectRow, StateQuery, StateRow};

use super::compare::Comparison;
use super::normalize::{FailuresRow, SameRow, FAILURES_SQL, KEPT_SQL, SAME_SQL};
use super::result::ViewDiff;

/// What every transaction of a comparison starts with: `search_path` emptied (so that the
/// server qualifies every name it prints), JIT compilation off (the planner finds the catalog
/// queries expensive enough to compile them, which costs far more than it saves: 1.5 s of a
/// 1.6 s query on 1,000 views), and the generic plan of a prepared query from its first run
/// (the state query is prepared once and run for every batch: see `snapshot/query.rs`).
const SETTINGS: &str = "SELECT pg_catalog.set_config('search_path', '', true), \
     pg_catalog.set_config('jit', 'off', true), \
     pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true)";

/// [`SETTINGS`], then the connection's own `search_path` back (the user's views are created
/// with it), in one round trip.
fn user_settings(comparison: &Comparison<'_>) -> String {
    format!("{SETTINGS}; {}", comparison.user_search_path())
}

/// A batch's `block` in one round trip: [`user_settings`] before it, and after it the empty
/// `search_path` its views are read back with.
fn batch_sql(comparison: &Comparison<'_>, block: &str) -> String {
    format!(
        "{}; {block}; {}",
        user_settings(comparison),
        Comparison::set_search_path("")
    )
}

/// What to send next.
pub(crate) enum Request {
    /// Statements whose results are not read.
    Execute(String),
    /// Statements that may fail: the failure is a reply ([`Reply::Failed`]), not an error.
    TryExecute(String),
    /// The ownership record ([`RecordRow`]s).
    Record(&'static str),
    /// The selection ([`SelectRow`]s).
    Select(StateQuery),
    /// States ([`StateRow`]s).
    States(StateQuery),
    /// The failures of a normalisation block ([`FAILURES_SQL`], one [`FailuresRow`]).
    Failures(&'static str),
    /// The result of a fixpoint block ([`SAME_SQL`], one [`SameRow`]).
    Same(&'static str),
    /// A transaction (a savepoint inside another): the comparison runs each of its steps in
    /// one, rolled back after.
    Begin,
    /// Its rollback: what it did, and the locks it took, are gone.
    Rollback,
}

/// What came back.
pub(crate) enum Reply {
    Done,
    /// A [`Request::TryExecute`] failed (the subtransaction must be rolled back).
    Failed,
    Record(Vec<RecordRow>),
    Select(Vec<SelectRow>),
    States(Vec<StateRow>),
    Failures(FailuresRow),
    Same(SameRow),
}

/// Who takes a reply.
#[derive(Debug, Clone)]
enum Then {
    Nothing,
    Record,
    Selection,
    States,
    /// With table SQL.
    Failures,
    Normalized,
    /// In a batch.
    FastBatch,
    BatchFailures,
    BatchStates,
    /// The creations a conditional fast block did not make.
    BatchKept,
    Same,
    /// The batch's subtransaction is rolled back.
    BatchDone,
    /// A fixpoint block tried in a savepoint; the careful one to run if it fails.
    FastSame(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Selection,
    Normalize,
    StartBatches,
    Batches,
    Done,
}

/// A comparison and the queries it still has to send.
pub(crate) struct Steps<'a> {
    comparison: Comparison<'a>,
    phase: Phase,
    todo: VecDeque<(Request, Then)>,
    awaiting: Then,
}

impl<'a> Steps<'a> {
    pub(crate) fn new(comparison: Comparison<'a>) -> Self {
        Self {
            comparison,
            phase: Phase::Start,
            todo: VecDeque::new(),
            awaiting: Then::Nothing,
        }
    }

    /// The next query, or `None` when the comparison is complete.
    ///
    /// # Errors
    /// As the comparison's steps.
    pub(crate) fn next(&mut self) -> Result<Option<Request>> {
        loop {
            if let Some((request, then)) = self.todo.pop_front() {
                self.awaiting = then;
                return Ok(Some(request));
            }
            match self.phase {
                Phase::Start => {
                    self.push(Request::Begin, Then::Nothing);
                    self.push(Request::Execute(SETTINGS.to_owned()), Then::Nothing);
                    if let Some(sql) = self.comparison.record_query() {
                        self.push(Request::Record(sql), Then::Record);
                    }
                    self.phase = Phase::Selection;
                }
                Phase::Selection => {
                    let query = self.comparison.selection_query();
                    self.push(Request::Select(query), Then::Selection);
                    self.push(Request::Rollback, Then::Nothing);
                    // (The states of the selected views are queued when the selection comes.)
                    self.phase = if self.comparison.batched() {
                        Phase::StartBatches
                    } else {
                        Phase::Normalize
                    };
                }
                Phase::Normalize => {
                    let block = self.comparison.normalize_sql()?;
                    self.push(Request::Begin, Then::Nothing);
                    self.push(
                        Request::Execute(user_settings(&self.comparison)),
                        Then::Nothing,
                    );
                    self.push(Request::Execute(block), Then::Nothing);
                    // (The normalised states are queued once the failures tell which views
                    // the table SQL affects.)
                    self.push(Request::Failures(FAILURES_SQL), Then::Failures);
                    self.push(Request::Rollback, Then::Nothing);
                    self.phase = Phase::Done;
                }
                Phase::StartBatches => {
                    self.comparison.start_batches()?;
                    if let Some(sql) = self.comparison.temporary_schema_sql() {
                        // Outside the batches' transactions: see `temporary_schema_sql`.
                        self.push(Request::Execute(sql), Then::Nothing);
                    }
                    self.phase = Phase::Batches;
                }
                Phase::Batches => {
                    let Some(block) = self.comparison.next_batch()? else {
                        self.comparison.end_batches()?;
                        self.phase = Phase::Done;
                        continue;
                    };
                    self.push(Request::Begin, Then::Nothing);
                    self.push(
                        Request::TryExecute(batch_sql(&self.comparison, &block)),
                        Then::FastBatch,
                    );
                }
                Phase::Done => return Ok(None),
            }
        }
    }

    fn push(&mut self, request: Request, then: Then) {
        self.todo.push_back((request, then));
    }

    /// Queues `steps`, in order, before everything queued.
    fn front<const N: usize>(&mut self, steps: [(Request, Then); N]) {
        for step in steps.into_iter().rev() {
            self.todo.push_front(step);
        }
    }

    /// The fixpoint: the fast block in a savepoint, the careful one if it fails.
    fn fixpoint(&mut self, (fast, careful): (String, String)) {
        self.front([
            (Request::Begin, Then::Nothing),
            (Request::TryExecute(fast), Then::FastSame(careful)),
        ]);
    }

    /// Takes the reply to the last request.
    ///
    /// # Errors
    /// As the comparison's steps.
    pub(crate) fn reply(&mut self, reply: Reply) -> Result<()> {
        let comparison = &mut self.comparison;
        match (std::mem::replace(&mut self.awaiting, Then::Nothing), reply) {
            (Then::Record, Reply::Record(rows)) => comparison.take_record(rows),
            (Then::Selection, Reply::Select(rows)) => {
                // The states of the views that matter, a chunk at a time, each in a
                // subtransaction rolled back once read (releasing the locks it took).
                let chunks = comparison.take_selection(rows);
                let mut front = Vec::new();
                for chunk in &chunks {
                    front.push((Request::Begin, Then::Nothing));
                    front.push((Request::Execute(SETTINGS.to_owned()), Then::Nothing));
                    front.push((
                        Request::States(Comparison::states_query(chunk)),
                        Then::States,
                    ));
                    front.push((Request::Rollback, Then::Nothing));
                }
                for step in front.into_iter().rev() {
                    self.todo.push_front(step);
                }
            }
            (Then::States, Reply::States(rows)) => comparison.take_states(rows),
            (Then::Failures, Reply::Failures(row)) => {
                comparison.take_failures(&row)?;
                self.todo.push_front((
                    Request::States(comparison.normalized_query()),
                    Then::Normalized,
                ));
                self.todo.push_front((
                    Request::Execute(Comparison::set_search_path("")),
                    Then::Nothing,
                ));
            }
            (Then::Normalized, Reply::States(rows)) => {
                if let Some(blocks) = comparison.fixpoint_sql(rows) {
                    self.fixpoint(blocks);
                }
            }
            (Then::FastBatch, Reply::Done) if comparison.batch_is_conditional() => {
                // Which views the block did not create, then the others read back.
                self.front([(Request::Same(KEPT_SQL), Then::BatchKept)]);
            }
            (Then::BatchKept, Reply::Same(row)) => {
                comparison.take_batch_kept(&row);
                let back = read_back(comparison);
                self.front(back);
            }
            (Then::FastBatch, Reply::Done) => {
                // Every view of the batch was created: read them back.
                let back = read_back(comparison);
                self.front(back);
            }
            (Then::FastBatch, Reply::Failed) => {
                // Again, in rounds, noting what fails, then read back.
                let back = read_back(comparison);
                let rounds = comparison.batch_in_rounds();
                let rest = [
                    (Request::Rollback, Then::Nothing),
                    (Request::Begin, Then::Nothing),
                    (
                        Request::Execute(batch_sql(comparison, &rounds)),
                        Then::Nothing,
                    ),
                    (Request::Failures(FAILURES_SQL), Then::BatchFailures),
                ];
                self.front(back);
                self.front(rest);
            }
            (Then::BatchFailures, Reply::Failures(row)) => comparison.take_batch_failures(row),
            (Then::BatchStates, Reply::States(rows)) => {
                if let Some(blocks) = comparison.take_batch_states(rows) {
                    self.fixpoint(blocks);
                }
            }
            (Then::FastSame(_), Reply::Done) => {
                // The result is read before the savepoint (and the setting) goes.
                self.front([
                    (Request::Same(SAME_SQL), Then::Same),
                    (Request::Rollback, Then::Nothing),
                ]);
            }
            (Then::FastSame(careful), Reply::Failed) => {
                self.front([
                    (Request::Rollback, Then::Nothing),
                    (Request::Execute(careful), Then::Nothing),
                    (Request::Same(SAME_SQL), Then::Same),
                ]);
            }
            (Then::Same, Reply::Same(row)) => comparison.take_same(&row),
            (Then::BatchDone, Reply::Done) => comparison.finish_batch(),
            // `Then::Nothing`, and (never sent) a reply of another kind than its request.
            _ => {}
        }
        Ok(())
    }

    /// The result, once [`next`](Self::next) gives `None`.
    ///
    /// # Errors
    /// As [`Comparison::finish`].
    pub(crate) fn finish(self) -> Result<ViewDiff> {
        self.comparison.finish()
    }
}

/// The end of a batch: its views read back (with the empty `search_path` its block's
/// request left: see [`batch_sql`]), then its transaction rolled back.
fn read_back(comparison: &Comparison<'_>) -> [(Request, Then); 2] {
    [
        (
            Request::States(comparison.batch_states_query()),
            Then::BatchStates,
        ),
        (Request::Rollback, Then::BatchDone),
    ]
}
