//! --per-host and --rate against servers that count what they see.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use tokio::sync::watch;

use crate::support::*;

#[test]
fn per_host_caps_one_host_while_another_proceeds() {
    // Host "slow" holds every request until host "fast" has served all of
    // its URLs. If the slow host's queue stalled the fast one, the slow
    // requests would never be released and would time out.
    let (release, released) = watch::channel(false);
    let slow_gauge = Arc::new(Gauge::default());
    let fast_gauge = Arc::new(Gauge::default());
    const N: usize = 10;

    let g = slow_gauge.clone();
    let slow = AppServer::start(Router::new().route(
        "/{n}",
        get(move || {
            let g = g.clone();
            let mut released = released.clone();
            async move {
                let _in = g.enter();
                let _ = released.wait_for(|r| *r).await;
                "slow"
            }
        }),
    ));
    let g = fast_gauge.clone();
    let release = Arc::new(release);
    let fast = AppServer::start(Router::new().route(
        "/{n}",
        get(move || {
            let g = g.clone();
            let release = release.clone();
            async move {
                drop(g.enter());
                if g.total() == N {
                    release.send_replace(true);
                }
                "fast"
            }
        }),
    ));

    // All slow URLs first, so a naive bounded queue would fill with them.
    let mut args = vec!["--per-host".to_owned(), "2".into(), "-c".into(), "4".into()];
    args.extend(["-t".into(), "20s".into()]);
    args.extend((0..N).map(|i| slow.url(&format!("/{i}"))));
    args.extend((0..N).map(|i| fast.url(&format!("/{i}"))));
    let out = run(&args);

    let rs = out.records;
    assert_eq!(rs.len(), 2 * N);
    assert!(
        rs.iter().all(|r| r["ok"] == true),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let peak = slow_gauge.peak();
    assert!((1..=2).contains(&peak), "{peak} in flight on the slow host");
    assert_eq!(slow_gauge.total(), N);
    assert!(fast_gauge.peak() <= 2);
    assert_eq!(out.status, Some(0));
}

#[test]
fn concurrency_caps_everything_in_flight() {
    let gauge = Arc::new(Gauge::default());
    let g = gauge.clone();
    let server = AppServer::start(Router::new().route(
        "/{n}",
        get(move || {
            let g = g.clone();
            async move {
                let _in = g.enter();
                tokio::time::sleep(Duration::from_millis(50)).await;
                "ok"
            }
        }),
    ));
    let urls: String = (0..40).map(|i| server.url(&format!("/{i}\n"))).collect();
    let out = fanout().args(["-c", "3"]).write_stdin(urls).run();
    assert_eq!(out.records.len(), 40);
    assert_eq!(gauge.peak(), 3);
}

#[test]
fn rate_spaces_request_starts() {
    let hits = Recorder::default();
    let app = Router::new().route("/{n}", get(|| async { "ok" }));
    let server = AppServer::start(hits.around(app, |_| Instant::now()));
    let urls: String = (0..20).map(|i| server.url(&format!("/{i}\n"))).collect();
    let out = fanout().args(["--rate", "10"]).write_stdin(urls).run();
    assert_eq!(out.status, Some(0));
    let hits = hits.all();
    assert_eq!(hits.len(), 20);
    // 20 starts at 10/s: 19 intervals of 100 ms, by the server's clock.
    let span = *hits.iter().max().unwrap() - *hits.iter().min().unwrap();
    assert!(
        span >= Duration::from_millis(1800),
        "20 requests in {span:?}"
    );
}

#[test]
fn retries_count_against_the_rate() {
    let hits = Recorder::default();
    let app = Router::new().route(
        "/down",
        get(|| async { axum::http::StatusCode::SERVICE_UNAVAILABLE }),
    );
    let server = AppServer::start(hits.around(app, |_| Instant::now()));
    let out = run([
        "--rate",
        "600/m",
        "-r",
        "4",
        "--backoff",
        "1ms",
        &server.url("/down"),
    ]);
    assert_eq!(out.one()["attempts"], 5);
    let hits = hits.all();
    let span = *hits.last().unwrap() - hits[0];
    assert!(span >= Duration::from_millis(360), "5 attempts in {span:?}");
}
