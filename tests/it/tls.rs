//! TLS: certificates are verified unless `-k`; `--cacert` adds a trusted CA
//! without turning off the host name check.

use crate::fault_server::FaultServer;
use crate::support::*;

fn ca_file(server: &FaultServer) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    (dir, ca)
}

#[test]
fn untrusted_certificate_is_a_tls_error_and_final() {
    let server = FaultServer::start();
    let out = run(["-r", "3", "--backoff", "1ms", &server.tls_url("/ok")]);
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "tls", "{r}");
    assert_eq!(r["attempts"], 1, "a bad certificate does not get better");
    assert!(r["status"].is_null());
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains("certificate"), "{message}");
    assert!(
        server.seen().is_empty(),
        "no request after a failed handshake"
    );
}

#[test]
fn insecure_accepts_the_untrusted_certificate() {
    let server = FaultServer::start();
    for (flags, version) in [(&["-k"][..], "HTTP/2"), (&["-k", "--http1.1"], "HTTP/1.1")] {
        let out = fanout().args(flags).arg(server.tls_url("/ok")).run();
        assert_eq!(out.status, Some(0), "{flags:?}");
        let r = out.one();
        assert_eq!(r["http_version"], version, "{r}");
        assert_eq!(r["remote_addr"], server.tls.to_string());
    }
}

#[test]
fn cacert_trusts_the_test_ca() {
    let server = FaultServer::start();
    let (_dir, ca) = ca_file(&server);
    let out = fanout()
        .arg("--cacert")
        .arg(&ca)
        .arg(server.tls_url("/ok"))
        .run();
    assert_eq!(out.status, Some(0));
    let r = out.one();
    assert_eq!(r["status"], 200);
    assert_eq!(r["final_url"], server.tls_url("/ok"));
}

#[test]
fn cacert_still_checks_the_host_name() {
    let server = FaultServer::start();
    let (_dir, ca) = ca_file(&server);
    let url = format!("https://{}/ok", server.tls_misnamed);
    let out = fanout().arg("--cacert").arg(&ca).arg(&url).run();
    assert_eq!(out.status, Some(1));
    let r = out.one();
    assert_eq!(kind(r), "tls", "{r}");
    // The certificate is fine but for another name; -k accepts it anyway.
    fanout().args(["-k", &url]).assert().code(0);
}

#[test]
fn cacert_that_is_not_a_certificate_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate\n").unwrap();
    let out = fanout()
        .arg("--cacert")
        .arg(&bogus)
        .arg("https://127.0.0.1:9/")
        .run();
    assert_eq!(out.status, Some(2));
    assert!(out.records.is_empty());
    let err = out.stderr;
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_self_signed_certificate_is_trusted_only_when_given() {
    let server = FaultServer::start();
    let url = format!("https://{}/ok", server.tls_self_signed);
    let out = fanout().arg(&url).run();
    assert_eq!(kind(out.one()), "tls");
    // The certificate itself as --cacert, as for a development server.
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("server.pem");
    std::fs::write(&cert, &server.self_signed_pem).unwrap();
    let out = fanout().arg("--cacert").arg(&cert).arg(&url).run();
    let r = out.one();
    assert_eq!(out.status, Some(0), "{r}");
    fanout().args(["-k", &url]).assert().code(0);
    // Trusting one self-signed certificate trusts no other.
    let out = fanout()
        .arg("--cacert")
        .arg(&cert)
        .arg(server.tls_url("/ok"))
        .run();
    assert_eq!(kind(out.one()), "tls");
}
