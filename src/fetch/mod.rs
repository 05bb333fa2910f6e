//! Fetching one URL: the shared HTTP client, the attempts with their retries,
//! and the record that comes out.
//!
//! Redirects are followed here rather than by reqwest, so that every hop can
//! be checked (only `http`/`https`; sensitive headers dropped once the host
//! or port changes) and counted for the record, and so one attempt's timeout
//! covers the whole chain.
//!
//! `attempt.rs` is one attempt on the wire (request, redirects, body);
//! `failure.rs` turns the HTTP stack's errors into error kinds;
//! `exhaustion.rs` makes a request wait, uncounted, when fanout itself has
//! no descriptor or port free.

mod attempt;
mod exhaustion;
mod failure;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{self, HeaderMap};
use reqwest::{Client, Method, Url};

use crate::breaker::{Breakers, Health, Pass, RetryBudget};
use crate::config::{Config, Dur, StatusSet};
use crate::input::Item;
use crate::limit::{Pacer, host_key};
use crate::record::{ErrorKind, Record, RecordError};
use crate::retry::{Decision, Observed, RetryPolicy};
use crate::run::Stop;

use self::attempt::{Attempt, version_str};

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

    /// Fetches one input item with all its attempts. Every outcome,
    /// cancellation included, is a record, except for a URL whose first
    /// request never went out because the run stopped first (`None`).
    pub async fn fetch(&self, item: Item, stop: &Stop) -> Option<Record> {
        let Item { index, line, url } = item;
        let url = match url {
            Ok(url) => url,
            Err(message) => {
                let error = RecordError {
                    kind: ErrorKind::InvalidUrl,
                    message,
                };
                return Some(self.unrequested(index, line, error));
            }
        };
        let host = self.breakers.as_ref().map(|_| host_key(&url));
        let started = Instant::now();
        let (ending, attempts, last, pass) = self.attempts(&url, host.as_deref(), stop).await;
        if let (Ending::Cancelled, 0) = (&ending, attempts) {
            // Stopped before its first request: the URL never started.
            return None;
        }
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
        Some(record)
    }

    /// Would the circuit breaker refuse this item right now? Then its
    /// `circuit_open` record, made without waiting for any limit.
    pub fn refused_by_breaker(&self, item: &Item) -> Option<Record> {
        let breakers = self.breakers.as_ref()?;
        let host = host_key(item.url.as_ref().ok()?);
        if !breakers.is_open(&host) {
            return None;
        }
        Some(self.unrequested(item.index, item.line.clone(), circuit_open_error(&host)))
    }

    /// The record of a URL that got no request at all; with `--request-id`
    /// its `request_id` is `null`.
    fn unrequested(&self, index: u64, line: String, error: RecordError) -> Record {
        let mut r = Record::without_request(index, line, error.kind, error.message);
        if self.request_id.is_some() {
            r.request_id = Some(None);
        }
        r
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
            if stop.is_stopped() {
                // Stopped before this attempt went out.
                return (Ending::Cancelled, attempts, last, pass);
            }
            attempts += 1;
            if let (1, Some(budget)) = (attempts, &self.budget) {
                budget.first_attempt();
            }
            let id = self
                .request_id
                .as_ref()
                .map(|_| uuid::Uuid::now_v7().to_string());
            // Whichever finishes first: the attempt, or the run being stopped
            // (signal or deadline), which abandons the attempt at once.
            let attempt = tokio::select! {
                biased;
                _ = stop.stopped() => {
                    // The record keeps the id of the request that was cut off.
                    let mut cut = last.unwrap_or_default();
                    cut.request_id = id;
                    return (Ending::Cancelled, attempts, Some(cut), pass);
                }
                a = self.attempt_when_free(url, id.clone()) => a,
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
}

enum Verdict {
    Ok,
    Failed(Observed),
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
