//! Stopping a run: a cancellation token with a reason.
//!
//! Cancellation is a parameter of [`crate::run`]: the binary triggers it
//! from SIGINT/SIGTERM (`signals.rs`), `--deadline` from a timer, tests by
//! hand. Once stopped, nothing new starts, every in-flight fetch abandons
//! its request at once and yields a `cancelled` record.

use std::sync::{Arc, OnceLock};

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
}

impl StopReason {
    /// A short stable name, for `--stats`.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Interrupt => "interrupt",
            StopReason::Terminate => "terminate",
            StopReason::Deadline => "deadline",
        }
    }

    /// The message of `cancelled` records.
    pub fn message(self) -> &'static str {
        match self {
            StopReason::Interrupt => "interrupted (SIGINT)",
            StopReason::Terminate => "terminated (SIGTERM)",
            StopReason::Deadline => "the run's deadline passed (--deadline)",
        }
    }
}

/// A handle to stop a run, cheap to clone. The first reason given wins.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    token: CancellationToken,
    reason: Arc<OnceLock<StopReason>>,
}

impl Stop {
    /// A handle that has not been triggered.
    pub fn new() -> Self {
        Stop::default()
    }

    /// Stops the run for `reason` (ignored if it was already stopped).
    pub fn stop(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    /// Why the run was stopped, if it was.
    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
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
