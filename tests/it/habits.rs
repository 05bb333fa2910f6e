//! Habits and mistakes (SPEC "Habits and mistakes", issue 22): curl's
//! flags, negative values, `-o` given a results file, and `--header-for`
//! hosts that can never match are usage errors (exit 2) of one line that
//! names fanout's way, before any request.

use axum::Router;
use axum::routing::get;

use crate::support::*;

/// A server that must not be asked: it announces every request it reads.
fn untouched() -> RawServer {
    RawServer::start(Raw::Garbage)
}

/// Runs `args` against `server` and checks the run was refused as a usage
/// error in one line, with no request sent; returns that line.
fn refused(server: &RawServer, args: &[&str]) -> String {
    let out = run(args.iter().copied().chain([server.url("/").as_str()]));
    assert_eq!(out.status, Some(2), "{args:?}: {}", out.stderr);
    assert!(out.records.is_empty(), "{args:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    assert!(
        server.requests.try_recv().is_err(),
        "{args:?} sent a request"
    );
    out.stderr
}

#[test]
fn issue_22_curl_flags_name_fanouts_way_not_a_look_alike() {
    let server = untouched();
    for (args, says, not) in [
        (&["--retry", "3"][..], "-r/--retries", "--retry-on"),
        (&["--retry=3"], "-r/--retries", "--retry-on"),
        (&["--max-time", "5"], "--deadline", "--max-failures"),
        (&["-m", "5"], "-t/--timeout", "'-- -m'"),
        (&["--head"], "-X HEAD", "--header'"),
        (&["-I"], "-X HEAD", "'-- -I'"),
        (&["-L"], "--max-redirects", "'-- -L'"),
        (&["--location"], "--max-redirects", "'-- --location'"),
        (&["-kL"], "--max-redirects", "'-- -L'"),
        (&["--compressed"], "by default", "--ordered"),
        (&["-s"], "-q/--quiet", "'-- -s'"),
        (&["--silent"], "-q/--quiet", "similar"),
        (&["-f"], "--accept", "'-- -f'"),
        (&["--fail"], "--accept", "--fail-fast"),
        (&["-u", "user:secret"], "--header-for HOST @FILE", "'-- -u'"),
        (
            &["--user", "user:secret"],
            "--header-for HOST @FILE",
            "--user-agent",
        ),
    ] {
        let line = refused(&server, args);
        assert!(line.contains(says), "{args:?}: {line}");
        assert!(!line.contains(not), "{args:?}: {line}");
        assert!(!line.contains("secret"), "{args:?}: {line}");
    }
}

#[test]
fn issue_22_values_that_read_like_curl_flags_are_still_values() {
    let server = AppServer::start(Router::new().fallback(get(|| async { "ok" })));
    let url = server.url("/");
    // A header value and a user agent that read like curl flags.
    let out = run(["-H", "X-Note: --retry -L", "-A", "agent -s", url.as_str()]);
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert_eq!(out.one()["ok"], true);
    // After `--`, `-L` is a URL (an invalid one), not a flag.
    let out = run([url.as_str(), "--", "-L"]);
    assert_eq!(out.status, Some(1), "{}", out.stderr);
    assert_eq!(out.records.len(), 2);
    assert!(out.records.iter().any(|r| kind(r) == "invalid_url"));
}

#[test]
fn issue_22_negative_numbers_and_durations_must_not_be_negative() {
    let server = untouched();
    for args in [
        &["-c", "-1"][..],
        &["-c=-1"],
        &["--timeout", "-5s"],
        &["--timeout=-5s"],
        &["-t", "-1"],
        &["-r", "-1"],
        &["--rate", "-3"],
        &["--rate", "-3/s"],
        &["--per-host", "-2"],
        &["--threads", "-1"],
        &["--connect-timeout", "-1s"],
        &["--deadline", "-1m"],
        &["--backoff", "-200ms"],
        &["--trip-after", "-1"],
        &["--trip-cooldown", "-30s"],
        &["--retry-budget", "-1"],
        &["--max-redirects", "-1"],
        &["--max-body", "-1"],
        &["--max-body", "-1MB"],
        &["--max-failures", "-1"],
        &["--slow", "-1s"],
        &["--cert-valid", "-14d"],
    ] {
        let line = refused(&server, args);
        assert!(line.contains("must not be negative"), "{args:?}: {line}");
    }
}

#[test]
fn issue_22_o_with_a_results_file_name_says_records_go_to_stdout() {
    let server = untouched();
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "results.jsonl",
        "out.json",
        "r.CSV",
        "urls.txt",
        "r.xml",
        "summary.md",
    ] {
        let dir = tmp.path().join(name);
        let line = refused(&server, &["-o", dir.to_str().unwrap()]);
        assert!(
            line.contains("stdout") && line.contains("> FILE") && line.contains("directory"),
            "{name}: {line}"
        );
        assert!(!dir.exists(), "{name} was created");
    }
}

#[test]
fn issue_22_o_naming_an_existing_file_says_it_is_a_file() {
    let server = untouched();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bodies");
    std::fs::write(&file, "kept").unwrap();
    let line = refused(&server, &["-o", file.to_str().unwrap()]);
    assert!(line.contains("is a file"), "{line}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept");
}

#[test]
fn issue_22_header_for_a_host_that_can_never_match_is_a_usage_error() {
    let server = untouched();
    for (host, says) in [
        ("127.0.0.1:8080", "port"),
        ("api.example.com:443", "port"),
        ("https://api", "scheme"),
        ("api.example.com/v1", "path"),
        ("*.example.com", "wildcard"),
    ] {
        let line = refused(
            &server,
            &["--header-for", host, "Authorization: Bearer tok-1"],
        );
        assert!(
            line.contains("--header-for") && line.contains(says),
            "{host}: {line}"
        );
        assert!(!line.contains("tok-1"), "{host}: {line}");
    }
}
