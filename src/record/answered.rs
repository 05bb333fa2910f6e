//! The record's what-answered fields (`timings`, `tls`, `headers`) as they
//! go on the wire. `inspect` fills them; only their shape lives here, so the
//! record depends on nothing.

use std::time::Duration;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// A record's `timings`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Timings {
    /// The connection carried a response before this one.
    pub reused: bool,
    /// The connection's name lookup; null when reused or an IP literal.
    #[serde(serialize_with = "opt_ms")]
    pub dns_ms: Option<Duration>,
    /// The connection's TCP connect and TLS handshake; null when reused.
    #[serde(serialize_with = "opt_ms")]
    pub connect_ms: Option<Duration>,
    /// From handing the request to the client to the headers, less the
    /// lookup and connect.
    #[serde(serialize_with = "ms")]
    pub ttfb_ms: Duration,
    /// From the headers to the last body byte read.
    #[serde(serialize_with = "ms")]
    pub download_ms: Duration,
}

impl Timings {
    /// The slowest phase and its length, for the text format.
    pub fn slowest(&self) -> (&'static str, Duration) {
        [
            ("dns", self.dns_ms.unwrap_or_default()),
            ("connect", self.connect_ms.unwrap_or_default()),
            ("ttfb", self.ttfb_ms),
            ("download", self.download_ms),
        ]
        .into_iter()
        .fold(
            ("ttfb", Duration::ZERO),
            |a, b| if b.1 > a.1 { b } else { a },
        )
    }
}

pub(super) fn ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(super::millis(*d))
}

pub(super) fn opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ms(d, s),
        None => s.serialize_none(),
    }
}

/// The leaf certificate of a response, as the record's `tls` object shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cert {
    /// Subject, RFC 4514 order (most specific first: `CN=…, O=…`).
    pub subject: String,
    /// Issuer, in the same order.
    pub issuer: String,
    /// Subject alternative names: DNS names and IP addresses.
    pub sans: Vec<String>,
    /// Start of validity, RFC 3339 UTC.
    #[serde(serialize_with = "rfc3339")]
    pub not_before: i64,
    /// End of validity, RFC 3339 UTC.
    #[serde(serialize_with = "rfc3339")]
    pub not_after: i64,
    /// Days from when the response arrived to `not_after`, two decimals;
    /// negative once expired.
    pub days_left: f64,
}

/// A record's `headers`: names in order, `None` for an absent named header.
///
/// Values of `Authorization`, `Cookie`, `Set-Cookie` and
/// `Proxy-Authorization` are here because the user asked for them; the
/// type has no `Display` and its `Debug` hides every value, so they cannot
/// reach a log by accident.
#[derive(Clone, PartialEq)]
pub struct Headers(pub Vec<(String, Option<Vec<String>>)>);

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Serialize for Headers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, values) in &self.0 {
            map.serialize_entry(name, values)?;
        }
        map.end()
    }
}

fn rfc3339<S: serde::Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&utc(*t))
}

/// Unix seconds as RFC 3339 UTC, `2026-12-30T23:59:59Z`.
pub fn utc(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil: the proleptic Gregorian date of a day
/// count from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
