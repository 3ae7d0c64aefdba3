//! Strict, bounded parsing of the unsigned decimals that headers carry ("30", "1.5", "120").
//! Anything else (signs, exponents, garbage, absurd lengths) is `None`: a hostile header is
//! ignored rather than trusted.

/// The longest value read at all; real ones are a few characters.
pub const MAX_LEN: usize = 64;

/// `text` × `scale`, rounded up: "1.5" with scale 1000 is 1500. `None` unless `text` is digits,
/// optionally with a fraction. Saturates instead of overflowing.
pub fn decimal_scaled(text: &str, scale: u64) -> Option<u64> {
    if text.is_empty() || text.len() > MAX_LEN {
        return None;
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: u128 = 0;
    for b in whole.bytes() {
        value = (value * 10 + (b - b'0') as u128).min(u64::MAX as u128);
    }
    let mut value = value * scale as u128;
    // Only the first 9 fraction digits matter; the rest could not change a millisecond.
    let digits = fraction.get(..fraction.len().min(9))?;
    if !digits.is_empty() {
        let numerator: u128 = digits.bytes().fold(0, |n, b| n * 10 + (b - b'0') as u128) * scale as u128;
        let denominator = 10u128.pow(digits.len() as u32);
        value += numerator.div_ceil(denominator);
    }
    Some(value.min(u64::MAX as u128) as u64)
}

/// A whole number ("42"); `None` for anything else.
pub fn integer(text: &str) -> Option<u64> {
    if text.contains('.') {
        return None;
    }
    decimal_scaled(text, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_decimals() {
        assert_eq!(decimal_scaled("30", 1_000), Some(30_000));
        assert_eq!(decimal_scaled("1.5", 1_000), Some(1_500));
        assert_eq!(decimal_scaled("0.0001", 1_000), Some(1)); // rounded up
        assert_eq!(decimal_scaled(".5", 1_000), Some(500));
        assert_eq!(integer("007"), Some(7));
    }

    #[test]
    fn refuses_the_rest() {
        for bad in ["", ".", "-1", "+1", "1e3", "NaN", "Infinity", "1,5", " 1", "1 ", "0x10", "١"] {
            assert_eq!(decimal_scaled(bad, 1_000), None, "{bad:?}");
        }
        assert_eq!(integer("1.0"), None);
        assert_eq!(decimal_scaled(&"9".repeat(65), 1), None);
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        assert_eq!(decimal_scaled(&"9".repeat(60), 1_000), Some(u64::MAX));
    }
}
