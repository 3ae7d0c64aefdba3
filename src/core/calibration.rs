//! Calibration: how the provider's count relates to the caller's estimate, learned from the
//! usage that settles, so that each attempt reserves what the provider will really charge.
//!
//! One calibration per limiter. A limiter stands for one set of provider limits, which
//! providers set per model, so it is per model in practice; keys (tenants) share a model and a
//! tokenizer, so they share its ratio. That keeps the memory fixed (five windows of
//! [`WINDOW`] numbers, 2.5 KB) whatever the number of keys.
//!
//! Each ratio is a robust mean (the middle half) of the last [`WINDOW`] jobs' `actual /
//! estimate`: one odd request (a huge answer, a cached prompt) does not move it by its size,
//! as a plain mean would.

use super::cost::{Cost, Usage};

/// Ratios are in millionths: 1_000_000 means the estimate was right.
pub const UNIT: u32 = 1_000_000;
/// Settled jobs each ratio remembers: with ±50 % noise per job, the ratio of 63 is within
/// about 5 % of the truth (one standard deviation).
pub const WINDOW: usize = 63;
/// One job's ratio counts as at most 4 times (or a quarter of) its estimate: beyond, the
/// estimate is not wrong by a factor but about something else.
const MAX_RATIO: u32 = 4 * UNIT;
const MIN_RATIO: u32 = UNIT / 4;
/// Until the first attempt ends, input estimates are taken for up to a half low: the first
/// burst can spend a whole bucket before any answer shows the real count (a provider's
/// tokenizer counts code, JSON and other languages a third or more above `estimateOpenAI`).
pub const FIRST_ROUND_INPUT: u32 = 1_500_000;
/// What a job with no estimate reserves until jobs have settled: 500 tokens in, 500 out.
pub const TYPICAL_START: Usage = Usage { input: 500, output: 500 };

/// A robust mean of the last [`WINDOW`] samples: the mean of their middle half (the
/// interquartile mean). A quarter of the window may be wild either way without moving it much,
/// and it is steadier than the median under honest noise.
#[derive(Clone, Debug)]
struct RunningRatio {
    /// The samples in arrival order (a ring), and the same sorted.
    ring: [u32; WINDOW],
    sorted: [u32; WINDOW],
    len: u8,
    next: u8,
    value: u32,
}

impl RunningRatio {
    fn new(start: u32) -> Self {
        RunningRatio { ring: [0; WINDOW], sorted: [0; WINDOW], len: 0, next: 0, value: start }
    }

    fn push(&mut self, sample: u32) {
        let len = self.len as usize;
        if len == WINDOW {
            // The oldest sample leaves the sorted window.
            let old = self.ring[self.next as usize];
            let at = self.sorted.partition_point(|&s| s < old);
            self.sorted.copy_within(at + 1.., at);
        }
        let len = len.min(WINDOW - 1);
        let at = self.sorted[..len].partition_point(|&s| s < sample);
        self.sorted.copy_within(at..len, at + 1);
        self.sorted[at] = sample;
        self.ring[self.next as usize] = sample;
        self.next = ((self.next as usize + 1) % WINDOW) as u8;
        self.len = (len + 1) as u8;
        let middle = &self.sorted[self.len as usize / 4..(3 * self.len as usize).div_ceil(4)];
        self.value = (middle.iter().map(|&s| s as u64).sum::<u64>() / middle.len() as u64) as u32;
    }

    fn full(&self) -> bool {
        self.len as usize == WINDOW
    }
}

/// What calibration has learned, for stats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalibrationState {
    /// Provider's input count over the input estimate (split estimates).
    pub input: u32,
    /// Real output over `maxOutputTokens`; never applied below 1 (see [`Calibration::reserve`]).
    pub output: u32,
    /// Real total over a total-only estimate (`tokens`); never applied below 1.
    pub tokens: u32,
    /// What a job with no estimate reserves now.
    pub typical: Usage,
    /// Settled jobs learned from.
    pub samples: u64,
}

#[derive(Clone, Debug)]
pub struct Calibration {
    answered: bool,
    input: RunningRatio,
    output: RunningRatio,
    tokens: RunningRatio,
    typical_input: RunningRatio,
    typical_output: RunningRatio,
    samples: u64,
}

impl Default for Calibration {
    fn default() -> Self {
        let typical = |n: u64| RunningRatio::new(n as u32);
        Calibration {
            answered: false,
            input: RunningRatio::new(UNIT),
            output: RunningRatio::new(UNIT),
            tokens: RunningRatio::new(UNIT),
            typical_input: typical(TYPICAL_START.input),
            typical_output: typical(TYPICAL_START.output),
            samples: 0,
        }
    }
}

/// `amount × ratio`, rounded up. In 64 bits (exact below 4 × 10^12 tokens, saturating beyond):
/// 128-bit arithmetic costs the .wasm more than any estimate needs.
fn scale(amount: u64, ratio: u32) -> u64 {
    amount.saturating_mul(ratio as u64).div_ceil(UNIT as u64)
}

/// `actual / estimate` in millionths, within [`MIN_RATIO`, `MAX_RATIO`].
fn ratio(actual: u64, estimate: u64) -> u32 {
    (actual.saturating_mul(UNIT as u64) / estimate).clamp(MIN_RATIO as u64, MAX_RATIO as u64) as u32
}

impl Calibration {
    /// What an attempt of `estimate` reserves.
    ///
    /// - No estimate (0 tokens): the typical settled cost of a job.
    /// - Input and output apart: the input times its ratio (before any answer, at least
    ///   [`FIRST_ROUND_INPUT`]; while fewer than [`WINDOW`] jobs settled, never below the
    ///   estimate, so that a few lucky answers cannot open the budget); the output never below
    ///   `maxOutputTokens`, which OpenAI and Anthropic charge on admission.
    /// - A total only: never below it, for the same reason (it holds the output cap).
    pub fn reserve(&self, estimate: &Cost) -> Cost {
        let cost = if estimate.tokens == 0 {
            Cost::split(self.typical_input.value as u64, self.typical_output.value as u64)
        } else if estimate.is_split() {
            let input = match (self.answered, self.input.full()) {
                (false, _) => FIRST_ROUND_INPUT,
                (true, false) => self.input.value.max(UNIT),
                (true, true) => self.input.value,
            };
            Cost::split(scale(estimate.input, input), scale(estimate.output, self.output.value.max(UNIT)))
        } else {
            Cost::total(scale(estimate.tokens, self.tokens.value.max(UNIT)))
        };
        Cost { requests: estimate.requests, ..cost }
    }

    /// Learns from an attempt that ended, with its real usage if known.
    pub fn learn(&mut self, estimate: &Cost, usage: Option<Usage>) {
        self.answered = true;
        let Some(usage) = usage else { return };
        self.samples += 1;
        let clamp = |n: u64| n.min(u32::MAX as u64) as u32;
        self.typical_input.push(clamp(usage.input));
        self.typical_output.push(clamp(usage.output));
        if estimate.tokens == 0 {
            return;
        }
        if estimate.is_split() {
            if estimate.input > 0 {
                self.input.push(ratio(usage.input, estimate.input));
            }
            if estimate.output > 0 {
                self.output.push(ratio(usage.output, estimate.output));
            }
        } else {
            self.tokens.push(ratio(usage.input.saturating_add(usage.output), estimate.tokens));
        }
    }

    pub fn state(&self) -> CalibrationState {
        CalibrationState {
            input: self.input.value,
            output: self.output.value,
            tokens: self.tokens.value,
            typical: Usage { input: self.typical_input.value as u64, output: self.typical_output.value as u64 },
            samples: self.samples,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settle(c: &mut Calibration, estimate: Cost, input: u64, output: u64) {
        c.learn(&estimate, Some(Usage { input, output }));
    }

    #[test]
    fn before_any_answer_the_input_is_taken_for_half_low() {
        let c = Calibration::default();
        assert_eq!(c.reserve(&Cost::split(1_000, 256)), Cost::split(1_500, 256));
        assert_eq!(c.reserve(&Cost::total(1_000)), Cost::total(1_000));
        assert_eq!(c.reserve(&Cost::total(0)), Cost::split(500, 500));
    }

    #[test]
    fn one_answer_sets_a_consistent_ratio() {
        let mut c = Calibration::default();
        settle(&mut c, Cost::split(300, 256), 400, 100);
        assert_eq!(c.state().input, 1_333_333);
        assert_eq!(c.reserve(&Cost::split(300, 256)), Cost::split(400, 256), "output stays at its cap");
    }

    #[test]
    fn a_ratio_below_one_waits_for_a_full_window() {
        let mut c = Calibration::default();
        for i in 0..WINDOW {
            assert_eq!(c.reserve(&Cost::split(1_000, 100)).input, if i == 0 { 1_500 } else { 1_000 });
            settle(&mut c, Cost::split(1_000, 100), 800, 50);
        }
        assert_eq!(c.reserve(&Cost::split(1_000, 100)), Cost::split(800, 100));
    }

    #[test]
    fn one_odd_answer_does_not_move_the_ratio() {
        let mut c = Calibration::default();
        for _ in 0..10 {
            settle(&mut c, Cost::split(100, 10), 120, 10);
        }
        settle(&mut c, Cost::split(100, 10), 100_000, 10);
        assert_eq!(c.state().input, 1_200_000);
        // A sample is clamped: even a run of them cannot take the ratio past 4.
        for _ in 0..WINDOW {
            settle(&mut c, Cost::split(100, 10), 100_000, 10);
        }
        assert_eq!(c.state().input, MAX_RATIO);
    }

    #[test]
    fn the_window_forgets_old_answers() {
        let mut c = Calibration::default();
        for _ in 0..WINDOW {
            settle(&mut c, Cost::split(100, 10), 200, 10);
        }
        for _ in 0..WINDOW / 4 {
            settle(&mut c, Cost::split(100, 10), 100, 10);
        }
        assert_eq!(c.state().input, 2 * UNIT, "a quarter of the window does not move the middle half");
        for _ in WINDOW / 4..WINDOW {
            settle(&mut c, Cost::split(100, 10), 100, 10);
        }
        assert_eq!(c.state().input, UNIT);
    }

    #[test]
    fn totals_and_missing_estimates_learn_apart() {
        let mut c = Calibration::default();
        settle(&mut c, Cost::total(1_000), 300, 200); // a total holds the output cap: never below
        assert_eq!(c.state().tokens, 500_000);
        assert_eq!(c.reserve(&Cost::total(1_000)), Cost::total(1_000));
        for _ in 0..3 {
            settle(&mut c, Cost::total(0), 2_000, 700);
        }
        assert_eq!(c.reserve(&Cost::total(0)), Cost::split(2_000, 700), "the first job is outside the middle half");
        assert_eq!(c.state().samples, 4);
    }
}
