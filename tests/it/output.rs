//! Records: their fields, order, bodies; and what happens to stdout.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, header};
use axum::routing::{any, get};

use crate::support::*;

fn delay_app() -> AppServer {
    AppServer::start(Router::new().route(
        "/delay/{ms}",
        get(|Path(ms): Path<u64>| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            format!("slept {ms}")
        }),
    ))
}

#[test]
fn completion_order_by_default_input_order_with_ordered() {
    let server = delay_app();
    let urls = [
        server.url("/delay/600"),
        server.url("/delay/0"),
        server.url("/delay/300"),
    ];

    let out = run(&urls);
    let order: Vec<u64> = out
        .records
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(order, [1, 2, 0], "records come as they finish");

    let out = fanout().arg("--ordered").args(&urls).run();
    let order: Vec<u64> = out
        .records
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(order, [0, 1, 2]);
}

#[test]
fn a_record_describes_the_response() {
    let server = AppServer::start(Router::new().route(
        "/json",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                "{\"up\":true}",
            )
        }),
    ));
    let out = fanout().arg(server.url("/json")).run();
    let r = out.one();
    assert_eq!(r["index"], 0);
    assert_eq!(r["url"], server.url("/json"));
    assert_eq!(r["final_url"], server.url("/json"));
    assert_eq!(r["status"], 200);
    assert_eq!(r["attempts"], 1);
    assert_eq!(r["bytes"], 11);
    assert_eq!(r["content_type"], "application/json; charset=utf-8");
    assert_eq!(r["http_version"], "HTTP/1.1");
    assert_eq!(r["remote_addr"], server.addr.to_string());
    assert_eq!(r["redirects"], 0);
    let elapsed = r["elapsed_ms"].as_f64().unwrap();
    let ttfb = r["ttfb_ms"].as_f64().unwrap();
    assert!(
        ttfb > 0.0 && ttfb <= elapsed,
        "ttfb {ttfb} elapsed {elapsed}"
    );
    assert!(r.get("body").is_none(), "no body without --body");
}

#[test]
fn body_is_text_or_base64() {
    let server = AppServer::start(
        Router::new()
            .route("/text", get(|| async { "héllo" }))
            .route("/bin", get(|| async { vec![0u8, 0xff, 0xfe, 1] })),
    );
    let out = run([
        "--body",
        "--ordered",
        &server.url("/text"),
        &server.url("/bin"),
    ]);
    let rs = out.records;
    assert_eq!(rs[0]["body"], "héllo");
    assert!(rs[0].get("body_encoding").is_none());
    assert_eq!(rs[1]["body"], "AP/+AQ==");
    assert_eq!(rs[1]["body_encoding"], "base64");
}

#[test]
fn gzip_bodies_are_decoded() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all("hello ".repeat(100).as_bytes()).unwrap();
    let compressed = gz.finish().unwrap();
    let asked = Arc::new(Mutex::new(String::new()));
    let seen = asked.clone();
    let server = AppServer::start(Router::new().route(
        "/gz",
        get(move |headers: HeaderMap| {
            let compressed = compressed.clone();
            let seen = seen.clone();
            async move {
                let ae = headers
                    .get(header::ACCEPT_ENCODING)
                    .map(|v| v.to_str().unwrap().to_owned());
                *seen.lock().unwrap() = ae.unwrap_or_default();
                ([(header::CONTENT_ENCODING, "gzip")], compressed)
            }
        }),
    ));
    let out = run(["--body", &server.url("/gz")]);
    let r = out.one();
    assert_eq!(r["bytes"], 600, "bytes counts the decoded body");
    assert_eq!(r["body"], "hello ".repeat(100));
    let asked = asked.lock().unwrap();
    for enc in ["gzip", "br", "zstd"] {
        assert!(asked.contains(enc), "Accept-Encoding {asked:?} lacks {enc}");
    }
}

#[test]
fn requests_carry_method_headers_and_body() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = AppServer::start(Router::new().route(
        "/echo",
        any(
            move |method: axum::http::Method, headers: HeaderMap, body: String| {
                let log = log.clone();
                async move {
                    log.lock()
                        .unwrap()
                        .push((method.to_string(), headers, body));
                    "ok"
                }
            },
        ),
    ));
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("payload.json");
    std::fs::write(&payload, "{\"a\":1}").unwrap();

    fanout().arg(server.url("/echo")).assert().code(0);
    fanout()
        .args([
            "-X",
            "put",
            "-H",
            "X-Token: abc",
            "-H",
            "Content-Type: application/json",
        ])
        .arg("-d")
        .arg(format!("@{}", payload.display()))
        .args(["-A", "probe/1", &server.url("/echo")])
        .assert()
        .code(0);

    let seen = seen.lock().unwrap();
    let (m, h, b) = &seen[0];
    assert_eq!(m, "GET");
    assert_eq!(
        h["user-agent"],
        format!("fanout/{}", env!("CARGO_PKG_VERSION"))
    );
    assert!(b.is_empty());
    let (m, h, b) = &seen[1];
    assert_eq!(m, "PUT");
    assert_eq!(h["x-token"], "abc");
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["user-agent"], "probe/1");
    assert_eq!(b, "{\"a\":1}");
}

#[test]
fn closed_stdout_ends_the_run_quietly() {
    let server = AppServer::start(Router::new().route("/{n}", get(|| async { "ok" })));
    let urls: String = (0..3000)
        .map(|i| format!("{}\n", server.url(&format!("/{i}"))))
        .collect();
    let mut child = fanout_std()
        .args(["-c", "4"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // Stops with an error once fanout has gone; that is expected.
        let _ = stdin.write_all(urls.as_bytes());
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"index\":"), "{first}");
    drop(out); // like `| head -1`
    let status = wait_with_limit(&mut child, Duration::from_secs(30)).expect("fanout exits");
    writer.join().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(err.is_empty(), "no error spew on a closed pipe: {err}");
}

#[test]
#[cfg(target_os = "linux")]
fn write_error_on_stdout_is_one_line_and_exit_2() {
    let server = AppServer::start(Router::new().route("/", get(|| async { "ok" })));
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = fanout_std()
        .arg(server.url("/"))
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("No space left"), "{err}");
}
