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
    let out = fanout()
        .args(["--expect", r#""status":"UP""#, &server.url("/health")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = &records(&out.stdout)[0];
    assert_eq!(r["ok"], true);
    assert!(
        r.get("body").is_none(),
        "--expect alone does not add the body"
    );
}

#[test]
fn expect_fails_with_an_assertion_error() {
    let server = health_app();
    let out = fanout()
        .args(["--expect", "DOWN", &server.url("/health")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = &records(&out.stdout)[0];
    assert_eq!(kind(r), "assertion");
    assert_eq!(r["status"], 200);
    assert_eq!(r["attempts"], 1, "assertions are not retried");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(msg.contains("does not match --expect `DOWN`"), "{msg}");
}

#[test]
fn a_wrong_status_is_reported_as_status_not_assertion() {
    let server = health_app();
    let out = fanout()
        .args(["--expect", "UP", &server.url("/nope")])
        .output()
        .unwrap();
    assert_eq!(kind(&records(&out.stdout)[0]), "status");
}

#[test]
fn slow_fails_and_says_by_how_much() {
    let server = health_app();
    let out = fanout()
        .args(["--slow", "100ms", &server.url("/sluggish")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = &records(&out.stdout)[0];
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
fn both_failed_checks_are_named() {
    let server = health_app();
    let out = fanout()
        .args([
            "--slow",
            "50ms",
            "--expect",
            "DOWN",
            &server.url("/sluggish"),
        ])
        .output()
        .unwrap();
    let msg = records(&out.stdout)[0]["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("--expect") && msg.contains("--slow"), "{msg}");
}
