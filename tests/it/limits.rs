//! Regression tests for "Run out of nothing: never fail a URL because of
//! fanout's own limits": the binary runs under `prlimit` with a soft limit
//! of 256 open files and `-c 600` against slow local servers, and every
//! URL must end ok.

#![cfg(target_os = "linux")]

use std::net::SocketAddr;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::support::on_own_thread;
use crate::support::{AppServer, Gauge, kind, records};

/// URLs per run: more than `-c`, so connections are reused too.
const URLS: usize = 900;

const WARNING: &str = "-c 600 needs ~";

/// A server that answers every request after `delay`, so that many
/// requests are in flight at once, and counts the most it saw at once.
fn slow_server(delay: Duration) -> (AppServer, Arc<Gauge>) {
    // The server lives in this process: give it room for 600 connections
    // whatever the soft limit the tests were started with.
    fanout::fdlimit::raise();
    let gauge = Arc::new(Gauge::default());
    let g = gauge.clone();
    let server = AppServer::start(Router::new().fallback(get(move || {
        let g = g.clone();
        async move {
            let _in = g.enter();
            tokio::time::sleep(delay).await;
            "ok"
        }
    })));
    (server, gauge)
}

/// Runs the binary under `prlimit --nofile=LIMIT` with the URLs on stdin:
/// the limit applies to fanout alone, not to the servers in this process.
/// `-c 600 -r 0 -q` under `limit`, and what `--stats` said.
fn run_c600_with_stats(limit: &str, urls: &[String]) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stats.json");
    let path = file.to_str().unwrap();
    let out = run_limited(
        limit,
        &["-c", "600", "-r", "0", "-q", "--stats", path],
        urls,
    );
    let stats = read_stats(&file);
    (out, stats)
}

fn run_limited(limit: &str, args: &[&str], urls: &[String]) -> Output {
    let fanout = crate::support::fanout_std();
    let mut cmd = std::process::Command::new("prlimit");
    cmd.arg(format!("--nofile={limit}"))
        .arg(fanout.get_program())
        .args(args);
    for (k, v) in fanout.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(120))
        .write_stdin(urls.join("\n"))
        .output()
        .expect("prlimit runs fanout")
}

/// The `--stats` object; `null` when the run wrote none (the records'
/// checks then say why).
fn read_stats(path: &std::path::Path) -> Value {
    std::fs::read_to_string(path)
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap_or(Value::Null)
}

/// Every URL ended ok at its first attempt, one record each.
fn assert_all_ok(out: &Output) {
    let recs = records(&out.stdout);
    assert_eq!(
        recs.len(),
        URLS,
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let failed: Vec<&Value> = recs.iter().filter(|r| kind(r) != "ok").collect();
    assert!(
        failed.is_empty(),
        "{} of {URLS} failed, e.g. {}",
        failed.len(),
        failed[0]
    );
    assert!(
        recs.iter().all(|r| r["attempts"] == 1),
        "an attempt was counted for fanout's own exhaustion"
    );
    assert!(out.status.success());
}

#[test]
fn issue_own_limits_soft_limit_is_raised_to_the_hard_limit() {
    let (server, peak) = slow_server(Duration::from_millis(200));
    let urls: Vec<String> = (0..URLS).map(|i| server.url(&format!("/{i}"))).collect();
    let (out, stats) = run_c600_with_stats("256:8192", &urls);
    assert_all_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains(WARNING),
        "no warning when -c fits: {stderr}"
    );
    assert_eq!(stats["concurrency"], 600);
    // More at once than a soft limit of 256 descriptors would allow.
    let peak = peak.peak();
    assert!(peak > 256, "at most {peak} requests were in flight at once");
}

#[test]
fn issue_own_limits_concurrency_shrinks_to_fit_the_hard_limit() {
    let (server, _) = slow_server(Duration::from_millis(100));
    let urls: Vec<String> = (0..URLS).map(|i| server.url(&format!("/{i}"))).collect();
    let (out, stats) = run_c600_with_stats("256:256", &urls);
    assert_all_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains(WARNING)).collect();
    assert_eq!(warnings.len(), 1, "one warning: {stderr}");
    let effective = stats["concurrency"].as_u64().unwrap();
    assert!(
        (200..256).contains(&effective),
        "effective concurrency {effective}"
    );
    assert!(
        warnings[0].ends_with(&format!("the limit is 256: running {effective} at once")),
        "{}",
        warnings[0]
    );
}

/// Many hosts (here: one port per URL) with keep-alive: each finished URL
/// leaves an idle connection in the pool, so descriptors run out however
/// well `-c` was fitted, until the servers close their idle connections.
/// The URLs waiting for a descriptor must neither fail nor count an
/// attempt. (One URL per port, so no request ever races a server closing
/// an idle connection.)
#[test]
fn issue_own_limits_requests_wait_for_a_descriptor_instead_of_failing() {
    fanout::fdlimit::raise();
    let ports =
        KeepAliveServers::start(URLS, Duration::from_millis(20), Duration::from_millis(200));
    let urls: Vec<String> = ports.addrs.iter().map(|a| format!("http://{a}/")).collect();
    let out = run_limited("64:64", &["-c", "600", "-r", "0", "-q"], &urls);
    assert_all_ok(&out);
}

/// Raw HTTP/1.1 servers, one per port, that answer each request after
/// `delay`, keep the connection alive, and close it once idle for `idle`.
struct KeepAliveServers {
    addrs: Vec<SocketAddr>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl KeepAliveServers {
    fn start(ports: usize, delay: Duration, idle: Duration) -> KeepAliveServers {
        let listeners: Vec<std::net::TcpListener> = (0..ports)
            .map(|_| {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.set_nonblocking(true).unwrap();
                l
            })
            .collect();
        let addrs = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        on_own_thread(move || async move {
            for l in listeners {
                let l = tokio::net::TcpListener::from_std(l).unwrap();
                tokio::spawn(async move {
                    while let Ok((conn, _)) = l.accept().await {
                        tokio::spawn(serve_keep_alive(conn, delay, idle));
                    }
                });
            }
            // Dropping the runtime when the test ends closes everything.
            let _ = stopped.await;
        });
        KeepAliveServers { addrs, _stop: stop }
    }
}

async fn serve_keep_alive(conn: tokio::net::TcpStream, delay: Duration, idle: Duration) {
    let (read, mut write) = conn.into_split();
    let mut read = BufReader::new(read);
    loop {
        // A request head, or the connection is closed after `idle`.
        let head = async {
            let mut line = String::new();
            loop {
                line.clear();
                if read.read_line(&mut line).await.ok()? == 0 {
                    return None;
                }
                if line == "\r\n" {
                    return Some(());
                }
            }
        };
        match tokio::time::timeout(idle, head).await {
            Ok(Some(())) => {}
            _ => return,
        }
        tokio::time::sleep(delay).await;
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok";
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}
