//! Timestamps in headers, to milliseconds since the Unix epoch:
//! RFC 3339 (Anthropic's `anthropic-ratelimit-*-reset`) and the HTTP date of `Retry-After`.

use super::number::{integer, MAX_LEN};

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = month as i64;
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// `text[from..to]`, or "" past its end: `get`, not indexing, so that no slicing panic (and the
/// string formatting its message needs) is compiled into the .wasm. The text is ASCII here.
fn part(text: &str, from: usize, to: usize) -> &str {
    text.get(from..to).unwrap_or("")
}

fn fixed(text: &str, digits: usize) -> Option<u64> {
    (text.len() == digits).then_some(())?;
    integer(text)
}

/// Milliseconds since the epoch of a civil time, after range checks.
fn epoch_ms(year: i64, month: u32, day: u32, hour: u64, minute: u64, second: u64, millis: u64) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour as i64) * 60 + minute as i64) * 60_000 + second as i64 * 1_000 + millis as i64)
}

/// `2024-05-01T12:00:30Z`, `2024-05-01T12:00:30.25+02:00`, lowercase `t`/`z` too.
pub fn rfc3339(text: &str) -> Option<i64> {
    if text.len() > MAX_LEN || !text.is_ascii() || text.len() < 20 {
        return None;
    }
    let (date, time) = (part(text, 0, 10), part(text, 11, text.len()));
    if !matches!(part(text, 10, 11), "T" | "t" | " ") || part(date, 4, 5) != "-" || part(date, 7, 8) != "-" {
        return None;
    }
    let year = fixed(part(date, 0, 4), 4)? as i64;
    let month = fixed(part(date, 5, 7), 2)? as u32;
    let day = fixed(part(date, 8, 10), 2)? as u32;
    if part(time, 2, 3) != ":" || part(time, 5, 6) != ":" {
        return None;
    }
    let hour = fixed(part(time, 0, 2), 2)?;
    let minute = fixed(part(time, 3, 5), 2)?;
    let second = fixed(part(time, 6, 8), 2)?;
    let mut rest = part(time, 8, time.len());
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        if end == 0 {
            return None;
        }
        // Milliseconds from the first three digits, padded: ".25" is 250.
        let digits = part(fraction, 0, end.min(3));
        millis = integer(digits)? * 10u64.pow(3 - digits.len() as u32);
        rest = part(fraction, end, fraction.len());
    }
    let offset_minutes: i64 = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && part(rest, 3, 4) == ":" => {
            let sign = match part(rest, 0, 1) {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let (h, m) = (fixed(part(rest, 1, 3), 2)?, fixed(part(rest, 4, 6), 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 60 + m) as i64
        }
        _ => return None,
    };
    Some(epoch_ms(year, month, day, hour, minute, second, millis)? - offset_minutes * 60_000)
}

/// The HTTP date (IMF-fixdate) of RFC 9110: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(text: &str) -> Option<i64> {
    if text.len() != 29 || !text.is_ascii() || !text.ends_with(" GMT") || part(text, 3, 5) != ", " {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let day = fixed(part(text, 5, 7), 2)? as u32;
    let month = MONTHS.iter().position(|m| *m == part(text, 8, 11))? as u32 + 1;
    let year = fixed(part(text, 12, 16), 4)? as i64;
    if part(text, 7, 8) != " " || part(text, 11, 12) != " " || part(text, 16, 17) != " " || part(text, 19, 20) != ":" || part(text, 22, 23) != ":" {
        return None;
    }
    let hour = fixed(part(text, 17, 19), 2)?;
    let minute = fixed(part(text, 20, 22), 2)?;
    let second = fixed(part(text, 23, 25), 2)?;
    epoch_ms(year, month, day, hour, minute, second, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_timestamps() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339("2024-05-01T12:00:30Z"), Some(1_714_564_830_000));
        assert_eq!(rfc3339("2024-05-01T12:00:30.25Z"), Some(1_714_564_830_250));
        assert_eq!(rfc3339("2024-05-01T14:00:30.123456+02:00"), Some(1_714_564_830_123));
        assert_eq!(rfc3339("2024-05-01t12:00:30z"), Some(1_714_564_830_000));
        assert_eq!(rfc3339("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
    }

    #[test]
    fn malformed_timestamps() {
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T12:00:30",
            "2024-13-01T12:00:30Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T25:00:30Z",
            "2024-05-01T12:00:30.Z",
            "2024-05-01T12:00:30+2:00",
            "2024-05-01T12:00:30+02:00:00",
            "99999-05-01T12:00:30Z",
            "2024-05-01T12:00:30Zjunk",
            "２０２４-05-01T12:00:30Z",
        ] {
            assert_eq!(rfc3339(bad), None, "{bad:?}");
        }
        assert_eq!(rfc3339(&format!("2024-05-01T12:00:30.{}Z", "1".repeat(80))), None);
    }

    #[test]
    fn http_dates() {
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777_000));
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        for bad in ["Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 31 Nov 1994 08:49:37 GMT", "120"] {
            assert_eq!(http_date(bad), None, "{bad:?}");
        }
    }
}
