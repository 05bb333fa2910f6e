//! CI verdicts (#12): `--max-failures N` and `--fail-fast` stop a run like
//! `--deadline` once enough records are final and not ok.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

use crate::reports::app;
use crate::support::*;

#[test]
fn max_failures_stops_the_run_and_later_urls_never_start() {
    let (server, hits) = app();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let mut args = vec!["-c", "1", "-r", "0", "--max-failures", "2", "--stats"];
    let stats_arg = stats.display().to_string();
    args.push(&stats_arg);
    let urls: Vec<String> = (0..20).map(|i| server.url(&format!("/fail/{i}"))).collect();
    args.extend(urls.iter().map(String::as_str));
    let run = run(&args);
    assert_eq!(run.status, Some(1));
    assert_eq!(run.records.len(), 2, "{:?}", run.records);
    assert!(run.records.iter().all(|r| kind(r) == "status"));
    assert_eq!(hits.all(), ["fail/0", "fail/1"]);
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(stats["stopped"], "max_failures");
    assert!(
        run.stderr
            .contains("stopped after 2 failures (--max-failures)"),
        "{}",
        run.stderr
    );
}

#[test]
fn fail_fast_cancels_what_is_in_flight() {
    let hang = RawServer::start(Raw::Hang);
    // The failure is answered only once the three hanging URLs are in
    // flight: an event, not a race.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(0));
    let gate = in_flight.clone();
    let app = Router::new().route(
        "/fail",
        get(move || async move {
            let _ = gate.acquire().await;
            (StatusCode::INTERNAL_SERVER_ERROR, "no")
        }),
    );
    let server = AppServer::start(app);
    let hangs: Vec<String> = (0..3).map(|i| hang.url(&format!("/{i}"))).collect();
    let fail = server.url("/fail");
    let mut args = vec!["-c", "4", "-r", "0", "-t", "60s", "--fail-fast", &fail];
    args.extend(hangs.iter().map(String::as_str));
    let waiter = std::thread::spawn(move || {
        hang.wait_for_requests(3);
        in_flight.add_permits(1);
        hang
    });
    let started = Instant::now();
    let run = run(&args);
    let _hang = waiter.join().unwrap();
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "hangs were not cancelled"
    );
    let rs = by_index(run.records);
    let kinds: Vec<&str> = rs.iter().map(kind).collect();
    assert_eq!(kinds, ["status", "cancelled", "cancelled", "cancelled"]);
    for r in &rs[1..] {
        let message = r["error"]["message"].as_str().unwrap();
        assert!(message.contains("--fail-fast"), "{r}");
    }
}
