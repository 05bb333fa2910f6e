//! `--header-for` (headers only one host gets, across redirects both
//! ways) and `--resolve` (a made-up name served on 127.0.0.1, with its own
//! certificate), against real local servers.

use serde_json::json;

use crate::per_line::Echo;
use crate::support::*;

const SECRET: &str = "tok-FOR-api-77c1";

/// Two servers reached by made-up names: `api.test` and `other.test`.
fn two_hosts() -> (Echo, Echo, Vec<String>) {
    let (api, other) = (Echo::start(), Echo::start());
    let args = vec![
        "--resolve".into(),
        format!("api.test:{}:127.0.0.1", api.port()),
        "--resolve".into(),
        format!("other.test:{}:127.0.0.1", other.port()),
        "--header-for".into(),
        "API.test".into(),
        format!("Authorization: Bearer {SECRET}"),
        "--header-for".into(),
        "api.test".into(),
        "X-Key: for-api".into(),
        "-H".into(),
        "X-Key: everyone".into(),
    ];
    (api, other, args)
}

#[test]
fn header_for_reaches_its_host_only_and_replaces_h() {
    let (api, other, args) = two_hosts();
    let out = fanout()
        .args(&args)
        .arg(format!("http://api.test:{}/a", api.port()))
        .arg(format!("http://other.test:{}/b", other.port()))
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let to_api = api.only();
    assert_eq!(
        to_api.header("authorization"),
        Some(&*format!("Bearer {SECRET}"))
    );
    assert_eq!(to_api.all("x-key"), ["for-api"]);
    let to_other = other.only();
    assert_eq!(to_other.header("authorization"), None);
    assert_eq!(to_other.all("x-key"), ["everyone"]);
}

#[test]
fn header_for_follows_redirects_to_its_host_and_never_away_from_it() {
    let (api, other, args) = two_hosts();
    let api_url = |p: &str| format!("http://api.test:{}{p}", api.port());
    let other_url = |p: &str| format!("http://other.test:{}{p}", other.port());
    // api → other, and other → api.
    let out = fanout()
        .args(&args)
        .arg(api_url(&format!("/go?to={}", other_url("/landed"))))
        .arg(other_url(&format!("/go?to={}", api_url("/landed"))))
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    for seen in api.seen() {
        assert_eq!(
            seen.header("authorization"),
            Some(&*format!("Bearer {SECRET}")),
            "{} on api",
            seen.path
        );
    }
    assert_eq!(api.seen().len(), 2);
    for seen in other.seen() {
        assert_eq!(seen.header("authorization"), None, "{} on other", seen.path);
        assert_eq!(seen.all("x-key"), ["everyone"]);
    }
    assert_eq!(other.seen().len(), 2);
}

#[test]
fn header_for_ignores_the_port_and_a_lines_headers_replace_it() {
    let (api, other, mut args) = two_hosts();
    // The same name on another port of api.test: still api.test.
    args.extend([
        "--resolve".into(),
        format!("api.test:{}:127.0.0.1", other.port()),
    ]);
    let lines = [
        json!({"url": format!("http://api.test:{}/own", api.port()),
               "headers": {"X-Key": "from-line"}}),
        json!({"url": format!("http://api.test:{}/port", other.port())}),
    ];
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let out = fanout()
        .args(["--input-format", "jsonl"])
        .args(&args)
        .write_stdin(input)
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert_eq!(api.only().all("x-key"), ["from-line"]);
    let on_other_port = other.only();
    assert_eq!(on_other_port.all("x-key"), ["for-api"]);
    assert!(on_other_port.header("authorization").is_some());
}

#[test]
fn header_for_values_are_never_logged() {
    let (api, _other, args) = two_hosts();
    let out = fanout()
        .args(&args)
        .arg("-vv")
        .arg(format!("http://api.test:{}/a", api.port()))
        .run();
    assert_eq!(out.status, Some(0));
    assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
    assert!(!out.stderr.contains("for-api"), "{}", out.stderr);
}

#[test]
fn resolve_sends_a_made_up_name_to_its_address_with_its_own_certificate() {
    use crate::cert_server::{CertServer, Options};
    let mut options = Options::valid_for(30);
    options.names = vec!["staging.example.test".into()];
    let server = CertServer::start(options);
    let port = server.addr.port();
    let url = format!("https://staging.example.test:{port}/health");
    let out = fanout()
        .args(server.cacert())
        .args([
            "--resolve",
            &format!("staging.example.test:{port}:127.0.0.1"),
        ])
        .args(["--timings", "--tls-info"])
        .arg(&url)
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let r = out.one();
    assert_eq!(r["remote_addr"], server.addr.to_string());
    assert_eq!(r["final_url"], url);
    assert!(r["timings"]["dns_ms"].is_null(), "{r}");
    assert!(r["timings"]["connect_ms"].is_number(), "{r}");
    assert_eq!(r["tls"]["sans"], json!(["staging.example.test"]));

    // The certificate check stays the name's: the same server by its
    // address does not pass.
    let by_ip = fanout()
        .args(server.cacert())
        .arg(server.url("/health"))
        .run();
    assert_eq!(kind(by_ip.one()), "tls");
}

#[test]
fn resolve_keeps_the_host_header_and_leaves_other_ports_alone() {
    let echo = Echo::start();
    let port = echo.port();
    let out = fanout()
        .args(["--resolve", &format!("svc.test:{port}:[::1],127.0.0.1")])
        .args(["--connect-timeout", "2s", "-r", "0"])
        .arg(format!("http://svc.test:{port}/a"))
        .arg(format!("http://svc.test:{}/b", closed_port()))
        .run();
    let records = by_index(out.records);
    assert_eq!(records[0]["ok"], true, "{}", records[0]);
    assert_eq!(
        echo.only().header("host"),
        Some(&*format!("svc.test:{port}"))
    );
    // Another port of the same name is resolved as usual: `.test` never
    // resolves.
    assert_eq!(kind(&records[1]), "dns", "{}", records[1]);
}

#[test]
fn bad_resolve_and_header_for_values_are_usage_errors() {
    for args in [
        &["--resolve", "host:80"][..],
        &["--resolve", "host:80:not-an-ip"],
        &["--resolve", "host:port:127.0.0.1"],
        &["--header-for", "api.test", "no colon"],
        &["--header-for", "api.test"],
        &["--header-for", "http://api.test/", "X: 1"],
    ] {
        let out = run(args.iter().copied().chain(["http://127.0.0.1:1/"]));
        assert_eq!(out.status, Some(2), "{args:?}: {}", out.stderr);
    }
}
