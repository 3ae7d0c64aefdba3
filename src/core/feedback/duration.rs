//! Durations as providers write them, to milliseconds (rounded up: a wait is never cut short).
//! - Go's `time.Duration` (OpenAI's `x-ratelimit-reset-*`): `1s`, `6m0s`, `120ms`, `1m30.5s`.
//! - protobuf's JSON `Duration` (Gemini's `retryDelay`): `46s`, `0.5s`.

use super::number::{decimal_scaled, MAX_LEN};

/// A Go duration, e.g. `1h2m3.5s`, `120ms`, `2us`. Negative or malformed: `None`.
pub fn go_duration(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    if text.is_empty() || text.len() > MAX_LEN {
        return None;
    }
    let mut total_ns: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, after) = rest.split_at_checked(number_end)?;
        let unit_end = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, next) = after.split_at_checked(unit_end)?;
        let ns_per_unit: u64 = match unit {
            "h" => 3_600_000_000_000,
            "m" => 60_000_000_000,
            "s" => 1_000_000_000,
            "ms" => 1_000_000,
            "us" | "µs" | "μs" => 1_000,
            "ns" => 1,
            _ => return None,
        };
        total_ns = total_ns.saturating_add(decimal_scaled(number, ns_per_unit)? as u128);
        rest = next;
    }
    Some(total_ns.div_ceil(1_000_000).min(u64::MAX as u128) as u64)
}

/// A protobuf JSON duration: seconds with an `s` suffix.
pub fn proto_duration(text: &str) -> Option<u64> {
    decimal_scaled(text.strip_suffix('s')?, 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("1s"), Some(1_000));
        assert_eq!(go_duration("6m0s"), Some(360_000));
        assert_eq!(go_duration("120ms"), Some(120));
        assert_eq!(go_duration("1m30.5s"), Some(90_500));
        assert_eq!(go_duration("1h2m3s"), Some(3_723_000));
        assert_eq!(go_duration("2.5µs"), Some(1));
        assert_eq!(go_duration("0s"), Some(0));
        assert_eq!(go_duration("0"), Some(0));
        assert_eq!(go_duration("17ms1ns"), Some(18));
    }

    #[test]
    fn malformed_go_durations() {
        for bad in ["", "s", "1", "-1s", "1x", "1.2.3s", "1s-", "ms1", "1 s", "1S", "∞s", "1e3s"] {
            assert_eq!(go_duration(bad), None, "{bad:?}");
        }
        assert_eq!(go_duration(&"1h".repeat(40)), None);
        // Absurdly long: saturated (then clamped where it is used), never wrapped around.
        assert!(go_duration("99999999999999999999h").unwrap() > 10_000_000_000_000);
    }

    #[test]
    fn proto_durations() {
        assert_eq!(proto_duration("46s"), Some(46_000));
        assert_eq!(proto_duration("0.5s"), Some(500));
        assert_eq!(proto_duration("1.000340s"), Some(1_001));
        assert_eq!(proto_duration("46"), None);
        assert_eq!(proto_duration("-3s"), None);
    }
}
