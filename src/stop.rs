//! Stopping a run: a cancellation token with a reason.
//!
//! Cancellation is a parameter of [`crate::run`]: the binary triggers it
//! from SIGINT/SIGTERM (`signals.rs`), `--deadline` from a timer, tests by
//! hand, `--max-failures` from the fetcher that makes the Nth failed
//! record (`fetch/limit.rs`). Once stopped, nothing new starts, every in-flight fetch abandons
//! its request at once and yields a `cancelled` record.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

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
}
