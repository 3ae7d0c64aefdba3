//! A host for the scheduler on virtual time: it carries out decisions, runs each started job
//! for a planned duration, reports the planned outcome, and jumps the clock straight to the
//! next thing that happens. Nothing sleeps.
#![allow(dead_code)]

pub mod provider;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use sluice::{Decision, Event as CoreEvent, Feedback, JobId, JobSpec, Millis, Outcome, OutcomeKind, Rejection, Scheduler, Usage, Verdict};

/// How a job behaves each time it is started (unless a [`Provider`] decides).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub duration: u64,
    pub kind: OutcomeKind,
    pub usage: Option<Usage>,
    /// What a simulated provider charges on admission (input + max_tokens).
    pub charge: u64,
}

/// Decides, when an attempt starts, how long it runs and how it ends: a simulated provider.
pub trait Provider {
    fn call(&mut self, now: Millis, job: JobId, attempt: u32, plan: &Plan) -> (u64, Outcome);
}

/// Every attempt ends as its plan says.
pub struct Planned;

impl Provider for Planned {
    fn call(&mut self, _now: Millis, _job: JobId, _attempt: u32, plan: &Plan) -> (u64, Outcome) {
        (plan.duration, Outcome { kind: plan.kind, usage: plan.usage, feedback: Feedback::default() })
    }
}

impl Plan {
    pub fn ok(duration: u64) -> Self {
        Plan { duration, kind: OutcomeKind::Success, usage: None, charge: 0 }
    }
    pub fn used(duration: u64, input: u64, output: u64) -> Self {
        Plan { duration, kind: OutcomeKind::Success, usage: Some(Usage { input, output }), charge: 0 }
    }
    pub fn fails(duration: u64, kind: OutcomeKind) -> Self {
        Plan { duration, kind, usage: None, charge: 0 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Start { at: Millis, job: JobId, attempt: u32 },
    Reject { at: Millis, job: JobId, reason: Rejection },
    Finish { at: Millis, job: JobId, verdict: Verdict },
    /// The caller aborted a running attempt: it ends with no usage reported.
    Abort { at: Millis, job: JobId },
    /// The caller aborted a queued job: it leaves the queue.
    Cancel { at: Millis, job: JobId },
}

pub struct Sim<P: Provider = Planned> {
    pub scheduler: Scheduler,
    pub provider: P,
    pub now: Millis,
    plans: HashMap<JobId, Plan>,
    ends: BinaryHeap<Reverse<(Millis, JobId)>>,
    /// How each running attempt will end.
    outcomes: HashMap<JobId, Outcome>,
    pub events: Vec<Event>,
    /// What the scheduler told, for listeners.
    pub notices: Vec<(Millis, CoreEvent)>,
    /// The most attempts seen in flight at once.
    pub peak_in_flight: u32,
}

impl Sim<Planned> {
    pub fn new(scheduler: Scheduler) -> Self {
        Sim::with_provider(scheduler, Planned)
    }
}

impl<P: Provider> Sim<P> {
    pub fn with_provider(scheduler: Scheduler, provider: P) -> Self {
        Sim {
            scheduler,
            provider,
            now: 0,
            plans: HashMap::new(),
            ends: BinaryHeap::new(),
            outcomes: HashMap::new(),
            events: Vec::new(),
            notices: Vec::new(),
            peak_in_flight: 0,
        }
    }

    /// Submits a job now and polls, as the JS wrapper does.
    pub fn submit(&mut self, spec: JobSpec, plan: Plan) -> Result<JobId, Rejection> {
        let id = self.scheduler.submit(self.now, spec)?;
        self.plans.insert(id, plan);
        self.poll();
        Ok(id)
    }

    /// The caller aborts a job: out of the queue, or its running attempt ends as aborted.
    pub fn abort(&mut self, job: JobId) -> bool {
        let was_queued = self.scheduler.cancel(self.now, job);
        if was_queued {
            self.events.push(Event::Cancel { at: self.now, job });
        } else if self.ends.iter().any(|Reverse((_, j))| *j == job) {
            self.ends.retain(|Reverse((_, j))| *j != job);
            self.outcomes.remove(&job);
            let verdict = self.scheduler.finish(self.now, job, Outcome::of(OutcomeKind::Aborted));
            assert_eq!(verdict, Verdict::Failed);
            self.events.push(Event::Abort { at: self.now, job });
        }
        self.poll();
        was_queued
    }

    pub fn poll(&mut self) {
        self.scheduler.poll(self.now);
        let decisions: Vec<Decision> = self.scheduler.drain().collect();
        for decision in decisions {
            match decision {
                Decision::Start { job, attempt } => {
                    self.events.push(Event::Start { at: self.now, job, attempt });
                    let (duration, outcome) = self.provider.call(self.now, job, attempt, &self.plans[&job]);
                    self.outcomes.insert(job, outcome);
                    self.ends.push(Reverse((self.now + duration, job)));
                }
                Decision::Reject { job, reason } => self.events.push(Event::Reject { at: self.now, job, reason }),
            }
        }
        let now = self.now;
        self.notices.extend(self.scheduler.drain_events().map(|e| (now, e)));
        self.peak_in_flight = self.peak_in_flight.max(self.scheduler.stats().in_flight);
    }

    /// The next instant something happens: an attempt ends or the scheduler wants to wake.
    fn next_event(&self) -> Option<Millis> {
        let end = self.ends.peek().map(|Reverse((t, _))| *t);
        [end, self.scheduler.next_wake()].into_iter().flatten().min()
    }

    /// Runs everything due up to `until`, then sets the clock to it.
    pub fn run_until(&mut self, until: Millis) {
        while let Some(t) = self.next_event().filter(|&t| t <= until) {
            self.now = self.now.max(t);
            self.finish_due();
            self.poll();
        }
        self.now = self.now.max(until);
        self.poll();
    }

    /// Runs until nothing is queued or running. Panics if that never comes (a hang).
    pub fn run_to_idle(&mut self) {
        let mut steps = 0u64;
        while let Some(t) = self.next_event() {
            self.now = self.now.max(t);
            self.finish_due();
            self.poll();
            steps += 1;
            assert!(steps < 10_000_000, "the simulation does not end");
        }
        let stats = self.scheduler.stats();
        assert_eq!((stats.in_flight, stats.queued), (0, 0), "idle with work left: a job waits forever");
    }

    fn finish_due(&mut self) {
        while let Some(&Reverse((t, job))) = self.ends.peek() {
            if t > self.now {
                break;
            }
            self.ends.pop();
            let outcome = self.outcomes.remove(&job).expect("a running attempt has an outcome");
            let verdict = self.scheduler.finish(self.now, job, outcome);
            self.events.push(Event::Finish { at: self.now, job, verdict });
        }
    }

    /// Start times of jobs, in order.
    pub fn starts(&self) -> Vec<(Millis, JobId)> {
        self.events
            .iter()
            .filter_map(|e| match *e {
                Event::Start { at, job, .. } => Some((at, job)),
                _ => None,
            })
            .collect()
    }

    pub fn rejections(&self) -> Vec<(Millis, JobId, Rejection)> {
        self.events
            .iter()
            .filter_map(|e| match *e {
                Event::Reject { at, job, reason } => Some((at, job, reason)),
                _ => None,
            })
            .collect()
    }
}

pub fn spec(tokens: u64) -> JobSpec<'static> {
    JobSpec { cost: sluice::Cost::total(tokens), ..JobSpec::default() }
}
