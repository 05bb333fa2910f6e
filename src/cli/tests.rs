//! Unit tests of the whole command line: parsing, resolving, the
//! definition's consistency.
use clap::CommandFactory;
use clap::Parser;
use reqwest::Method;
use reqwest::header;

use super::*;
use crate::config::DEFAULT_USER_AGENT;

#[test]
fn cli_definition_is_consistent() {
    Cli::command().debug_assert();
}

fn config(args: &[&str]) -> anyhow::Result<Config> {
    let mut argv = vec!["fanout"];
    argv.extend_from_slice(args);
    argv.push("http://127.0.0.1/");
    Cli::try_parse_from(argv)?.into_config().map(|p| p.config)
}

#[test]
fn defaults_match_the_library() {
    let c = config(&[]).unwrap();
    let d = Config::default();
    assert_eq!(c.limits.concurrency, d.limits.concurrency);
    assert_eq!(c.limits.timeout, d.limits.timeout);
    assert_eq!(c.limits.per_host, None);
    assert_eq!(c.protection.trip_after, None);
    assert_eq!(c.retry.retries, d.retry.retries);
    assert_eq!(c.retry.retry_on, d.retry.retry_on);
    assert_eq!(c.success.accept, d.success.accept);
    assert_eq!(c.request.max_body, d.request.max_body);
    assert_eq!(c.request.method, Method::GET);
    assert_eq!(
        c.request.headers.get(header::USER_AGENT).unwrap(),
        DEFAULT_USER_AGENT
    );
}

#[test]
fn data_implies_post_with_a_form_content_type() {
    let c = config(&["-d", "a=1"]).unwrap();
    assert_eq!(c.request.method, Method::POST);
    assert_eq!(c.request.body.as_deref(), Some(&b"a=1"[..]));
    assert_eq!(
        c.request.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/x-www-form-urlencoded"
    );
    let c = config(&[
        "-d",
        "{}",
        "-X",
        "put",
        "-H",
        "Content-Type: application/json",
    ])
    .unwrap();
    assert_eq!(c.request.method, Method::PUT);
    assert_eq!(
        c.request.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
}

#[test]
fn headers_parse_and_override_the_user_agent() {
    let c = config(&["-H", "X-A: 1", "-H", "x-a:2", "-H", "User-Agent: probe"]).unwrap();
    let values: Vec<_> = c.request.headers.get_all("x-a").iter().collect();
    assert_eq!(values, ["1", "2"]);
    assert_eq!(c.request.headers.get(header::USER_AGENT).unwrap(), "probe");
    for bad in ["NoColon", "Bad Name: x", ": empty"] {
        assert!(config(&["-H", bad]).is_err(), "{bad}");
    }
}

#[test]
fn color_follows_the_flag_no_color_and_the_terminal() {
    let set = Some(std::ffi::OsStr::new("1"));
    let empty = Some(std::ffi::OsStr::new(""));
    assert!(use_color(ColorArg::Auto, None, true));
    assert!(!use_color(ColorArg::Auto, set, true));
    assert!(
        use_color(ColorArg::Auto, empty, true),
        "an empty NO_COLOR does not count"
    );
    assert!(!use_color(ColorArg::Auto, None, false));
    assert!(use_color(ColorArg::Always, set, false));
    assert!(!use_color(ColorArg::Never, None, true));
}

#[test]
fn completions_and_man_page_generate() {
    for what in [
        Generate::CompleteBash,
        Generate::CompleteZsh,
        Generate::CompleteFish,
        Generate::Man,
    ] {
        let mut out = Vec::new();
        generate(what, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.replace("\\-", "-").contains("per-host"),
            "{what:?} lacks a flag"
        );
    }
}

#[test]
fn bad_values_are_usage_errors() {
    for args in [
        &["-c", "0"][..],
        &["-t", "0s"],
        &["-t", "soon"],
        &["--accept", "2xx"],
        &["--max-body", "0", "--body"],
        &["--max-body", "0", "--expect", "x"],
        &["--output-name", "{nope}"],
        &["-o", "/dev/null/sub"],
        &["--max-body", "lots"],
        &["-X", "BAD METHOD"],
        &["-d", "@/nonexistent/file"],
        &["--shard", "0/3"],
        &["--shard", "4/3"],
        &["--shard", "x/y"],
        &["--rate", "0"],
        &["--expect", "("],
        &["--expect-header", "no-colon"],
        &["--expect-header", "x-a: ("],
        &["--expect-jq", ".a |"],
        &["--expect-jq", "nosuch(1)"],
        &["--cert-valid", "soon"],
        &["--response-header", "bad name"],
        &["--skip-done", "/nonexistent/out.jsonl"],
        &["--retry-budget", "101"],
        &["--retry-budget", "-1"],
        &["--request-id", "bad header"],
        &["--metrics", "not-an-address"],
        &["--proxy", "not a url"],
        &["--cacert", "/nonexistent/ca.pem"],
        &["--report", "xml=r.xml"],
        &["--report", "junit"],
        &["--report", "junit=/nonexistent/dir/r.xml"],
        &["--report", "markdown=/"],
        &["--max-failures", "2", "--fail-fast"],
    ] {
        assert!(config(args).is_err(), "{args:?} should fail");
    }
}

#[test]
fn per_host_rules_resolve_once_into_the_config() {
    let c = config(&[
        "-X",
        "head, get",
        "--host-rate",
        "5",
        "--rate-for",
        "API.Example.com",
        "1/s",
        "--accept-for",
        "github.com",
        "200,429",
    ])
    .unwrap();
    assert_eq!(c.request.method, Method::HEAD);
    assert!(c.request.head_then_get && c.needs().fields.method);
    assert_eq!(c.limits.host_rate.unwrap().per_second, 5.0);
    let own = c.limits.rate_for.get("api.example.com").unwrap();
    assert_eq!(own.per_second, 1.0);
    assert!(
        c.success
            .accept_for
            .get("github.com")
            .unwrap()
            .contains(429)
    );
    let plain = config(&["-X", "HEAD"]).unwrap();
    assert!(!plain.request.head_then_get && !plain.needs().fields.method);
    assert!(plain.limits.host_rate.is_none() && plain.limits.rate_for.is_empty());
    assert!(config(&["-X", "GET,HEAD"]).is_err());
    assert!(config(&["--accept-for", "a.test:80", "200"]).is_err());
}
