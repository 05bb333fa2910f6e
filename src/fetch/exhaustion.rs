//! Backpressure on fanout's own exhaustion: no descriptor (`EMFILE`,
//! `ENFILE`) or no local port (`EADDRNOTAVAIL`) while opening a connection.
//!
//! Such an error says nothing about the server, so it must neither fail
//! the URL nor use up one of its attempts: the attempt that hit it is
//! thrown away, and the URL waits until something may have freed a
//! descriptor or a port, then tries again. The wait is outside the
//! attempt's `--timeout`, and a stop (signal, `--deadline`) ends it at once,
//! since the caller races it against the run's stop.
//!
//! What frees a descriptor: another attempt ending (its connection goes
//! back to the pool or is closed), an idle pooled connection that the
//! server closes, a port leaving `TIME_WAIT`. Only the first can be seen
//! from here, so a wait ends when an attempt ends or after [`RECHECK`],
//! whichever comes first. `fdlimit.rs` keeps this rare by running no wider
//! than the open-file limit allows.

use std::time::Duration;

use reqwest::Url;
use tokio::sync::Notify;

use super::Fetcher;
use super::attempt::Attempt;

/// Signalled whenever an attempt ends: one waiter may find a descriptor.
/// Process-wide, like the limit it stands for.
static RELEASED: Notify = Notify::const_new();

/// How long a starved request waits at most before it tries again.
const RECHECK: Duration = Duration::from_millis(50);

/// `EMFILE` and `ENFILE`: the same numbers on every unix.
#[cfg(unix)]
const NO_DESCRIPTOR: [i32; 2] = [24, 23];
#[cfg(not(unix))]
const NO_DESCRIPTOR: [i32; 0] = [];

/// Whether a send error is fanout's own exhaustion rather than anything
/// the server did: a connect error caused by running out of descriptors or
/// local ports.
pub(super) fn is_own_exhaustion(e: &reqwest::Error) -> bool {
    // An `io::Error`'s `source()` skips the error it wraps: unwrap by hand.
    fn exhausted(mut e: &(dyn std::error::Error + 'static)) -> bool {
        loop {
            let Some(io) = e.downcast_ref::<std::io::Error>() else {
                return false;
            };
            if io.kind() == std::io::ErrorKind::AddrNotAvailable
                || io
                    .raw_os_error()
                    .is_some_and(|n| NO_DESCRIPTOR.contains(&n))
            {
                return true;
            }
            match io.get_ref() {
                Some(inner) => e = inner,
                None => return false,
            }
        }
    }
    e.is_connect()
        && std::iter::successors(std::error::Error::source(e), |e| e.source()).any(exhausted)
}

impl Fetcher {
    /// One attempt, made again (and not counted again) for as long as it
    /// fails only because fanout ran out of descriptors or ports.
    pub(super) async fn attempt_when_free(&self, url: &Url, request_id: Option<String>) -> Attempt {
        loop {
            let attempt = self.attempt(url, request_id.clone()).await;
            if !attempt.starved {
                RELEASED.notify_one();
                return attempt;
            }
            tracing::debug!(
                url = %super::Redacted(url),
                "no descriptor or local port free; waiting for one"
            );
            tokio::select! {
                _ = RELEASED.notified() => {}
                _ = tokio::time::sleep(RECHECK) => {}
            }
        }
    }
}
