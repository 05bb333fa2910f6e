//! What answered: --timings, --tls-info and --response-header.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::http::header::{HeaderMap, HeaderValue};
use axum::response::Redirect;
use axum::routing::get;
use serde_json::{Value, json};

use crate::cert_server::{CertServer, Options};
use crate::support::*;

fn app() -> AppServer {
    AppServer::start(
        Router::new()
            .route(
                "/a",
                get(|| async {
                    let mut h = HeaderMap::new();
                    h.insert("server", HeaderValue::from_static("nginx"));
                    h.append("set-cookie", HeaderValue::from_static("a=s3cret-one"));
                    h.append("set-cookie", HeaderValue::from_static("b=2"));
                    (h, "hello")
                }),
            )
            .route("/hop", get(|| async { Redirect::temporary("/a") })),
    )
}

fn ms(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn response_headers_by_name_case_insensitive_with_all_values() {
    let server = app();
    let out = run([
        "--response-header",
        "Set-Cookie",
        "--response-header",
        "X-Absent",
        "--response-header",
        "SERVER",
        &server.url("/a"),
    ]);
    let r = out.one();
    assert_eq!(
        r["headers"],
        json!({"set-cookie": ["a=s3cret-one", "b=2"], "x-absent": null, "server": ["nginx"]})
    );
    let keys: Vec<&String> = r["headers"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["set-cookie", "x-absent", "server"],
        "names in order asked"
    );
}

#[test]
fn response_header_star_takes_them_all() {
    let server = app();
    let out = run(["--response-header", "*", &server.url("/a")]);
    let h = &out.one()["headers"];
    assert_eq!(h["server"], json!(["nginx"]));
    assert_eq!(h["set-cookie"], json!(["a=s3cret-one", "b=2"]));
    assert!(h["content-length"].is_array(), "{h}");
    assert!(
        h.as_object()
            .unwrap()
            .keys()
            .all(|k| *k == k.to_lowercase())
    );
}

#[test]
fn headers_timings_and_tls_are_null_without_a_response() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let out = run([
        "-r",
        "0",
        "--response-header",
        "server",
        "--timings",
        "--tls-info",
        &url,
    ]);
    let r = out.one();
    assert_eq!(kind(r), "connect");
    assert!(
        r["headers"].is_null() && r["timings"].is_null() && r["tls"].is_null(),
        "{r}"
    );
    // An invalid URL makes no request and has them all null too.
    let out = run([
        "--timings",
        "--tls-info",
        "--response-header",
        "*",
        "ftp://x/",
    ]);
    let r = out.one();
    assert!(
        r["headers"].is_null() && r["timings"].is_null() && r["tls"].is_null(),
        "{r}"
    );
}

#[test]
fn fields_appear_only_with_their_flags() {
    let server = app();
    let out = run([&server.url("/a")]);
    let r = out.one();
    for key in ["timings", "tls", "headers"] {
        assert!(r.get(key).is_none(), "{key} without its flag: {r}");
    }
}

#[test]
fn secret_header_values_are_written_but_never_logged() {
    let server = app();
    let out = run(["-vv", "--response-header", "set-cookie", &server.url("/a")]);
    assert_eq!(out.one()["headers"]["set-cookie"][0], "a=s3cret-one");
    assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);
}

#[test]
fn timings_of_a_new_then_a_reused_connection() {
    let server = app();
    let out = run([
        "-c",
        "1",
        "--ordered",
        "--timings",
        &server.url("/a"),
        &server.url("/a"),
    ]);
    assert_eq!(out.status, Some(0));
    let (first, second) = (&out.records[0]["timings"], &out.records[1]["timings"]);
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["reused", "dns_ms", "connect_ms", "ttfb_ms", "download_ms"]
    );
    assert_eq!(first["reused"], false, "{first}");
    assert!(
        first["dns_ms"].is_null(),
        "an IP literal has no lookup: {first}"
    );
    assert!(ms(&first["connect_ms"]) >= 0.0);
    assert!(ms(&first["ttfb_ms"]) >= 0.0 && ms(&first["download_ms"]) >= 0.0);
    assert_eq!(second["reused"], true, "{second}");
    assert!(second["dns_ms"].is_null() && second["connect_ms"].is_null());
    assert!(ms(&second["ttfb_ms"]) >= 0.0);
}

#[test]
fn timings_time_the_name_lookup() {
    let server = app();
    let url = format!("http://localhost:{}/a", server.addr.port());
    let out = run(["--timings", &url]);
    let t = &out.one()["timings"];
    assert_eq!(t["reused"], false, "{t}");
    assert!(ms(&t["dns_ms"]) >= 0.0, "{t}");
}

#[test]
fn timings_describe_the_final_hop() {
    let server = app();
    let out = run(["--timings", &server.url("/hop")]);
    let r = out.one();
    assert_eq!(r["redirects"], 1);
    // The redirect's response was the connection's first; the final hop
    // rode the same connection.
    assert_eq!(r["timings"]["reused"], true, "{r}");
}

#[test]
fn tls_info_describes_the_leaf_certificate() {
    let server = CertServer::start(Options::valid_for(365));
    let mut args = server.cacert().to_vec();
    args.extend(["--tls-info".into(), server.url("/")]);
    let out = run(&args);
    let tls = &out.one()["tls"];
    let keys: Vec<&String> = tls.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "subject",
            "issuer",
            "sans",
            "not_before",
            "not_after",
            "days_left"
        ]
    );
    assert_eq!(tls["subject"], "CN=localhost");
    assert_eq!(tls["issuer"], "CN=Test CA, O=Fanout Tests, C=US");
    assert_eq!(tls["sans"], json!(["127.0.0.1", "localhost"]));
    let stamp = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").unwrap();
    assert!(stamp.is_match(tls["not_before"].as_str().unwrap()), "{tls}");
    assert!(stamp.is_match(tls["not_after"].as_str().unwrap()), "{tls}");
    let days = ms(&tls["days_left"]);
    assert!((364.9..=365.0).contains(&days), "{tls}");
    assert_eq!((days * 100.0).round() / 100.0, days, "two decimals");
}

#[test]
fn tls_info_is_null_for_http_and_negative_days_once_expired() {
    let server = app();
    let out = run(["--tls-info", &server.url("/a")]);
    assert!(out.one()["tls"].is_null());
    let mut options = Options::valid_for(0);
    options.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(30);
    options.not_after = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let expired = CertServer::start(options);
    let out = run(["--tls-info", &expired.url("/")]);
    assert_eq!(kind(out.one()), "tls", "not reachable without -k");
    let out = run(["-k", "--tls-info", &expired.url("/")]);
    let days = ms(&out.one()["tls"]["days_left"]);
    assert!((-2.01..=-1.99).contains(&days), "{days}");
}

/// Many requests race for connections to one host whose later connections
/// are slow to accept (each waits longer before its handshake). The pool
/// hands a waiting request whichever connection frees up first, so a
/// request's own wait says nothing; the records must still describe the
/// connection that carried each response.
#[test]
fn timings_follow_the_connection_that_carried_the_response() {
    const SPACING: Duration = Duration::from_millis(200);
    let mut options = Options::valid_for(365);
    options.accept_delay = |n| SPACING * n as u32;
    options.response_delay = Duration::from_millis(300);
    let server = CertServer::start(options);
    let mut args = server.cacert().to_vec();
    args.extend(
        [
            "-c",
            "12",
            "--http1.1",
            "--timings",
            "--response-header",
            "x-conn",
        ]
        .map(String::from),
    );
    for i in 0..12 {
        args.push(server.url(&format!("/{i}")));
    }
    let out = run(&args);
    assert_eq!(out.status, Some(0), "{:?}", out.records);
    let mut by_conn: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for r in &out.records {
        let conn: u64 = r["headers"]["x-conn"][0].as_str().unwrap().parse().unwrap();
        by_conn.entry(conn).or_default().push(&r["timings"]);
    }
    let fresh = out
        .records
        .iter()
        .filter(|r| r["timings"]["reused"] == false)
        .count();
    assert_eq!(
        fresh,
        by_conn.len(),
        "one new-connection record per connection used"
    );
    assert!(
        by_conn.len() > 1,
        "the test wants several connections: {by_conn:?}"
    );
    assert!(server.accepted.load(Ordering::SeqCst) >= by_conn.len());
    for (conn, timings) in &by_conn {
        let firsts: Vec<_> = timings.iter().filter(|t| t["reused"] == false).collect();
        assert_eq!(firsts.len(), 1, "connection {conn}: {timings:?}");
        let connect = ms(&firsts[0]["connect_ms"]);
        let delay = (SPACING * *conn as u32).as_secs_f64() * 1000.0;
        // At least the delay of the connection that carried it, and less
        // than that of the next one.
        assert!(
            connect >= delay,
            "connection {conn}: connect {connect} < {delay}"
        );
        assert!(
            connect < delay + SPACING.as_secs_f64() * 1000.0,
            "connection {conn}: connect {connect} looks like another connection's"
        );
        for t in timings.iter().filter(|t| t["reused"] == true) {
            assert!(t["dns_ms"].is_null() && t["connect_ms"].is_null(), "{t}");
        }
    }
}
