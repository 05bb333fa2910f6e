//! What an attempt's outcome says about congestion at its host: the signal
//! the adaptive limits (`adaptive.rs`) and the pauses are fed. Pure.

use std::time::Duration;

use crate::outcome::Observed;
use crate::record::ErrorKind;

/// What an attempt's outcome says about congestion at its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The host answered well: grow.
    Success,
    /// The host answered 429 or 503: cut (and start adapting), and pause
    /// for a `Retry-After` if given.
    Throttled(Option<Duration>),
    /// A timeout or a connect error: cut a limit that adapts already.
    Congestion,
    /// Says nothing (DNS, TLS, a cut-off body, the run stopping).
    Neutral,
}

impl Signal {
    /// The signal of an attempt's outcome.
    pub fn of(observed: Observed) -> Signal {
        match observed {
            Observed::Status {
                code: 429 | 503,
                retry_after,
            } => Signal::Throttled(retry_after),
            Observed::Status { .. } => Signal::Success,
            Observed::Failure {
                kind: ErrorKind::Timeout | ErrorKind::Connect,
                ..
            } => Signal::Congestion,
            Observed::Failure { .. } => Signal::Neutral,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_from_outcomes() {
        let status = |code, retry_after| Signal::of(Observed::Status { code, retry_after });
        let fail = |kind| {
            Signal::of(Observed::Failure {
                kind,
                maybe_sent: true,
                permanent: false,
            })
        };
        let one = Some(Duration::from_secs(1));
        assert_eq!(status(429, one), Signal::Throttled(one));
        assert_eq!(status(503, None), Signal::Throttled(None));
        assert_eq!(status(200, None), Signal::Success);
        assert_eq!(status(404, None), Signal::Success);
        assert_eq!(fail(ErrorKind::Timeout), Signal::Congestion);
        assert_eq!(fail(ErrorKind::Connect), Signal::Congestion);
        assert_eq!(fail(ErrorKind::Dns), Signal::Neutral);
        assert_eq!(fail(ErrorKind::Tls), Signal::Neutral);
    }
}
