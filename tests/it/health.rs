//! Health checks: --expect and --slow.

use std::time::Duration;

use axum::Router;
use axum::routing::get;

use crate::support::*;

fn health_app() -> AppServer {
    AppServer::start(
        Router::new()
            .route("/health", get(|| async { r#"{"status":"UP","checks":3}"# }))
            .route(
                "/sluggish",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "UP"
                }),
            ),
    )
}

#[test]
fn expect_passes_when_the_body_matches() {
    let server = health_app();
    let out = run(["--expect", r#""status":"UP""#, &server.url("/health")]);
    assert_eq!(out.status, Some(0));
    let r = out.one();
    assert_eq!(r["ok"], true);
    assert!(
        r.get("body").is_none(),
        "--expect alone does not add the body"
    );
}

#[test]
fn expect_fails_with_an_assertion_error() {
    let server = health_app();
    let out = run(["--expect", "DOWN", &server.url("/health")]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "assertion");
    assert_eq!(r["status"], 200);
    assert_eq!(r["attempts"], 1, "assertions are not retried");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(msg.contains("does not match --expect `DOWN`"), "{msg}");
}

#[test]
fn a_wrong_status_is_reported_as_status_not_assertion() {
    let server = health_app();
    let out = run(["--expect", "UP", &server.url("/nope")]);
    assert_eq!(kind(out.one()), "status");
}

#[test]
fn slow_fails_and_says_by_how_much() {
    let server = health_app();
    let out = run(["--slow", "100ms", &server.url("/sluggish")]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "assertion");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(msg.contains("over --slow 100ms"), "{msg}");
    assert!(r["elapsed_ms"].as_f64().unwrap() > 100.0);
}

#[test]
fn slow_and_expect_pass_together() {
    let server = health_app();
    fanout()
        .args([
            "--slow",
            "10s",
            "--expect",
            "UP",
            &server.url("/sluggish"),
            &server.url("/health"),
        ])
        .assert()
        .code(0);
}

#[test]
fn only_the_first_failed_check_is_named() {
    let server = health_app();
    let out = run([
        "--slow",
        "50ms",
        "--expect",
        "DOWN",
        &server.url("/sluggish"),
    ]);
    let msg = out.one()["error"]["message"].as_str().unwrap().to_owned();
    // --expect runs before --slow; the first failure is the one reported.
    assert!(msg.contains("--expect") && !msg.contains("--slow"), "{msg}");
}
