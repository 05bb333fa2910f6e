//! --cert-valid against certificates the tests issue: expiring in three
//! days, valid for a year, already expired (seen only with -k).

use axum::Router;
use axum::routing::get;

use crate::cert_server::{CertServer, Options};
use crate::support::*;

fn message(r: &serde_json::Value) -> &str {
    r["error"]["message"].as_str().unwrap_or_default()
}

#[test]
fn cert_valid_passes_http() {
    let server = AppServer::start(Router::new().route("/health", get(|| async { "UP" })));
    let out = run(["--cert-valid", "3650d", &server.url("/health")]);
    assert_eq!(out.status, Some(0));
}

#[test]
fn cert_valid_fails_a_certificate_expiring_too_soon() {
    let mut options = Options::valid_for(3);
    // 3 days, 4 hours and a half: "3d 4h" however long the run takes.
    options.not_after += time::Duration::minutes(4 * 60 + 30);
    let server = CertServer::start(options);
    let mut args = server.cacert().to_vec();
    args.extend(["-r".into(), "2".into(), "--cert-valid".into(), "14d".into()]);
    args.push(server.url("/health"));
    let out = run(&args);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "assertion");
    assert_eq!(r["attempts"], 1);
    let m = message(r);
    let shape = regex::Regex::new(
        r"^certificate expires in 3d 4h \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\), less than --cert-valid 14d$",
    )
    .unwrap();
    assert!(shape.is_match(m), "{m}");
    // Two days is within what it has left.
    let mut args = server.cacert().to_vec();
    args.extend(["--cert-valid".into(), "2d".into(), server.url("/health")]);
    assert_eq!(run(&args).status, Some(0));
}

#[test]
fn cert_valid_passes_a_certificate_valid_for_a_year() {
    let server = CertServer::start(Options::valid_for(365));
    let mut args = server.cacert().to_vec();
    args.extend(["--cert-valid".into(), "14d".into(), server.url("/health")]);
    let out = run(&args);
    assert_eq!(out.status, Some(0), "{:?}", out.records);
}

#[test]
fn cert_valid_fails_an_expired_certificate_seen_with_insecure() {
    let mut options = Options::valid_for(0);
    options.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(30);
    options.not_after = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let server = CertServer::start(options);
    let out = run(["-k", "--cert-valid", "1d", &server.url("/health")]);
    let r = out.one();
    assert_eq!(kind(r), "assertion", "{r}");
    assert!(
        message(r).starts_with("certificate expired 2d ago ("),
        "{r}"
    );
}
