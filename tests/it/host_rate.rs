//! `--host-rate` and `--rate-for` against one server reached by two
//! made-up names (`a.test`, `b.test`, `--resolve`d to 127.0.0.1) that notes
//! which host each request was for and when it arrived.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::get;

use crate::support::*;

/// A server noting (host, arrival) of every request: `/ok/{n}`, `/503`,
/// and `/hop/{n}`, which redirects to `/ok/{n}` on the same host.
struct Hosts {
    server: AppServer,
    hits: Recorder<(String, Instant)>,
}

impl Hosts {
    fn start() -> Hosts {
        let app = Router::new()
            .route("/ok/{n}", get(|| async { "ok" }))
            .route("/503", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
            .route(
                "/hop/{n}",
                get(
                    |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                        Redirect::to(&format!("/ok/{n}"))
                    },
                ),
            );
        let hits = Recorder::default();
        let server = AppServer::start(hits.around(app, |req: &Request| {
            let host = req.headers()["host"].to_str().unwrap();
            let name = host.split(':').next().unwrap().to_owned();
            (name, Instant::now())
        }));
        Hosts { server, hits }
    }

    fn url(&self, host: &str, path: &str) -> String {
        self.server.url_as(host, path)
    }

    /// `--resolve` for both names.
    fn resolve(&self) -> Vec<String> {
        self.server.resolve_as(&["a.test", "b.test"])
    }

    /// Arrival times of `host`'s requests, in order.
    fn arrivals(&self, host: &str) -> Vec<Instant> {
        let mut at: Vec<Instant> = self
            .hits
            .all()
            .into_iter()
            .filter(|(h, _)| h == host)
            .map(|(_, t)| t)
            .collect();
        at.sort();
        at
    }
}

/// The most arrivals within any `window`.
fn most_within(at: &[Instant], window: Duration) -> usize {
    (0..at.len())
        .map(|i| at[i..].iter().take_while(|t| **t - at[i] < window).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn no_host_sees_more_than_its_rate_retries_and_hops_included() {
    for threads in ["1", "4"] {
        let hosts = Hosts::start();
        let mut urls: Vec<String> = (0..6)
            .map(|i| hosts.url("a.test", &format!("/ok/{i}")))
            .collect();
        // Two redirects (two starts each) and a URL retried twice.
        urls.extend((0..2).map(|i| hosts.url("a.test", &format!("/hop/{i}"))));
        urls.push(hosts.url("a.test", "/503"));
        urls.extend((0..5).map(|i| hosts.url("b.test", &format!("/ok/{i}"))));
        let out = fanout()
            .args(hosts.resolve())
            .args(["--host-rate", "5", "-c", "50", "--threads", threads])
            .args(["-r", "2", "--backoff", "1ms"])
            .args(&urls)
            .run();
        assert_eq!(out.records.len(), urls.len(), "{}", out.stderr);
        let a = hosts.arrivals("a.test");
        assert_eq!(a.len(), 6 + 2 * 2 + 3, "threads {threads}");
        let b = hosts.arrivals("b.test");
        assert_eq!(b.len(), 5);
        for (name, at) in [("a.test", &a), ("b.test", &b)] {
            let most = most_within(at, Duration::from_millis(900));
            assert!(
                most <= 5,
                "{most} starts to {name} within 0.9 s (threads {threads})"
            );
        }
        // 13 starts at 5/s: 12 intervals of 200 ms.
        let span = *a.last().unwrap() - a[0];
        assert!(
            span >= Duration::from_millis(2300),
            "{span:?} (threads {threads})"
        );
    }
}

#[test]
fn a_paced_host_does_not_slow_the_others() {
    let hosts = Hosts::start();
    // The paced host's URLs first, and only two slots: if they held slots
    // while waiting for their host, b.test would go at a.test's pace.
    let mut urls: Vec<String> = (0..6)
        .map(|i| hosts.url("a.test", &format!("/ok/{i}")))
        .collect();
    urls.extend((0..30).map(|i| hosts.url("b.test", &format!("/ok/{i}"))));
    let out = fanout()
        .args(hosts.resolve())
        .args([
            "--host-rate",
            "2",
            "--rate-for",
            "B.test",
            "1000",
            "-c",
            "2",
        ])
        .args(&urls)
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let (a, b) = (hosts.arrivals("a.test"), hosts.arrivals("b.test"));
    assert_eq!((a.len(), b.len()), (6, 30));
    assert!(*a.last().unwrap() - a[0] >= Duration::from_millis(2400));
    assert!(
        b.iter().all(|t| *t < a[2]),
        "b.test's URLs waited for a.test: the last came {:?} after a.test's first",
        *b.last().unwrap() - a[0]
    );
}

#[test]
fn rate_for_alone_paces_only_its_host() {
    let hosts = Hosts::start();
    let mut urls: Vec<String> = (0..3)
        .map(|i| hosts.url("a.test", &format!("/ok/{i}")))
        .collect();
    urls.extend((0..10).map(|i| hosts.url("b.test", &format!("/ok/{i}"))));
    let out = fanout()
        .args(hosts.resolve())
        .args(["--rate-for", "a.test", "2"])
        .args(&urls)
        .run();
    assert_eq!(out.status, Some(0));
    let (a, b) = (hosts.arrivals("a.test"), hosts.arrivals("b.test"));
    assert!(
        *a.last().unwrap() - a[0] >= Duration::from_millis(900),
        "a.test is paced"
    );
    assert!(
        *b.last().unwrap() - b[0] < Duration::from_millis(400),
        "b.test is not"
    );
}

#[test]
fn waiting_for_a_hosts_rate_is_not_latency() {
    let hosts = Hosts::start();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let mut urls: Vec<String> = (0..8)
        .map(|i| hosts.url("a.test", &format!("/ok/{i}")))
        .collect();
    // Two redirects to the same host: each hop waits 500 ms for its start,
    // which must count neither against --timeout nor in elapsed_ms.
    urls.extend((0..2).map(|i| hosts.url("a.test", &format!("/hop/{i}"))));
    let out = fanout()
        .args(hosts.resolve())
        .args([
            "--host-rate",
            "2",
            "--slow",
            "300ms",
            "-t",
            "400ms",
            "-r",
            "0",
        ])
        .arg("--stats")
        .arg(&stats)
        .args(&urls)
        .run();
    assert_eq!(
        out.status,
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let a = hosts.arrivals("a.test");
    assert_eq!(a.len(), 12);
    assert!(*a.last().unwrap() - a[0] >= Duration::from_millis(5400));
    for r in &out.records {
        let ms = r["elapsed_ms"].as_f64().unwrap();
        assert!(ms < 250.0, "{r}");
        assert!(r["ttfb_ms"].as_f64().unwrap() < 250.0, "{r}");
    }
    let stats: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    let max = stats["latency_ms"]["max"].as_f64().unwrap();
    assert!(max < 250.0, "{stats}");
}

#[test]
fn host_stats_rows_tell_each_hosts_rate() {
    let hosts = Hosts::start();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let urls = [hosts.url("a.test", "/ok/1"), hosts.url("b.test", "/ok/1")];
    let rows = |flags: &[&str]| {
        let out = fanout()
            .args(hosts.resolve())
            .args(flags)
            .args(["--host-stats", "--stats"])
            .arg(&stats)
            .args(&urls)
            .run();
        assert_eq!(out.status, Some(0), "{}", out.stderr);
        let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
        let port = hosts.server.addr.port();
        let row = |h: &str| {
            s["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["host"] == format!("{h}:{port}"))
                .unwrap()
                .clone()
        };
        (row("a.test"), row("b.test"), out.stderr)
    };
    let (a, b, summary) = rows(&["--host-rate", "5", "--rate-for", "b.test", "600/m"]);
    assert_eq!(
        (a["rate"].as_f64(), b["rate"].as_f64()),
        (Some(5.0), Some(10.0))
    );
    assert!(summary.contains("rate 5/s"), "{summary}");
    let (a, b, _) = rows(&["--rate-for", "b.test", "10"]);
    assert!(a["rate"].is_null() && a.get("rate").is_some(), "{a}");
    assert_eq!(b["rate"], 10.0);
    let (a, _, _) = rows(&[]);
    assert!(
        a.get("rate").is_none(),
        "no rate key without the flags: {a}"
    );
}

#[test]
fn bad_host_rates_are_usage_errors() {
    for args in [
        &["--host-rate", "0"][..],
        &["--host-rate", "fast"],
        &["--rate-for", "a.test", "-1"],
        &["--rate-for", "a.test:443", "5"],
        &["--rate-for", "https://a.test", "5"],
        &["--rate-for", "a.test"],
    ] {
        let out = run(args.iter().copied().chain(["http://127.0.0.1:9/"]));
        assert_eq!(out.status, Some(2), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    }
}

#[test]
fn host_rates_hold_on_top_of_the_run_rate() {
    let hosts = Hosts::start();
    let urls: Vec<String> = ["a.test", "b.test"]
        .iter()
        .flat_map(|h| (0..4).map(move |i| (h, i)))
        .map(|(h, i)| hosts.url(h, &format!("/ok/{i}")))
        .collect();
    let out = fanout()
        .args(hosts.resolve())
        .args(["--rate", "4", "--host-rate", "2"])
        .args(&urls)
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let window = Duration::from_millis(900);
    for h in ["a.test", "b.test"] {
        let most = most_within(&hosts.arrivals(h), window);
        assert!(most <= 2, "{most} starts to {h} within 0.9 s");
    }
    let mut all: Vec<Instant> = hosts.hits.all().into_iter().map(|(_, t)| t).collect();
    all.sort();
    assert_eq!(all.len(), 8);
    assert!(most_within(&all, window) <= 4, "--rate holds too");
}
