//! Max-min fairness (water-filling): how much of `capacity` each of several demands may take
//! so that no one gets more than it asks while another that asks gets less than an equal share.

/// The water level: every demand gets `min(want, level)`. When all demands fit, the level is
/// the largest want (everyone gets what it asks).
pub fn water_level(capacity: u64, wants: &[u64]) -> u64 {
    let mut sorted: Vec<u64> = wants.iter().copied().filter(|&w| w > 0).collect();
    sorted.sort_unstable();
    let mut left = capacity;
    let mut count = sorted.len() as u64;
    for &want in &sorted {
        // Everyone still unserved asks at least `want`: can they all have it?
        if want.saturating_mul(count) > left {
            return left / count;
        }
        left -= want;
        count -= 1;
    }
    sorted.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyone_gets_what_it_asks_when_it_fits() {
        assert_eq!(water_level(100, &[10, 20, 30]), 30);
        assert_eq!(water_level(100, &[]), 0);
    }

    #[test]
    fn small_demands_are_met_and_the_rest_is_split_equally() {
        // 10 is met; 90 left for two that each ask more than 45.
        assert_eq!(water_level(100, &[10, 80, 200]), 45);
        assert_eq!(water_level(90, &[100, 100, 100]), 30);
    }

    #[test]
    fn the_shares_never_exceed_the_capacity() {
        for capacity in [0, 1, 7, 100, 1_000] {
            let wants = [3, 50, 50, 999, 0, 12];
            let level = water_level(capacity, &wants);
            let total: u64 = wants.iter().map(|&w| w.min(level)).sum();
            assert!(total <= capacity, "capacity {capacity}: {total}");
        }
    }
}
