//! `--threads N`: every promise holds whatever N. The whole suite also runs
//! with `FANOUT_THREADS=1` and `=4` (`.ci/run`); these tests ask for four
//! threads explicitly and spread the work so that every thread is busy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::*;

/// A server whose answer to `/N` takes N mod 7 ms, counting the requests
/// in flight at once and the most it saw.
fn counting_server() -> (AppServer, Arc<Gauge>) {
    let gauge = Arc::new(Gauge::default());
    let g = gauge.clone();
    let server = AppServer::start(Router::new().route(
        "/{n}",
        get(move |Path(n): Path<u64>| {
            let g = g.clone();
            async move {
                let _in = g.enter();
                tokio::time::sleep(Duration::from_millis(n % 7)).await;
                "ok"
            }
        }),
    ));
    (server, gauge)
}

fn list(server: &AppServer, n: usize) -> String {
    (0..n).map(|i| server.url(&format!("/{i}\n"))).collect()
}

#[test]
fn c_holds_across_all_threads_and_every_url_gets_one_record() {
    let (server, peak) = counting_server();
    let out = fanout()
        .args(["--threads", "4", "-c", "6"])
        .write_stdin(list(&server, 600))
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let mut seen: Vec<u64> = out
        .records
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..600).collect::<Vec<_>>(), "one record per URL");
    assert_eq!(peak.peak(), 6, "-c 6 across four threads");
}

#[test]
fn ordered_keeps_input_order_across_threads() {
    let (server, _) = counting_server();
    let out = fanout()
        .args(["--threads", "4", "-c", "8", "--ordered"])
        .write_stdin(list(&server, 500))
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let order: Vec<u64> = out
        .records
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(order, (0..500).collect::<Vec<_>>());
}

#[test]
fn a_signal_ends_every_thread_within_a_second() {
    let server = RawServer::start(Raw::Hang);
    let urls: Vec<String> = (0..8).map(|i| server.url(&format!("/{i}"))).collect();
    let mut args = vec!["--threads", "4", "-c", "8", "-t", "60s"];
    args.extend(urls.iter().map(String::as_str));
    let mut child = spawn(&args);
    server.wait_for_requests(8);
    let sent = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("fanout exits");
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(status.code(), Some(143));
    let rs = records(&stdout_of(&mut child));
    assert_eq!(rs.len(), 8);
    assert!(rs.iter().all(|r| kind(r) == "cancelled"));
}

#[test]
fn max_failures_counts_the_failures_of_every_thread() {
    let port = closed_port();
    let urls: String = (0..400)
        .map(|i| format!("http://127.0.0.1:{port}/{i}\n"))
        .collect();
    let out = fanout()
        .args([
            "--threads",
            "4",
            "-c",
            "4",
            "-r",
            "0",
            "--max-failures",
            "8",
        ])
        .write_stdin(urls)
        .run();
    assert_eq!(out.status, Some(1));
    let failed = out.records.iter().filter(|r| kind(r) == "connect").count();
    // Each thread counting alone would let 4 × 8 through; together at most
    // the limit plus what was in flight when it was reached.
    assert!((8..8 + 4).contains(&failed), "{failed} failures");
}

#[test]
fn a_bad_thread_count_is_a_usage_error() {
    let out = fanout()
        .args(["--threads", "0", "http://127.0.0.1:1/"])
        .run();
    assert_eq!(out.status, Some(2));
    let out = fanout()
        .env("FANOUT_THREADS", "many")
        .arg("http://127.0.0.1:1/")
        .run();
    assert_eq!(out.status, Some(2));
    assert!(out.stderr.contains("FANOUT_THREADS"), "{}", out.stderr);
}
