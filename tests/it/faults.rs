//! Faults: every way the fault server misbehaves gets its documented error
//! kind, alone and mixed into a 10,000-URL run at `-c 200`, where nothing may
//! be lost, doubled or torn.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fault_server::FaultServer;
use crate::support::*;

/// Flags for the runs here: a short `timeout` so hanging routes end fast,
/// one quick retry so retried kinds show it, a small body cap so endless
/// bodies end fast, and `max_redirects` hops for the redirect loop.
/// Fixed limits (`--no-adaptive`): the fault server's 503 route would
/// otherwise make its one host adapt, and its hanging routes hold the
/// adapted permits; these tests are about records, not politeness.
fn flags(timeout: &str, max_redirects: u32) -> Vec<String> {
    let flags = format!(
        "--no-adaptive -t {timeout} -r 1 --backoff 1ms --max-body 64KiB --max-redirects {max_redirects}"
    );
    flags.split(' ').map(str::to_owned).collect()
}

/// One URL and what its record must say under [`flags`].
pub struct Case {
    pub name: &'static str,
    pub url: String,
    /// The error kind, or "ok".
    pub kind: &'static str,
    pub attempts: u64,
    /// The final status, when a response head must have arrived.
    pub status: Option<u64>,
    /// Whether the route answers slowly (takes the whole timeout).
    pub slow: bool,
}

/// One case per fault, plus the polite answers they are mixed with.
pub fn cases(s: &FaultServer) -> Vec<Case> {
    let case = |name, url: String, kind, attempts, status: Option<u64>| Case {
        name,
        url,
        kind,
        attempts,
        status,
        slow: false,
    };
    let slow = |name, url: String, status| Case {
        slow: true,
        ..case(name, url, "timeout", 2, status)
    };
    let closed = format!("http://127.0.0.1:{}/", closed_port());
    vec![
        case("ok", s.url("/ok"), "ok", 1, Some(200)),
        case("not found", s.url("/status/404"), "status", 1, Some(404)),
        case("unavailable", s.url("/status/503"), "status", 2, Some(503)),
        slow("hang after accept", s.silent_url("/"), None),
        slow("hang after request", s.url("/hang"), None),
        slow("hang after headers", s.url("/hang-headers"), Some(200)),
        slow("drip past the timeout", s.url("/drip/100/100"), Some(200)),
        case("drip within it", s.url("/drip/4/50"), "ok", 1, Some(200)),
        case(
            "reset mid-headers",
            s.url("/reset-headers"),
            "connect",
            2,
            None,
        ),
        case("reset mid-body", s.url("/reset-body"), "body", 2, Some(200)),
        case("garbage status line", s.url("/garbage"), "other", 1, None),
        case("huge headers", s.url("/huge-headers"), "other", 1, None),
        case("endless body", s.url("/endless"), "too_large", 1, Some(200)),
        case("invalid chunk", s.url("/bad-chunked"), "body", 2, Some(200)),
        case("redirect loop", s.url("/loop"), "redirect", 1, Some(302)),
        case(
            "redirect to file:",
            s.redirect_url("file:///etc/passwd"),
            "redirect",
            1,
            Some(302),
        ),
        case(
            "redirect to another host",
            s.redirect_url(&s.other_url("/land")),
            "ok",
            1,
            Some(200),
        ),
        case("untrusted certificate", s.tls_url("/ok"), "tls", 1, None),
        case("connection refused", closed, "connect", 2, None),
        case("not a URL", "not a url".into(), "invalid_url", 0, None),
        case("ftp", "ftp://127.0.0.1/x".into(), "invalid_url", 0, None),
    ]
}

/// Checks one record against its case.
fn check(case: &Case, r: &Value, max_redirects: u32) {
    let what = format!("{}: {r}", case.name);
    assert_eq!(r["url"], case.url.as_str(), "{what}");
    assert_eq!(kind(r), case.kind, "{what}");
    assert_eq!(r["attempts"], case.attempts, "{what}");
    match case.status {
        Some(s) => assert_eq!(r["status"], s, "{what}"),
        None => assert!(r["status"].is_null(), "{what}"),
    }
    // Fields that exist exactly when a response arrived.
    for field in ["final_url", "ttfb_ms", "bytes", "http_version"] {
        assert_eq!(r[field].is_null(), r["status"].is_null(), "{field}: {what}");
    }
    if case.kind == "too_large" {
        assert_eq!(r["bytes"], 64 * 1024, "{what}");
    }
    if case.kind == "redirect" && case.name == "redirect loop" {
        assert_eq!(r["redirects"], max_redirects, "{what}");
    }
}

#[test]
fn every_fault_gets_its_error_kind() {
    let server = FaultServer::start();
    let cases = cases(&server);
    let started = Instant::now();
    let out = fanout()
        .args(flags("1s", 10))
        .args(cases.iter().map(|c| &c.url))
        .run();
    let took = started.elapsed();
    assert_eq!(out.status, Some(1));
    let rs = by_index(out.records);
    assert_eq!(rs.len(), cases.len());
    for (case, r) in cases.iter().zip(&rs) {
        check(case, r, 10);
    }
    let drip = &rs[cases
        .iter()
        .position(|c| c.name == "drip past the timeout")
        .unwrap()];
    let dripped = drip["bytes"].as_u64().unwrap();
    assert!(
        dripped > 0 && dripped < 100,
        "a timeout keeps the bytes read: {drip}"
    );
    assert_eq!(server.silent_accepts(), 2, "one connection per attempt");
    let moved = &rs[cases
        .iter()
        .position(|c| c.name == "redirect to another host")
        .unwrap()];
    assert_eq!(moved["final_url"], server.other_url("/land"));
    assert_eq!(moved["remote_addr"], server.other.to_string());
    assert!(
        server
            .seen()
            .iter()
            .any(|s| s.local == server.other && s.path == "/land"),
        "the redirect landed on the other host"
    );
    // Two 1 s attempts for the slow ones, all in parallel.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let err = &out.stderr;
    assert!(!err.contains("panicked"), "{err}");
}

/// 10,000 URLs, one in ten a fault, at `-c 200`: exactly one valid record per
/// URL with the kind its route calls for, within the timeouts. At this load
/// one request of the debug binary can take a few hundred milliseconds, so
/// the timeout is 2 s and the redirect loop stops after 3 hops: an attempt
/// that should succeed must not run out of time.
#[test]
fn ten_thousand_mixed_urls_lose_nothing() {
    const N: usize = 10_000;
    let server = FaultServer::start();
    let cases = cases(&server);
    let ok = cases.iter().position(|c| c.name == "ok").unwrap();
    // Index i's case; every tenth URL is a fault, in turn.
    let case_of = |i: usize| {
        if i % 10 == 0 {
            (i / 10) % cases.len()
        } else {
            ok
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    let text: String = (0..N)
        .map(|i| match case_of(i) {
            c if c == ok => format!("{}\n", server.url(&format!("/ok/{i}"))),
            c => format!("{}\n", cases[c].url),
        })
        .collect();
    std::fs::write(&list, text).unwrap();

    let started = Instant::now();
    let out = fanout()
        .args(flags("2s", 3))
        .args(["-c", "200", "-i"])
        .arg(&list)
        .run();
    let took = started.elapsed();
    assert_eq!(out.status, Some(1));
    let rs = out.records;
    assert_eq!(rs.len(), N, "one record per URL");
    let mut by_index: BTreeMap<u64, &Value> = BTreeMap::new();
    for r in &rs {
        let i = r["index"].as_u64().unwrap();
        assert!(by_index.insert(i, r).is_none(), "index {i} twice");
    }
    assert_eq!(
        by_index.keys().copied().collect::<Vec<_>>(),
        (0..N as u64).collect::<Vec<_>>()
    );
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (&i, r) in &by_index {
        let c = case_of(i as usize);
        if c == ok {
            assert_eq!(kind(r), "ok", "{r}");
            assert_eq!(r["url"], server.url(&format!("/ok/{i}")));
        } else {
            check(&cases[c], r, 3);
        }
        *kinds.entry(kind(r)).or_default() += 1;
    }
    // Slow URLs take two 2 s attempts each and run 200 at a time, so the run
    // ends within seconds; a lost wakeup or a hung connection would not.
    let slow = (0..N).filter(|&i| cases[case_of(i)].slow).count();
    assert!(slow >= 100, "the mix has slow URLs: {slow}");
    assert!(
        took < Duration::from_secs(60),
        "took {took:?}, kinds {kinds:?}"
    );
    let err = &out.stderr;
    assert!(!err.contains("panicked"), "{err}");
    eprintln!("10,000 mixed URLs in {took:?}: {kinds:?}");
}

#[test]
fn a_location_in_raw_utf8_is_followed_percent_encoded() {
    // Servers do send UTF-8 in Location; browsers and curl follow it.
    let server = FaultServer::start();
    let out = fanout().arg(server.redirect_url("/land/caf%C3%A9")).run();
    let r = out.one();
    assert_eq!(out.status, Some(0), "{r}");
    assert_eq!(r["redirects"], 1);
    assert_eq!(r["final_url"], server.url("/land/caf%C3%A9"));
    assert_eq!(server.seen()[1].path, "/land/caf%C3%A9");
}

#[test]
fn a_location_that_is_not_utf8_is_a_redirect_error() {
    let server = FaultServer::start();
    let out = fanout().arg(server.redirect_url("/land/%FF")).run();
    let r = out.one();
    assert_eq!(kind(r), "redirect", "{r}");
    assert_eq!(r["status"], 302);
    assert_eq!(r["attempts"], 1);
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains("invalid Location"), "{message}");
    assert_eq!(server.seen().len(), 1, "nothing followed");
}
