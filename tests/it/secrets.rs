//! Safety: credentials stay with the host they were meant for and out of
//! every log, and redirects lead only to `http`/`https`.

use std::path::PathBuf;

use crate::fault_server::FaultServer;
use crate::support::*;

/// Secret values that must never be printed or sent to another host.
const SECRETS: [&str; 3] = ["tok-AUTH-1f3e", "tok-COOKIE-9a7b", "tok-PROXY-5c2d"];
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

fn credential_args() -> Vec<String> {
    vec![
        "-H".into(),
        format!("Authorization: Bearer {}", SECRETS[0]),
        "-H".into(),
        format!("Cookie: session={}", SECRETS[1]),
        "-H".into(),
        format!("Proxy-Authorization: Basic {}", SECRETS[2]),
        "-H".into(),
        "X-Trace: kept".into(),
    ]
}

#[test]
fn cross_host_redirect_drops_every_credential_header() {
    let server = FaultServer::start();
    let out = fanout()
        .args(credential_args())
        .arg(server.redirect_url(&server.other_url("/land")))
        .run();
    assert_eq!(out.status, Some(0));
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (first, landed) = (&seen[0], &seen[1]);
    assert_eq!(first.local, server.addr);
    assert_eq!(landed.local, server.other);
    for (name, secret) in CREDENTIAL_HEADERS.iter().zip(SECRETS) {
        let sent = first.header(name).unwrap_or_default();
        assert!(sent.contains(secret), "{name} was not sent at all");
        assert_eq!(landed.header(name), None, "{name} leaked to another host");
    }
    assert_eq!(landed.header("x-trace"), Some("kept"));
}

#[test]
fn same_host_redirect_keeps_every_credential_header() {
    let server = FaultServer::start();
    let out = fanout()
        .args(credential_args())
        .arg(server.redirect_url("/land"))
        .run();
    assert_eq!(out.status, Some(0));
    let seen = server.seen();
    let landed = seen.last().unwrap();
    assert_eq!(landed.path, "/land");
    for (name, secret) in CREDENTIAL_HEADERS.iter().zip(SECRETS) {
        let kept = landed.header(name).unwrap_or_default();
        assert!(kept.contains(secret), "{name} lost on a same-host redirect");
    }
}

#[test]
fn redirects_lead_only_to_http_and_https() {
    let server = FaultServer::start();
    let targets = [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1:70/",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "mailto:root@localhost",
        "unix:/var/run/docker.sock",
    ];
    let urls: Vec<String> = targets.iter().map(|t| server.redirect_url(t)).collect();
    let out = fanout().arg("--ordered").args(&urls).run();
    assert_eq!(out.status, Some(1));
    let rs = out.records;
    assert_eq!(rs.len(), targets.len());
    for (r, target) in rs.iter().zip(targets) {
        let scheme = &target[..target.find(':').unwrap() + 1];
        assert_eq!(kind(r), "redirect", "{target}: {r}");
        assert_eq!(r["redirects"], 0, "{target}");
        assert_eq!(r["attempts"], 1, "{target}: refusals are final");
        let message = r["error"]["message"].as_str().unwrap();
        assert!(message.contains(scheme), "{target}: {message}");
    }
    // Nothing was requested but the redirecting URLs themselves.
    assert_eq!(server.seen().len(), targets.len());
}

/// Runs one URL of each kind that sends credentials (HTTP/1.1, HTTP/2 over
/// TLS, a cross-host redirect, a retried failure) with logging turned up,
/// and returns stderr.
fn logged_run(server: &FaultServer, ca: &PathBuf, log: (&str, Option<&str>)) -> String {
    let mut cmd = fanout();
    if let Some(filter) = log.1 {
        cmd.env("RUST_LOG", filter);
    }
    let out = cmd
        .args(credential_args())
        .args(["-r", "1", "--backoff", "1ms", "--cacert"])
        .arg(ca)
        .args(log.0.split_whitespace())
        .args([
            server.url("/ok"),
            server.tls_url("/ok"),
            server.redirect_url(&server.other_url("/land")),
            server.url("/status/503"),
        ])
        .run();
    assert_eq!(out.status, Some(1));
    let rs = out.records;
    assert_eq!(rs.iter().filter(|r| r["ok"] == true).count(), 3, "{rs:?}");
    let tls = rs
        .iter()
        .find(|r| r["url"] == server.tls_url("/ok"))
        .unwrap();
    assert_eq!(tls["http_version"], "HTTP/2", "{tls}");
    out.stderr
}

#[test]
fn credentials_never_reach_verbose_or_trace_logs() {
    let server = FaultServer::start();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    for (flags, filter, sign) in [
        ("-vv", None, "attempt finished"),
        ("", Some("trace"), "h2::"),
        ("-vv", Some("trace,fanout=trace"), "hyper_util::"),
    ] {
        let err = logged_run(&server, &ca, (flags, filter));
        // The logs are really on: the run would pass trivially otherwise.
        assert!(
            err.contains(sign),
            "{flags} {filter:?} logged nothing like {sign}"
        );
        for secret in SECRETS {
            assert!(
                !err.contains(secret),
                "{flags} {filter:?} printed a credential: {}",
                err.lines().find(|l| l.contains(secret)).unwrap()
            );
        }
    }
}

#[test]
fn a_malformed_credential_header_is_not_echoed() {
    for header in [
        format!("Authorization: Bearer {}\u{7f}", SECRETS[0]),
        format!("Bearer {}", SECRETS[0]),
        format!("Cookie: a={}\r\nX-Injected: 1", SECRETS[1]),
    ] {
        let out = run(["-H", &header, "http://127.0.0.1:9/"]);
        assert_eq!(out.status, Some(2), "{header:?}");
        let err = out.stderr;
        assert_eq!(err.lines().count(), 1, "{err}");
        for secret in SECRETS {
            assert!(!err.contains(secret), "usage error echoes a secret: {err}");
        }
    }
}
