//! Error kinds for what goes wrong on the wire, and exit statuses.

use axum::Router;
use axum::routing::get;
use predicates::prelude::*;

use crate::support::*;

#[test]
fn hanging_server_is_a_timeout() {
    let server = RawServer::start(Raw::Hang);
    let out = run([
        "-t",
        "300ms",
        "-r",
        "1",
        "--backoff",
        "1ms",
        &server.url("/hang"),
    ]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "timeout");
    assert_eq!(r["attempts"], 2, "timeouts are retried");
    assert!(r["status"].is_null() && r["remote_addr"].is_null());
    assert!(r["elapsed_ms"].as_f64().unwrap() >= 600.0);
}

#[test]
fn closed_port_is_a_connect_error() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let out = run(["-r", "0", &url]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "connect");
    assert_eq!(r["attempts"], 1);
    assert!(r["error"]["message"].as_str().unwrap().contains("refused"));
}

#[test]
fn reset_mid_body_is_a_body_error() {
    let server = RawServer::start(Raw::ResetMidBody);
    let out = run(["-r", "0", &server.url("/reset")]);
    let r = out.one();
    assert_eq!(kind(r), "body", "{r}");
    // The head arrived, so the record has the response's details.
    assert_eq!(r["status"], 200);
    assert_eq!(r["content_type"], "text/plain");
}

#[test]
fn reset_before_any_response_is_a_connect_error() {
    let server = RawServer::start(Raw::ResetBeforeResponse);
    let out = run(["-r", "0", &server.url("/")]);
    assert_eq!(kind(out.one()), "connect");
}

#[test]
fn garbage_instead_of_http_is_other() {
    let server = RawServer::start(Raw::Garbage);
    let out = run(["-r", "0", &server.url("/")]);
    assert_eq!(kind(out.one()), "other");
}

fn big_body_app() -> AppServer {
    AppServer::start(Router::new().route("/big", get(|| async { "x".repeat(100_000) })))
}

#[test]
fn body_over_max_body_is_too_large() {
    let server = big_body_app();
    let out = run(["--max-body", "1KiB", &server.url("/big")]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "too_large");
    assert_eq!(r["status"], 200);
    assert_eq!(r["bytes"], 1024);
    assert_eq!(r["attempts"], 1, "too_large is not retried");
}

#[test]
fn body_within_max_body_is_fine() {
    let server = big_body_app();
    let out = run(["--max-body", "100KB", &server.url("/big")]);
    assert_eq!(out.status, Some(0));
    assert_eq!(out.one()["bytes"], 100_000);
}

#[test]
fn exit_status_is_0_when_everything_is_ok() {
    let server = AppServer::start(Router::new().route("/ok", get(|| async { "ok" })));
    fanout()
        .args(["-q".to_owned(), server.url("/ok"), server.url("/ok")])
        .assert()
        .code(0)
        .stderr(predicate::str::is_empty());
}

#[test]
fn exit_status_is_1_when_one_url_fails() {
    let server = AppServer::start(Router::new().route("/ok", get(|| async { "ok" })));
    let out = run([server.url("/ok"), server.url("/missing")]);
    assert_eq!(out.status, Some(1));
    assert_eq!(out.records.len(), 2);
}

#[test]
fn accept_makes_other_statuses_ok() {
    let server = AppServer::start(Router::new());
    fanout()
        .args(["--accept", "200,404", &server.url("/missing")])
        .assert()
        .code(0);
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    for args in [
        &["--concurrency", "0", "http://127.0.0.1/"][..],
        &["--timeout", "soon", "http://127.0.0.1/"],
        &["--accept", "2xx", "http://127.0.0.1/"],
        &["-H", "NoColon", "http://127.0.0.1/"],
        &["--no-such-flag"],
        &["-i", "/nonexistent/urls.txt"],
    ] {
        let out = run(args);
        assert_eq!(out.status, Some(2), "{args:?}");
        assert!(out.records.is_empty(), "{args:?}");
        let err = out.stderr;
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = run(["-i", "/nonexistent/urls.txt"]);
    let err = out.stderr;
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/urls.txt"), "{err}");
}

#[test]
fn no_urls_at_all_is_a_usage_error() {
    for stdin in ["", "\n\n", "# only\n   # comments\n\n"] {
        let out = fanout().write_stdin(stdin).run();
        assert_eq!(out.status, Some(2), "{stdin:?}");
        assert!(out.records.is_empty());
        let err = out.stderr;
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("no URLs"), "{err}");
    }
}
