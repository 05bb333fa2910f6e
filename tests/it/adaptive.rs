//! `--adaptive` against a host that answers 429 whenever more than K of its
//! requests are in flight, and otherwise after a fixed delay.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::support::*;

/// What a throttling host saw.
#[derive(Default)]
struct Seen {
    in_flight: Gauge,
    ok: AtomicUsize,
    throttled: AtomicUsize,
    /// When each request arrived.
    arrivals: Recorder<Instant>,
}

impl Seen {
    fn share_429(&self) -> f64 {
        let t = self.throttled.load(Ordering::SeqCst) as f64;
        t / (t + self.ok.load(Ordering::SeqCst) as f64)
    }

    /// Requests per second between the first and the last arrival.
    fn rate(&self) -> f64 {
        let a = self.arrivals.all();
        let span = a.last().unwrap().duration_since(a[0]).as_secs_f64();
        a.len() as f64 / span.max(1e-3)
    }
}

/// A host that answers 429 while more than `k` requests are in flight
/// (`k` = 0: never), else 200 after `delay`.
fn throttling_host(k: usize, delay: Duration) -> (AppServer, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    let app = Router::new().route(
        "/{n}",
        get(move || {
            let s = s.clone();
            async move {
                s.arrivals.push(Instant::now());
                let in_flight = s.in_flight.enter();
                if k > 0 && in_flight.now > k {
                    s.throttled.fetch_add(1, Ordering::SeqCst);
                    StatusCode::TOO_MANY_REQUESTS
                } else {
                    tokio::time::sleep(delay).await;
                    s.ok.fetch_add(1, Ordering::SeqCst);
                    StatusCode::OK
                }
            }
        }),
    );
    (AppServer::start(app), seen)
}

fn urls(server: &AppServer, n: usize) -> Vec<String> {
    (0..n).map(|i| server.url(&format!("/{i}"))).collect()
}

const RETRIES: [&str; 4] = ["-r", "8", "--backoff", "20ms"];

#[test]
fn adaptive_finds_the_hosts_limit_with_few_429s() {
    let delay = Duration::from_millis(50);
    let (host, seen) = throttling_host(8, delay);
    let out = fanout()
        .args(["--adaptive", "-c", "64", "-q"])
        .args(RETRIES)
        .args(urls(&host, 300))
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert!(out.records.iter().all(|r| r["ok"] == true));
    let share = seen.share_429();
    assert!(share < 0.10, "429 share {share:.3} with --adaptive");
    // Throughput: at least 70% of what the host allows (K / delay).
    let best = 8.0 / delay.as_secs_f64();
    let rate = seen.rate();
    assert!(rate >= 0.7 * best, "{rate:.0}/s of at most {best:.0}/s");

    // The same list with fixed limits: most answers are 429s. (Without
    // either flag a host adapts from its first 429 on.)
    let (host, seen) = throttling_host(8, delay);
    let _ = fanout()
        .args(["--no-adaptive", "-c", "64", "-q"])
        .args(RETRIES)
        .args(urls(&host, 300))
        .run();
    let without = seen.share_429();
    assert!(without > 0.3, "429 share {without:.3} with --no-adaptive");
}

#[test]
fn an_unthrottled_host_keeps_its_speed_beside_a_throttled_one() {
    let delay = Duration::from_millis(50);
    let (fast, fast_seen) = throttling_host(0, delay);
    let alone = fanout()
        .args(["--adaptive", "-c", "64", "-q"])
        .args(urls(&fast, 400))
        .run();
    assert_eq!(alone.status, Some(0));
    let rate_alone = fast_seen.rate();

    let (fast, fast_seen) = throttling_host(0, delay);
    // 60 URLs of a host that takes 2 at a time, among the first 120 of the
    // list: they wait for their host the whole time the fast host runs.
    // (They fit the 4 x -c URLs that may wait: a list where more than that
    // wait for one host paces everything behind them, by design.)
    let (slow, _) = throttling_host(2, delay);
    let mut mixed = Vec::new();
    let mut fast_urls = urls(&fast, 400).into_iter();
    for b in urls(&slow, 60) {
        mixed.push(b);
        mixed.extend(fast_urls.next());
    }
    mixed.extend(fast_urls);
    let out = fanout()
        .args(["--adaptive", "-c", "64", "-q"])
        .args(RETRIES)
        .args(&mixed)
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let rate_mixed = fast_seen.rate();
    // The throttled host holds at most a few slots; URLs waiting for it
    // hold none, so the other host runs nearly as fast as alone.
    assert!(
        rate_mixed >= 0.6 * rate_alone,
        "{rate_mixed:.0}/s beside a throttled host, {rate_alone:.0}/s alone"
    );
}

#[test]
fn retry_after_pauses_the_whole_host() {
    let arrivals = Recorder::default();
    let refused_at = Arc::new(Mutex::new(None::<Instant>));
    let (a, r) = (arrivals.clone(), refused_at.clone());
    let app = Router::new().route(
        "/{n}",
        get(move || {
            let (a, r) = (a.clone(), r.clone());
            async move {
                let n = a.push(Instant::now());
                if n == 1 {
                    *r.lock().unwrap() = Some(Instant::now());
                    let mut resp: Response = StatusCode::TOO_MANY_REQUESTS.into_response();
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                    return resp;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                StatusCode::OK.into_response()
            }
        }),
    );
    let host = AppServer::start(app);
    let out = fanout()
        .args(["--adaptive", "-c", "4", "-q", "-r", "2"])
        .args(urls(&host, 10))
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let t = refused_at.lock().unwrap().expect("one 429");
    let arrivals = arrivals.all();
    // The host's limit starts at 2: one more request may have been sent
    // together with the refused one. Nothing starts for the next second.
    let early: Vec<f64> = arrivals
        .iter()
        .filter(|a| **a > t + Duration::from_millis(50))
        .map(|a| a.duration_since(t).as_secs_f64())
        .filter(|s| *s < 0.9)
        .collect();
    assert!(early.is_empty(), "requests during the pause: {early:?}");
    assert!(
        arrivals
            .iter()
            .any(|a| *a >= t + Duration::from_millis(900))
    );
}

#[test]
fn host_stats_in_the_summary_and_in_stats() {
    let delay = Duration::from_millis(20);
    let (throttled, seen) = throttling_host(3, delay);
    let (plain, _) = throttling_host(0, delay);
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let mut list = urls(&throttled, 60);
    list.extend(urls(&plain, 30));
    let out = fanout()
        .args(["--adaptive", "--host-stats", "-c", "16", "--no-progress"])
        .args(RETRIES)
        .arg("--stats")
        .arg(&stats)
        .args(&list)
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    let rows = json["hosts"].as_array().expect("hosts rows");
    assert_eq!(rows.len(), 2, "{rows:?}");
    let key = |s: &AppServer| s.addr.to_string();
    let row = |host: &str| rows.iter().find(|r| r["host"] == host).unwrap().clone();
    let t = row(&key(&throttled));
    let p = row(&key(&plain));
    // Most requested first.
    assert_eq!(rows[0]["host"], key(&throttled).as_str());
    let answered_429 = seen.throttled.load(Ordering::SeqCst) as u64;
    assert_eq!(t["throttled"], answered_429);
    assert_eq!(t["requests"], 60 + answered_429);
    assert_eq!(t["retries"], answered_429);
    assert_eq!((t["ok"].as_u64(), p["ok"].as_u64()), (Some(60), Some(30)));
    assert_eq!(
        (p["requests"].as_u64(), p["throttled"].as_u64()),
        (Some(30), Some(0))
    );
    for r in [&t, &p] {
        assert!(r["p50_ms"].as_f64().unwrap() >= 20.0, "{r}");
        assert!(r["p99_ms"].as_f64().unwrap() >= r["p50_ms"].as_f64().unwrap());
        let limit = r["limit"].as_u64().expect("a final limit with --adaptive");
        assert!((1..=16).contains(&limit), "{r}");
    }
    // The human summary has a line per host, with its limit.
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains(" requests, "))
        .collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(out.stderr.contains("hosts:"), "{}", out.stderr);
    assert!(lines.iter().all(|l| l.contains(", limit ")), "{lines:?}");
}

#[test]
#[cfg(unix)]
fn metrics_show_the_adaptive_limit() {
    use crate::protection::{free_addr, metric, scrape};
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let server = RawServer::start(Raw::Hang);
    let addr = free_addr();
    let mut child = spawn(&[
        "--adaptive",
        "--metrics",
        &addr.to_string(),
        "-t",
        "60s",
        &server.url("/a"),
        &server.url("/b"),
        &server.url("/c"),
    ]);
    // A host starts at a limit of 2: two requests arrive, the third waits.
    server.wait_for_requests(2);
    let text = scrape(addr).expect("metrics answer");
    let name = format!("fanout_host_limit{{host=\"{}\"}}", server.addr);
    assert_eq!(metric(&text, &name), Some(2.0), "{text}");
    assert_eq!(metric(&text, "fanout_in_flight"), Some(2.0), "{text}");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("exits");
    assert_eq!(status.code(), Some(130));
}
