//! `--max-failures`: the fetcher counts failed records here as it makes
//! them and stops the run at the limit. Apart from `stop.rs`, which knows
//! no record kinds.

use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::record::ErrorKind;
use crate::stop::{Stop, StopReason};

/// `--max-failures N`: counts records that are final and not ok (any kind
/// but `cancelled`) as the fetcher makes them — not as they are written,
/// which `--ordered` may delay — and stops the run at the Nth.
#[derive(Debug)]
pub struct FailureLimit {
    limit: NonZeroU64,
    seen: AtomicU64,
}

impl FailureLimit {
    /// A limit of `limit` failures.
    pub fn new(limit: NonZeroU64) -> Self {
        FailureLimit {
            limit,
            seen: AtomicU64::new(0),
        }
    }

    /// Counts a record whose error kind is `kind`; stops `stop` when the
    /// limit is reached. A cancelled record is the stop's doing, not a
    /// failure of its URL.
    pub fn count(&self, kind: ErrorKind, stop: &Stop) {
        if kind == ErrorKind::Cancelled {
            return;
        }
        let seen = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        if seen >= self.limit.get() {
            stop.stop(StopReason::MaxFailures(self.limit.get()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nth_failure_stops_the_run_and_cancellations_do_not_count() {
        let stop = Stop::new();
        let limit = FailureLimit::new(NonZeroU64::new(2).unwrap());
        limit.count(ErrorKind::Status, &stop);
        limit.count(ErrorKind::Cancelled, &stop);
        assert!(!stop.is_stopped());
        limit.count(ErrorKind::CircuitOpen, &stop);
        assert_eq!(stop.reason(), Some(StopReason::MaxFailures(2)));
        assert_eq!(stop.reason().unwrap().name(), "max_failures");
        assert!(stop.stopped_at().is_some());
    }
}
