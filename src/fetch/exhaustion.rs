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
use super::per_line::Shape;

/// Signalled whenever an attempt ends: one waiter may find a descriptor.
/// Process-wide, like the limit it stands for.
static RELEASED: Notify = Notify::const_new();

/// How long a starved request waits at most before it tries again.
const RECHECK: Duration = Duration::from_millis(50);

impl Fetcher<'_> {
    /// One attempt, made again (and not counted again) for as long as it
    /// fails only because fanout ran out of descriptors or ports.
    pub(super) async fn attempt_when_free(
        &self,
        url: &Url,
        shape: &Shape<'_>,
        request_id: Option<String>,
    ) -> Attempt {
        loop {
            let attempt = self.attempt(url, shape, request_id.clone()).await;
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
