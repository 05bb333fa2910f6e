//! Live metrics (`--metrics ADDR`): a Prometheus text endpoint at
//! `http://ADDR/metrics` while the run lasts.
//!
//! An observer of records (`mod.rs`). Counters that only the writer can know (done, ok, failed by kind,
//! retries, latency) are bumped once per record — a few atomic adds, and
//! nothing at all without `--metrics`. Gauges that describe the pipeline
//! right now (read, in flight, queued, open circuits) are computed when
//! scraped, from counters the run keeps anyway. The exposition format comes
//! from `prometheus-client`; the endpoint is a small hyper HTTP/1 server on
//! the run's own runtime, aborted (port closed) when the run ends.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::Observer;
use crate::gates::Gates;
use crate::input::ReadCount;
use crate::record::{ErrorKind, Record};

/// Labels of `fanout_failed_total`.
type KindLabel = Vec<(&'static str, &'static str)>;
/// Labels of `fanout_host_limit`.
type HostLabel = Vec<(&'static str, String)>;
/// Hosts whose adaptive limit is exported.
const LIMIT_HOSTS: usize = 20;

/// The metrics of one run.
pub struct Metrics {
    registry: Registry,
    urls_read: Counter,
    in_flight: Gauge,
    queued: Gauge,
    done: Counter,
    ok: Counter,
    failed: Family<KindLabel, Counter>,
    retries: Counter,
    retries_refused: Counter,
    open_circuits: Gauge,
    host_limit: Family<HostLabel, Gauge>,
    latency: Histogram,
    read: Arc<ReadCount>,
    gates: Arc<Gates>,
}

impl Metrics {
    /// Metrics fed from the run's own counters and gates.
    pub fn new(read: Arc<ReadCount>, gates: Arc<Gates>) -> Metrics {
        let mut m = Metrics {
            registry: Registry::default(),
            urls_read: Counter::default(),
            in_flight: Gauge::default(),
            queued: Gauge::default(),
            done: Counter::default(),
            ok: Counter::default(),
            failed: Family::default(),
            retries: Counter::default(),
            retries_refused: Counter::default(),
            open_circuits: Gauge::default(),
            host_limit: Family::default(),
            // 1 ms to ~33 s, doubling.
            latency: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            read,
            gates,
        };
        let r = &mut m.registry;
        r.register(
            "fanout_urls_read",
            "URLs read from the input (after --shard, --skip-done, --dedup)",
            m.urls_read.clone(),
        );
        r.register(
            "fanout_in_flight",
            "URLs started and not finished",
            m.in_flight.clone(),
        );
        r.register(
            "fanout_queued",
            "URLs read but not started yet",
            m.queued.clone(),
        );
        r.register(
            "fanout_done",
            "URLs finished (records written)",
            m.done.clone(),
        );
        r.register("fanout_ok", "URLs finished ok", m.ok.clone());
        r.register(
            "fanout_failed",
            "URLs finished not ok, by error kind",
            m.failed.clone(),
        );
        r.register(
            "fanout_retries",
            "Retries made (attempts after the first)",
            m.retries.clone(),
        );
        r.register(
            "fanout_retries_refused",
            "Retries refused by --retry-budget",
            m.retries_refused.clone(),
        );
        r.register(
            "fanout_host_limit",
            "--adaptive: the concurrency limit of the busiest hosts (at most 20)",
            m.host_limit.clone(),
        );
        r.register(
            "fanout_open_circuits",
            "Hosts whose circuit is open or half-open",
            m.open_circuits.clone(),
        );
        r.register(
            "fanout_latency_seconds",
            "Time per finished URL, first attempt to end, retries included",
            m.latency.clone(),
        );
        // Every kind is present from the start, so a rate() query has a
        // series before the first failure.
        for kind in ErrorKind::ALL {
            let _ = m.failed.get_or_create(&vec![("kind", kind.as_str())]);
        }
        m
    }

    /// Counts one written record.
    pub fn record(&self, r: &Record) {
        self.done.inc();
        match r.error_kind() {
            None => {
                self.ok.inc();
            }
            Some(kind) => {
                self.failed
                    .get_or_create(&vec![("kind", kind.as_str())])
                    .inc();
            }
        }
        self.retries.inc_by(u64::from(r.attempts.saturating_sub(1)));
        if let Some(latency) = r.latency() {
            self.latency.observe(latency.as_secs_f64());
        }
    }

    /// The exposition text, with the pipeline gauges as of now.
    pub fn render(&self) -> String {
        let read = self.read.sent.load(Ordering::Relaxed);
        let done = self.done.get();
        let in_flight = self.gates.in_flight();
        self.urls_read.inner().store(read, Ordering::Relaxed);
        self.in_flight.set(in_flight as i64);
        self.queued
            .set(read.saturating_sub(done).saturating_sub(in_flight) as i64);
        if let Some(b) = self.gates.breakers() {
            self.open_circuits.set(b.open_now() as i64);
        }
        // Only the busiest adapting hosts, so the label set stays bounded.
        self.host_limit.clear();
        for (host, limit, _) in self.gates.adaptive().busiest(LIMIT_HOSTS) {
            self.host_limit
                .get_or_create(&vec![("host", host)])
                .set(i64::from(limit));
        }
        if let Some(b) = self.gates.budget() {
            self.retries_refused
                .inner()
                .store(b.refused(), Ordering::Relaxed);
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Observer for Arc<Metrics> {
    fn record(&mut self, record: &Record) {
        Metrics::record(self, record);
    }
}

/// Serves `GET /metrics` on `listener` until the task is aborted.
/// Connections are served by tasks of their own, ended with this one.
pub async fn serve(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let metrics = metrics.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let response = respond(&req, &metrics);
                async move { Ok::<_, Infallible>(response) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            // A client that misbehaves only loses its own connection.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
        // Reap finished connection tasks so the set stays small.
        while connections.try_join_next().is_some() {}
    }
}

fn respond(req: &Request<hyper::body::Incoming>, metrics: &Metrics) -> Response<Full<Bytes>> {
    let (status, body) = match (req.method(), req.uri().path()) {
        (&hyper::Method::GET, "/metrics") => (StatusCode::OK, metrics.render()),
        (_, "/metrics") => (StatusCode::METHOD_NOT_ALLOWED, "use GET\n".to_owned()),
        _ => (StatusCode::NOT_FOUND, "see /metrics\n".to_owned()),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn renders_the_documented_names_with_values() {
        let read = Arc::new(ReadCount::default());
        read.sent.store(10, Ordering::Relaxed);
        let gates = Arc::new(Gates::new(&crate::Config::default()));
        let m = Metrics::new(read, gates.clone());
        let mut r = Record::without_request(0, "u".into(), ErrorKind::Timeout, "m".into());
        r.attempts = 3;
        r.elapsed_ms = Duration::from_millis(20);
        m.record(&r);
        let held: Vec<_> = futures::executor::block_on(async {
            let mut held = Vec::new();
            for _ in 0..3 {
                held.push(gates.admit(None).await);
            }
            held
        });
        let text = m.render();
        drop(held);
        for line in [
            "fanout_urls_read_total 10",
            "fanout_in_flight 3",
            "fanout_queued 6",
            "fanout_done_total 1",
            "fanout_ok_total 0",
            "fanout_failed_total{kind=\"timeout\"} 1",
            "fanout_failed_total{kind=\"dns\"} 0",
            "fanout_retries_total 2",
            "fanout_latency_seconds_count 1",
            "fanout_latency_seconds_bucket{le=\"0.032\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
