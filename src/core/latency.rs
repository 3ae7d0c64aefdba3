//! How long attempts take, learned from the ones that finished, to tell whether a job can still
//! finish by its deadline.
//!
//! An LLM call's latency grows with its output, so a job whose output estimate is known
//! (`maxOutputTokens`) is measured per token of that estimate, and its expected latency is
//! the learned quantile times its own estimate; a job with only a total estimate is measured
//! per call. Learning per token of the estimate (not of the real output) keeps the prediction in
//! the units it was learned in, whatever share of `max_tokens` calls really use. One model for
//! the whole limiter: keys come and go, and a tenant's calls are the same calls.
//!
//! Only successes count: a 429 answers at once and a timed-out or aborted attempt never said
//! how long it would have taken. The last [`WINDOW`] samples of each kind are kept, so the
//! estimate follows a provider that slows down or speeds up.

use super::cost::Cost;

/// Samples kept of each kind.
pub const WINDOW: usize = 64;

/// Fewer samples than this: no prediction (a job is then rejected only when it is certain).
pub const MIN_SAMPLES: usize = 8;

/// The default quantile of the learned latency a job's remaining time must cover: 0.9.
pub const DEFAULT_QUANTILE_PPM: u32 = 900_000;

/// Latencies are kept in 1/1024 ms per unit, so that short calls of many tokens keep precision.
const SCALE: u64 = 1_024;

/// The last samples of one kind: as a ring (to know which is oldest) and sorted (to read a
/// quantile at once).
#[derive(Clone, Debug)]
struct Window {
    ring: [u64; WINDOW],
    sorted: [u64; WINDOW],
    len: usize,
    next: usize,
}

impl Default for Window {
    fn default() -> Self {
        Window { ring: [0; WINDOW], sorted: [0; WINDOW], len: 0, next: 0 }
    }
}

impl Window {
    fn record(&mut self, sample: u64) {
        if self.len == WINDOW {
            // The oldest sample leaves the sorted samples.
            let oldest = self.ring[self.next];
            let at = self.sorted.partition_point(|&s| s < oldest);
            self.sorted.copy_within(at + 1.., at);
            self.len -= 1;
        }
        self.ring[self.next] = sample;
        self.next = (self.next + 1) % WINDOW;
        let at = self.sorted[..self.len].partition_point(|&s| s <= sample);
        self.sorted.copy_within(at..self.len, at + 1);
        self.sorted[at] = sample;
        self.len += 1;
    }

    /// The `ppm` quantile (nearest rank) of the samples, once there are enough.
    fn quantile(&self, ppm: u32) -> Option<u64> {
        if self.len < MIN_SAMPLES {
            return None;
        }
        let rank = (self.len as u64 * ppm as u64).div_ceil(1_000_000).clamp(1, self.len as u64);
        Some(self.sorted[rank as usize - 1])
    }
}

#[derive(Clone, Debug)]
pub struct Latency {
    per_output_token: Window,
    per_call: Window,
    /// `None`: never predict (reject only when it is certain).
    quantile_ppm: Option<u32>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency { per_output_token: Window::default(), per_call: Window::default(), quantile_ppm: Some(DEFAULT_QUANTILE_PPM) }
    }
}

/// The output estimate of a cost whose split is known (a total estimate counts it as input and
/// output both, so input plus output exceeds the total).
fn output_estimate(cost: &Cost) -> Option<u64> {
    (cost.output > 0 && cost.input.saturating_add(cost.output) == cost.tokens).then_some(cost.output)
}

impl Latency {
    /// The quantile used, in millionths, in (0, 1_000_000]; `None` to predict nothing.
    pub fn set_quantile(&mut self, ppm: Option<u32>) {
        self.quantile_ppm = ppm.map(|q| q.clamp(1, 1_000_000));
    }

    pub fn quantile(&self) -> Option<u32> {
        self.quantile_ppm
    }

    /// A successful attempt of `cost` took `ms`.
    pub fn record(&mut self, cost: &Cost, ms: u64) {
        let scaled = ms.saturating_mul(SCALE);
        match output_estimate(cost) {
            Some(output) => self.per_output_token.record(scaled / output),
            None => self.per_call.record(scaled),
        }
    }

    /// How long an attempt of `cost` is expected to take (the quantile of what such attempts
    /// took), or `None` when too few finished or prediction is off.
    pub fn expected(&self, cost: &Cost) -> Option<u64> {
        let ppm = self.quantile_ppm?;
        match output_estimate(cost) {
            Some(output) => self.per_output_token.quantile(ppm).map(|q| q.saturating_mul(output).div_ceil(SCALE)),
            None => self.per_call.quantile(ppm).map(|q| q.div_ceil(SCALE)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_prediction_before_enough_samples() {
        let mut l = Latency::default();
        for _ in 0..MIN_SAMPLES - 1 {
            l.record(&Cost::total(100), 1_000);
        }
        assert_eq!(l.expected(&Cost::total(100)), None);
        l.record(&Cost::total(100), 1_000);
        assert_eq!(l.expected(&Cost::total(100)), Some(1_000));
    }

    #[test]
    fn the_quantile_of_the_last_window() {
        let mut l = Latency::default();
        for ms in 1..=10 {
            l.record(&Cost::total(0), ms * 100);
        }
        assert_eq!(l.expected(&Cost::total(0)), Some(900), "p90 of 100..1000");
        l.set_quantile(Some(500_000));
        assert_eq!(l.expected(&Cost::total(0)), Some(500));
        l.set_quantile(None);
        assert_eq!(l.expected(&Cost::total(0)), None);
        l.set_quantile(Some(1_000_000));
        for _ in 0..WINDOW {
            l.record(&Cost::total(0), 50);
        }
        assert_eq!(l.expected(&Cost::total(0)), Some(50), "older samples are forgotten");
        for ms in (0..WINDOW as u64).rev() {
            l.record(&Cost::total(0), ms);
        }
        l.set_quantile(Some(500_000));
        assert_eq!(l.expected(&Cost::total(0)), Some(WINDOW as u64 / 2 - 1), "the median of 0..WINDOW");
    }

    #[test]
    fn per_output_token_scales_with_the_estimate() {
        let mut l = Latency::default();
        for _ in 0..MIN_SAMPLES {
            l.record(&Cost::split(1_000, 200), 2_000); // 10 ms per output token
        }
        assert_eq!(l.expected(&Cost::split(50, 400)), Some(4_000));
        assert_eq!(l.expected(&Cost::split(50, 3)), Some(30));
        assert_eq!(l.expected(&Cost::total(400)), None, "a total estimate is another kind");
    }
}
