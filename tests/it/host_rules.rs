//! `--accept-for` (judged by the host that answered) and `-X HEAD,GET`
//! (a refused HEAD asked again with GET), against servers that count
//! what they get per method.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::any;

use crate::support::*;

/// `/head/{H}/get/{G}`: HEAD gets status H, GET status G; `/hang-head`
/// never answers a HEAD; `/to/{host}/{path}` redirects to that host.
/// Notes (host, method, arrival) of every request.
struct Methods {
    server: AppServer,
    hits: Recorder<(String, Method, Instant)>,
    gauge: Arc<Gauge>,
}

impl Methods {
    fn start() -> Methods {
        let gauge = Arc::new(Gauge::default());
        let g = gauge.clone();
        let app = Router::new()
            .route(
                "/head/{h}/get/{g}",
                any(
                    move |axum::extract::Path((h, g_)): axum::extract::Path<(u16, u16)>,
                          req: Request| {
                        let g = g.clone();
                        async move {
                            let _in = g.enter();
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            let code = if req.method() == Method::HEAD { h } else { g_ };
                            StatusCode::from_u16(code).unwrap().into_response()
                        }
                    },
                ),
            )
            .route(
                "/hang-head",
                any(|req: Request| async move {
                    if req.method() == Method::HEAD {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    StatusCode::OK
                }),
            )
            .route(
                "/to/{host}/{*path}",
                any(
                    |axum::extract::Path((host, path)): axum::extract::Path<(String, String)>,
                     req: Request| async move {
                        let port = req.headers()["host"]
                            .to_str()
                            .unwrap()
                            .rsplit(':')
                            .next()
                            .unwrap()
                            .to_owned();
                        let to: Response =
                            Redirect::temporary(&format!("http://{host}:{port}/{path}"))
                                .into_response();
                        to
                    },
                ),
            );
        let hits = Recorder::default();
        let server = AppServer::start(hits.around(app, |req: &Request| {
            let host = req.headers()["host"].to_str().unwrap();
            let name = host.split(':').next().unwrap().to_owned();
            (name, req.method().clone(), Instant::now())
        }));
        Methods {
            server,
            hits,
            gauge,
        }
    }

    fn url(&self, host: &str, path: &str) -> String {
        self.server.url_as(host, path)
    }

    /// `--resolve` for both names.
    fn resolve(&self) -> Vec<String> {
        self.server.resolve_as(&["a.test", "b.test"])
    }

    /// How many requests with `method` arrived.
    fn count(&self, method: Method) -> usize {
        self.hits
            .all()
            .iter()
            .filter(|(_, m, _)| *m == method)
            .count()
    }
}

fn by_url<'a>(out: &'a Run, url: &str) -> &'a serde_json::Value {
    out.records.iter().find(|r| r["url"] == url).unwrap()
}

#[test]
fn accept_for_judges_the_host_that_answered() {
    let s = Methods::start();
    let a429 = s.url("a.test", "/head/429/get/429");
    let b429 = s.url("b.test", "/head/429/get/429");
    // b.test redirects to a.test, which answers: a.test's rule.
    let b_to_a = s.url("b.test", "/to/a.test/head/429/get/429");
    // a.test redirects to b.test: b.test's answer, judged by --accept.
    let a_to_b = s.url("a.test", "/to/b.test/head/429/get/429");
    let a200 = s.url("a.test", "/head/200/get/200");
    let out = fanout()
        .args(s.resolve())
        .args(["--accept-for", "A.test", "200,429", "-r", "0"])
        .args([&a429, &b429, &b_to_a, &a_to_b, &a200])
        .run();
    assert_eq!(out.status, Some(1));
    for (url, ok) in [
        (&a429, true),
        (&b429, false),
        (&b_to_a, true),
        (&a_to_b, false),
        (&a200, true),
    ] {
        let r = by_url(&out, url);
        assert_eq!(r["ok"], ok, "{r}");
        assert_eq!(r["attempts"], 1, "an accepted 429 is not retried: {r}");
    }
    let message = by_url(&out, &b429)["error"]["message"].as_str().unwrap();
    assert!(message.contains("--accept 200-299"), "{message}");
    // A status outside a host's own list fails, even one --accept takes.
    let out = fanout()
        .args(s.resolve())
        .args(["--accept-for", "a.test", "429"])
        .arg(&a200)
        .run();
    let message = out.one()["error"]["message"].as_str().unwrap();
    assert!(message.contains("--accept-for a.test 429"), "{message}");
}

#[test]
fn head_then_get_asks_again_only_after_a_refusal() {
    let s = Methods::start();
    let url = |h: u16, g: u16| s.url("a.test", &format!("/head/{h}/get/{g}"));
    let cases = [
        // (HEAD status, GET status, ok, attempts, method of the final answer)
        (200, 500, true, 1, "HEAD"),
        (405, 200, true, 2, "GET"),
        (403, 200, true, 2, "GET"),
        (501, 200, true, 2, "GET"),
        (404, 404, false, 2, "GET"),
        (429, 200, false, 1, "HEAD"),
        (408, 200, false, 1, "HEAD"),
    ];
    let urls: Vec<String> = cases.iter().map(|c| url(c.0, c.1)).collect();
    let out = fanout()
        .args(s.resolve())
        .args(["-X", "head,GET", "-r", "0"])
        .args(&urls)
        .run();
    for (case, u) in cases.iter().zip(&urls) {
        let r = by_url(&out, u);
        assert_eq!(
            (r["ok"].as_bool().unwrap(), r["attempts"].as_u64().unwrap()),
            (case.2, case.3),
            "{r}"
        );
        assert_eq!(r["method"], case.4, "{r}");
    }
    assert_eq!(s.count(Method::GET), 4, "one GET per refused HEAD");
}

#[test]
fn head_is_retried_first_and_the_get_is_not() {
    let s = Methods::start();
    let out = fanout()
        .args(s.resolve())
        .args(["-X", "HEAD,GET", "-r", "2", "--backoff", "1ms"])
        .args([
            s.url("a.test", "/head/500/get/500"),
            s.url("b.test", "/head/503/get/200"),
        ])
        .run();
    let failing = by_url(&out, &s.url("a.test", "/head/500/get/500"));
    // HEAD three times (a retried 500), then one GET, never retried.
    assert_eq!(failing["attempts"], 4, "{failing}");
    assert_eq!(failing["method"], "GET");
    assert!(
        failing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("after 4 attempts")
    );
    // A 503 asks the client to slow down: no GET after it.
    let busy = by_url(&out, &s.url("b.test", "/head/503/get/200"));
    assert_eq!(
        (busy["attempts"].as_u64(), busy["method"].as_str()),
        (Some(3), Some("HEAD"))
    );
    assert_eq!(s.count(Method::GET), 1);
}

#[test]
fn no_get_after_a_timeout_or_a_transport_error() {
    let s = Methods::start();
    let closed = format!("http://127.0.0.1:{}/x", closed_port());
    let out = fanout()
        .args(s.resolve())
        .args(["-X", "HEAD,GET", "-r", "0", "-t", "300ms"])
        .args([
            s.url("a.test", "/hang-head"),
            closed.clone(),
            "not a url".into(),
        ])
        .run();
    assert_eq!(s.count(Method::GET), 0);
    let hung = by_url(&out, &s.url("a.test", "/hang-head"));
    assert_eq!((kind(hung), &hung["attempts"]), ("timeout", &1.into()));
    assert!(hung["method"].is_null(), "no answer, no method: {hung}");
    assert_eq!(kind(by_url(&out, &closed)), "connect");
    assert!(by_url(&out, "not a url")["method"].is_null());
}

#[test]
fn the_get_counts_against_the_limits() {
    let s = Methods::start();
    let urls: Vec<String> = (0..4)
        .map(|i| s.url("a.test", &format!("/head/405/get/200?{i}")))
        .collect();
    let out = fanout()
        .args(s.resolve())
        .args(["-X", "HEAD,GET", "--host-rate", "4", "--per-host", "1"])
        .args(&urls)
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert!(
        out.records
            .iter()
            .all(|r| r["attempts"] == 2 && r["method"] == "GET")
    );
    assert_eq!(s.gauge.peak(), 1, "--per-host 1 held for the GET too");
    let mut at: Vec<Instant> = s.hits.all().into_iter().map(|(_, _, t)| t).collect();
    at.sort();
    assert_eq!(at.len(), 8);
    // Eight starts at 4/s: no 0.9 s holds more than four.
    let most = (0..at.len())
        .map(|i| {
            at[i..]
                .iter()
                .take_while(|t| **t - at[i] < Duration::from_millis(900))
                .count()
        })
        .max()
        .unwrap();
    assert!(most <= 4, "{most} starts within 0.9 s");
}

#[test]
fn only_head_get_is_a_method_list() {
    for list in ["GET,HEAD", "HEAD,POST", "HEAD,GET,PUT", "HEAD,", ","] {
        let out = run(["-X", list, "http://127.0.0.1:9/"]);
        assert_eq!(out.status, Some(2), "{list}: {}", out.stderr);
        assert!(out.stderr.contains("HEAD,GET"), "{}", out.stderr);
    }
}
