//! The retry policy: which outcomes are retried, and how long to wait first.
//!
//! Kept apart from the fetch code and free of I/O so every rule can be unit
//! tested: exponential backoff with full jitter, `Retry-After` (seconds or an
//! HTTP date), and the idempotency rule for methods. Whether an outcome is
//! worth another attempt at all is the judge's call (`outcome.rs`).

use std::time::{Duration, SystemTime};

use rand::Rng;

use crate::outcome::Verdict;
use crate::values::StatusSet;

/// Default for `-r/--retries`: extra attempts after the first.
pub const DEFAULT_RETRIES: u32 = 2;
/// Default for `--retry-on`.
pub const DEFAULT_RETRY_ON: &str = "408,429,500,502,503,504";
/// Default for `--backoff`: the cap of the first retry's wait.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(200);
/// Default for `--backoff-max`.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(10);

/// When to retry and how long to wait in between.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Extra attempts after the first.
    pub retries: u32,
    /// Statuses that are retried.
    pub retry_on: StatusSet,
    /// Cap of the first retry's wait; doubles with every retry.
    pub backoff: Duration,
    /// Cap of any wait, and the longest `Retry-After` that is honoured.
    pub backoff_max: Duration,
    /// Retry non-idempotent methods even when the request may have reached
    /// the server.
    pub retry_all_methods: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: DEFAULT_RETRIES,
            retry_on: DEFAULT_RETRY_ON.parse().expect("valid default"),
            backoff: DEFAULT_BACKOFF,
            backoff_max: DEFAULT_BACKOFF_MAX,
            retry_all_methods: false,
        }
    }
}

/// The policy's verdict on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The outcome is final.
    Stop,
    /// Try again after this wait.
    Retry(Duration),
}

impl RetryPolicy {
    /// Decides whether to try again after `retries_done` retries (0 after the
    /// first attempt) of an attempt judged `verdict`, for a request with an
    /// idempotent method or not.
    pub fn decide(&self, retries_done: u32, verdict: &Verdict, idempotent: bool) -> Decision {
        self.decide_with(retries_done, verdict, idempotent, &mut rand::rng())
    }

    /// [`decide`](Self::decide) with the random source given.
    pub fn decide_with(
        &self,
        retries_done: u32,
        verdict: &Verdict,
        idempotent: bool,
        rng: &mut impl Rng,
    ) -> Decision {
        if !self.may_retry(retries_done, verdict, idempotent) {
            return Decision::Stop;
        }
        let jitter = self.backoff_wait(retries_done + 1, rng);
        match verdict.retry_after {
            // The server said when; asking for longer than we are willing
            // to wait means the answer is final.
            Some(wait) if wait > self.backoff_max => Decision::Stop,
            // At least what the server asked, plus a full-jitter term, so
            // URLs told to come back at the same moment do not return
            // together (a thundering herd one Retry-After later).
            Some(wait) => Decision::Retry(wait.saturating_add(jitter)),
            None => Decision::Retry(jitter),
        }
    }

    /// The upper bound of the wait before retry `k` (k ≥ 1):
    /// The `Retry-After` wait that [`decide`](Self::decide) refused, when
    /// that alone made the attempt final, so the record can say why a
    /// retryable status was not retried.
    pub fn refused_wait(
        &self,
        retries_done: u32,
        verdict: &Verdict,
        idempotent: bool,
    ) -> Option<Duration> {
        verdict
            .retry_after
            .filter(|wait| *wait > self.backoff_max)
            .filter(|_| self.may_retry(retries_done, verdict, idempotent))
    }

    /// Everything but the wait: a failure another attempt might mend, with
    /// retries left, and a method that may be repeated.
    fn may_retry(&self, retries_done: u32, verdict: &Verdict, idempotent: bool) -> bool {
        !verdict.is_ok()
            && verdict.transient
            && retries_done < self.retries
            && (idempotent || self.retry_all_methods || !verdict.maybe_sent)
    }

    /// `min(backoff_max, backoff · 2^(k−1))`.
    pub fn backoff_cap(&self, k: u32) -> Duration {
        let factor = 1u32.checked_shl(k.saturating_sub(1)).unwrap_or(u32::MAX);
        self.backoff
            .checked_mul(factor)
            .map_or(self.backoff_max, |d| d.min(self.backoff_max))
    }

    /// A wait for retry `k`, uniform in `[0, backoff_cap(k)]` ("full jitter").
    pub fn backoff_wait(&self, k: u32, rng: &mut impl Rng) -> Duration {
        let cap = self.backoff_cap(k).as_nanos().min(u64::MAX as u128) as u64;
        Duration::from_nanos(rng.random_range(0..=cap))
    }
}

/// Parses a `Retry-After` value: a number of seconds or an HTTP date, the
/// latter measured from `now`. `None` when it is neither; a date in the past
/// is a wait of zero; a number too large to represent is the longest wait.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(v.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Judge, Observed};
    use crate::record::ErrorKind;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            retries: 5,
            backoff: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn backoff_cap_doubles_up_to_the_max() {
        let p = policy();
        let caps: Vec<u128> = (1..=6).map(|k| p.backoff_cap(k).as_millis()).collect();
        assert_eq!(caps, [100, 200, 400, 800, 1000, 1000]);
        // Far past any sensible attempt count nothing overflows.
        assert_eq!(p.backoff_cap(1000), Duration::from_secs(1));
        assert_eq!(p.backoff_cap(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn jittered_waits_stay_within_bounds_and_spread() {
        let p = policy();
        let mut rng = StdRng::seed_from_u64(7);
        for k in 1..=6 {
            let cap = p.backoff_cap(k);
            let waits: Vec<Duration> = (0..500).map(|_| p.backoff_wait(k, &mut rng)).collect();
            assert!(
                waits.iter().all(|w| *w <= cap),
                "retry {k} exceeded {cap:?}"
            );
            // Full jitter: both halves of the range are used.
            assert!(waits.iter().any(|w| *w < cap / 4), "retry {k} never short");
            assert!(
                waits.iter().any(|w| *w > cap * 3 / 4),
                "retry {k} never long"
            );
        }
    }

    #[test]
    fn zero_backoff_waits_nothing() {
        let p = RetryPolicy {
            backoff: Duration::ZERO,
            ..policy()
        };
        assert_eq!(p.backoff_wait(3, &mut rand::rng()), Duration::ZERO);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::MAX)
        );
        for bad in ["", "-1", "1.5", "soon", "Mon, 32 Foo 2024 00:00:00 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    fn judged(observed: Observed) -> Verdict {
        Judge::new(
            "200-299".parse().unwrap(),
            DEFAULT_RETRY_ON.parse().unwrap(),
        )
        .attempt(observed, None)
    }

    fn status(code: u16, retry_after: Option<Duration>) -> Verdict {
        judged(Observed::Status { code, retry_after })
    }

    fn fail(kind: ErrorKind, maybe_sent: bool) -> Verdict {
        judged(Observed::Failure {
            kind,
            maybe_sent,
            permanent: false,
        })
    }

    #[test]
    fn statuses_retry_only_when_listed() {
        let p = policy();
        assert!(matches!(
            p.decide(0, &status(503, None), true),
            Decision::Retry(_)
        ));
        assert_eq!(p.decide(0, &status(404, None), true), Decision::Stop);
        assert_eq!(p.decide(0, &status(501, None), true), Decision::Stop);
        // Out of retries.
        assert_eq!(p.decide(5, &status(503, None), true), Decision::Stop);
    }

    #[test]
    fn retry_after_is_the_least_wait_plus_jitter_unless_too_long() {
        let p = policy();
        let ra = Some(Duration::from_millis(700));
        // Retry k waits Retry-After plus a full-jitter term in
        // [0, backoff · 2^(k−1)]: URLs told the same moment spread out.
        let mut rng = StdRng::seed_from_u64(7);
        for (done, cap) in [(0, 100), (1, 200), (2, 400)] {
            let waits: Vec<u128> = (0..500)
                .map(
                    |_| match p.decide_with(done, &status(429, ra), true, &mut rng) {
                        Decision::Retry(d) => d.as_millis(),
                        Decision::Stop => panic!("retried"),
                    },
                )
                .collect();
            let (lo, hi) = (waits.iter().min().unwrap(), waits.iter().max().unwrap());
            assert!(
                *lo >= 700 && *hi <= 700 + cap,
                "{lo}..{hi} for retry {done}"
            );
            assert!(
                *lo < 700 + cap / 10 && *hi > 700 + cap * 9 / 10,
                "spread {lo}..{hi}"
            );
        }
        let too_long = Some(Duration::from_secs(2));
        assert_eq!(p.decide(0, &status(503, too_long), true), Decision::Stop);
        assert_eq!(p.refused_wait(0, &status(503, too_long), true), too_long);
        assert_eq!(
            p.refused_wait(0, &status(503, Some(Duration::ZERO)), true),
            None
        );
        // Out of retries anyway: the wait is not why.
        assert_eq!(p.refused_wait(5, &status(503, too_long), true), None);
    }

    #[test]
    fn non_idempotent_methods_retry_only_before_sending() {
        let p = policy();
        let refused = fail(ErrorKind::Connect, false);
        let reset = fail(ErrorKind::Connect, true);
        let timeout = fail(ErrorKind::Timeout, true);
        assert!(matches!(p.decide(0, &refused, false), Decision::Retry(_)));
        assert_eq!(p.decide(0, &reset, false), Decision::Stop);
        assert_eq!(p.decide(0, &timeout, false), Decision::Stop);
        assert_eq!(p.decide(0, &status(503, None), false), Decision::Stop);
        let all = RetryPolicy {
            retry_all_methods: true,
            ..policy()
        };
        assert!(matches!(all.decide(0, &reset, false), Decision::Retry(_)));
        assert!(matches!(
            all.decide(0, &status(503, None), false),
            Decision::Retry(_)
        ));
    }

    #[test]
    fn permanent_failures_are_final() {
        let p = policy();
        for kind in [
            ErrorKind::Tls,
            ErrorKind::TooLarge,
            ErrorKind::Redirect,
            ErrorKind::Other,
        ] {
            let f = fail(kind, true);
            assert_eq!(p.decide(0, &f, true), Decision::Stop, "{kind:?}");
        }
        for kind in [
            ErrorKind::Dns,
            ErrorKind::Connect,
            ErrorKind::Timeout,
            ErrorKind::Body,
        ] {
            let f = fail(kind, true);
            assert!(
                matches!(p.decide(0, &f, true), Decision::Retry(_)),
                "{kind:?}"
            );
        }
    }
}
