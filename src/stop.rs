//! Stopping a run: a cancellation token with a reason.
//!
//! Cancellation is a parameter of [`crate::run`]: the binary triggers it
//! from SIGINT/SIGTERM (`signals.rs`), `--deadline` from a timer, tests by
//! hand, `--max-failures` from the fetcher that makes the Nth failed
//! record. Once stopped, nothing new starts, every in-flight fetch abandons
//! its request at once and yields a `cancelled` record.

use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::record::ErrorKind;

/// Why a run was stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// `--deadline` passed.
    Deadline,
    /// This many records were final and not ok (`--max-failures`).
    MaxFailures(u64),
}

impl StopReason {
    /// A short stable name, for `--stats`.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Interrupt => "interrupt",
            StopReason::Terminate => "terminate",
            StopReason::Deadline => "deadline",
            StopReason::MaxFailures(_) => "max_failures",
        }
    }

    /// The message of `cancelled` records.
    pub fn message(self) -> String {
        match self {
            StopReason::Interrupt => "interrupted (SIGINT)".into(),
            StopReason::Terminate => "terminated (SIGTERM)".into(),
            StopReason::Deadline => "the run's deadline passed (--deadline)".into(),
            StopReason::MaxFailures(1) => "stopped after the first failure (--fail-fast)".into(),
            StopReason::MaxFailures(n) => format!("stopped after {n} failures (--max-failures)"),
        }
    }

    /// A signal stopped the run: the process must be gone within the
    /// signal grace (`signals.rs`).
    pub fn is_signal(self) -> bool {
        matches!(self, StopReason::Interrupt | StopReason::Terminate)
    }
}

/// A handle to stop a run, cheap to clone. The first reason given wins.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    token: CancellationToken,
    reason: Arc<OnceLock<(StopReason, Instant)>>,
}

impl Stop {
    /// A handle that has not been triggered.
    pub fn new() -> Self {
        Stop::default()
    }

    /// Stops the run for `reason` (ignored if it was already stopped).
    pub fn stop(&self, reason: StopReason) {
        let _ = self.reason.set((reason, Instant::now()));
        self.token.cancel();
    }

    /// Why the run was stopped, if it was.
    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().map(|(reason, _)| *reason)
    }

    /// When the run was stopped, if it was: what must end within the
    /// signal grace counts from here.
    pub fn stopped_at(&self) -> Option<Instant> {
        self.reason.get().map(|(_, at)| *at)
    }

    /// Whether the run has been stopped.
    pub fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes once the run is stopped.
    pub async fn stopped(&self) {
        self.token.cancelled().await
    }

    /// Completes once the run is stopped; owns a clone of the token, for
    /// streams that outlive a borrow.
    pub fn stopped_owned(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.token.clone().cancelled_owned()
    }
}

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
    fn the_first_stop_reason_wins() {
        let stop = Stop::new();
        assert_eq!(stop.reason(), None);
        stop.stop(StopReason::Terminate);
        stop.stop(StopReason::Interrupt);
        assert_eq!(stop.reason(), Some(StopReason::Terminate));
        assert!(stop.is_stopped());
    }

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
