//! The success checks of an answer that `--accept` took: each a small type
//! with its message, run in the contract's order, the first failure the one
//! reported (`--expect`, `--expect-header`, `--expect-jq`, `--cert-valid`,
//! `--slow`). `--accept` itself is the judge's (`outcome`), and a body not
//! read whole is a transport failure before any check runs.

pub mod header;
pub mod jq;

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

pub use self::header::ExpectHeader;
pub use self::jq::JqFilter;
use crate::record::{Cert, utc};
use crate::values::Dur;

/// What the checks look at: the last attempt's final response.
pub struct Answer<'a> {
    /// The body as held (empty unless a check or `--body` keeps it).
    pub body: &'a [u8],
    /// The response's headers.
    pub headers: &'a HeaderMap,
    /// What `--expect-jq` found, evaluated during the attempt (within its
    /// `--timeout`): `None` when no filter ran.
    pub jq: Option<&'a Result<(), String>>,
    /// The leaf certificate: `None` for http, an error when it could not be
    /// read.
    pub cert: Option<&'a Result<Cert, String>>,
    /// The record's `elapsed_ms`.
    pub elapsed: Duration,
}

/// The checks of a run, as `config::Success` holds them.
#[derive(Clone, Copy, Default)]
pub struct Checks<'a> {
    /// `--expect`.
    pub expect: Option<&'a regex::bytes::Regex>,
    /// `--expect-header`.
    pub expect_headers: &'a [ExpectHeader],
    /// `--cert-valid`.
    pub cert_valid: Option<Duration>,
    /// `--slow`.
    pub slow: Option<Duration>,
}

/// The first of `success`'s checks that `answer` fails, as the record's
/// message. `--expect-jq` ran during the attempt; its finding is in
/// `answer`.
pub fn first_failure(success: Checks<'_>, answer: &Answer<'_>, now: SystemTime) -> Option<String> {
    if let Some(re) = success.expect {
        if !re.is_match(answer.body) {
            return Some(format!(
                "body ({} bytes) does not match --expect `{}`",
                answer.body.len(),
                re.as_str()
            ));
        }
    }
    for check in success.expect_headers {
        if let Some(m) = check.failure(answer.headers) {
            return Some(m);
        }
    }
    if let Some(Err(m)) = answer.jq {
        return Some(m.clone());
    }
    if let (Some(min), Some(cert)) = (success.cert_valid, answer.cert) {
        let unix = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if let Some(m) = cert_failure(cert, min, unix) {
            return Some(m);
        }
    }
    if let Some(limit) = success.slow {
        if answer.elapsed > limit {
            return Some(format!(
                "took {:.1} ms, {:.1} ms over --slow {}",
                ms(answer.elapsed),
                ms(answer.elapsed - limit),
                Dur(limit)
            ));
        }
    }
    None
}

/// `--cert-valid`: `not_before` ≤ now and now + `min` ≤ `not_after`.
fn cert_failure(cert: &Result<Cert, String>, min: Duration, now: i64) -> Option<String> {
    let cert = match cert {
        Ok(c) => c,
        Err(e) => return Some(format!("{e} (--cert-valid)")),
    };
    let flag = format!("--cert-valid {}", span(min.as_secs() as i64));
    if now < cert.not_before {
        return Some(format!(
            "certificate is not valid before {} (in {}), {flag}",
            utc(cert.not_before),
            span(cert.not_before - now)
        ));
    }
    let left = cert.not_after - now;
    if left < 0 {
        return Some(format!(
            "certificate expired {} ago ({}), {flag}",
            span(-left),
            utc(cert.not_after)
        ));
    }
    (left < min.as_secs() as i64).then(|| {
        format!(
            "certificate expires in {} ({}), less than {flag}",
            span(left),
            utc(cert.not_after)
        )
    })
}

/// A length of time in its two largest units: `3d 4h`, `5h 2m`, `14d`,
/// `45s`.
pub fn span(secs: i64) -> String {
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = secs.max(0);
    for (size, unit) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 || !parts.is_empty() {
            parts.push((n, unit));
        }
        if parts.len() == 2 {
            break;
        }
    }
    let shown: Vec<String> = parts
        .iter()
        .enumerate()
        .filter(|(i, (n, _))| *i == 0 || *n > 0)
        .map(|(_, (n, u))| format!("{n}{u}"))
        .collect();
    if shown.is_empty() {
        "0s".to_owned()
    } else {
        shown.join(" ")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn cert(not_before: i64, not_after: i64) -> Result<Cert, String> {
        Ok(Cert {
            subject: "CN=x".into(),
            issuer: "CN=ca".into(),
            sans: vec![],
            not_before,
            not_after,
            days_left: 0.0,
        })
    }

    #[test]
    fn spans_show_two_units() {
        assert_eq!(span(3 * DAY + 4 * 3600 + 59), "3d 4h");
        assert_eq!(span(14 * DAY), "14d");
        assert_eq!(span(5 * 3600 + 120), "5h 2m");
        assert_eq!(span(45), "45s");
        assert_eq!(span(0), "0s");
    }

    #[test]
    fn certificates_must_be_valid_for_long_enough() {
        let now = 1_796_000_000;
        let fourteen = Duration::from_secs(14 * DAY as u64);
        let soon = cert(now - DAY, now + 3 * DAY + 4 * 3600);
        assert_eq!(
            cert_failure(&soon, fourteen, now).unwrap(),
            format!(
                "certificate expires in 3d 4h ({}), less than --cert-valid 14d",
                utc(now + 3 * DAY + 4 * 3600)
            )
        );
        assert_eq!(
            cert_failure(&cert(now - DAY, now + 14 * DAY), fourteen, now),
            None
        );
        let expired = cert_failure(&cert(now - 9 * DAY, now - 2 * DAY), fourteen, now).unwrap();
        assert!(
            expired.starts_with("certificate expired 2d ago"),
            "{expired}"
        );
        let early = cert_failure(&cert(now + 3600, now + 99 * DAY), fourteen, now).unwrap();
        assert!(
            early.starts_with("certificate is not valid before"),
            "{early}"
        );
        let unreadable = cert_failure(&Err("no certificate".into()), fourteen, now).unwrap();
        assert!(unreadable.contains("no certificate"));
    }

    #[test]
    fn the_first_failing_check_is_reported() {
        let expect = regex::bytes::Regex::new("UP").unwrap();
        let headers_check = [ExpectHeader::parse("x-a: 1").unwrap()];
        let mut success = Checks {
            expect: Some(&expect),
            expect_headers: &headers_check,
            cert_valid: Some(Duration::from_secs(10 * DAY as u64)),
            slow: Some(Duration::from_millis(1)),
        };
        let headers = HeaderMap::new();
        let jq = Err("--expect-jq `.ok`: output 1 is false".to_owned());
        let expired = cert(0, 1);
        let mut answer = Answer {
            body: b"DOWN",
            headers: &headers,
            jq: Some(&jq),
            cert: Some(&expired),
            elapsed: Duration::from_secs(1),
        };
        let now = SystemTime::now();
        let first = |s: Checks<'_>, a: &Answer<'_>| first_failure(s, a, now).unwrap();
        assert!(first(success, &answer).contains("--expect `UP`"));
        answer.body = b"UP";
        assert!(first(success, &answer).contains("--expect-header"));
        success.expect_headers = &[];
        assert!(first(success, &answer).contains("--expect-jq"));
        answer.jq = None;
        assert!(first(success, &answer).contains("--cert-valid"));
        answer.cert = None;
        assert!(first(success, &answer).contains("--slow"));
        success.slow = None;
        assert_eq!(first_failure(success, &answer, now), None);
    }
}
