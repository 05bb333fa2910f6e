//! Throttling answered by default (#22): a host that answers 429 with
//! `Retry-After` is paused and adapted to without any flag, retries told to
//! come back at the same moment spread out, and pacing is not latency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::support::*;

fn too_many() -> Response {
    let mut r = StatusCode::TOO_MANY_REQUESTS.into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Every request's arrival and whether it was let through.
type Arrivals = Recorder<(Instant, String, bool)>;

/// A host that lets 5 requests through per second (a fixed window, as
/// rate limiters in front of APIs do) and answers the rest
/// `429 Retry-After: 1`.
fn five_per_second() -> (AppServer, Arrivals) {
    let arrivals = Arrivals::default();
    let window = Arc::new(Mutex::new((Instant::now(), 0u32)));
    let log = arrivals.clone();
    let app = Router::new().route(
        "/{n}",
        get(move |path: axum::extract::Path<String>| {
            let (window, log) = (window.clone(), log.clone());
            async move {
                let now = Instant::now();
                let let_through = {
                    let mut w = window.lock().unwrap();
                    if now.duration_since(w.0) >= Duration::from_secs(1) {
                        *w = (now, 0);
                    }
                    w.1 += 1;
                    w.1 <= 5
                };
                log.push((now, path.0, let_through));
                match let_through {
                    true => "ok".into_response(),
                    false => too_many(),
                }
            }
        }),
    );
    (AppServer::start(app), arrivals)
}

/// The trial of issue 22: 60 URLs against a host that allows 5 requests a
/// second, with default flags. Without an answer to throttling, 41 of 60
/// failed after their three attempts (the retries all came back together,
/// one Retry-After later). Now the host is paused and adapted to, and the
/// URLs closest to giving up go first when it reopens.
#[test]
fn issue_22_a_rate_limited_host_is_answered_by_default() {
    let (server, arrivals) = five_per_second();
    let urls: Vec<String> = (0..60).map(|i| server.url(&format!("/{i}"))).collect();
    let out = fanout().args(&urls).run();
    let ok = out.records.iter().filter(|r| r["ok"] == true).count();
    let sent = arrivals.all();
    let throttled = sent.iter().filter(|(_, _, through)| !through).count();
    println!(
        "ok {ok}/60, {} requests, {throttled} answered 429",
        sent.len()
    );
    // Three attempts each, the first of them all at once: a URL is lost
    // only when two more of its attempts meet a full second.
    assert!(ok >= 57, "ok {ok}/60 ({} requests)", sent.len());
    assert!(sent.len() < 150, "{} requests", sent.len());
    // A host that answered 429 to most requests is named, with the flags
    // that would pace it.
    assert!(
        out.stderr.contains("answered 429/503") && out.stderr.contains("--host-rate"),
        "{}",
        out.stderr
    );
}

/// A host whose first answer to each URL is `429 Retry-After: 1`, then 200.
fn first_answer_throttled() -> (AppServer, Arrivals) {
    let arrivals = Arrivals::default();
    let seen = Arc::new(Mutex::new(HashMap::<String, u32>::new()));
    let log = arrivals.clone();
    let app = Router::new().route(
        "/{n}",
        get(move |path: axum::extract::Path<String>| {
            let (seen, log) = (seen.clone(), log.clone());
            async move {
                let first = {
                    let mut seen = seen.lock().unwrap();
                    let n = seen.entry(path.0.clone()).or_default();
                    *n += 1;
                    *n == 1
                };
                log.push((Instant::now(), path.0, !first));
                match first {
                    true => too_many(),
                    false => "ok".into_response(),
                }
            }
        }),
    );
    (AppServer::start(app), arrivals)
}

/// Retries told to come back at the same moment do not land together: each
/// waits at least its Retry-After, plus a jitter that spreads them out.
#[test]
fn issue_22_retries_after_retry_after_spread_out() {
    let (server, arrivals) = first_answer_throttled();
    let urls: Vec<String> = (0..30).map(|i| server.url(&format!("/{i}"))).collect();
    let out = fanout()
        .args(["-q", "--backoff", "1s", "--no-adaptive"])
        .args(&urls)
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let sent = arrivals.all();
    let first: HashMap<&str, Instant> = sent
        .iter()
        .filter(|(_, _, through)| !through)
        .map(|(at, path, _)| (path.as_str(), *at))
        .collect();
    let retries: Vec<(Instant, &str)> = sent
        .iter()
        .filter(|(_, _, through)| *through)
        .map(|(at, path, _)| (*at, path.as_str()))
        .collect();
    assert_eq!(retries.len(), 30);
    for (at, path) in &retries {
        let waited = at.duration_since(first[path]);
        assert!(waited >= Duration::from_secs(1), "{path} after {waited:?}");
    }
    let earliest = retries.iter().map(|(at, _)| *at).min().unwrap();
    let latest = retries.iter().map(|(at, _)| *at).max().unwrap();
    let spread = latest.duration_since(earliest);
    // With --backoff 1s the jitter term is uniform in [0, 1s]: thirty
    // retries spread over most of it, not the 100 ms a herd lands in.
    assert!(spread >= Duration::from_millis(400), "spread {spread:?}");
}

/// While a host is paused by a Retry-After, no request to it starts — not
/// even a URL's first.
#[test]
fn issue_22_a_paused_host_gets_no_new_first_attempts() {
    let (server, arrivals) = first_answer_throttled();
    // Each URL's first answer pauses the host for a second; with `-c 1`
    // the next URL is ready to go at once, and must wait instead.
    let urls: Vec<String> = (0..4).map(|i| server.url(&format!("/{i}"))).collect();
    let out = fanout()
        .args(["-q", "-c", "1", "--ordered", "--no-adaptive", "-r", "1"])
        .args(&urls)
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let sent = arrivals.all();
    let (paused_at, _, _) = sent[0];
    // Every later request, first attempts included, waits out the pause.
    for (at, path, _) in &sent[1..] {
        let after = at.duration_since(paused_at);
        assert!(after >= Duration::from_secs(1), "{path} after {after:?}");
    }
}

/// Waiting to be admitted is not latency: `--rate 2/s` spaces 8 fast URLs
/// 500 ms apart, and none of them is slow for it.
#[test]
fn issue_22_pacing_is_not_latency() {
    let app = AppServer::start(Router::new().route("/{n}", get(|| async { "ok" })));
    let urls: Vec<String> = (0..8).map(|i| app.url(&format!("/{i}"))).collect();
    let out = fanout()
        .args(["-q", "--rate", "2/s", "--slow", "400ms"])
        .args(&urls)
        .run();
    assert_eq!(out.status, Some(0), "{:?}", out.records);
    for r in &out.records {
        let ms = r["elapsed_ms"].as_f64().unwrap();
        assert!(ms < 400.0, "{r}");
    }
}

/// A final failure after retries says how many attempts were made.
#[test]
fn issue_22_a_failure_after_retries_says_how_many_attempts() {
    let app = AppServer::start(
        Router::new().route("/{n}", get(|| async { StatusCode::SERVICE_UNAVAILABLE })),
    );
    let message = |retries: &str| {
        let out = fanout()
            .args(["-q", "--backoff", "1ms", "-r", retries, &app.url("/x")])
            .run();
        out.one()["error"]["message"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        message("2"),
        "status 503 is not accepted (--accept 200-299), after 3 attempts"
    );
    assert_eq!(
        message("0"),
        "status 503 is not accepted (--accept 200-299)"
    );
}

/// Found in review: URLs of a host that waited for a `-c` slot while the
/// host was paused by a `Retry-After` went out as slots freed up.
#[test]
fn review_urls_parked_for_a_slot_wait_out_their_hosts_pause() {
    // Another host's 429 makes admission look at hosts from then on.
    let other = AppServer::start(Router::new().route("/{n}", get(|| async { too_many() })));
    let arrivals = Arrivals::default();
    let log = arrivals.clone();
    let app = Router::new().route(
        "/{n}",
        get(move |path: axum::extract::Path<String>| {
            let log = log.clone();
            async move {
                log.push((Instant::now(), path.0.clone(), true));
                match path.0.as_str() {
                    "slow" => {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        "ok".into_response()
                    }
                    "pause" => too_many(),
                    _ => "ok".into_response(),
                }
            }
        }),
    );
    let host = AppServer::start(app);
    let mut urls = vec![other.url("/x"), host.url("/slow"), host.url("/pause")];
    urls.extend((0..4).map(|i| host.url(&format!("/{i}"))));
    let out = fanout()
        .args(["-q", "-c", "1", "--threads", "1", "-r", "0", "--ordered"])
        .args(&urls)
        .run();
    assert_eq!(out.records.len(), 7);
    let sent = arrivals.all();
    let paused_at = sent.iter().find(|(_, p, _)| p == "pause").unwrap().0;
    // Nothing reaches the host while it is paused (whatever went before).
    for (at, path, _) in sent.iter().filter(|(at, _, _)| *at > paused_at) {
        let after = at.duration_since(paused_at);
        assert!(
            after >= Duration::from_secs(1),
            "/{path} {after:?} after the pause began"
        );
    }
    assert!(sent.iter().filter(|(at, _, _)| *at > paused_at).count() > 0);
}

/// Found in review: a Retry-After of centuries under as large a
/// `--backoff-max` overflowed the clock (a panic).
#[test]
fn review_a_retry_after_of_centuries_does_not_overflow() {
    let app = AppServer::start(Router::new().route(
        "/{n}",
        get(|| async {
            let mut r = StatusCode::TOO_MANY_REQUESTS.into_response();
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static("15000000000000000000"),
            );
            r
        }),
    ));
    let out = fanout()
        .args(["-q", "-r", "0", "--backoff-max", "15000000000000000000s"])
        .args([app.url("/a")])
        .run();
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(out.status, Some(1), "{}", out.stderr);
    assert_eq!(kind(out.one()), "status");
}

/// Found in review: a HEAD answer with `-o` saved an empty file.
#[test]
fn review_a_head_answer_saves_nothing() {
    let app = AppServer::start(Router::new().route("/{n}", get(|| async { "body" })));
    let dir = tempfile::tempdir().unwrap();
    let out = fanout()
        .args(["-q", "-X", "HEAD", "-o"])
        .arg(dir.path())
        .arg(app.url("/a"))
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let r = out.one();
    assert!(r["saved_to"].is_null(), "{r}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file");
}

/// Found in review: `--max-age -1d` was taken for a URL.
#[test]
fn review_a_negative_max_age_says_so() {
    let out = fanout()
        .args([
            "--skip-ok",
            "/nonexistent",
            "--max-age",
            "-1d",
            "http://127.0.0.1:9/",
        ])
        .run();
    assert_eq!(out.status, Some(2));
    assert!(
        out.stderr.contains("must not be negative"),
        "{}",
        out.stderr
    );
}
