//! Asks and grants as numbers, the way they cross to JS and travel to the coordinator: an ask
//! is what each of the 6 limits holds, what each wants, and the pause to report (ms); a grant
//! is what each limit now holds, the lease's length (ms), the pause every isolate must keep
//! (ms), and the isolates the coordinator hears from.

use super::{Ask, Grant, KINDS};

pub const ASK_LEN: usize = 2 * KINDS + 1;
pub const GRANT_LEN: usize = KINDS + 3;

/// A count from the wire: negative, NaN or fractional parts are dropped.
fn count(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x as u64
    } else {
        0
    }
}

impl Ask {
    pub fn to_numbers(&self) -> [f64; ASK_LEN] {
        let mut out = [0.0; ASK_LEN];
        for k in 0..KINDS {
            out[k] = self.held[k] as f64;
            out[KINDS + k] = self.want[k] as f64;
        }
        out[2 * KINDS] = self.pause_ms as f64;
        out
    }

    /// `None` unless `numbers` has the shape of an ask.
    pub fn from_numbers(numbers: &[f64]) -> Option<Ask> {
        (numbers.len() == ASK_LEN && numbers.iter().all(|x| x.is_finite())).then(|| Ask {
            held: std::array::from_fn(|k| numbers[k] as i64),
            want: std::array::from_fn(|k| count(numbers[KINDS + k])),
            pause_ms: count(numbers[2 * KINDS]),
        })
    }
}

impl Grant {
    pub fn to_numbers(&self) -> [f64; GRANT_LEN] {
        let mut out = [0.0; GRANT_LEN];
        for k in 0..KINDS {
            out[k] = self.lease[k] as f64;
        }
        out[KINDS] = self.lease_ms as f64;
        out[KINDS + 1] = self.pause_ms as f64;
        out[KINDS + 2] = self.isolates as f64;
        out
    }

    /// `None` unless `numbers` has the shape of a grant.
    pub fn from_numbers(numbers: &[f64]) -> Option<Grant> {
        (numbers.len() == GRANT_LEN).then(|| Grant {
            lease: std::array::from_fn(|k| count(numbers[k])),
            lease_ms: count(numbers[KINDS]),
            pause_ms: count(numbers[KINDS + 1]),
            isolates: count(numbers[KINDS + 2]).min(u32::MAX as u64) as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_and_grants_survive_the_trip() {
        let ask = Ask { held: [5, -3, 0, 0, 7, 0], want: [10, 2_000, 0, 0, 0, 1], pause_ms: 1_500 };
        assert_eq!(Ask::from_numbers(&ask.to_numbers()), Some(ask));
        let grant = Grant { lease: [10, 2_000, 0, 0, 0, 1], lease_ms: 2_000, pause_ms: 0, isolates: 3 };
        assert_eq!(Grant::from_numbers(&grant.to_numbers()), Some(grant));
    }

    #[test]
    fn malformed_numbers_are_refused_or_clamped() {
        assert_eq!(Ask::from_numbers(&[1.0, 2.0]), None);
        let mut numbers = [0.0; ASK_LEN];
        numbers[0] = f64::NAN;
        assert_eq!(Ask::from_numbers(&numbers), None);
        numbers[0] = 1.0;
        numbers[KINDS] = -4.0;
        assert_eq!(Ask::from_numbers(&numbers).unwrap().want[0], 0);
    }
}
