//! [`Run`]: the scheduling of a plan, shared by the sync and async executors.
//!
//! The executors only ask for the next view to start ([`Run::next_job`]) and hand back what
//! running it gave ([`Run::finish_job`]). A view is ready as soon as every view it waits for
//! is refreshed, not when a whole level is done; among ready views the one with the longest
//! chain of views after it starts first (it bounds the end of the run). A failed view skips
//! every view that waits for it, directly or not; the other views go on. The progress events,
//! the tracing records and the report are made here.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Span;

use super::job::{Attempt, Job};
use super::plan::RefreshPlan;
use super::progress::{ProgressFn, RefreshEvent};
use super::report::{RefreshReport, RefreshStatus, ViewRefresh};
use super::request::Refresh;

/// A plan being run.
pub(crate) struct Run<'p> {
    plan: &'p RefreshPlan,
    progress: Option<Arc<ProgressFn>>,
    start: Instant,
    span: Span,
    /// For each view, how many views it waits for are not refreshed yet.
    waiting: Vec<usize>,
    /// For each view, the views that wait for it.
    dependents: Vec<Vec<usize>>,
    /// Views ready to start, by height then plan order.
    ready: BinaryHeap<(u32, Reverse<usize>)>,
    results: Vec<Option<ViewRefresh>>,
    done: usize,
}

impl<'p> Run<'p> {
    /// Starts running `plan` (nothing is sent yet).
    pub(crate) fn new(plan: &'p RefreshPlan, refresh: &Refresh) -> Self {
        let views = plan.views();
        let mut dependents = vec![Vec::new(); views.len()];
        for (i, view) in views.iter().enumerate() {
            for &j in &view.waits_for {
                dependents[j].push(i);
            }
        }
        let waiting: Vec<usize> = views.iter().map(|v| v.waits_for.len()).collect();
        let ready = (0..views.len())
            .filter(|&i| waiting[i] == 0)
            .map(|i| (views[i].height, Reverse(i)))
            .collect();
        Self {
            plan,
            progress: refresh.progress.clone(),
            start: Instant::now(),
            span: tracing::info_span!("refresh_materialized_views", views = views.len()),
            waiting,
            dependents,
            ready,
            results: (0..views.len()).map(|_| None).collect(),
            done: 0,
        }
    }

    /// The next view to refresh, or `None` when none is ready (all done, or the ready ones
    /// wait for running views). Views that the policy refuses are finished here as failed.
    pub(crate) fn next_job(&mut self) -> Option<Job> {
        while let Some((_, Reverse(index))) = self.ready.pop() {
            let planned = &self.plan.views()[index];
            let job = match Job::new(index, planned, self.start.elapsed(), &self.span) {
                Ok(job) => job,
                Err(error) => {
                    self.fail_unstarted(index, error);
                    continue;
                }
            };
            if let Some(error) = job.refusal() {
                self.finish_job(
                    job,
                    Attempt {
                        duration: Duration::ZERO,
                        outcome: Err(error),
                    },
                );
                continue;
            }
            self.emit(&RefreshEvent::Started {
                view: &planned.view,
                mode: planned.mode,
                total: self.results.len(),
            });
            return Some(job);
        }
        None
    }

    fn fail_unstarted(&mut self, index: usize, error: crate::Error) {
        let planned = &self.plan.views()[index];
        self.record(
            index,
            ViewRefresh {
                view: planned.view.clone(),
                mode: planned.mode,
                started: Duration::ZERO,
                duration: Duration::ZERO,
                status: RefreshStatus::Failed { error },
            },
        );
        self.skip_dependents(index);
    }

    /// Records what running `job` gave; readies the views waiting for it, or skips them when
    /// it failed.
    pub(crate) fn finish_job(&mut self, job: Job, attempt: Attempt) {
        let ms = attempt.duration.as_secs_f64() * 1000.0;
        job.span.record("duration_ms", ms);
        let failed = attempt.outcome.is_err();
        let status = match attempt.outcome {
            Ok(rows) => {
                if let Some(rows) = rows {
                    job.span.record("rows", rows);
                }
                job.span.record("outcome", "refreshed");
                tracing::info!(parent: &job.span, duration_ms = ms, rows, "materialized view refreshed");
                RefreshStatus::Refreshed { rows }
            }
            Err(error) => {
                job.span.record("outcome", "failed");
                tracing::warn!(parent: &job.span, duration_ms = ms, %error, "materialized view refresh failed");
                RefreshStatus::Failed { error }
            }
        };
        let index = job.index;
        self.record(
            index,
            ViewRefresh {
                view: job.view,
                mode: job.mode,
                started: job.started,
                duration: attempt.duration,
                status,
            },
        );
        if failed {
            self.skip_dependents(index);
        } else {
            for k in 0..self.dependents[index].len() {
                let next = self.dependents[index][k];
                self.waiting[next] -= 1;
                if self.waiting[next] == 0 && self.results[next].is_none() {
                    self.ready
                        .push((self.plan.views()[next].height, Reverse(next)));
                }
            }
        }
    }

    /// Skips every view that waits for `failed`, directly or not.
    fn skip_dependents(&mut self, failed: usize) {
        let because = self.plan.views()[failed].view.clone();
        let mut stack = self.dependents[failed].clone();
        while let Some(index) = stack.pop() {
            if self.results[index].is_some() {
                continue;
            }
            let planned = &self.plan.views()[index];
            tracing::warn!(parent: &self.span, view = %planned.view, because = %because, "materialized view skipped");
            self.record(
                index,
                ViewRefresh {
                    view: planned.view.clone(),
                    mode: planned.mode,
                    started: Duration::ZERO,
                    duration: Duration::ZERO,
                    status: RefreshStatus::Skipped {
                        because: because.clone(),
                    },
                },
            );
            stack.extend(self.dependents[index].iter().copied());
        }
    }

    fn record(&mut self, index: usize, result: ViewRefresh) {
        self.done += 1;
        let total = self.results.len();
        self.emit(&RefreshEvent::Finished {
            view: &result,
            done: self.done,
            total,
        });
        self.results[index] = Some(result);
    }

    fn emit(&self, event: &RefreshEvent<'_>) {
        if let Some(progress) = &self.progress {
            progress(event);
        }
    }

    /// The span of the whole run.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// The report, in plan order.
    pub(crate) fn into_report(self) -> RefreshReport {
        debug_assert!(
            self.results.iter().all(Option::is_some),
            "a view was never scheduled"
        );
        RefreshReport {
            views: self.results.into_iter().flatten().collect(),
            elapsed: self.start.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{DependencyGraph, Relation};
    use crate::error::{Error, RelationKind};
    use crate::refresh::plan::select;
    use crate::refresh::plan::tests::facts;

    /// a ← b ← d, a ← c ← d (diamond), e alone.
    fn plan() -> (RefreshPlan, Refresh) {
        let mv = |n: &str| Relation::new("s", n, RelationKind::MaterializedView);
        let mut graph = DependencyGraph::new();
        for (reader, read) in [("b", "a"), ("c", "a"), ("d", "b"), ("d", "c")] {
            graph.add_dependency(mv(reader), mv(read));
        }
        graph.add_relation(mv("e"));
        let refresh = Refresh::all();
        let selected = select(&refresh, Some(graph)).unwrap();
        let facts: Vec<_> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|n| facts(n, false))
            .collect();
        (selected.finish(&refresh, &facts).unwrap(), refresh)
    }

    fn ok() -> Attempt {
        Attempt {
            duration: Duration::from_millis(1),
            outcome: Ok(None),
        }
    }

    #[test]
    fn views_start_when_what_they_read_is_done() {
        let (plan, refresh) = plan();
        let mut run = Run::new(&plan, &refresh);
        // a has the longest chain after it: first; e is ready too.
        let first = run.next_job().unwrap();
        assert_eq!(first.view.name, "a");
        let alone = run.next_job().unwrap();
        assert_eq!(alone.view.name, "e");
        assert!(run.next_job().is_none());
        run.finish_job(first, ok());
        let left = run.next_job().unwrap();
        let right = run.next_job().unwrap();
        assert_eq!(
            (left.view.name.as_str(), right.view.name.as_str()),
            ("b", "c")
        );
        run.finish_job(left, ok());
        assert!(run.next_job().is_none(), "d still waits for c");
        run.finish_job(right, ok());
        let last = run.next_job().unwrap();
        run.finish_job(last, ok());
        run.finish_job(alone, ok());
        let report = run.into_report();
        assert!(report.is_success());
        assert_eq!(report.views().len(), 5);
    }

    #[test]
    fn a_failure_skips_only_what_is_downstream() {
        let (plan, refresh) = plan();
        let mut run = Run::new(&plan, &refresh);
        let first = run.next_job().unwrap();
        let alone = run.next_job().unwrap();
        run.finish_job(
            first,
            Attempt {
                duration: Duration::ZERO,
                outcome: Err(Error::InvalidDefinition {
                    name: "a".into(),
                    reason: "test".into(),
                }),
            },
        );
        assert!(run.next_job().is_none());
        run.finish_job(alone, ok());
        let report = run.into_report();
        let skipped: Vec<&str> = report.skipped().map(|v| v.view.name.as_str()).collect();
        assert_eq!(skipped, ["b", "c", "d"]);
        assert_eq!(report.refreshed().count(), 1);
        match report.into_result() {
            Err(Error::RefreshFailed { failed, skipped }) => {
                assert_eq!(failed[0].0, "s.a");
                assert_eq!(skipped, ["s.b", "s.c", "s.d"]);
            }
            other => panic!("{other:?}"),
        }
    }
}
