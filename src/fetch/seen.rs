//! The fetcher's hooks for what answered and for the checks that need the
//! response while the attempt runs: per hop, the timings claim, the
//! headers and the leaf certificate; after the body, `--expect-jq` within
//! the attempt's `--timeout`. Each hook does nothing unless its flag is on.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;

use super::Fetcher;
use crate::inspect::timings::Hop;
use crate::record::Cert;
use crate::values::Dur;

/// What an attempt kept of its final response for `inspect` and `check`.
#[derive(Default)]
pub(super) struct Seen {
    /// The final hop's instants and connection (`--timings`).
    pub(super) hop: Option<Hop>,
    /// The final response's headers, when a flag looks at them.
    pub(super) headers: Option<HeaderMap>,
    /// The leaf certificate (`--tls-info`, `--cert-valid`); `None` for http.
    pub(super) cert: Option<Result<Cert, String>>,
    /// What `--expect-jq` found, when it ran.
    pub(super) jq: Option<Result<(), String>>,
}

impl Fetcher<'_> {
    /// A hop's response arrived; `sent` is when its request was handed to
    /// the client.
    pub(super) fn seen_response(&self, resp: &reqwest::Response, sent: Instant, seen: &mut Seen) {
        let now = Instant::now();
        seen.hop = self.tracker.as_ref().map(|tracker| Hop {
            sent,
            headers: now,
            fresh: tracker.claim(resp.extensions().get()),
            done: now,
        });
        if self.needs.headers {
            seen.headers = Some(resp.headers().clone());
        }
        if self.needs.cert {
            seen.cert = certificate(resp);
        }
    }

    /// Another body byte arrived.
    pub(super) fn seen_bytes(seen: &mut Seen) {
        if let Some(hop) = seen.hop.as_mut() {
            hop.done = Instant::now();
        }
    }

    /// `--expect-jq` over an accepted answer's body, within what is left
    /// of the attempt's `--timeout`. The filters run on the blocking pool:
    /// a slow one delays neither other URLs nor a signal. One still running
    /// at the timeout fails the check and is abandoned (jaq cannot be
    /// interrupted), taking the body with it.
    /// `accepted`: the attempt is whole and its final status accepted.
    pub(super) async fn expect_jq(
        &self,
        accepted: bool,
        body: &mut Option<Vec<u8>>,
        seen: &mut Seen,
        started: Instant,
    ) {
        let filters = &self.config.success.expect_jq;
        if filters.is_empty() || !accepted {
            return;
        }
        let timeout = self.config.limits.timeout;
        let left = timeout.saturating_sub(started.elapsed());
        let held = body.take().unwrap_or_default();
        let filters = filters.clone();
        let job = tokio::task::spawn_blocking(move || {
            let body = held;
            let found = filters.iter().find_map(|f| {
                f.verdict(&body)
                    .err()
                    .map(|m| format!("--expect-jq `{}`: {m}", f.source()))
            });
            (body, found)
        });
        seen.jq = Some(match tokio::time::timeout(left, job).await {
            Ok(Ok((kept, found))) => {
                *body = Some(kept);
                found.map_or(Ok(()), Err)
            }
            Ok(Err(e)) => Err(format!("--expect-jq failed: {e}")),
            Err(_) => Err(format!(
                "--expect-jq did not finish within {} (--timeout)",
                Dur(timeout)
            )),
        });
    }
}

/// The leaf certificate of an https response; `None` for http.
fn certificate(resp: &reqwest::Response) -> Option<Result<Cert, String>> {
    let info = resp.extensions().get::<reqwest::tls::TlsInfo>();
    if info.is_none() && resp.url().scheme() != "https" {
        return None;
    }
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64();
    Some(match info.and_then(|i| i.peer_certificate()) {
        Some(der) => crate::inspect::tls::parse(der, now),
        None => Err("the server presented no certificate".to_owned()),
    })
}
