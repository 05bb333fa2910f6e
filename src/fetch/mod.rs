//! Fetching one URL: admission through the run's gates, the attempts with
//! their retries, and the record that comes out.
//!
//! Redirects are followed here rather than by reqwest, so that every hop can
//! be checked (only `http`/`https`; sensitive headers dropped once the host
//! or port changes) and counted for the record, and so one attempt's timeout
//! covers the whole chain.
//!
//! - `client.rs`: the HTTP client of the run.
//! - `tls.rs`: the one TLS configuration the clients of `--threads` share.
//! - `resolve.rs`: `--resolve`, one client per port it names.
//! - `per_line.rs`: a jsonl line's method, headers and body; the
//!   `--header-for` headers of each hop.
//! - `attempts.rs`: the attempts of one URL, asking the gates before each.
//! - `attempt.rs`: one attempt on the wire: the request and its redirects.
//! - `body.rs`: the final response's body, read once into every sink.
//! - `failure.rs`: the HTTP stack's errors as error kinds.
//! - `finish.rs`: the record of a URL, with the success checks.
//! - `limit.rs`: `--max-failures`, counted as records are made.
//! - `pipeline.rs`: items to records, at most so many at once: the one
//!   pipeline both engines (`run`, `workers`) drive.
//! - `exhaustion.rs`: a request waits, uncounted, when fanout itself has
//!   no descriptor or port free.
//! - `seen.rs`: hooks for what answered (`inspect`) and `--expect-jq`.
//! - `remember.rs`: what a record takes from earlier runs
//!   (`--revalidate`, `--baseline`, `--fail-on`).

mod attempt;
mod attempts;
mod body;
mod client;
mod exhaustion;
mod failure;
mod finish;
mod limit;
mod per_line;
mod pipeline;
mod remember;
mod resolve;
mod seen;
mod tls;

use self::attempts::Ending;
use self::limit::FailureLimit;

pub(crate) use self::pipeline::pipeline;

use std::sync::Arc;

use bytes::Bytes;
use reqwest::Url;
use reqwest::header::HeaderMap;

use crate::config::Config;
use crate::gates::breaker::Pass;
use crate::gates::{Gates, host_key};
use crate::input::Item;
use crate::observe::hosts::HostStats;
use crate::outcome::Judge;
use crate::record::{ErrorKind, Record};
use crate::stop::Stop;

/// What every fetcher of a run shares, built once by the run: with
/// `--threads N` there are N fetchers (one client each), and `-c`, the
/// breakers, `--max-failures` and the names `-o` has written must hold
/// across all of them.
#[derive(Clone)]
pub struct Shared {
    /// The run's admission state.
    pub gates: Arc<Gates>,
    /// `--host-stats`: every attempt and URL is noted per host.
    pub hosts: Option<Arc<HostStats>>,
    failures: Option<Arc<FailureLimit>>,
    saver: Option<Arc<crate::save::Saver>>,
    /// `--threads`: the fetch thread's share of the slots (`gates/`).
    lane: Option<usize>,
    /// With more than one thread: the TLS configuration every thread's
    /// client shares (`tls.rs`).
    tls: Option<rustls::ClientConfig>,
}

impl Shared {
    /// The same state for the fetcher of thread `lane`.
    pub fn for_lane(&self, lane: usize) -> Shared {
        Shared {
            lane: Some(lane),
            ..self.clone()
        }
    }

    /// The run-wide state `config` asks for, around `gates` and `hosts`.
    pub fn new(config: &Config, gates: Arc<Gates>, hosts: Option<Arc<HostStats>>) -> Shared {
        let threads = gates.threads();
        Shared {
            gates,
            hosts,
            failures: config
                .verdicts
                .max_failures
                .map(|n| Arc::new(FailureLimit::new(n))),
            saver: config
                .save
                .clone()
                .map(|spec| Arc::new(crate::save::Saver::new(spec))),
            lane: None,
            tls: (threads > 1).then(|| tls::shared(config)).flatten(),
        }
    }
}

/// Fetches URLs with one client (one connection pool) per thread,
/// asking the run's gates before each request.
pub struct Fetcher<'c> {
    config: &'c Config,
    gates: Arc<Gates>,
    /// `--host-stats`: every attempt and URL is noted per host.
    hosts: Option<Arc<HostStats>>,
    /// The plain client, and one per `--resolve` port.
    clients: resolve::Clients,
    judge: Judge,
    idempotent: bool,
    body: Option<Bytes>,
    /// `Authorization`, `Cookie`, `Proxy-Authorization` from `-H`: sent per
    /// request, and not after a cross-host redirect. Every other header is a
    /// client default.
    sensitive: HeaderMap,
    /// What the run's flags ask to be kept and written, worked out once.
    needs: crate::config::Needs,
    /// `--max-failures`: counted here, where a record becomes final.
    failures: Option<Arc<FailureLimit>>,
    /// `--timings`: the connections the client opened, not yet claimed.
    tracker: Option<Arc<crate::inspect::Tracker>>,
    /// With `-o`: where bodies go, and the names written so far.
    saver: Option<Arc<crate::save::Saver>>,
    /// `--threads`: this fetcher's share of the slots.
    lane: Option<usize>,
    /// The headers records show: `--response-header`'s, and with
    /// `--revalidate` the validators.
    pick: Option<crate::inspect::HeaderPick>,
}

impl<'c> Fetcher<'c> {
    /// Builds a client (on the runtime that will drive it: a pool belongs
    /// to the runtime that opened its connections) for a run sharing
    /// `shared`.
    pub fn new(config: &'c Config, shared: &Shared) -> anyhow::Result<Fetcher<'c>> {
        let (clients, sensitive, tracker) = client::build(config, shared.tls.as_ref())?;
        Ok(Fetcher {
            config,
            gates: shared.gates.clone(),
            hosts: shared.hosts.clone(),
            clients,
            judge: Judge::new(config.success.accept.clone(), config.retry.retry_on.clone())
                .with_accept_for(config.success.accept_for.clone()),
            idempotent: config.request.method.is_idempotent(),
            body: config.request.body.clone(),
            sensitive,
            needs: config.needs(),
            failures: shared.failures.clone(),
            tracker,
            saver: shared.saver.clone(),
            lane: shared.lane,
            pick: header_pick(config),
        })
    }

    /// Fetches one input item: waits for admission, then makes its attempts.
    /// Every outcome, cancellation included, is a record — except for a URL
    /// that never started because the run stopped first (`None`).
    ///
    /// A URL that needs no request (not a URL; its host's circuit open)
    /// gets its record at once, without waiting for a slot.
    ///
    /// A record that is not ok counts toward `--max-failures` the moment it
    /// is made, whenever it is written.
    pub async fn fetch(&self, item: Item, stop: &Stop) -> Option<Record> {
        // One async layer over `fetch_url`, not two: a record is large, and
        // each layer moves it once more.
        let Item {
            index,
            line,
            url,
            key,
            request,
        } = item;
        let mut revalidation = self.revalidation(key); // remember.rs
        let mut record = self
            .fetch_url(
                index,
                line,
                url,
                request.as_deref(),
                stop,
                &mut revalidation,
            )
            .await?;
        // A jsonl run echoes every line's `id`, so records join back.
        if let Some(r) = &request {
            record.id = Some(r.id.clone());
        }
        // Every record of the run has the same optional keys.
        self.needs.fields.settle(&mut record);
        self.remember(&mut record, key, &revalidation);
        if let (Some(limit), Some(kind)) = (&self.failures, self.counts_as_failure(&record)) {
            limit.count(kind, stop);
        }
        Some(record)
    }

    async fn fetch_url(
        &self,
        index: u64,
        line: String,
        url: Result<Url, String>,
        request: Option<&crate::input::LineRequest>,
        stop: &Stop,
        revalidation: &mut remember::Revalidation<'_>,
    ) -> Option<Record> {
        let url = match url {
            Ok(url) => url,
            Err(message) => {
                return Some(self.unrequested(index, line, ErrorKind::InvalidUrl, message));
            }
        };
        let host = (self.gates.by_host() || self.hosts.is_some()).then(|| host_key(&url));
        let host = host.as_deref();
        if self.gates.circuit_open(host) {
            return Some(self.circuit_open(index, line, host));
        }
        // Each attempt is admitted on its own (attempts.rs). Boxed: the
        // attempts' state is large, and parked URLs need little of it.
        let mut shape = self.shape(request);
        if let Some(prior) = &revalidation.prior {
            // With -o, only while the file saved under the URL's name is
            // there to keep; else the URL is fetched whole.
            revalidation.kept = self
                .saver
                .as_ref()
                .and_then(|s| s.existing(&url, &line, index));
            if self.saver.is_none() || revalidation.kept.is_some() {
                shape.validator = remember::validator(prior);
            }
        }
        let mut tried = Box::pin(self.try_url(&url, &shape, host, stop)).await;
        // The URL's slot, if it kept one, goes once its record is made and
        // its breaker told: with `-c 1` the next URL sees the circuit open.
        let _held = tried.held.take();
        if let (Ending::Cancelled, 0) = (&tried.ending, tried.attempts) {
            // Stopped before its first request (waiting for a slot, say):
            // the URL never started, and gets no record.
            return None;
        }
        if let (Ending::Final(verdict), Some(breakers), Some(host)) =
            (&tried.ending, self.gates.breakers(), host)
        {
            if tried.pass != Pass::Open {
                breakers.report(host, tried.pass, verdict.health);
            }
        }
        // Saving bodies (-o): the last attempt's file is renamed into place
        // only if the finished record is ok, else deleted.
        let body_file = tried.last.as_mut().and_then(|a| a.body_file.take());
        let bodiless = tried.last.as_ref().is_some_and(|a| a.bodiless);
        revalidation.confirmed = tried.last.as_ref().is_some_and(|a| a.confirmed());
        let mut record = self.finish(index, line, tried, stop, host, shape.idempotent);
        if let Some(saver) = &self.saver {
            match revalidation.kept.take().filter(|_| revalidation.confirmed) {
                // A 304 keeps the file saved earlier, as it is.
                Some(kept) if record.ok => {
                    saver.keep(&url, &record.url, record.index);
                    record.saved_to = Some(Some(kept));
                }
                // A HEAD answer has no body: nothing saved, nothing failed.
                _ if bodiless => record.saved_to = Some(None),
                _ => saver.settle(&mut record, &url, body_file),
            }
        }
        if let (Some(hosts), Some(host), true) = (&self.hosts, host, record.attempts > 0) {
            hosts.finished(host, record.ok, record.latency());
        }
        Some(record)
    }

    /// The record of a URL that got no request at all (its optional keys
    /// are settled in `fetch`, as for every record).
    fn unrequested(&self, index: u64, line: String, kind: ErrorKind, message: String) -> Record {
        Record::without_request(index, line, kind, message)
    }

    fn circuit_open(&self, index: u64, line: String, host: Option<&str>) -> Record {
        let message = circuit_open_message(host.unwrap_or_default());
        self.unrequested(index, line, ErrorKind::CircuitOpen, message)
    }
}

/// How a wait for admission ended.
pub(super) enum Admitted<'g> {
    /// With a slot (and the host's permits).
    Yes(crate::gates::Admission<'g>),
    /// The run stopped first.
    Stopped,
    /// The host's circuit opened meanwhile.
    CircuitOpen,
}

impl Fetcher<'_> {
    /// Waits for admission through the gates — anew, or keeping `held`
    /// from the URL's last attempt — or for the run to stop, whichever
    /// comes first. `left`: the URL's attempts after this one.
    pub(super) async fn admit<'s>(
        &'s self,
        host: Option<&str>,
        name: Option<&str>,
        left: u32,
        held: Option<crate::gates::Admission<'s>>,
        stop: &Stop,
    ) -> Admitted<'s> {
        let admitted = async {
            match held {
                Some(held) => {
                    self.gates
                        .readmit_in(host, name, self.lane, left, held)
                        .await
                }
                None => self.gates.admit_as(host, name, self.lane, left).await,
            }
        };
        tokio::select! {
            biased;
            _ = stop.stopped() => Admitted::Stopped,
            a = admitted => match a {
                Some(a) => Admitted::Yes(a),
                None => Admitted::CircuitOpen,
            },
        }
    }
}

/// The headers records show (`--response-header`), with `etag` and
/// `last-modified` added when `--revalidate` needs them.
fn header_pick(config: &Config) -> Option<crate::inspect::HeaderPick> {
    let mut pick = config.inspect.response_headers.clone();
    if config.needs().validators {
        let pick = pick.get_or_insert_with(Default::default);
        for name in [reqwest::header::ETAG, reqwest::header::LAST_MODIFIED] {
            if !pick.names.contains(&name) {
                pick.names.push(name);
            }
        }
    }
    pick
}

fn circuit_open_message(host: &str) -> String {
    format!("circuit open for {host}: too many consecutive failures (--trip-after); not requested")
}

/// A URL for logs: a password in it is shown as `***`.
pub(crate) struct Redacted<'a>(pub(crate) &'a Url);

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
pub fn redact_str(s: &str) -> String {
    match Url::parse(s) {
        Ok(u) if u.password().is_some() => Redacted(&u).to_string(),
        _ if s.contains('@') => "(not shown: it may hold a password)".to_owned(),
        _ => s.to_owned(),
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
