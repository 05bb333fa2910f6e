//! Success checks: --expect-header, --expect-jq, and the order in which
//! all checks run (--cert-valid: certs.rs).

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header::{HeaderMap, HeaderValue};
use axum::routing::get;

use crate::support::*;

fn json(body: &'static str) -> (HeaderMap, &'static str) {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.append("x-version", HeaderValue::from_static("1.9.0"));
    h.append("x-version", HeaderValue::from_static("2.4.1"));
    h.append(
        "set-cookie",
        HeaderValue::from_static("session=s3cret-cookie"),
    );
    (h, body)
}

fn app() -> AppServer {
    AppServer::start(
        Router::new()
            .route(
                "/health",
                get(|| async { json(r#"{"status":"UP","db":{"ok":true},"items":[1,2,3]}"#) }),
            )
            .route("/down", get(|| async { json(r#"{"status":"DOWN"}"#) }))
            .route("/text", get(|| async { json("status: UP") }))
            .route(
                "/deep",
                get(|| async {
                    let body = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
                    body
                }),
            )
            .route(
                "/broken",
                get(|| async {
                    (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        json(r#"{"status":"DOWN"}"#),
                    )
                }),
            )
            .route(
                "/sluggish",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    json(r#"{"status":"UP"}"#)
                }),
            ),
    )
}

fn message(r: &serde_json::Value) -> &str {
    r["error"]["message"].as_str().unwrap_or_default()
}

#[test]
fn expect_header_passes_when_one_value_matches() {
    let server = app();
    let out = run([
        "--expect-header",
        "X-VERSION: ^2\\.",
        "--expect-header",
        "content-type: json",
        &server.url("/health"),
    ]);
    assert_eq!(out.status, Some(0), "{:?}", out.records);
}

#[test]
fn expect_header_fails_on_a_missing_or_mismatched_header_without_retrying() {
    let server = app();
    let out = run([
        "-r",
        "3",
        "--expect-header",
        "x-version: ^3",
        &server.url("/health"),
    ]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "assertion");
    assert_eq!(r["attempts"], 1, "checks are not retried");
    assert_eq!(
        message(r),
        "header x-version is `1.9.0`, `2.4.1`, which does not match --expect-header 'x-version: ^3'"
    );
    let out = run(["--expect-header", "x-missing:", &server.url("/health")]);
    assert_eq!(
        message(out.one()),
        "header x-missing is missing (--expect-header 'x-missing: ')"
    );
}

#[test]
fn expect_header_with_an_empty_regex_asks_only_for_presence() {
    let server = app();
    let out = run(["--expect-header", "Set-Cookie:", &server.url("/health")]);
    assert_eq!(out.status, Some(0));
    // A secret header's value stays out of the message.
    let out = run([
        "--expect-header",
        "set-cookie: ^other=",
        &server.url("/health"),
    ]);
    assert_eq!(kind(out.one()), "assertion");
    assert!(
        !message(out.one()).contains("s3cret"),
        "{}",
        message(out.one())
    );
}

#[test]
fn expect_jq_passes_when_every_output_is_truthy() {
    let server = app();
    let out = run([
        "--expect-jq",
        ".status == \"UP\"",
        "--expect-jq",
        ".db.ok, (.items | length > 2)",
        "--expect-jq",
        "repeat(true)",
        &server.url("/health"),
    ]);
    assert_eq!(out.status, Some(0), "{:?}", out.records);
    assert!(
        out.one().get("body").is_none(),
        "the body is held, not written"
    );
}

#[test]
fn expect_jq_fails_on_false_null_or_no_output() {
    let server = app();
    for (filter, found) in [
        (".status == \"UP\"", "output 1 is false"),
        (".missing", "output 1 is null"),
        ("true, null", "output 2 is null"),
        ("empty", "no output"),
    ] {
        let out = run(["-r", "2", "--expect-jq", filter, &server.url("/down")]);
        assert_eq!(out.status, Some(1), "{filter}");
        let r = out.one();
        assert_eq!(kind(r), "assertion", "{filter}");
        assert_eq!(r["attempts"], 1);
        assert_eq!(message(r), format!("--expect-jq `{filter}`: {found}"));
    }
}

#[test]
fn expect_jq_needs_strict_json_of_bounded_depth() {
    let server = app();
    let out = run(["--expect-jq", ".", &server.url("/text")]);
    assert!(
        message(out.one()).contains("body is not JSON"),
        "{:?}",
        out.one()
    );
    let out = run(["--expect-jq", ".", &server.url("/deep")]);
    assert_eq!(
        out.status,
        Some(1),
        "a deep body fails the check, not the process"
    );
    assert!(
        message(out.one()).contains("deeper than 128"),
        "{:?}",
        out.one()
    );
}

#[test]
fn expect_jq_runtime_errors_fail_with_jq_message() {
    let server = app();
    let out = run([
        "--expect-jq",
        "error(\"db is down\")",
        &server.url("/health"),
    ]);
    assert_eq!(kind(out.one()), "assertion");
    assert!(
        message(out.one()).contains("db is down"),
        "{}",
        message(out.one())
    );
    let out = run(["--expect-jq", ".items.name", &server.url("/health")]);
    assert!(
        message(out.one()).contains("error: "),
        "{}",
        message(out.one())
    );
}

#[test]
fn expect_jq_that_does_not_compile_is_a_usage_error() {
    let server = app();
    let out = run(["--expect-jq", ".status ==", &server.url("/health")]);
    assert_eq!(out.status, Some(2));
    assert!(out.records.is_empty());
    assert!(out.stderr.contains("--expect-jq"), "{}", out.stderr);
    assert!(out.stderr.contains("column"), "{}", out.stderr);
    let out = run(["--expect-jq", ".a | nosuch", &server.url("/health")]);
    assert_eq!(out.status, Some(2));
    assert!(
        out.stderr.contains("column 6: undefined filter `nosuch`"),
        "{}",
        out.stderr
    );
}

#[test]
fn expect_jq_runs_within_the_timeout() {
    let server = app();
    let started = Instant::now();
    let out = run([
        "-t",
        "1s",
        "--expect-jq",
        "[range(1e15)] | length > 0",
        &server.url("/health"),
    ]);
    let r = out.one();
    assert_eq!(kind(r), "assertion", "{r}");
    assert!(message(r).contains("did not finish within 1s"), "{r}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn checks_run_in_order_and_the_first_failure_is_reported() {
    let server = app();
    let all = |url: &str| {
        let out = run([
            "--expect",
            "UP",
            "--expect-header",
            "x-version: ^9",
            "--expect-jq",
            ".status == \"UP\"",
            "--slow",
            "1ms",
            url,
        ]);
        message(out.one()).to_owned()
    };
    // --accept first: a 500 is a status error whatever the body says.
    let out = run(["--expect-jq", ".status == \"UP\"", &server.url("/broken")]);
    assert_eq!(kind(out.one()), "status");
    assert!(all(&server.url("/down")).contains("--expect `UP`"));
    assert!(all(&server.url("/health")).contains("--expect-header"));
    let out = run([
        "--expect-jq",
        ".status == \"DOWN\"",
        "--slow",
        "1ms",
        &server.url("/sluggish"),
    ]);
    assert!(
        message(out.one()).starts_with("--expect-jq"),
        "{:?}",
        out.one()
    );
    let out = run([
        "--expect-jq",
        ".status",
        "--slow",
        "1ms",
        &server.url("/sluggish"),
    ]);
    assert!(message(out.one()).contains("--slow"), "{:?}", out.one());
    // The body read whole comes before --expect-jq.
    let out = run([
        "--max-body",
        "5",
        "--expect-jq",
        ".",
        &server.url("/health"),
    ]);
    assert_eq!(kind(out.one()), "too_large");
}

#[test]
#[cfg(unix)]
fn a_long_expect_jq_never_delays_a_signal() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Arc::new(std::sync::Mutex::new(tx));
    let server = AppServer::start(Router::new().route(
        "/health",
        get(move || {
            let tx = tx.clone();
            async move {
                let _ = tx.lock().unwrap().send(());
                json(r#"{"status":"UP"}"#)
            }
        }),
    ));
    let url = server.url("/health");
    let mut child = spawn(&[
        "-t",
        "60s",
        "--expect-jq",
        "[range(1e15)] | length > 0",
        &url,
    ]);
    rx.recv_timeout(Duration::from_secs(30))
        .expect("request made");
    let sent = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("fanout exits");
    assert_eq!(status.code(), Some(130));
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{:?}",
        sent.elapsed()
    );
    let rs = records(&stdout_of(&mut child));
    assert_eq!(kind(&rs[0]), "cancelled");
}
