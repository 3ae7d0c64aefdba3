//! Time is an input: the host passes milliseconds on every call and the core never reads a clock.

/// Milliseconds on the host's clock (any origin; only differences matter).
pub type Millis = u64;

/// Keeps the host's time from running backwards (wall clocks step back; Workers freeze).
#[derive(Clone, Debug, Default)]
pub struct MonotonicClock {
    latest: Millis,
}

impl MonotonicClock {
    pub fn new(start: Millis) -> Self {
        MonotonicClock { latest: start }
    }

    /// The later of `now` and every earlier reading.
    pub fn observe(&mut self, now: Millis) -> Millis {
        self.latest = self.latest.max(now);
        self.latest
    }

    pub fn now(&self) -> Millis {
        self.latest
    }
}
