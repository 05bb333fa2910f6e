//! Regression tests named after the issue that found them.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::Value;

use crate::support::*;

/// Issue 10: "a `circuit_open` record takes no concurrency slot". With
/// `-c 2` taken by two URLs that hang, the 50 URLs of a host whose circuit
/// is open still get their records at once, and so does an invalid line.
#[test]
fn issue_10_records_without_a_request_take_no_slot() {
    let failing = AppServer::start(
        Router::new().route("/{n}", get(|| async { StatusCode::SERVICE_UNAVAILABLE })),
    );
    let hanging = RawServer::start(Raw::Hang);
    let mut urls = vec![failing.url("/0"), hanging.url("/a"), hanging.url("/b")];
    for i in 1..=50 {
        urls.push(failing.url(&format!("/{i}")));
    }
    urls.push("not a url".to_owned());
    // On one thread, where slots go to URLs in exactly their input order:
    // /0 must fail (and open the circuit) before the hanging URLs take both
    // slots. With more threads two of them may race for the first slot.
    let mut child = fanout_std()
        .args([
            "--threads",
            "1",
            "-c",
            "2",
            "-r",
            "0",
            "--trip-after",
            "1",
            "--trip-cooldown",
            "1h",
        ])
        .args(["--timeout", "1h", "--no-progress", "-q"])
        .args(&urls)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn fanout");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    // Both hanging URLs hold the two slots: they are in flight.
    hanging.wait_for_requests(2);
    // 1 status record, 50 circuit_open records and 1 invalid_url record,
    // while the hanging URLs still hold both slots.
    let mut got = Vec::new();
    while got.len() < 52 {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => got.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let records = records(format!("{}\n", got.join("\n")).as_bytes());
    let kinds: Vec<&str> = records.iter().map(kind).collect();
    assert_eq!(
        records.len(),
        52,
        "records while both slots are busy: {kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "circuit_open").count(), 50);
    assert_eq!(kinds.iter().filter(|k| **k == "invalid_url").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "status").count(), 1);
}

/// Issue 10: "`url`: the trimmed input line, as given" — also for a line
/// of 100,000 characters.
#[test]
fn issue_10_a_long_line_keeps_its_url() {
    let line = format!("not-a-url-{}", "x".repeat(100_000));
    let out = fanout()
        .args(["-i", "-", "-q", "--no-progress"])
        .write_stdin(format!("{line}\n"))
        .output()
        .unwrap();
    let rs: Vec<Value> = records(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(rs.len(), 1);
    assert_eq!(kind(&rs[0]), "invalid_url");
    assert_eq!(rs[0]["url"].as_str().unwrap().len(), line.len());
    assert_eq!(rs[0]["url"], line.as_str());
}

/// Issue 21: "a field a flag asks for is in every record of the run, `null`
/// where it does not apply" — also in records made without a request (not
/// a URL) and without a response (connection refused).
#[test]
fn issue_21_every_record_has_every_key_its_flags_ask_for() {
    let refused = format!("http://127.0.0.1:{}/x", closed_port());
    let args = [
        "--timings",
        "--tls-info",
        "--response-header",
        "server",
        "--request-id",
        "X-Request-Id",
        "--body",
        "-r",
        "0",
        "-q",
        "not a url",
        refused.as_str(),
    ];
    let out = fanout().args(args).output().unwrap();
    let rs = by_index(records(&out.stdout));
    assert_eq!(rs.len(), 2);
    for r in &rs {
        for key in ["timings", "tls", "headers", "body"] {
            let value = r.get(key);
            assert!(value.is_some_and(Value::is_null), "{key} must be null: {r}");
        }
    }
    assert_eq!(kind(&rs[0]), "invalid_url");
    assert!(rs[0]["request_id"].is_null(), "no request, no id");
    assert_eq!(kind(&rs[1]), "connect");
    assert!(
        rs[1]["request_id"].is_string(),
        "the refused request had an id"
    );
}

/// Issue 21: "`--host-stats` rows carry `limit` only with `--adaptive`".
#[test]
fn issue_21_host_rows_have_a_limit_only_with_adaptive() {
    let app = AppServer::start(Router::new().route("/{n}", get(|| async { "ok" })));
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let rows = |extra: &[&str]| -> Vec<Value> {
        let out = fanout()
            .args(["--host-stats", "-q", "--stats"])
            .arg(&stats)
            .args(extra)
            .args([app.url("/1"), app.url("/2")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let json: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
        json["hosts"].as_array().expect("hosts rows").clone()
    };
    let plain = rows(&[]);
    assert_eq!(plain.len(), 1);
    assert!(plain[0].get("limit").is_none(), "{plain:?}");
    let adaptive = rows(&["--adaptive"]);
    assert!(adaptive[0]["limit"].as_u64().is_some(), "{adaptive:?}");
}
