//! Redirects: counting, limits, schemes, and credentials across hosts.

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Redirect;
use axum::routing::{any, get};

use crate::support::*;

type Seen = Recorder<(Method, HeaderMap)>;

/// A server whose `/land` records each request's method and headers.
fn landing() -> (AppServer, Seen) {
    let seen: Seen = Recorder::default();
    let log = seen.clone();
    let app = Router::new().route(
        "/land",
        any(move |method: Method, headers: HeaderMap| {
            let log = log.clone();
            async move {
                log.push((method, headers));
                "landed"
            }
        }),
    );
    (AppServer::start(app), seen)
}

fn redirector(to: String) -> AppServer {
    AppServer::start(
        Router::new()
            .route("/go", any(move || async move { Redirect::to(&to) }))
            .route("/see-other", any(|| async { Redirect::to("/land") }))
            .route("/loop", get(|| async { Redirect::temporary("/loop") }))
            .route(
                "/file",
                get(|| async { Redirect::temporary("file:///etc/passwd") }),
            )
            .route("/land", any(|| async { (StatusCode::OK, "same host") })),
    )
}

const SECRETS: [&str; 6] = [
    "-H",
    "Authorization: Bearer s3cret",
    "-H",
    "Cookie: session=abc",
    "-H",
    "X-Trace: kept",
];

#[test]
fn cross_host_redirect_drops_credentials() {
    let (target, seen) = landing();
    // Another port on the same address is another host.
    let origin = redirector(target.url("/land"));
    let out = fanout().args(SECRETS).arg(origin.url("/go")).run();
    assert_eq!(out.status, Some(0));
    let r = out.one();
    assert_eq!(r["redirects"], 1);
    assert_eq!(r["final_url"], target.url("/land"));
    assert_eq!(r["url"], origin.url("/go"));
    let seen = seen.all();
    let (_, headers) = &seen[0];
    assert!(
        headers.get(header::AUTHORIZATION).is_none(),
        "Authorization leaked"
    );
    assert!(headers.get(header::COOKIE).is_none(), "Cookie leaked");
    assert_eq!(headers["x-trace"], "kept");
}

#[test]
fn same_host_redirect_keeps_credentials() {
    let (target, seen) = landing();
    let out = fanout()
        .args(SECRETS)
        .arg(format!("{}?next=1", target.url("/land")))
        .run();
    assert_eq!(out.status, Some(0));
    let seen = seen.all();
    assert_eq!(seen[0].1[header::AUTHORIZATION], "Bearer s3cret");
    assert_eq!(seen[0].1[header::COOKIE], "session=abc");
}

#[test]
fn post_becomes_get_after_303() {
    let server = redirector(String::new());
    let out = run(["-d", "a=1", &server.url("/see-other")]);
    let r = out.one();
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["redirects"], 1);
    assert_eq!(r["final_url"], server.url("/land"));
}

#[test]
fn redirect_loop_is_a_redirect_error() {
    let server = redirector(String::new());
    let out = run(["--max-redirects", "3", &server.url("/loop")]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "redirect");
    assert_eq!(r["redirects"], 3);
    assert_eq!(r["attempts"], 1, "redirect errors are not retried");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("more than 3")
    );
}

#[test]
fn redirect_to_a_file_url_is_refused() {
    let server = redirector(String::new());
    let out = fanout().arg(server.url("/file")).run();
    let r = out.one();
    assert_eq!(kind(r), "redirect");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("file:"),
        "{r}"
    );
}

#[test]
fn max_redirects_0_keeps_the_redirect_response() {
    let server = redirector(String::new());
    let out = run(["--max-redirects", "0", &server.url("/see-other")]);
    let r = out.one();
    assert_eq!(r["status"], 303);
    assert_eq!(r["redirects"], 0);
    assert_eq!(kind(r), "status");
    let out = run([
        "--max-redirects",
        "0",
        "--accept",
        "300-399",
        &server.url("/see-other"),
    ]);
    assert_eq!(out.status, Some(0));
}
