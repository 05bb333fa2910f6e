//! At the terminal and in CI logs: formats, colour, summary, --stats,
//! logging, completions. A pseudo-terminal comes from util-linux `script`.

use std::process::Command;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use predicates::prelude::*;

use crate::support::*;

fn app() -> AppServer {
    AppServer::start(Router::new().route("/ok", get(|| async { "fine" })).route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            "slow"
        }),
    ))
}

/// Runs `fanout ARGS` with stdout and stderr on a pseudo-terminal and
/// returns everything the terminal received.
fn on_a_terminal(args: &[String], env: &[(&str, &str)]) -> String {
    let bin = assert_cmd::cargo::cargo_bin("fanout");
    let mut line = shell_quote(&bin.display().to_string());
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]);
    cmd.env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("util-linux script");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn auto_format_is_jsonl_in_a_pipe() {
    let server = app();
    let out = run(["-q", &server.url("/ok")]);
    assert_eq!(out.records.len(), 1);
}

#[test]
fn auto_format_is_coloured_text_on_a_terminal() {
    let server = app();
    let screen = on_a_terminal(&[server.url("/ok"), server.url("/missing")], &[]);
    assert!(
        !screen.contains("{\"index\""),
        "JSON on a terminal: {screen}"
    );
    assert!(
        screen.contains("\x1b[32m200"),
        "ok status in green: {screen:?}"
    );
    assert!(screen.contains(&server.url("/missing")));
    assert!(screen.contains("2 URLs in"), "summary: {screen}");
}

#[test]
fn no_color_removes_escape_codes() {
    let server = app();
    let screen = on_a_terminal(
        &[
            "--no-progress".into(),
            server.url("/ok"),
            server.url("/missing"),
        ],
        &[("NO_COLOR", "1")],
    );
    assert!(screen.contains("200 "), "{screen}");
    assert!(
        !screen.contains('\x1b'),
        "escape codes despite NO_COLOR: {screen:?}"
    );
}

#[test]
fn color_flag_overrides_detection() {
    let server = app();
    let out = fanout()
        .args([
            "--format",
            "text",
            "--color",
            "always",
            "-q",
            &server.url("/ok"),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("\x1b[32m"));
    let out = fanout()
        .args([
            "--format",
            "text",
            "--color",
            "never",
            "-q",
            &server.url("/ok"),
        ])
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\x1b'));
}

#[test]
fn progress_line_is_drawn_and_cleared_on_a_terminal() {
    let server = app();
    let args: Vec<String> = ["-c".to_owned(), "1".to_owned()]
        .into_iter()
        .chain((0..4).map(|_| server.url("/slow")))
        .collect();
    let screen = on_a_terminal(&args, &[]);
    assert!(screen.contains("in flight"), "no progress line: {screen}");
    assert!(
        screen.contains("\x1b[2K"),
        "progress line never cleared: {screen:?}"
    );
    // Records are not written into the middle of the progress line.
    for line in screen.split(['\r', '\n']).filter(|l| l.contains("/slow")) {
        assert!(
            !line.contains("in flight"),
            "record mixed with progress: {line:?}"
        );
    }
    // Not in a pipe, nor with -q.
    let out = fanout()
        .args(["--format", "text", &server.url("/ok")])
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stderr).unwrap().contains("in flight"));
    let screen = on_a_terminal(&["-q".into(), server.url("/ok")], &[]);
    assert!(
        !screen.contains("in flight") && !screen.contains("URLs in"),
        "{screen}"
    );
}

#[test]
fn text_lines_are_aligned() {
    let server = app();
    let out = fanout()
        .args(["--format", "text", "--ordered", "-q"])
        .args([server.url("/ok"), server.url("/missing"), "ftp://x".into()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("200 "));
    assert!(lines[1].starts_with("404 ") && lines[1].contains("not accepted"));
    assert!(lines[2].starts_with("invalid_url ") && lines[2].contains("ftp://x"));
    // The URL column starts at the same place on every line, counted in
    // characters as a terminal shows them (`µs` is two bytes).
    let col = |l: &str, url: &str| l[..l.find(url).unwrap()].chars().count();
    assert_eq!(col(lines[0], "http://"), col(lines[1], "http://"));
    assert_eq!(col(lines[0], "http://"), col(lines[2], "ftp://"));
}

#[test]
fn csv_has_the_documented_header_and_quotes_fields() {
    let server = app();
    let odd = format!("{}?a=1,b=\"2\"", server.url("/ok"));
    let out = fanout()
        .args([
            "--format",
            "csv",
            "--ordered",
            "-q",
            &odd,
            &server.url("/missing"),
        ])
        .output()
        .unwrap();
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "index",
            "url",
            "final_url",
            "ok",
            "status",
            "attempts",
            "elapsed_ms",
            "bytes",
            "error_kind",
            "error_message"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "0");
    assert_eq!(&rows[0][1], odd, "commas and quotes survive");
    assert_eq!(&rows[0][3], "true");
    assert_eq!(&rows[0][4], "200");
    assert_eq!(&rows[0][8], "");
    assert_eq!(&rows[1][3], "false");
    assert_eq!(&rows[1][8], "status");
    assert!(rows[1][6].parse::<f64>().is_ok());
}

#[test]
fn stats_file_matches_the_records() {
    let server = app();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let urls = [
        server.url("/ok"),
        server.url("/ok"),
        server.url("/missing"),
        "nope".into(),
    ];
    let out = fanout().arg("--stats").arg(&stats).args(&urls).run();
    let rs = out.records;
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(s["urls"], rs.len());
    assert_eq!(s["ok"], rs.iter().filter(|r| r["ok"] == true).count());
    assert_eq!(s["failed"], 2);
    assert_eq!(s["failed_by_kind"]["status"], 1);
    assert_eq!(s["failed_by_kind"]["invalid_url"], 1);
    assert_eq!(s["statuses"]["200"], 2);
    assert_eq!(s["statuses"]["404"], 1);
    assert_eq!(s["retries"], 0);
    assert_eq!(s["not_started"], 0);
    assert!(s["stopped"].is_null());
    for key in ["elapsed_s", "rate_per_s"] {
        assert!(s[key].as_f64().unwrap() > 0.0, "{key}");
    }
    let max = s["latency_ms"]["max"].as_f64().unwrap();
    let slowest = rs
        .iter()
        .filter(|r| r["attempts"] != 0)
        .map(|r| r["elapsed_ms"].as_f64().unwrap());
    let slowest = slowest.fold(0.0, f64::max);
    assert!(
        (max - slowest).abs() <= slowest * 0.02 + 0.01,
        "max {max} vs {slowest}"
    );
    // The same summary on stderr.
    let err = out.stderr;
    assert!(
        err.contains("4 URLs in") && err.contains("2 ok, 2 failed"),
        "{err}"
    );
}

#[test]
fn unwritable_stats_file_is_a_usage_error_before_any_request() {
    fanout()
        .args([
            "--stats",
            "/nonexistent/dir/stats.json",
            "http://127.0.0.1:1/",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty());
}

#[test]
fn quiet_leaves_stderr_empty_on_success() {
    let server = app();
    fanout()
        .args(["-q", &server.url("/ok")])
        .assert()
        .code(0)
        .stderr(predicate::str::is_empty());
}

#[test]
fn secrets_never_appear_in_debug_logs() {
    let server = app();
    let out = fanout()
        .args(["-vv", "-H", "Authorization: Bearer hunter2-token"])
        .args([
            "-H",
            "Cookie: sid=cookie-secret",
            "-H",
            "Proxy-Authorization: Basic prox-secret",
        ])
        .arg(server.url("/ok"))
        .run();
    let err = out.stderr;
    assert!(
        err.contains("attempt finished"),
        "-vv logs each attempt: {err}"
    );
    for secret in ["hunter2-token", "cookie-secret", "prox-secret"] {
        assert!(!err.contains(secret), "{secret} leaked: {err}");
    }
    assert_eq!(out.records.len(), 1, "logs stay off stdout");
}

#[test]
fn completions_and_man_page_generate() {
    for (what, needle) in [
        ("complete-bash", "per-host"),
        ("complete-zsh", "per-host"),
        ("complete-fish", "per-host"),
        ("man", "fanout"),
    ] {
        let out = fanout().args(["--generate", what]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{what}");
        assert!(
            String::from_utf8(out.stdout).unwrap().contains(needle),
            "{what}"
        );
    }
}

#[test]
fn help_shows_examples_groups_and_defaults() {
    let out = fanout().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "Examples:",
        "Input:",
        "Limits:",
        "What answered:",
        "Saving bodies:",
        "Retries:",
        "Request:",
        "Success:",
        "Output:",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
    assert!(help.contains("[default: 50]") && help.contains("[default: 10s]"));
}
