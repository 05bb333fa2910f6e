//! `--timestamps` and `--hash`.

use std::io::Write;

use axum::Router;
use axum::http::header;
use axum::routing::get;

use super::*;
use crate::support::*;

const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[test]
fn started_at_is_the_first_attempts_start_in_utc_with_milliseconds() {
    let pages = Pages::start();
    pages.set("a", Page::ok("a"));
    let before = std::time::SystemTime::now();
    let run = run(["--timestamps", &pages.url("a"), "not a url"]);
    let after = std::time::SystemTime::now();
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let a = of(&run.records, &pages.url("a"));
    let stamp = a["started_at"].as_str().unwrap();
    let shape = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$").unwrap();
    assert!(shape.is_match(stamp), "{stamp}");
    // Within the run's wall time, to the millisecond.
    let t =
        time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339).unwrap();
    let ms = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i128
    };
    let at = t.unix_timestamp_nanos() / 1_000_000;
    assert!(ms(before) <= at && at <= ms(after), "{stamp}");
    // No request, no start.
    assert!(of(&run.records, "not a url")["started_at"].is_null());
}

#[test]
fn hashes_are_of_the_decoded_body_ok_or_not() {
    let pages = Pages::start();
    pages.set("a", Page::ok("hello, world\n"));
    pages.set("gone", Page::status(404));
    pages.set("empty", Page::ok(""));
    // A gzip-encoded body: the hash is of the decoded bytes `bytes` counts.
    let plain = "compressible ".repeat(500);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(plain.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let gzip = AppServer::start(Router::new().route(
        "/z",
        get(move || {
            let gz = gz.clone();
            async move { ([(header::CONTENT_ENCODING, "gzip")], gz) }
        }),
    ));
    let run = run([
        "--hash",
        &pages.url("a"),
        &pages.url("gone"),
        &pages.url("empty"),
        &gzip.url("/z"),
    ]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let sha = |u: &str| of(&run.records, u)["sha256"].as_str().unwrap().to_owned();
    // Known digests, and the same computed here.
    assert_eq!(
        sha(&pages.url("a")),
        "853ff93762a06ddbf722c4ebe9ddd66d8f63ddaea97f521c3ecc20da7c976020"
    );
    assert_eq!(sha(&pages.url("a")), sha256_hex(b"hello, world\n"));
    assert_eq!(
        sha(&pages.url("gone")),
        sha256_hex(b"status 404"),
        "a 404 page has a hash"
    );
    assert_eq!(sha(&pages.url("empty")), EMPTY_SHA);
    let z = of(&run.records, &gzip.url("/z"));
    assert_eq!(z["bytes"], plain.len());
    assert_eq!(sha(&gzip.url("/z")), sha256_hex(plain.as_bytes()));
}

#[test]
fn no_hash_without_a_whole_body() {
    let pages = Pages::start();
    pages.set("big", Page::ok(&"x".repeat(5000)));
    pages.set("head", Page::ok("not sent to HEAD"));
    let closed = format!("http://127.0.0.1:{}/", closed_port());
    let run = run([
        "--hash",
        "--max-body",
        "1KiB",
        &pages.url("big"),
        &closed,
        "not a url",
    ]);
    for r in &run.records {
        assert!(r["sha256"].is_null(), "{r}");
    }
    assert_eq!(kind(of(&run.records, &pages.url("big"))), "too_large");
    assert_eq!(kind(of(&run.records, &closed)), "connect");
    let head = crate::support::run(["--hash", "-X", "HEAD", &pages.url("head")]);
    assert_eq!(head.status, Some(0), "{}", head.stderr);
    assert!(head.one()["sha256"].is_null(), "HEAD reads no body");
}

#[test]
fn a_saved_body_hashes_to_the_records_sha256() {
    let pages = Pages::start();
    let body: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    pages.set(
        "bin",
        Page {
            body: body.clone(),
            ..Page::ok("")
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let run = run([
        "--hash",
        "-o",
        dir.path().to_str().unwrap(),
        &pages.url("bin"),
    ]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let r = run.one();
    let saved = std::fs::read(r["saved_to"].as_str().unwrap()).unwrap();
    assert_eq!(saved, body);
    assert_eq!(r["sha256"], sha256_hex(&saved).as_str());
}
