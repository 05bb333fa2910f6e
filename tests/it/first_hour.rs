//! Issue #16, "The first hour with fanout": what a new user trips over —
//! messages that lose the reason, lines fetched as something else, usage
//! errors in the parser's words, and small inconsistencies.

use std::process::Command;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{any, get};

use crate::support::*;

const NOWHERE: &str = "http://127.0.0.1:1/";

/// stderr of a usage error: exactly one line, starting `fanout: `.
fn one_line_usage_error(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.status, Some(2), "{args:?}: {}", out.stderr);
    assert!(
        out.records.is_empty(),
        "{args:?}: no record on a usage error"
    );
    let err = out.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    assert!(err.starts_with("fanout: "), "{args:?}: {err}");
    err.to_owned()
}

#[test]
fn issue_16_expect_regex_error_says_why_and_where() {
    let err = one_line_usage_error(&["--expect", "(", NOWHERE]);
    assert!(err.contains("unclosed group"), "{err}");
    assert!(err.contains("position 0"), "{err}");
}

#[test]
fn issue_16_a_line_with_whitespace_inside_is_not_fetched() {
    let server = AppServer::start(Router::new().route("/ok", get(|| async { "fine" })));
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    std::fs::write(&list, format!("{} # trailing comment\n", server.url("/ok"))).unwrap();
    let out = run(["-i", list.to_str().unwrap()]);
    let r = out.one();
    assert_eq!(kind(r), "invalid_url", "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(msg.contains("inline comments are not supported"), "{msg}");
    assert_eq!(r["attempts"], 0);
}

#[test]
fn issue_16_a_refused_retry_after_says_why() {
    let server = AppServer::start(Router::new().route(
        "/busy",
        get(|| async {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "3600")],
            )
        }),
    ));
    let out = run(["--backoff-max", "10s", &server.url("/busy")]);
    let r = out.one();
    assert_eq!(r["status"], 429);
    assert_eq!(r["attempts"], 1);
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("not retried: Retry-After 3600s exceeds --backoff-max 10s"),
        "{msg}"
    );
}

#[test]
fn issue_16_a_retry_after_within_the_limit_adds_nothing() {
    let server = AppServer::start(Router::new().route(
        "/busy",
        get(|| async { (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "0")]) }),
    ));
    let out = run(["-r", "1", &server.url("/busy")]);
    let r = out.one();
    assert_eq!(r["attempts"], 2);
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(!msg.contains("not retried"), "{msg}");
}

#[test]
fn issue_16_logs_to_a_file_are_not_coloured() {
    let server = AppServer::start(Router::new().route("/ok", get(|| async { "fine" })));
    let out = fanout()
        .env_remove("NO_COLOR")
        .args(["-vv", &server.url("/ok")])
        .run();
    assert!(out.stderr.contains("attempt finished"), "{}", out.stderr);
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
}

#[test]
#[cfg(target_os = "linux")]
fn issue_16_color_never_uncolours_logs_on_a_terminal() {
    let server = AppServer::start(Router::new().route("/ok", get(|| async { "fine" })));
    let screen = on_a_terminal(&[
        "--color",
        "never",
        "--no-progress",
        "-vv",
        &server.url("/ok"),
    ]);
    assert!(screen.contains("attempt finished"), "{screen}");
    assert!(!screen.contains('\x1b'), "{screen:?}");
}

#[test]
fn issue_16_retry_wait_is_logged_as_a_plain_duration() {
    let server = AppServer::start(
        Router::new().route("/err", get(|| async { StatusCode::SERVICE_UNAVAILABLE })),
    );
    let out = run(["-vv", "-r", "1", "--backoff", "1ms", &server.url("/err")]);
    assert!(out.stderr.contains("retry_in="), "{}", out.stderr);
    assert!(!out.stderr.contains("Some("), "{}", out.stderr);
}

#[test]
fn issue_16_bad_values_are_explained_in_our_words() {
    // flag, bad value, what the message must show
    let cases: &[(&str, &str, &str)] = &[
        ("-c", "0", "e.g. -c 64"),
        ("-c", "many", "e.g. -c 64"),
        ("--per-host", "x", "e.g."),
        ("--rate", "fast", "e.g."),
        ("--timeout", "abc", "e.g. 250ms, 5s, 2m or 1h30m"),
        ("--connect-timeout", "1x", "e.g."),
        ("--deadline", "soon", "e.g."),
        ("--retries", "few", "e.g. -r 3"),
        ("--retry-on", "often", "e.g."),
        ("--backoff", "x", "e.g."),
        ("--backoff-max", "x", "e.g."),
        ("--trip-after", "x", "e.g."),
        ("--trip-cooldown", "x", "e.g."),
        ("--retry-budget", "half", "e.g."),
        ("--metrics", "localhost", "e.g."),
        ("--shard", "1", "e.g."),
        ("--max-redirects", "x", "e.g."),
        ("--accept", "ok", "e.g."),
        ("--slow", "x", "e.g."),
        ("--max-body", "big", "e.g."),
        ("--proxy", "not a url", "e.g."),
        ("--request-id", "bad name", "e.g."),
        ("-X", "GE T", "e.g."),
        ("-H", "NoColon", "e.g."),
    ];
    for (flag, value, want) in cases {
        let err = one_line_usage_error(&[flag, value, NOWHERE]);
        let long = match *flag {
            "-c" => "--concurrency",
            "-X" => "-X",
            "-H" => "-H",
            f => f,
        };
        assert!(err.contains(long), "{flag} {value}: names the flag: {err}");
        assert!(err.contains(want), "{flag} {value}: {err}");
        for leak in [
            "number would be zero",
            "expected number at",
            "builder error",
            "invalid digit",
            "invalid float",
            "invalid socket address",
        ] {
            assert!(!err.contains(leak), "{flag} {value}: {err}");
        }
    }
}

#[test]
fn issue_16_parser_errors_are_one_line_and_help_still_works() {
    let err = one_line_usage_error(&["--no-such-flag", NOWHERE]);
    assert!(err.contains("--no-such-flag"), "{err}");
    assert!(err.contains("--help"), "{err}");
    let help = fanout().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage"));
    let version = fanout().arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("fanout "));
}

#[test]
fn issue_16_a_directory_as_input_is_refused_before_any_request() {
    let server = AppServer::start(Router::new().route("/ok", get(|| async { "fine" })));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let err = one_line_usage_error(&["-i", d]);
    assert!(err.contains("is a directory"), "{err}");
    let err = one_line_usage_error(&[&server.url("/ok"), "-i", d]);
    assert!(err.contains("is a directory"), "{err}");
}

#[test]
fn issue_16_deadline_zero_is_refused_like_timeout_zero() {
    let err = one_line_usage_error(&["--deadline", "0", NOWHERE]);
    assert!(err.contains("--deadline must be longer than 0"), "{err}");
}

#[test]
fn issue_16_stats_keys_in_readme_order_and_rounded() {
    let server = AppServer::start(Router::new().route("/ok", get(|| async { "fine" })));
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let out = run([
        "--stats",
        stats.to_str().unwrap(),
        &server.url("/ok"),
        &server.url("/ok"),
    ]);
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let text = std::fs::read_to_string(&stats).unwrap();
    let keys: Vec<&str> = [
        "urls",
        "ok",
        "failed",
        "failed_by_kind",
        "statuses",
        "retries",
        "elapsed_s",
        "rate_per_s",
        "latency_ms",
        "not_started",
        "stopped",
        "retries_refused",
        "circuits_opened",
    ]
    .to_vec();
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| text.find(&format!("\"{k}\"")).expect(k))
        .collect();
    assert!(positions.is_sorted(), "keys out of README order: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let decimals = |x: &serde_json::Value| {
        let s = x.to_string();
        s.split_once('.').map_or(0, |(_, f)| f.len())
    };
    assert!(decimals(&v["rate_per_s"]) <= 1, "{text}");
    assert!(decimals(&v["elapsed_s"]) <= 4, "{text}");
    for q in ["p50", "p90", "p99", "max"] {
        assert!(decimals(&v["latency_ms"][q]) <= 3, "{text}");
    }
}

#[test]
fn issue_16_text_shows_the_status_of_a_redirect_loop() {
    let server = AppServer::start(
        Router::new().route("/loop", get(|| async { Redirect::temporary("/loop") })),
    );
    let out = fanout()
        .args(["--format", "text", "--max-redirects", "2"])
        .arg(server.url("/loop"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("307 redirect"), "{text}");
}

#[test]
fn issue_16_one_url_is_singular_in_the_summary() {
    let out = run([NOWHERE]);
    assert!(out.stderr.contains("1 URL in"), "{}", out.stderr);
}

/// Echoes the request body.
fn echo() -> AppServer {
    AppServer::start(Router::new().route(
        "/echo",
        any(|_: HeaderMap, body: axum::body::Bytes| async move { body.into_response() }),
    ))
}

#[test]
fn issue_16_data_at_file_strips_newlines_like_curl() {
    let server = echo();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.txt");
    std::fs::write(&file, "a=1\r\n&b=2\n").unwrap();
    let at = format!("@{}", file.display());
    let out = run(["--body", "-d", &at, &server.url("/echo")]);
    assert_eq!(out.one()["body"], "a=1&b=2");
    let out = run(["--body", "--data-binary", &at, &server.url("/echo")]);
    let r = out.one();
    assert_eq!(r["body"], "a=1\r\n&b=2\n");
    assert_eq!(r["status"], 200);
    let out = run(["--body", "--data-binary", "x\ny", &server.url("/echo")]);
    assert_eq!(out.one()["body"], "x\ny");
}

/// Runs `fanout ARGS` with stdout and stderr on a pseudo-terminal and
/// returns everything the terminal received.
#[cfg(target_os = "linux")]
fn on_a_terminal(args: &[&str]) -> String {
    let bin = assert_cmd::cargo::cargo_bin("fanout");
    let mut line = shell_quote(&bin.display().to_string());
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .output()
        .expect("util-linux script");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(target_os = "linux")]
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn issue_16_the_demo_includes_a_line_that_is_not_a_url() {
    // `cargo test` builds the examples next to the test binaries.
    let demo = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join("demo");
    let out = Command::new(&demo).output().expect("examples/demo built");
    let records = records(&out.stdout);
    let kinds: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r["url"].as_str().unwrap(), kind(r)))
        .collect();
    assert!(kinds.contains(&("not a url", "invalid_url")), "{kinds:?}");
    assert!(
        kinds.contains(&("ftp://example.com/not-http", "invalid_url")),
        "{kinds:?}"
    );
}

/// The progress lines a terminal of `cols` columns received: the text
/// between carriage returns and line clears, without colour codes.
#[cfg(target_os = "linux")]
fn progress_frames(screen: &str) -> Vec<String> {
    let plain = screen.replace("\x1b[2K", "\r");
    plain
        .split(['\r', '\n'])
        .filter(|f| f.contains("in flight"))
        .map(|f| f.to_owned())
        .collect()
}

#[test]
#[cfg(target_os = "linux")]
fn issue_16_progress_counts_add_up_and_leave_a_column_free() {
    let server = AppServer::start(
        Router::new()
            .route("/ok", get(|| async { "fine" }))
            // Answers never: this URL stays in flight until the deadline.
            .route("/hang", get(std::future::pending::<&'static str>)),
    );
    let cols = 60;
    let bin = assert_cmd::cargo::cargo_bin("fanout");
    let mut line = format!(
        "stty cols {cols} rows 24; {}",
        shell_quote(&bin.display().to_string())
    );
    for a in [
        "--deadline".to_owned(),
        "1500ms".to_owned(),
        "-r".to_owned(),
        "0".to_owned(),
        server.url("/ok"),
        server.url("/ok"),
        server.url("/hang"),
    ] {
        line.push(' ');
        line.push_str(&shell_quote(&a));
    }
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .output()
        .expect("util-linux script");
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    let frames = progress_frames(&screen);
    let with_total: Vec<&String> = frames.iter().filter(|f| f.contains("/3 ")).collect();
    assert!(
        !with_total.is_empty(),
        "no progress with a total: {screen:?}"
    );
    for f in &frames {
        let width = f
            .trim_end_matches(' ')
            .chars()
            .count()
            .max(f.chars().count());
        assert!(width < cols, "{width} columns of {cols}: {f:?}");
    }
    for f in with_total {
        let words: Vec<&str> = f.split_whitespace().collect();
        let (done, total) = words[1].split_once('/').unwrap();
        let (done, total): (u64, u64) = (done.parse().unwrap(), total.parse().unwrap());
        let in_flight: u64 = words[2].parse().unwrap();
        assert!(done + in_flight <= total, "{f:?}");
        if done < total {
            assert!(!f.contains("ETA 0s"), "{f:?}");
        }
    }
}
