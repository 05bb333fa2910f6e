//! One attempt on the wire: the request, its redirects and the body, within
//! `--timeout`. Everything learned is kept in an [`Attempt`], so a timeout
//! or an error half-way still leaves the record what did arrive.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode, Url, Version};

use super::Fetcher;
use super::failure::{Failure, classify_send_error};
use super::per_line::Shape;
use crate::outcome::Observed;
use crate::record::ErrorKind;
use crate::retry::parse_retry_after;
use crate::values::Dur;

impl Fetcher<'_> {
    /// One attempt: the request, its redirects and the body, all within
    /// `--timeout`.
    pub(super) async fn attempt(
        &self,
        url: &Url,
        shape: &Shape<'_>,
        request_id: Option<String>,
    ) -> Attempt {
        let mut out = Attempt {
            request_id,
            // Boxed, and only when a flag looks at it: an attempt lives in
            // every URL's future and is moved with it.
            seen: self.needs.inspects().then(Box::default),
            ..Attempt::default()
        };
        // Moved on by a redirect hop's wait for its host's rate: that is
        // not the server's time (see `hop_paced`).
        let start = Cell::new(Instant::now());
        let exchange = self.exchange(url, shape, &start, &mut out);
        let timeout = self.config.limits.timeout;
        let timed_out = match self.gates.host_rates() {
            None => tokio::time::timeout(timeout, exchange).await.is_err(),
            Some(_) => within(timeout, &start, exchange).await.is_none(),
        };
        if timed_out {
            out.failure = Some(Failure {
                kind: ErrorKind::Timeout,
                message: format!("no complete response within {} (--timeout)", Dur(timeout)),
                maybe_sent: true,
                permanent: false,
            });
        }
        // seen.rs
        if let Some(seen) = out.seen.as_deref_mut() {
            // A 304 confirming the copy held has no body to check.
            let accepted = match (&out.failure, &out.response) {
                (None, Some(r)) if !out.not_modified => {
                    self.judge.accepts(r.status.as_u16(), Some(&r.url))
                }
                _ => false,
            };
            self.expect_jq(accepted, &mut out.body, seen, start.get())
                .await;
        }
        out
    }

    /// `--host-rate`: a redirect hop waits for its host's next start. The
    /// wait is admission, not the server's time, so it is left out of
    /// what the attempt measures: the attempt's clock (`start`, which
    /// `--timeout` and `ttfb_ms` count from) moves on by it, and the URL's
    /// `elapsed_ms` leaves it out too (`Attempt::paced`). Otherwise a hop
    /// to a host paced at 1/m would time out every attempt.
    async fn hop_paced(&self, url: &Url, start: &Cell<Instant>, out: &mut Attempt) {
        let Some(at) = self.gates.hop_start(url) else {
            return;
        };
        let wait = at.into_std().saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            start.set(start.get() + wait);
            out.paced += wait;
            tokio::time::sleep_until(at).await;
        }
    }

    /// Sends the request and follows its redirects (this loop), then reads
    /// the final response's body (`body.rs`). Fills `out` as it goes, so a
    /// timeout keeps what was learned before it.
    async fn exchange(
        &self,
        url: &Url,
        shape: &Shape<'_>,
        start: &Cell<Instant>,
        out: &mut Attempt,
    ) {
        let spec = &self.config.request;
        let max_redirects = spec.max_redirects;
        let mut url = url.clone();
        let mut method = shape.method.clone();
        let mut body = shape.body.clone();
        let mut send_sensitive = true;
        let resp = loop {
            let client = self.clients.for_url(&url);
            let mut req = client.request(method.clone(), url.clone());
            if send_sensitive && !self.sensitive.is_empty() {
                req = req.headers(self.sensitive.clone());
            }
            req = self.hop_headers(req, &url, shape, send_sensitive); // per_line.rs
            if let (Some(name), Some(id)) = (&self.config.protection.request_id, &out.request_id) {
                // The same id on every hop of this attempt's redirects.
                req = req.header(name, id.as_str());
            }
            if let Some((name, value)) = &shape.validator {
                // --revalidate: on every hop, so a redirect's target can
                // answer 304 too.
                req = req.header(name, value.clone());
            }
            if let Some(b) = &body {
                req = req.body(b.clone());
            }
            let sent = Instant::now();
            let resp = match req.send().await {
                Ok(resp) => resp,
                Err(e) => {
                    out.failure = Some(classify_send_error(&e));
                    out.starved = super::failure::is_own_exhaustion(&e);
                    return;
                }
            };
            out.response = Some(ResponseMeta::of(&resp, start.get()));
            if self.needs.fields.method {
                out.method = Some(method.clone());
            }
            if let Some(seen) = out.seen.as_deref_mut() {
                self.seen_response(&resp, sent, seen); // seen.rs
            }
            let status = resp.status();
            let follow =
                max_redirects > 0 && matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
            let location = resp.headers().get(header::LOCATION);
            let (true, Some(location)) = (follow, location) else {
                break resp;
            };
            if out.redirects >= max_redirects {
                out.failure = Some(Failure::redirect(format!(
                    "more than {} redirects (--max-redirects)",
                    max_redirects
                )));
                return;
            }
            // Not `to_str()`, which refuses non-ASCII: servers do send UTF-8
            // here, browsers and curl follow it, and `join` percent-encodes it.
            let location_text = std::str::from_utf8(location.as_bytes()).ok();
            let next = match location_text.and_then(|l| url.join(l).ok()) {
                Some(next) => next,
                None => {
                    let shown = String::from_utf8_lossy(location.as_bytes()).into_owned();
                    out.failure = Some(Failure::redirect(format!("invalid Location `{shown}`")));
                    return;
                }
            };
            if !matches!(next.scheme(), "http" | "https") {
                out.failure = Some(Failure::redirect(format!(
                    "redirect to a `{}:` URL refused; only http and https are followed",
                    next.scheme()
                )));
                return;
            }
            if next.host_str() != url.host_str()
                || next.port_or_known_default() != url.port_or_known_default()
            {
                send_sensitive = false;
            }
            // Browsers' and curl's rules: 303 turns anything but HEAD into
            // GET, 301/302 turn POST into GET; 307/308 repeat the request.
            let to_get = match status {
                StatusCode::SEE_OTHER => method != Method::HEAD,
                StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => method == Method::POST,
                _ => false,
            };
            if to_get {
                method = Method::GET;
                body = None;
            }
            out.redirects += 1;
            url = next;
            if self.gates.host_rates().is_some() {
                self.hop_paced(&url, start, out).await;
            }
        };

        // Only a conditional request's 304 confirms the copy held.
        out.not_modified = shape.validator.is_some() && resp.status() == StatusCode::NOT_MODIFIED;
        self.read_body(resp, out, method == Method::HEAD).await; // body.rs
    }
}

/// What one attempt produced.
#[derive(Default)]
pub(super) struct Attempt {
    /// The last response's head, if any arrived.
    pub(super) response: Option<ResponseMeta>,
    /// Redirects followed.
    pub(super) redirects: u32,
    /// Decoded body bytes read.
    pub(super) bytes: u64,
    /// The body, with `--body`.
    pub(super) body: Option<Vec<u8>>,
    /// With `-o`: the whole body, written aside, for an accepted status.
    pub(super) body_file: Option<crate::save::Temp>,
    /// What went wrong at the transport level, if anything.
    pub(super) failure: Option<Failure>,
    /// The id sent with this attempt (`--request-id`).
    pub(super) request_id: Option<String>,
    /// It failed only because fanout had no descriptor or local port free;
    /// it does not count and is made again (`exhaustion.rs`).
    pub(super) starved: bool,
    /// What `inspect` and the checks keep of the final response.
    pub(super) seen: Option<Box<super::seen::Seen>>,
    /// The final response answered a HEAD: it has no body to save.
    pub(super) bodiless: bool,
    /// `--hash`: the SHA-256 of the body, when it was read whole.
    pub(super) sha256: Option<crate::record::Digest>,
    /// The final response is a 304 to a conditional request
    /// (`--revalidate`).
    pub(super) not_modified: bool,
    /// The method of the request that got `response`, when records tell
    /// it (`-X HEAD,GET`).
    pub(super) method: Option<Method>,
    /// How long its redirect hops waited for their hosts' rates.
    pub(super) paced: Duration,
}

impl Attempt {
    /// A whole 304 answer to a conditional request: the copy held (and
    /// hashed, and saved) earlier is current.
    pub(super) fn confirmed(&self) -> bool {
        self.not_modified && self.failure.is_none()
    }

    /// What the judge looks at.
    pub(super) fn observed(&self) -> Observed {
        match (&self.failure, &self.response) {
            (Some(f), _) => Observed::Failure {
                kind: f.kind,
                maybe_sent: f.maybe_sent,
                permanent: f.permanent,
            },
            (None, Some(r)) => Observed::Status {
                code: r.status.as_u16(),
                retry_after: r.retry_after,
            },
            // An attempt ends with a response or a failure.
            (None, None) => Observed::Failure {
                kind: ErrorKind::Other,
                maybe_sent: true,
                permanent: false,
            },
        }
    }
}

pub(super) struct ResponseMeta {
    pub(super) status: StatusCode,
    pub(super) url: Url,
    pub(super) version: Version,
    pub(super) content_type: Option<String>,
    pub(super) remote_addr: Option<SocketAddr>,
    pub(super) ttfb: Duration,
    /// Parsed `Retry-After`, kept for 429 and 503 only.
    pub(super) retry_after: Option<Duration>,
}

impl ResponseMeta {
    fn of(resp: &reqwest::Response, start: Instant) -> ResponseMeta {
        let headers = resp.headers();
        let status = resp.status();
        let retry_after = match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now())),
            _ => None,
        };
        ResponseMeta {
            status,
            url: resp.url().clone(),
            version: resp.version(),
            content_type: headers.get(header::CONTENT_TYPE).map(lossy),
            remote_addr: resp.remote_addr(),
            ttfb: start.elapsed(),
            retry_after,
        }
    }
}

/// `fut` within `timeout` of `start`, which may move on while it runs
/// (`hop_paced`); `None` when the time ran out first.
async fn within<F: Future>(timeout: Duration, start: &Cell<Instant>, fut: F) -> Option<F::Output> {
    tokio::pin!(fut);
    loop {
        // A timeout too long to add to the clock never ends.
        let Some(deadline) = start.get().checked_add(timeout) else {
            return Some(fut.await);
        };
        tokio::select! {
            // The exchange first: an answer at the deadline still counts.
            biased;
            out = &mut fut => return Some(out),
            () = tokio::time::sleep_until(deadline.into()) => {
                // Unless a hop's wait moved the clock on meanwhile.
                if start.get() + timeout <= Instant::now() {
                    return None;
                }
            }
        }
    }
}

pub(super) fn lossy(v: &HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

pub(super) fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/?",
    }
}
