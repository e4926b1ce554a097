//! The manifest: what an image is, for which hardware, and the digest of its payload.

use serde::{Deserialize, Serialize};

use crate::digest::Sha256;
use crate::error::{Error, Result};
use crate::version::Version;

/// The manifest format this code writes and reads.
pub const FORMAT: u32 = 1;

/// Longest `product`, `model` and `key_id` (TR-181 `DeviceInfo.ModelName` is `string(64)`).
pub const MAX_NAME_LEN: usize = 64;

/// A firmware image's manifest (see the crate docs for the file format). Every field is
/// covered by the image's signature.
///
/// As JSON, the fields appear in this order, `min_version` only when set:
///
/// ```json
/// {"format":1,"product":"tipring","model":"TR-FXS4","version":"1.4.0","min_version":"1.2.0",
///  "payload_size":1048576,"payload_sha256":"<64 hex digits>","created":"2025-06-01T12:00:00Z",
///  "key_id":"release-2025"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Manifest format, [`FORMAT`] (1). A device refuses other values
    /// ([`Error::UnsupportedFormat`]); a field is only ever added with a new format, so an
    /// old device never skips a rule it does not understand.
    pub format: u32,
    /// Product family (`tipring`); with `model`, which hardware the image runs on.
    /// 1 to 64 characters of `[A-Za-z0-9._+-]`.
    pub product: String,
    /// Hardware model (`TR-FXS4`); the device refuses images for another product or model
    /// ([`Error::WrongModel`]). Same character set as `product`.
    pub model: String,
    /// The firmware's version (reported as `Device.DeviceInfo.FirmwareImage.{i}.Version`).
    pub version: Version,
    /// Rollback floor this firmware sets once it runs: while it is the running image, the
    /// device refuses any image whose `version` is below `min_version`
    /// ([`Error::DowngradeRefused`]), so a release that fixes a security hole can forbid
    /// going back to the vulnerable ones. Must not exceed `version` itself. Absent: any
    /// version may follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<Version>,
    /// Exact length of the payload in bytes.
    pub payload_size: u64,
    /// SHA-256 of the payload, 64 lower-case hex digits.
    pub payload_sha256: Sha256,
    /// When the image was built, RFC 3339 (`2025-06-01T12:00:00Z`); informational only.
    pub created: String,
    /// Which signing key signed the image; the device looks it up among its trusted keys
    /// ([`Error::UnknownKey`]). 1 to 64 characters of `[A-Za-z0-9._:-]`.
    pub key_id: String,
}

/// The first bytes of a string, for messages about bad input.
pub(crate) fn shorten(s: &str) -> String {
    s.chars().take(40).collect()
}

fn check_name(field: &str, value: &str, extra: &[u8]) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= MAX_NAME_LEN
        && value
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c) || extra.contains(&c));
    if ok {
        Ok(())
    } else {
        Err(Error::BadManifest(format!(
            "`{field}` {:?} must be 1 to {MAX_NAME_LEN} characters of [A-Za-z0-9._{}-]",
            shorten(value),
            String::from_utf8_lossy(extra)
        )))
    }
}

impl Manifest {
    /// A manifest for `payload` (its size and SHA-256 filled in), format 1, no
    /// `min_version`.
    pub fn for_payload(
        product: impl Into<String>,
        model: impl Into<String>,
        version: Version,
        key_id: impl Into<String>,
        created: impl Into<String>,
        payload: &[u8],
    ) -> Self {
        Manifest {
            format: FORMAT,
            product: product.into(),
            model: model.into(),
            version,
            min_version: None,
            payload_size: payload.len() as u64,
            payload_sha256: Sha256::of(payload),
            created: created.into(),
            key_id: key_id.into(),
        }
    }

    /// Check every field's rule (the types already hold for `version`, `min_version` and
    /// `payload_sha256`).
    pub fn validate(&self) -> Result<()> {
        if self.format != FORMAT {
            return Err(Error::UnsupportedFormat(u64::from(self.format)));
        }
        check_name("product", &self.product, b"+")?;
        check_name("model", &self.model, b"+")?;
        check_name("key_id", &self.key_id, b":")?;
        if let Some(min) = &self.min_version {
            if *min > self.version {
                return Err(Error::BadManifest(format!(
                    "`min_version` {min} is above `version` {}",
                    self.version
                )));
            }
        }
        check_rfc3339(&self.created)
            .map_err(|why| Error::BadManifest(format!("`created`: {why}")))?;
        Ok(())
    }

    /// Parse and validate a manifest from JSON (the exact bytes inside an image, or a
    /// stored copy). A `format` other than 1 is [`Error::UnsupportedFormat`]; anything
    /// else wrong is [`Error::BadManifest`].
    pub fn from_json(bytes: &[u8]) -> Result<Manifest> {
        #[derive(Deserialize)]
        struct Probe {
            format: u64,
        }
        // serde would also read a struct from a JSON array; the manifest is an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(Error::BadManifest("not a JSON object".into()));
        }
        let probe: Probe = serde_json::from_slice(bytes)
            .map_err(|e| Error::BadManifest(format!("no numeric `format` ({e})")))?;
        if probe.format != u64::from(FORMAT) {
            return Err(Error::UnsupportedFormat(probe.format));
        }
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| Error::BadManifest(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// The manifest as compact JSON (the form [`sign_image`](crate::sign_image) signs).
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising these types cannot fail: strings, numbers and an optional string.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// `product/model`, as the errors show it.
    pub fn target(&self) -> String {
        format!("{}/{}", self.product, self.model)
    }
}

fn digits(s: &[u8], range: std::ops::Range<usize>) -> Option<u32> {
    let part = s.get(range)?;
    if part.iter().all(u8::is_ascii_digit) {
        std::str::from_utf8(part).ok()?.parse().ok()
    } else {
        None
    }
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Check RFC 3339 §5.6 `date-time` syntax: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, with
/// the §5.7 ranges (day within its month, seconds up to 60 for a leap second; `t`/`z` in
/// lower case allowed per the §5.6 note).
pub fn check_rfc3339(s: &str) -> std::result::Result<(), String> {
    let b = s.as_bytes();
    let bad = || Err(format!("{:?} is not an RFC 3339 date-time", shorten(s)));
    let (Some(year), Some(month), Some(day), Some(hour), Some(min), Some(sec)) = (
        digits(b, 0..4),
        digits(b, 5..7),
        digits(b, 8..10),
        digits(b, 11..13),
        digits(b, 14..16),
        digits(b, 17..19),
    ) else {
        return bad();
    };
    if b[4] != b'-' || b[7] != b'-' || !b"Tt".contains(&b[10]) || b[13] != b':' || b[16] != b':' {
        return bad();
    }
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return bad();
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return bad();
        }
        rest = &frac[n..];
    }
    match rest {
        [b'Z' | b'z'] => Ok(()),
        [b'+' | b'-', ..] if rest.len() == 6 && rest[3] == b':' => {
            match (digits(rest, 1..3), digits(rest, 4..6)) {
                (Some(h), Some(m)) if h <= 23 && m <= 59 => Ok(()),
                _ => bad(),
            }
        }
        _ => bad(),
    }
}

/// `unix_seconds` (seconds since 1970-01-01T00:00:00Z) as an RFC 3339 UTC date-time,
/// `YYYY-MM-DDTHH:MM:SSZ` (for a manifest's `created`; the caller reads the clock).
pub fn rfc3339_utc(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    // Civil date from days since the epoch (the proleptic Gregorian calendar, in 400-year
    // eras of 146 097 days).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Manifest {
        Manifest::for_payload(
            "tipring",
            "TR-FXS4",
            "1.4.0".parse().unwrap(),
            "release-2025",
            "2025-06-01T12:00:00Z",
            b"payload",
        )
    }

    #[test]
    fn json_round_trip_with_fields_in_order() {
        let mut m = sample();
        let text = String::from_utf8(m.to_json()).unwrap();
        assert!(text.starts_with(r#"{"format":1,"product":"tipring","model":"TR-FXS4","version":"1.4.0","payload_size":7,"payload_sha256":""#), "{text}");
        assert!(text.ends_with(r#"","created":"2025-06-01T12:00:00Z","key_id":"release-2025"}"#));
        assert!(!text.contains("min_version"));
        assert_eq!(Manifest::from_json(text.as_bytes()).unwrap(), m);
        m.min_version = Some("1.2.0".parse().unwrap());
        let text = m.to_json();
        assert!(String::from_utf8_lossy(&text).contains(r#""min_version":"1.2.0""#));
        assert_eq!(Manifest::from_json(&text).unwrap(), m);
        // Pretty-printed JSON is the same manifest.
        let pretty = serde_json::to_vec_pretty(&m).unwrap();
        assert_eq!(Manifest::from_json(&pretty).unwrap(), m);
    }

    #[test]
    fn every_rule_is_enforced() {
        let base = String::from_utf8(sample().to_json()).unwrap();
        let digest = sample().payload_sha256.to_string();
        let cases: Vec<(String, &str)> = vec![
            (base.replace("\"format\":1", "\"format\":2"), "format 2"),
            (base.replace("\"format\":1,", ""), "`format`"),
            (base.replace("\"format\":1", "\"format\":\"1\""), "`format`"),
            (base.replace("TR-FXS4", "TR FXS4"), "`model`"),
            (base.replace("\"tipring\"", "\"\""), "`product`"),
            (base.replace("release-2025", &"k".repeat(65)), "`key_id`"),
            (base.replace("1.4.0", "one"), "version"),
            (
                base.replace("\"version\"", "\"min_version\":\"1.5\",\"version\""),
                "above",
            ),
            (base.replace(&digest, &digest.to_uppercase()), "lower-case"),
            (
                base.replace("\"payload_size\":7", "\"payload_size\":-7"),
                "u64",
            ),
            (base.replace("12:00:00Z", "12:00:00"), "RFC 3339"),
            (base.replace("}", ",\"extra\":1}"), "unknown field"),
            (base.replace("}", ",\"model\":\"X\"}"), "duplicate field"),
            (format!("{base} x"), "trailing"),
            ("[1]".into(), "not a JSON object"),
            (
                format!(
                    r#"[1,"tipring","TR-FXS4","1.4.0",null,7,"{digest}","2025-06-01T12:00:00Z","k"]"#
                ),
                "not a JSON object",
            ),
            ("".into(), "not a JSON object"),
        ];
        for (json, want) in cases {
            let e = Manifest::from_json(json.as_bytes()).expect_err(&json);
            let text = e.to_string();
            assert!(text.contains(want), "{json}: {text}");
        }
        assert_eq!(
            Manifest::from_json(base.replace("\"format\":1", "\"format\":2").as_bytes()),
            Err(Error::UnsupportedFormat(2))
        );
    }

    /// RFC 3339 §5.6 syntax and §5.7 ranges (leap years, leap second 60, offsets, the
    /// lower-case `t`/`z` of the §5.6 note, fractional seconds).
    #[test]
    fn rfc3339_checks() {
        for good in [
            "2025-06-01T12:00:00Z",
            "2024-02-29T23:59:60z",
            "2000-02-29t00:00:00.123456+05:30",
            "1985-04-12T23:20:50.52Z",
            "1996-12-19T16:39:57-08:00",
        ] {
            assert_eq!(check_rfc3339(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "2025-06-01",
            "2025-06-01 12:00:00Z",
            "2025-13-01T12:00:00Z",
            "2023-02-29T12:00:00Z",
            "1900-02-29T12:00:00Z",
            "2025-06-31T12:00:00Z",
            "2025-06-01T24:00:00Z",
            "2025-06-01T12:60:00Z",
            "2025-06-01T12:00:61Z",
            "2025-06-01T12:00:00.Z",
            "2025-06-01T12:00:00+0530",
            "2025-06-01T12:00:00+24:00",
            "2025-06-01T12:00:00Zjunk",
            "２025-06-01T12:00:00Z",
        ] {
            assert!(check_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unix_seconds_to_rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_748_779_200), "2025-06-01T12:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(4_107_542_399), "2100-02-28T23:59:59Z");
        for s in [0, 86_399, 951_782_400, 1_748_779_200, 4_107_542_399] {
            assert_eq!(check_rfc3339(&rfc3339_utc(s)), Ok(()));
        }
    }
}
