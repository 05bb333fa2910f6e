//! One attempt on the wire: the request, its redirects and the body, within
//! `--timeout`. Everything learned is kept in an [`Attempt`], so a timeout
//! or an error half-way still leaves the record what did arrive.

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
        let start = Instant::now();
        let exchange = self.exchange(url, shape, start, &mut out);
        let timeout = self.config.limits.timeout;
        if tokio::time::timeout(timeout, exchange).await.is_err() {
            out.failure = Some(Failure {
                kind: ErrorKind::Timeout,
                message: format!("no complete response within {} (--timeout)", Dur(timeout)),
                maybe_sent: true,
                permanent: false,
            });
        }
        // seen.rs
        let whole = out.failure.is_none();
        let status = out
            .response
            .as_ref()
            .filter(|_| whole)
            .map(|r| r.status.as_u16());
        if let Some(seen) = out.seen.as_deref_mut() {
            self.expect_jq(status, &mut out.body, seen, start).await;
        }
        out
    }

    /// Sends the request and follows its redirects (this loop), then reads
    /// the final response's body (`body.rs`). Fills `out` as it goes, so a
    /// timeout keeps what was learned before it.
    async fn exchange(&self, url: &Url, shape: &Shape<'_>, start: Instant, out: &mut Attempt) {
        let spec = &self.config.request;
        let max_redirects = spec.max_redirects;
        // The URL of this hop: the given one, until a redirect moves on
        // (cloned only for the request itself).
        let first = url;
        let mut redirected: Option<Url> = None;
        let mut method = shape.method.clone();
        let mut body = shape.body.clone();
        let mut send_sensitive = true;
        let resp = loop {
            let url = redirected.as_ref().unwrap_or(first);
            let client = self.clients.for_url(url);
            let mut req = client.request(method.clone(), url.clone());
            if send_sensitive && !self.sensitive.is_empty() {
                req = req.headers(self.sensitive.clone());
            }
            req = self.hop_headers(req, url, shape, send_sensitive); // per_line.rs
            if let (Some(name), Some(id)) = (&self.config.protection.request_id, &out.request_id) {
                // The same id on every hop of this attempt's redirects.
                req = req.header(name, id.as_str());
            }
            if let Some(b) = &body {
                req = req.body(b.clone());
            }
            // Read only by what answered (`seen.rs`): no clock otherwise.
            let sent = out.seen.is_some().then(Instant::now);
            let resp = match req.send().await {
                Ok(resp) => resp,
                Err(e) => {
                    out.failure = Some(classify_send_error(&e));
                    out.starved = super::failure::is_own_exhaustion(&e);
                    return;
                }
            };
            out.response = Some(ResponseMeta::of(&resp, start));
            if let (Some(seen), Some(sent)) = (out.seen.as_deref_mut(), sent) {
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
            redirected = Some(next);
        };

        self.read_body(resp, out).await; // body.rs
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
}

impl Attempt {
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
    /// The response's URL, as the record's `final_url` writes it.
    pub(super) url: String,
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
            url: resp.url().as_str().to_owned(),
            version: resp.version(),
            content_type: headers.get(header::CONTENT_TYPE).map(lossy),
            remote_addr: resp.remote_addr(),
            ttfb: start.elapsed(),
            retry_after,
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
