//! The record's fields for runs that remember (`started_at`, `sha256`,
//! `change`) as they go on the wire, and their way back in: the reader of
//! earlier records (`input/earlier.rs`) parses what is written here.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

/// A record's `started_at`: a wall-clock instant in Unix milliseconds,
/// written as RFC 3339 UTC with milliseconds (`2026-12-06T09:41:03.123Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(pub i64);

impl Stamp {
    /// The wall clock now.
    pub fn now() -> Stamp {
        Stamp::of(SystemTime::now())
    }

    /// `t` in whole milliseconds (before 1970 counts down).
    pub fn of(t: SystemTime) -> Stamp {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Stamp(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Stamp(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// Parses what [`Stamp`] writes: `YYYY-MM-DDTHH:MM:SS[.fff…]Z` (digits
    /// past milliseconds are dropped). `None` for anything else.
    pub fn parse(s: &str) -> Option<Stamp> {
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = b.get(r)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(part).ok()?.parse().ok()
        };
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' || b.last() != Some(&b'Z') {
            return None;
        }
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        let frac = &b[19..b.len() - 1];
        let ms = match frac {
            [] => 0,
            [b'.', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
                let mut ms = 0;
                for i in 0..3 {
                    ms = ms * 10 + digits.get(i).map_or(0, |c| i64::from(c - b'0'));
                }
                ms
            }
            _ => return None,
        };
        let days = days_from_civil(y, m as u32, d as u32);
        Some(Stamp(
            ((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + ms,
        ))
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (secs, ms) = (self.0.div_euclid(1000), self.0.rem_euclid(1000));
        let day = super::answered::utc(secs);
        // `utc` ends in `Z`; the milliseconds go before it.
        write!(f, "{}.{ms:03}Z", &day[..day.len() - 1])
    }
}

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Howard Hinnant's days-from-civil, the inverse of `civil_from_days`.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A record's `sha256`: 32 bytes, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Parses 64 hex digits (either case).
    pub fn parse(s: &str) -> Option<Digest> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return None;
        }
        let nibble = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
        let mut out = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
        }
        Some(Digest(out))
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 64];
        for (i, byte) in self.0.iter().enumerate() {
            text[2 * i] = HEX[usize::from(byte >> 4)];
            text[2 * i + 1] = HEX[usize::from(byte & 0xf)];
        }
        f.write_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A record's `change` (`--baseline`): how it compares with the URL's last
/// record in the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The baseline has no record of the URL.
    NewUrl,
    /// It was `ok`, and is not.
    NewFailure,
    /// It was not `ok`, and is.
    Recovered,
    /// Not `ok` either time.
    StillFailing,
    /// `ok` both times, but the status or the body's `sha256` differs.
    Changed,
    /// `ok` both times, the same status (and `sha256`, where both have one).
    Unchanged,
}

impl Change {
    /// Every value, in the order the contract lists them.
    pub const ALL: [Change; 6] = [
        Change::NewUrl,
        Change::NewFailure,
        Change::Recovered,
        Change::StillFailing,
        Change::Changed,
        Change::Unchanged,
    ];

    /// The stable name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::NewUrl => "new_url",
            Change::NewFailure => "new_failure",
            Change::Recovered => "recovered",
            Change::StillFailing => "still_failing",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
        }
    }

    /// A failure the baseline did not have: what `--fail-on new` fails on
    /// (for a record that is not `ok`).
    pub fn is_new(self) -> bool {
        matches!(self, Change::NewUrl | Change::NewFailure)
    }

    /// The comparison of a record (`ok`, its `status` — for a confirming
    /// 304 the status it confirms — and its `sha256`) with the URL's last
    /// record in the baseline, `was` (`ok`, status, sha256), if any.
    pub fn of(
        now: (bool, Option<u16>, Option<&Digest>),
        was: Option<(bool, Option<u16>, Option<&Digest>)>,
    ) -> Change {
        let Some(was) = was else {
            return Change::NewUrl;
        };
        match (was.0, now.0) {
            (true, false) => Change::NewFailure,
            (false, true) => Change::Recovered,
            (false, false) => Change::StillFailing,
            (true, true) => {
                let hashes_differ = matches!((now.2, was.2), (Some(a), Some(b)) if a != b);
                match now.1 != was.1 || hashes_differ {
                    true => Change::Changed,
                    false => Change::Unchanged,
                }
            }
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_rfc3339_with_milliseconds_and_parse_back() {
        let t = Stamp(1_796_550_063_123);
        assert_eq!(t.to_string(), "2026-12-06T09:41:03.123Z");
        assert_eq!(Stamp::parse("2026-12-06T09:41:03.123Z"), Some(t));
        assert_eq!(Stamp(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Stamp(-1).to_string(), "1969-12-31T23:59:59.999Z");
        assert_eq!(Stamp::parse("1969-12-31T23:59:59.999Z"), Some(Stamp(-1)));
        assert_eq!(
            Stamp::parse("2024-02-29T00:00:00Z"),
            Some(Stamp(1_709_164_800_000))
        );
        assert_eq!(
            Stamp::parse("2026-12-06T09:41:03.1239Z"),
            Some(t),
            "digits past ms are dropped"
        );
        for bad in [
            "",
            "2026-12-06 09:41:03Z",
            "2026-12-06T09:41:03.123",
            "2026-13-06T09:41:03Z",
            "2026-12-06T09:41:03.Z",
            "2026-12-06T09:41:03+01:00",
            "x026-12-06T09:41:03Z",
        ] {
            assert_eq!(Stamp::parse(bad), None, "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-12-06T09:41:03.123Z\""
        );
    }

    #[test]
    fn any_stamp_round_trips() {
        for ms in [
            0,
            1,
            999,
            86_399_999,
            951_782_400_000,
            4_102_444_800_001,
            -86_400_001,
        ] {
            let t = Stamp(ms);
            assert_eq!(Stamp::parse(&t.to_string()), Some(t), "{t}");
        }
    }

    #[test]
    fn digests_are_lowercase_hex_and_parse_back() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xe3;
        bytes[31] = 0x0f;
        let d = Digest(bytes);
        let hex = d.to_string();
        assert_eq!(hex.len(), 64);
        assert!(hex.starts_with("e300") && hex.ends_with("000f"), "{hex}");
        assert_eq!(Digest::parse(&hex), Some(d));
        assert_eq!(Digest::parse(&hex.to_uppercase()), Some(d));
        assert_eq!(Digest::parse(&hex[1..]), None);
        assert_eq!(Digest::parse(&format!("{}g", &hex[1..])), None);
    }

    #[test]
    fn changes_follow_the_contract() {
        let (a, b) = (Digest([1; 32]), Digest([2; 32]));
        let ok200 = (true, Some(200), Some(&a));
        assert_eq!(Change::of(ok200, None), Change::NewUrl);
        assert_eq!(
            Change::of((false, Some(500), None), Some(ok200)),
            Change::NewFailure
        );
        assert_eq!(
            Change::of(ok200, Some((false, Some(500), None))),
            Change::Recovered
        );
        assert_eq!(
            Change::of((false, None, None), Some((false, Some(404), None))),
            Change::StillFailing
        );
        assert_eq!(Change::of(ok200, Some(ok200)), Change::Unchanged);
        assert_eq!(
            Change::of(ok200, Some((true, Some(204), Some(&a)))),
            Change::Changed
        );
        assert_eq!(
            Change::of(ok200, Some((true, Some(200), Some(&b)))),
            Change::Changed
        );
        assert_eq!(
            Change::of(ok200, Some((true, Some(200), None))),
            Change::Unchanged,
            "a hash compares only with a hash"
        );
        let names: Vec<String> = Change::ALL
            .iter()
            .map(|c| serde_json::to_string(c).unwrap())
            .collect();
        assert_eq!(
            names.join(","),
            r#""new_url","new_failure","recovered","still_failing","changed","unchanged""#
        );
        for c in Change::ALL {
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
        }
    }
}
