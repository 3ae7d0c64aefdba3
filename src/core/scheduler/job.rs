//! A job as the scheduler keeps it, and where it is in its life.

use crate::core::budget::Ledger;
use crate::core::cost::Cost;
use crate::core::queue::{KeyId, Place, Priority};
use crate::core::time::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Waiting in the queue, at this place.
    Queued(Place),
    Running(Attempt),
    /// Backing off after a failed attempt, until it re-enters the queue.
    Waiting,
}

#[derive(Clone, Debug)]
pub(super) struct Job {
    /// The caller's estimate.
    pub(super) estimate: Cost,
    /// What its running attempt holds (the calibrated estimate), or held last.
    pub(super) cost: Cost,
    pub(super) priority: Priority,
    pub(super) key: KeyId,
    pub(super) submitted_at: Millis,
    /// The last instant of its first start (`max_wait_ms`).
    pub(super) deadline: Option<Millis>,
    /// When the whole job must be done by.
    pub(super) due: Option<Millis>,
    /// Attempts started so far.
    pub(super) attempt: u32,
    pub(super) state: State,
}

/// What a running attempt needs besides its job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Attempt {
    pub(super) epoch: u32,
    pub(super) started_at: Millis,
    /// The budget's ledger just after the attempt took its reservation.
    pub(super) ledger: Ledger,
}

impl Job {
    /// Its running attempt, if it runs.
    pub(super) fn attempt(&self) -> Option<Attempt> {
        match self.state {
            State::Running(attempt) => Some(attempt),
            _ => None,
        }
    }

    pub(super) fn awaits_first_start(&self) -> bool {
        matches!(self.state, State::Queued(_)) && self.attempt == 0
    }
}
