//! A small seeded generator (SplitMix64) for jitter: the host fixes the seed, so a run can be
//! repeated exactly. Not for anything that needs to be unpredictable.

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `[0, bound]`.
    pub fn up_to(&mut self, bound: u64) -> u64 {
        if bound == u64::MAX {
            return self.next_u64();
        }
        // Multiply-shift: bias below 2^-64 per value, irrelevant for jitter.
        ((self.next_u64() as u128 * (bound as u128 + 1)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.up_to(1_000)).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.up_to(1_000)).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, (0..5).map(|_| Rng::new(8).up_to(1_000)).collect::<Vec<_>>());
    }

    #[test]
    fn stays_in_bounds_and_covers_them() {
        let mut r = Rng::new(1);
        let draws: Vec<u64> = (0..10_000).map(|_| r.up_to(9)).collect();
        assert!(draws.iter().all(|&d| d <= 9));
        assert!((0..=9).all(|v| draws.contains(&v)));
        assert_eq!(Rng::new(3).up_to(0), 0);
    }
}
