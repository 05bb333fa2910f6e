//! Retries: counts, what is and isn't retried, and `Retry-After`.

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

#[tokio::test]
async fn flaky_route_succeeds_on_the_third_attempt() {
    let server = MockServer::start().await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(200).set_body_string("finally"))
        .expect(1)
        .mount(&server)
        .await;

    let out = run(["--backoff", "1ms", &format!("{}/flaky", server.uri())]);
    assert_eq!(out.status, Some(0));
    let r = out.one();
    assert_eq!(r["attempts"], 3);
    assert_eq!(r["status"], 200);
    assert_eq!(r["bytes"], 7);
    assert_eq!(r["ok"], true);
}

#[tokio::test]
async fn retries_stop_at_the_limit_and_keep_the_last_response() {
    let server = MockServer::start().await;
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(503))
        .expect(4)
        .mount(&server)
        .await;
    let out = run([
        "-r",
        "3",
        "--backoff",
        "1ms",
        &format!("{}/down", server.uri()),
    ]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(r["attempts"], 4);
    assert_eq!(r["status"], 503);
    assert_eq!(kind(r), "status");
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/missing"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let out = run(["--backoff", "1ms", &format!("{}/missing", server.uri())]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(r["attempts"], 1);
    assert_eq!(r["status"], 404);
    assert_eq!(kind(r), "status");
}

#[tokio::test]
async fn post_is_not_retried_on_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/submit"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let out = run([
        "-d",
        "x=1",
        "--backoff",
        "1ms",
        &format!("{}/submit", server.uri()),
    ]);
    assert_eq!(out.status, Some(1));
    assert_eq!(out.one()["attempts"], 1);
}

#[tokio::test]
async fn post_is_retried_on_503_with_retry_all_methods() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/submit"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let out = fanout()
        .args(["-X", "POST", "--retry-all-methods", "--backoff", "1ms"])
        .arg(format!("{}/submit", server.uri()))
        .run();
    assert_eq!(out.one()["attempts"], 3);
}

#[test]
fn post_is_retried_when_the_connection_was_refused() {
    // A refused connection never reached a server: safe to retry any method.
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let out = run(["-X", "POST", "-r", "2", "--backoff", "1ms", &url]);
    let r = out.one();
    assert_eq!(kind(r), "connect");
    assert_eq!(r["attempts"], 3);
}

/// A route that answers 429 with `Retry-After: <value>` once, then 200, and
/// records when each request arrived.
fn retry_after_app(value: &'static str) -> (AppServer, Recorder<Instant>) {
    let hits = Recorder::default();
    let seen = hits.clone();
    let app = Router::new().route(
        "/limited",
        any(move || {
            let seen = seen.clone();
            async move {
                let mut headers = HeaderMap::new();
                if seen.push(Instant::now()) == 1 {
                    headers.insert("retry-after", value.parse().unwrap());
                    (StatusCode::TOO_MANY_REQUESTS, headers, "slow down")
                } else {
                    (StatusCode::OK, headers, "ok")
                }
            }
        }),
    );
    (AppServer::start(app), hits)
}

#[test]
fn retry_after_seconds_is_honoured_instead_of_backoff() {
    let (server, hits) = retry_after_app("1");
    let out = run(["--backoff", "1ms", &server.url("/limited")]);
    assert_eq!(out.status, Some(0));
    let r = out.one();
    assert_eq!(r["attempts"], 2);
    // The server's own clock: the retry came no sooner than asked (with a
    // little slack for clock granularity), although backoff alone would
    // have waited at most 1 ms.
    let hits = hits.all();
    assert_eq!(hits.len(), 2);
    let gap = hits[1] - hits[0];
    assert!(
        gap >= Duration::from_millis(950),
        "retried after only {gap:?}"
    );
    assert!(r["elapsed_ms"].as_f64().unwrap() >= 950.0);
}

#[test]
fn retry_after_longer_than_backoff_max_is_final() {
    let (server, hits) = retry_after_app("120");
    let out = run(["--backoff-max", "2s", &server.url("/limited")]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(r["attempts"], 1);
    assert_eq!(r["status"], 429);
    assert_eq!(kind(r), "status");
    assert_eq!(hits.all().len(), 1);
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    // A date is whole seconds: ask for "now + 2s", which is 1-2 s away.
    let app_hits = Recorder::default();
    let seen = app_hits.clone();
    let app = Router::new().route(
        "/limited",
        any(move || {
            let seen = seen.clone();
            async move {
                if seen.push(Instant::now()) == 1 {
                    let when = std::time::SystemTime::now() + Duration::from_secs(2);
                    let mut headers = HeaderMap::new();
                    headers.insert(
                        "retry-after",
                        httpdate::fmt_http_date(when).parse().unwrap(),
                    );
                    (StatusCode::SERVICE_UNAVAILABLE, headers)
                } else {
                    (StatusCode::OK, HeaderMap::new())
                }
            }
        }),
    );
    let server = AppServer::start(app);
    let out = run(["--backoff", "1ms", &server.url("/limited")]);
    assert_eq!(out.one()["attempts"], 2);
    let hits = app_hits.all();
    assert!(
        hits[1] - hits[0] >= Duration::from_millis(900),
        "{:?}",
        hits[1] - hits[0]
    );
}
