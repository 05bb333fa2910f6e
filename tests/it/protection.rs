//! Protecting what you call: circuit breaker, retry budget, request ids,
//! and the live metrics endpoint.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::get;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::*;

/// A host that answers 503 to its first `failures` requests, then 200;
/// counts requests.
fn failing_host(failures: usize) -> (AppServer, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/{n}",
        get(move || {
            let n = h.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < failures {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    (AppServer::start(app), hits)
}

#[test]
fn breaker_trips_a_failing_host_and_spares_a_healthy_one() {
    let (bad, bad_hits) = failing_host(usize::MAX);
    let (good, good_hits) = failing_host(0);
    let mut urls = Vec::new();
    for i in 0..10 {
        urls.push(bad.url(&format!("/{i}")));
        urls.push(good.url(&format!("/{i}")));
    }
    // Fixed limits: with `-c 1` every URL waits its turn, which is what
    // the counts below rely on (adapting to the 503s would reorder them).
    let out = fanout()
        .args([
            "--no-adaptive",
            "--trip-after",
            "3",
            "-r",
            "1",
            "--backoff",
            "1ms",
            "-c",
            "1",
            "--ordered",
        ])
        .args(&urls)
        .run();
    assert_eq!(out.status, Some(1));
    let rs = out.records;
    let bad_kinds: Vec<&str> = rs
        .iter()
        .filter(|r| r["url"].as_str().unwrap().starts_with(&bad.url("/")))
        .map(kind)
        .collect();
    assert_eq!(bad_kinds[..3], ["status", "status", "status"]);
    assert!(
        bad_kinds[3..].iter().all(|k| *k == "circuit_open"),
        "{bad_kinds:?}"
    );
    for r in rs.iter().filter(|r| kind(r) == "circuit_open") {
        assert_eq!(r["attempts"], 0);
        assert!(r["status"].is_null());
    }
    // Three URLs with one retry each, and nothing after the trip.
    assert_eq!(bad_hits.load(Ordering::SeqCst), 6);
    assert_eq!(good_hits.load(Ordering::SeqCst), 10);
    assert!(
        rs.iter()
            .filter(|r| r["url"].as_str().unwrap().starts_with(&good.url("/")))
            .all(|r| r["ok"] == true)
    );
    let err = out.stderr;
    assert!(err.contains("circuit opened for: 127.0.0.1:"), "{err}");
}

#[test]
fn half_open_probe_closes_the_circuit_when_the_host_recovers() {
    // Fails twice, then recovers. URLs are fed one at a time, each after
    // the previous record arrived, until the cooldown lets a probe through.
    let (server, hits) = failing_host(2);
    let mut child = fanout_std()
        .args(["--trip-after", "2", "--trip-cooldown", "300ms", "-r", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = |i: usize| -> serde_json::Value {
        writeln!(stdin, "{}", server.url(&format!("/{i}"))).unwrap();
        stdin.flush().unwrap();
        let line = stdout.next().unwrap().unwrap();
        records(format!("{line}\n").as_bytes()).remove(0)
    };
    assert_eq!(kind(&next(0)), "status");
    assert_eq!(kind(&next(1)), "status");
    let mut refused = 0;
    let probe = loop {
        let r = next(2 + refused);
        if kind(&r) != "circuit_open" {
            break r;
        }
        refused += 1;
        assert!(refused < 100_000, "the circuit never half-opened");
    };
    assert!(refused >= 1, "the circuit was never open");
    assert_eq!(
        probe["ok"], true,
        "the probe found the host recovered: {probe}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 3, "no requests while open");
    for i in 0..3 {
        assert_eq!(next(100_000 + i)["ok"], true, "closed again");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 6);
    // Closing stdin ends the input (`next` borrowed it until its last use).
    drop(stdin);
    assert_eq!(
        wait_with_limit(&mut child, Duration::from_secs(20))
            .unwrap()
            .code(),
        Some(1)
    );
}

#[test]
fn retry_budget_caps_retries_across_the_run() {
    let (server, hits) = failing_host(usize::MAX);
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let urls: String = (0..200).map(|i| server.url(&format!("/{i}\n"))).collect();
    let out = fanout()
        .args([
            "--retry-budget",
            "10",
            "-r",
            "3",
            "--backoff",
            "1ms",
            "-c",
            "20",
        ])
        .arg("--stats")
        .arg(&stats)
        .write_stdin(urls)
        .run();
    let rs = out.records;
    assert_eq!(rs.len(), 200);
    let retries: u64 = rs.iter().map(|r| r["attempts"].as_u64().unwrap() - 1).sum();
    assert!(
        retries <= 20,
        "{retries} retries for 200 first attempts at 10%"
    );
    assert!(
        retries >= 10,
        "the floor of 10 retries is always allowed: {retries}"
    );
    assert_eq!(hits.load(Ordering::SeqCst) as u64, 200 + retries);
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(s["retries"], retries);
    let refused = s["retries_refused"].as_u64().unwrap();
    assert!(refused > 0);
    let err = out.stderr;
    assert!(
        err.contains(&format!("{refused} refused by --retry-budget")),
        "{err}"
    );
}

#[test]
fn request_ids_are_fresh_per_attempt_and_match_the_record() {
    let flaky = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route(
            "/flaky",
            get(move || {
                let n = flaky.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }
            }),
        )
        .route("/hop", get(|| async { Redirect::temporary("/land") }))
        .route("/land", get(|| async { "landed" }));
    // Each request's path and id.
    let seen = Recorder::default();
    let server = AppServer::start(seen.around(app, |req| {
        let id = req.headers()["x-request-id"].to_str().unwrap();
        (req.uri().path().to_owned(), id.to_owned())
    }));
    let out = fanout()
        .args([
            "--request-id",
            "X-Request-Id",
            "--backoff",
            "1ms",
            "--ordered",
        ])
        .args([server.url("/flaky"), server.url("/hop"), "not a url".into()])
        .run();
    assert_eq!(out.status, Some(1));
    let rs = out.records;
    let seen = seen.all();
    let ids: Vec<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
    for id in &ids {
        let u = uuid::Uuid::parse_str(id).expect("a UUID");
        assert_eq!(u.get_version_num(), 7, "{id}");
    }
    // Two attempts of /flaky: two ids; the record has the last one.
    let flaky_ids: Vec<&str> = seen
        .iter()
        .filter(|(p, _)| p == "/flaky")
        .map(|(_, i)| i.as_str())
        .collect();
    assert_eq!(flaky_ids.len(), 2);
    assert_ne!(flaky_ids[0], flaky_ids[1]);
    assert_eq!(rs[0]["request_id"], flaky_ids[1]);
    // A redirect within one attempt keeps its id.
    let hop: Vec<&str> = seen
        .iter()
        .filter(|(p, _)| p != "/flaky")
        .map(|(_, i)| i.as_str())
        .collect();
    assert_eq!(hop.len(), 2);
    assert_eq!(hop[0], hop[1]);
    assert_eq!(rs[1]["request_id"], hop[0]);
    // Unique across the run, except the redirect pair.
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 3);
    // No request, no id; the key sits right after `error`.
    assert!(rs[2]["request_id"].is_null());
    let keys: Vec<&String> = rs[2].as_object().unwrap().keys().collect();
    assert_eq!(keys[KEYS.len()], "request_id");
}

pub(crate) fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

pub(crate) fn scrape(addr: SocketAddr) -> std::io::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    Ok(text)
}

pub(crate) fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn metrics_answer_during_a_run_and_go_away_after() {
    let server = RawServer::start(Raw::Hang);
    let addr = free_addr();
    let mut child = spawn(&[
        "--metrics",
        &addr.to_string(),
        "-t",
        "60s",
        &server.url("/a"),
        &server.url("/b"),
        &server.url("/c"),
        "ftp://not-fetched",
    ]);
    server.wait_for_requests(3);
    // With several threads the invalid URL's record reaches the writer a
    // moment after its thread made it (records travel in batches).
    let mut text = String::new();
    for _ in 0..100 {
        text = scrape(addr).expect("metrics endpoint answers during the run");
        if metric(&text, "fanout_done_total") == Some(1.0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert_eq!(metric(&text, "fanout_urls_read_total"), Some(4.0), "{text}");
    assert_eq!(metric(&text, "fanout_in_flight"), Some(3.0), "{text}");
    assert_eq!(metric(&text, "fanout_queued"), Some(0.0));
    assert_eq!(metric(&text, "fanout_done_total"), Some(1.0));
    assert_eq!(metric(&text, "fanout_ok_total"), Some(0.0));
    assert_eq!(
        metric(&text, "fanout_failed_total{kind=\"invalid_url\"}"),
        Some(1.0)
    );
    assert_eq!(metric(&text, "fanout_retries_total"), Some(0.0));
    assert_eq!(metric(&text, "fanout_open_circuits"), Some(0.0));
    assert!(
        text.contains("fanout_latency_seconds_bucket{le=\"0.001\"}"),
        "{text}"
    );
    assert!(text.contains("# TYPE fanout_latency_seconds histogram"));

    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("exits");
    assert_eq!(status.code(), Some(130));
    assert!(scrape(addr).is_err(), "the endpoint is gone after the run");
}

#[test]
fn metrics_address_in_use_is_a_usage_error_before_any_request() {
    let (server, hits) = failing_host(0);
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = run(["--metrics", &addr.to_string(), &server.url("/x")]);
    assert_eq!(out.status, Some(2));
    assert!(out.records.is_empty());
    let err = out.stderr;
    assert!(
        err.contains("--metrics") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}
