//! Fetching one URL: the shared HTTP client, the attempts with their retries,
//! and the record that comes out.
//!
//! Redirects are followed here rather than by reqwest, so that every hop can
//! be checked (only `http`/`https`; sensitive headers dropped once the host
//! or port changes) and counted for the record, and so one attempt's timeout
//! covers the whole chain.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, Method, StatusCode, Url, Version};

use crate::breaker::{Breakers, Health, Pass, RetryBudget};
use crate::config::{Config, Dur, Size, StatusSet};
use crate::input::Item;
use crate::limit::{Pacer, host_key};
use crate::record::{ErrorKind, Record, RecordError};
use crate::retry::{Decision, Observed, RetryPolicy, parse_retry_after};
use crate::run::Stop;

/// Headers that must not follow a redirect to another host or port.
const SENSITIVE: [header::HeaderName; 3] = [
    header::AUTHORIZATION,
    header::COOKIE,
    header::PROXY_AUTHORIZATION,
];

/// Fetches URLs with one shared client (one connection pool) for the run.
pub struct Fetcher {
    client: Client,
    method: Method,
    idempotent: bool,
    body: Option<Bytes>,
    /// `Authorization`, `Cookie`, `Proxy-Authorization` from `-H`: sent per
    /// request, and not after a cross-host redirect. Every other header is a
    /// client default.
    sensitive: HeaderMap,
    max_redirects: u32,
    timeout: Duration,
    retry: RetryPolicy,
    accept: StatusSet,
    max_body: u64,
    /// Put the body in the record (`--body`).
    keep_body: bool,
    /// Body must match (`--expect`); the body is kept in memory only when
    /// this or `keep_body` needs it.
    expect: Option<regex::bytes::Regex>,
    /// `elapsed_ms` must be within this (`--slow`).
    slow: Option<Duration>,
    /// Spaces request starts (`--rate`).
    pacer: Option<Pacer>,
    /// Per-host circuit breakers (`--trip-after`).
    breakers: Option<Arc<Breakers>>,
    /// Run-wide cap on retries (`--retry-budget`).
    budget: Option<Arc<RetryBudget>>,
    /// Header for a fresh id per attempt (`--request-id`).
    request_id: Option<header::HeaderName>,
}

/// How a URL's attempts ended.
enum Ending {
    /// With a final outcome (ok or not).
    Final,
    /// The run stopped first.
    Cancelled,
    /// The host's circuit was open before the next request.
    CircuitOpen,
}

fn circuit_open_error(host: &str) -> RecordError {
    RecordError {
        kind: ErrorKind::CircuitOpen,
        message: format!(
            "circuit open for {host}: too many consecutive failures (--trip-after); not requested"
        ),
    }
}

impl Fetcher {
    /// The circuit breakers, if `--trip-after` is on (summary, metrics).
    pub fn breakers(&self) -> Option<&Arc<Breakers>> {
        self.breakers.as_ref()
    }

    /// The retry budget, if `--retry-budget` is on (summary, metrics).
    pub fn budget(&self) -> Option<&Arc<RetryBudget>> {
        self.budget.as_ref()
    }

    /// Builds the client for a run. Fails on a bad `--proxy` or `--cacert`.
    pub fn new(config: &Config) -> anyhow::Result<Fetcher> {
        use anyhow::Context;
        let spec = &config.request;
        let mut defaults = spec.headers.clone();
        let mut sensitive = HeaderMap::new();
        for name in SENSITIVE {
            for value in defaults.get_all(&name) {
                sensitive.append(name.clone(), value.clone());
            }
            defaults.remove(&name);
        }
        let mut builder = Client::builder()
            .default_headers(defaults)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .tls_danger_accept_invalid_certs(spec.insecure);
        if spec.http1_only {
            builder = builder.http1_only();
        }
        if let Some(pem) = &spec.cacert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .context("--cacert: not a PEM certificate file")?;
            if certs.is_empty() {
                anyhow::bail!("--cacert: no certificate found in the file");
            }
            builder = builder.tls_certs_merge(certs);
        }
        if let Some(proxy) = &spec.proxy {
            let proxy = reqwest::Proxy::all(proxy.as_str())
                .with_context(|| format!("--proxy: invalid proxy URL `{}`", redact_str(proxy)))?;
            builder = builder.proxy(proxy);
        }
        let client = builder.build().context("cannot set up the HTTP client")?;
        Ok(Fetcher {
            client,
            idempotent: spec.method.is_idempotent(),
            method: spec.method.clone(),
            body: spec.body.clone(),
            sensitive,
            max_redirects: spec.max_redirects,
            timeout: config.timeout,
            retry: config.retry.clone(),
            accept: config.accept.clone(),
            max_body: config.max_body,
            keep_body: config.keep_body,
            expect: config.expect.clone(),
            slow: config.slow,
            pacer: config.rate.map(|r| Pacer::new(r.interval())),
            breakers: config
                .trip_after
                .map(|n| Arc::new(Breakers::new(n.get(), config.trip_cooldown))),
            budget: config.retry_budget.map(|p| Arc::new(RetryBudget::new(p))),
            request_id: config.request_id.clone(),
        })
    }

    /// Fetches one input item with all its attempts. Never fails: every
    /// outcome, cancellation included, is a record.
    pub async fn fetch(&self, item: Item, stop: &Stop) -> Record {
        let Item { index, line, url } = item;
        let url = match url {
            Ok(url) => url,
            Err(message) => {
                let mut r = Record::without_request(index, line, ErrorKind::InvalidUrl, message);
                if self.request_id.is_some() {
                    r.request_id = Some(None);
                }
                return r;
            }
        };
        let host = self.breakers.as_ref().map(|_| host_key(&url));
        let started = Instant::now();
        let (ending, attempts, last, pass) = self.attempts(&url, host.as_deref(), stop).await;
        let error = match ending {
            Ending::Final => None,
            Ending::Cancelled => Some(RecordError {
                kind: ErrorKind::Cancelled,
                message: stop
                    .reason()
                    .map_or("cancelled", |r| r.message())
                    .to_owned(),
            }),
            Ending::CircuitOpen => Some(circuit_open_error(host.as_deref().unwrap_or_default())),
        };
        let record = self.record(
            index,
            line,
            started,
            attempts,
            last.unwrap_or_default(),
            error,
        );
        if let (Some(breakers), Some(host)) = (&self.breakers, &host) {
            if let Some(health) = self.health(&record).filter(|_| pass != Pass::Open) {
                breakers.report(host, pass, health);
            }
        }
        record
    }

    /// Would the circuit breaker refuse this item right now? Then its
    /// `circuit_open` record, made without waiting for any limit.
    pub fn refused_by_breaker(&self, item: &Item) -> Option<Record> {
        let breakers = self.breakers.as_ref()?;
        let host = host_key(item.url.as_ref().ok()?);
        if !breakers.is_open(&host) {
            return None;
        }
        let e = circuit_open_error(&host);
        let mut r = Record::without_request(item.index, item.line.clone(), e.kind, e.message);
        if self.request_id.is_some() {
            r.request_id = Some(None);
        }
        Some(r)
    }

    /// The attempts of one URL, until one is final, the run stops, or the
    /// host's circuit opens.
    async fn attempts(
        &self,
        url: &Url,
        host: Option<&str>,
        stop: &Stop,
    ) -> (Ending, u32, Option<Attempt>, Pass) {
        let mut attempts = 0;
        let mut last: Option<Attempt> = None;
        let mut pass = Pass::Closed;
        loop {
            // The breaker is asked just before each request.
            if let (Some(breakers), Some(host)) = (&self.breakers, host) {
                pass = match attempts {
                    0 => breakers.check(host),
                    _ => breakers.check_retry(host, pass),
                };
                if pass == Pass::Open {
                    return (Ending::CircuitOpen, attempts, last, pass);
                }
            }
            if let Some(pacer) = &self.pacer {
                // A stop while waiting for a start slot ends the URL too.
                tokio::select! {
                    biased;
                    _ = stop.stopped() => return (Ending::Cancelled, attempts, last, pass),
                    _ = pacer.wait() => {}
                }
                // The circuit may have opened during the wait.
                if let (Some(breakers), Some(host)) = (&self.breakers, host) {
                    pass = breakers.check_retry(host, pass);
                    if pass == Pass::Open {
                        return (Ending::CircuitOpen, attempts, last, pass);
                    }
                }
            }
            attempts += 1;
            if let (1, Some(budget)) = (attempts, &self.budget) {
                budget.first_attempt();
            }
            // Whichever finishes first: the attempt, or the run being stopped
            // (signal or deadline), which abandons the attempt at once.
            let attempt = tokio::select! {
                biased;
                _ = stop.stopped() => return (Ending::Cancelled, attempts, last, pass),
                a = self.attempt(url) => a,
            };
            let mut decision = match self.judge(&attempt) {
                Verdict::Ok => Decision::Stop,
                Verdict::Failed(observed) => {
                    self.retry.decide(attempts - 1, observed, self.idempotent)
                }
            };
            if let (Decision::Retry(_), Some(budget)) = (decision, &self.budget) {
                if !budget.try_retry() {
                    decision = Decision::Stop;
                }
            }
            tracing::debug!(
                url = %Redacted(url),
                attempt = attempts,
                status = attempt.response.as_ref().map(|r| r.status.as_u16()),
                error = attempt.failure.as_ref().map(|f| f.kind.as_str()),
                retry_in = ?match decision { Decision::Retry(d) => Some(d), Decision::Stop => None },
                "attempt finished"
            );
            last = Some(attempt);
            match decision {
                Decision::Stop => return (Ending::Final, attempts, last, pass),
                Decision::Retry(wait) => {
                    // A stop during the wait ends the URL as cancelled.
                    tokio::select! {
                        biased;
                        _ = stop.stopped() => return (Ending::Cancelled, attempts, last, pass),
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// What a final record says about its host's health, for the breaker:
    /// `None` when it says nothing (cancelled, not requested).
    fn health(&self, r: &Record) -> Option<Health> {
        match r.error_kind() {
            None => Some(Health::Answered),
            Some(
                ErrorKind::Dns
                | ErrorKind::Connect
                | ErrorKind::Tls
                | ErrorKind::Timeout
                | ErrorKind::Body,
            ) => Some(Health::Failed),
            Some(ErrorKind::Status)
                if r.status.is_some_and(|s| self.retry.retry_on.contains(s)) =>
            {
                Some(Health::Failed)
            }
            Some(ErrorKind::Cancelled | ErrorKind::CircuitOpen | ErrorKind::InvalidUrl) => None,
            Some(_) => Some(Health::Answered),
        }
    }

    /// Whether an attempt is a success, and if not, what the retry policy
    /// should look at.
    fn judge(&self, a: &Attempt) -> Verdict {
        if let Some(f) = &a.failure {
            return Verdict::Failed(Observed::Failure {
                kind: f.kind,
                maybe_sent: f.maybe_sent,
            });
        }
        match &a.response {
            Some(r) if self.accept.contains(r.status.as_u16()) => Verdict::Ok,
            Some(r) => Verdict::Failed(Observed::Status {
                code: r.status.as_u16(),
                retry_after: r.retry_after,
            }),
            // An attempt ends with a response or a failure.
            None => Verdict::Failed(Observed::Failure {
                kind: ErrorKind::Other,
                maybe_sent: true,
            }),
        }
    }

    fn record(
        &self,
        index: u64,
        url: String,
        started: Instant,
        attempts: u32,
        last: Attempt,
        error: Option<RecordError>,
    ) -> Record {
        let error = error.or_else(|| match (&last.failure, &last.response) {
            (Some(f), _) => Some(RecordError {
                kind: f.kind,
                message: f.message.clone(),
            }),
            (None, Some(r)) if !self.accept.contains(r.status.as_u16()) => Some(RecordError {
                kind: ErrorKind::Status,
                message: format!(
                    "status {} is not accepted (--accept {})",
                    r.status.as_u16(),
                    self.accept
                ),
            }),
            (None, Some(_)) => None,
            (None, None) => Some(RecordError {
                kind: ErrorKind::Other,
                message: "no response".to_owned(),
            }),
        });
        let elapsed = match attempts {
            0 => Duration::ZERO,
            _ => started.elapsed(),
        };
        let error = error.or_else(|| self.check_assertions(&last, elapsed));
        let r = last.response;
        let mut record = Record {
            index,
            url,
            final_url: r.as_ref().map(|r| r.url.to_string()),
            ok: error.is_none(),
            status: r.as_ref().map(|r| r.status.as_u16()),
            attempts,
            elapsed_ms: elapsed,
            ttfb_ms: r.as_ref().map(|r| r.ttfb),
            bytes: r.as_ref().map(|_| last.bytes),
            content_type: r.as_ref().and_then(|r| r.content_type.clone()),
            http_version: r.as_ref().map(|r| version_str(r.version)),
            remote_addr: r.as_ref().and_then(|r| r.remote_addr),
            redirects: last.redirects,
            error,
            request_id: self.request_id.as_ref().map(|_| last.request_id.clone()),
            body: None,
            body_encoding: None,
        };
        if let Some(body) = last.body.filter(|_| self.keep_body) {
            record.set_body(body);
        }
        record
    }

    /// `--expect` and `--slow`, for an answer that is otherwise ok.
    fn check_assertions(&self, last: &Attempt, elapsed: Duration) -> Option<RecordError> {
        let mut failed = Vec::new();
        if let Some(re) = &self.expect {
            let body = last.body.as_deref().unwrap_or_default();
            if !re.is_match(body) {
                failed.push(format!(
                    "body ({} bytes) does not match --expect `{}`",
                    body.len(),
                    re.as_str()
                ));
            }
        }
        if let Some(limit) = self.slow {
            if elapsed > limit {
                failed.push(format!(
                    "took {:.1} ms, {:.1} ms over --slow {}",
                    ms(elapsed),
                    ms(elapsed - limit),
                    Dur(limit)
                ));
            }
        }
        (!failed.is_empty()).then(|| RecordError {
            kind: ErrorKind::Assertion,
            message: failed.join("; "),
        })
    }

    /// One attempt: the request, its redirects and the body, all within
    /// `--timeout`.
    async fn attempt(&self, url: &Url) -> Attempt {
        let mut out = Attempt {
            request_id: self
                .request_id
                .as_ref()
                .map(|_| uuid::Uuid::now_v7().to_string()),
            ..Attempt::default()
        };
        let start = Instant::now();
        let exchange = self.exchange(url, start, &mut out);
        if tokio::time::timeout(self.timeout, exchange).await.is_err() {
            out.failure = Some(Failure {
                kind: ErrorKind::Timeout,
                message: format!(
                    "no complete response within {} (--timeout)",
                    Dur(self.timeout)
                ),
                maybe_sent: true,
            });
        }
        out
    }

    /// Sends the request, follows redirects, reads the body. Fills `out` as
    /// it goes, so a timeout keeps what was learned before it.
    async fn exchange(&self, url: &Url, start: Instant, out: &mut Attempt) {
        let mut url = url.clone();
        let mut method = self.method.clone();
        let mut body = self.body.clone();
        let mut send_sensitive = true;
        let mut resp = loop {
            let mut req = self.client.request(method.clone(), url.clone());
            if send_sensitive && !self.sensitive.is_empty() {
                req = req.headers(self.sensitive.clone());
            }
            if let (Some(name), Some(id)) = (&self.request_id, &out.request_id) {
                // The same id on every hop of this attempt's redirects.
                req = req.header(name, id.as_str());
            }
            if let Some(b) = &body {
                req = req.body(b.clone());
            }
            let resp = match req.send().await {
                Ok(resp) => resp,
                Err(e) => {
                    out.failure = Some(classify_send_error(&e));
                    return;
                }
            };
            out.response = Some(ResponseMeta::of(&resp, start));
            let status = resp.status();
            let follow =
                self.max_redirects > 0 && matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
            let location = resp.headers().get(header::LOCATION);
            let (true, Some(location)) = (follow, location) else {
                break resp;
            };
            if out.redirects >= self.max_redirects {
                out.failure = Some(Failure::redirect(format!(
                    "more than {} redirects (--max-redirects)",
                    self.max_redirects
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
        };

        let mut read: u64 = 0;
        let mut kept = (self.keep_body || self.expect.is_some()).then(Vec::new);
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.max_body - read;
                    let take = (chunk.len() as u64).min(room) as usize;
                    if let Some(k) = kept.as_mut() {
                        k.extend_from_slice(&chunk[..take]);
                    }
                    read += take as u64;
                    out.bytes = read;
                    if take < chunk.len() {
                        out.failure = Some(Failure {
                            kind: ErrorKind::TooLarge,
                            message: format!(
                                "body is larger than {} (--max-body)",
                                Size(self.max_body)
                            ),
                            maybe_sent: true,
                        });
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    out.failure = Some(classify_body_error(&e));
                    break;
                }
            }
        }
        out.body = kept;
    }
}

enum Verdict {
    Ok,
    Failed(Observed),
}

/// What one attempt produced.
#[derive(Default)]
struct Attempt {
    /// The last response's head, if any arrived.
    response: Option<ResponseMeta>,
    /// Redirects followed.
    redirects: u32,
    /// Decoded body bytes read.
    bytes: u64,
    /// The body, with `--body`.
    body: Option<Vec<u8>>,
    /// What went wrong at the transport level, if anything.
    failure: Option<Failure>,
    /// The id sent with this attempt (`--request-id`).
    request_id: Option<String>,
}

struct ResponseMeta {
    status: StatusCode,
    url: Url,
    version: Version,
    content_type: Option<String>,
    remote_addr: Option<SocketAddr>,
    ttfb: Duration,
    /// Parsed `Retry-After`, kept for 429 and 503 only.
    retry_after: Option<Duration>,
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

/// A URL for logs: a password in it is shown as `***`.
struct Redacted<'a>(&'a Url);

impl std::fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.password().is_none() {
            return f.write_str(self.0.as_str());
        }
        let mut u = self.0.clone();
        let _ = u.set_password(Some("***"));
        f.write_str(u.as_str())
    }
}

/// [`Redacted`] for a string that may or may not parse as a URL.
fn redact_str(s: &str) -> String {
    match Url::parse(s) {
        Ok(u) if u.password().is_some() => Redacted(&u).to_string(),
        _ if s.contains('@') => "(not shown: it may hold a password)".to_owned(),
        _ => s.to_owned(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn lossy(v: &HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/?",
    }
}

/// A transport-level failure of an attempt.
struct Failure {
    kind: ErrorKind,
    message: String,
    /// False only when the request certainly never reached the server.
    maybe_sent: bool,
}

impl Failure {
    fn redirect(message: String) -> Failure {
        Failure {
            kind: ErrorKind::Redirect,
            message,
            maybe_sent: true,
        }
    }
}

/// Maps an error from sending a request (before a response head arrived).
fn classify_send_error(e: &reqwest::Error) -> Failure {
    let message = describe(e);
    let (kind, maybe_sent) = if e.is_dns() {
        (ErrorKind::Dns, false)
    } else if e.is_connect() {
        if e.is_timeout() {
            (ErrorKind::Timeout, false)
        } else if has_tls_error(e) {
            (ErrorKind::Tls, false)
        } else {
            (ErrorKind::Connect, false)
        }
    } else if e.is_timeout() {
        (ErrorKind::Timeout, true)
    } else if is_malformed_response(e) {
        (ErrorKind::Other, true)
    } else if e.is_redirect() {
        (ErrorKind::Redirect, true)
    } else {
        // Closed or reset after the request went out, before a response.
        (ErrorKind::Connect, true)
    };
    let message = match kind {
        ErrorKind::Tls => format!("TLS handshake failed: {message}"),
        _ => message,
    };
    Failure {
        kind,
        message,
        maybe_sent,
    }
}

/// Maps an error while reading the body.
fn classify_body_error(e: &reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Body
    };
    Failure {
        kind,
        message: describe(e),
        maybe_sent: true,
    }
}

fn sources(e: &reqwest::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(e), |e| e.source())
}

fn has_tls_error(e: &reqwest::Error) -> bool {
    // rustls errors arrive wrapped in one or more `io::Error`s, whose
    // `source()` skips the wrapped error itself: unwrap them by hand.
    fn is_tls(mut e: &(dyn std::error::Error + 'static)) -> bool {
        loop {
            if e.is::<rustls::Error>() {
                return true;
            }
            match e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => e = inner,
                None => return false,
            }
        }
    }
    sources(e).any(is_tls)
}

fn is_malformed_response(e: &reqwest::Error) -> bool {
    sources(e).any(|s| {
        s.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_parse() || h.is_parse_status())
    })
}

/// A one-line message from the error's causes, without reqwest's wrapper
/// text (which repeats the URL the record already has).
fn describe(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for s in sources(e) {
        let text = s.to_string();
        // Wrappers often repeat their cause's text; keep the most specific.
        if let Some(prev) = parts.last() {
            if prev.contains(&text) {
                continue;
            }
        }
        if !text.is_empty()
            && text != "client error (Connect)"
            && text != "client error (SendRequest)"
        {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_not_logged() {
        let u = Url::parse("http://user:s3cret@h/x").unwrap();
        assert_eq!(Redacted(&u).to_string(), "http://user:***@h/x");
        let plain = Url::parse("http://h/x").unwrap();
        assert_eq!(Redacted(&plain).to_string(), "http://h/x");
        assert_eq!(
            redact_str("http://u:p@proxy:3128"),
            "http://u:***@proxy:3128/"
        );
        assert!(!redact_str("u:p@@bad url").contains("p@"));
    }
}
