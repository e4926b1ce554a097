//! `xsd:dateTime` helpers for CurrentTime, StartTime, CompleteTime and dateTime
//! parameter values (TR-069 Amd 6 Annex A.2.1).
//!
//! The codec keeps date-times as text (peers send every variant of the lexical form);
//! these helpers convert to and from seconds since the Unix epoch, with the time
//! supplied by the caller (no clock is read here).

/// The "Unknown Time" of TR-069 (Annex A.2.1): a CPE that does not know the time
/// writes this.
pub const UNKNOWN_TIME: &str = "0001-01-01T00:00:00Z";

/// Seconds from 0001-01-01T00:00:00Z to the Unix epoch.
const MIN_SECONDS: i64 = -62_135_596_800;
/// Seconds from the Unix epoch to 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

/// Formats seconds since the Unix epoch as `YYYY-MM-DDThh:mm:ssZ` (UTC). Values
/// outside years 1-9999 are clamped to that range.
pub fn format_date_time(unix_seconds: i64) -> String {
    let t = unix_seconds.clamp(MIN_SECONDS, MAX_SECONDS);
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Reads an `xsd:dateTime` (`2024-05-01T12:00:00Z`, with optional fractional
/// seconds and a `Z` or `±hh:mm` zone; no zone is taken as UTC) into seconds since
/// the Unix epoch, fractions dropped. `None` when it is not a valid date-time.
pub fn parse_date_time(text: &str) -> Option<i64> {
    let s = text.trim().as_bytes();
    if s.len() < 19
        || s[4] != b'-'
        || s[7] != b'-'
        || s[10] != b'T'
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let year = digits(&s[0..4])?;
    let month = digits(&s[5..7])?;
    let day = digits(&s[8..10])?;
    let hour = digits(&s[11..13])?;
    let minute = digits(&s[14..16])?;
    let second = digits(&s[17..19])?;
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 14 || m > 59 {
                return None;
            }
            let off = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(year), month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset)
}

/// Whether `text` is TR-069's Unknown Time, `0001-01-01T00:00:00Z` in any zone
/// spelling (TR-106's dateTime rules; other year-0001 values are times since boot).
pub fn is_unknown_time(text: &str) -> bool {
    parse_date_time(text) == Some(MIN_SECONDS)
}

fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XML Schema part 2 §3.2.7 lexical forms, checked against known epoch values.
    #[test]
    fn known_instants() {
        assert_eq!(format_date_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_date_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_date_time(1_714_564_800), "2024-05-01T12:00:00Z");
        assert_eq!(parse_date_time("2024-05-01T12:00:00Z"), Some(1_714_564_800));
        assert_eq!(
            parse_date_time("2024-05-01T14:00:00+02:00"),
            Some(1_714_564_800)
        );
        assert_eq!(
            parse_date_time("2024-05-01T07:30:00.123-04:30"),
            Some(1_714_564_800)
        );
        assert_eq!(
            parse_date_time(" 2024-05-01T12:00:00 "),
            Some(1_714_564_800)
        );
        assert_eq!(parse_date_time(UNKNOWN_TIME), Some(MIN_SECONDS));
        assert_eq!(format_date_time(i64::MIN), UNKNOWN_TIME);
        assert_eq!(format_date_time(i64::MAX), "9999-12-31T23:59:59Z");
        assert!(is_unknown_time(UNKNOWN_TIME));
        assert!(!is_unknown_time("2024-05-01T12:00:00Z"));
    }

    #[test]
    fn invalid_forms() {
        for bad in [
            "",
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+2:00",
            "2024-05-01 12:00:00Z",
            "0000-01-01T00:00:00Z",
            "2024-05-01T12:00:00ZZ",
            "2024-0a-01T12:00:00Z",
        ] {
            assert_eq!(parse_date_time(bad), None, "{bad}");
        }
    }

    /// Every day of four centuries formats and parses back to itself.
    #[test]
    fn days_round_trip() {
        let start = days_from_civil(1999, 12, 25);
        for day in (start..start + 146_097).step_by(13) {
            let t = day * 86_400 + 3_723;
            assert_eq!(parse_date_time(&format_date_time(t)), Some(t));
        }
    }
}
