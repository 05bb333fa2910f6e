//! Input: sources and their order, bad lines, streaming.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use axum::Router;
use axum::routing::get;

use crate::support::*;

fn ok_app() -> AppServer {
    AppServer::start(Router::new().route("/{n}", get(|| async { "ok" })))
}

#[test]
fn invalid_lines_become_invalid_url_records_and_the_run_goes_on() {
    let server = ok_app();
    let mut stdin = Vec::new();
    writeln!(stdin, "# a comment").unwrap();
    writeln!(stdin, "{}", server.url("/0")).unwrap();
    writeln!(stdin, "ftp://example.com/file").unwrap();
    writeln!(stdin).unwrap();
    writeln!(stdin, "   not a url at all  ").unwrap();
    writeln!(stdin, "file:///etc/passwd").unwrap();
    stdin.extend_from_slice(b"http://127.0.0.1/\xff\xfe\n");
    writeln!(stdin, "{}\r", server.url("/5")).unwrap();

    let out = fanout().write_stdin(stdin).run();
    assert_eq!(out.status, Some(1));
    let rs = by_index(out.records);
    let summary: Vec<(u64, &str, &str)> = rs
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["url"].as_str().unwrap(),
                kind(r),
            )
        })
        .collect();
    let ok0 = server.url("/0");
    let ok5 = server.url("/5");
    assert_eq!(
        summary,
        [
            (0, ok0.as_str(), "ok"),
            (1, "ftp://example.com/file", "invalid_url"),
            (2, "not a url at all", "invalid_url"),
            (3, "file:///etc/passwd", "invalid_url"),
            (4, "http://127.0.0.1/\u{fffd}\u{fffd}", "invalid_url"),
            (5, ok5.as_str(), "ok"),
        ]
    );
    for r in rs.iter().filter(|r| kind(r) == "invalid_url") {
        assert_eq!(r["attempts"], 0);
    }
}

#[test]
fn index_runs_across_args_then_files_then_stdin() {
    let server = ok_app();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("urls.txt");
    std::fs::write(
        &file,
        format!("{}\n# skip\n{}\n", server.url("/1"), server.url("/2")),
    )
    .unwrap();
    let out = fanout()
        .arg(server.url("/0"))
        .arg("-i")
        .arg(&file)
        .args(["-i", "-"])
        .write_stdin(format!("{}\n", server.url("/3")))
        .run();
    assert_eq!(out.status, Some(0));
    let rs = by_index(out.records);
    let pairs: Vec<(u64, String)> = rs
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["url"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(u64, String)> = (0..4).map(|i| (i, server.url(&format!("/{i}")))).collect();
    assert_eq!(pairs, want);
}

#[test]
fn stdin_is_not_read_when_urls_come_from_arguments() {
    let server = ok_app();
    let out = fanout()
        .arg(server.url("/0"))
        .write_stdin(format!("{}\n", server.url("/1")))
        .run();
    assert_eq!(out.records.len(), 1);
}

#[test]
fn first_record_arrives_before_stdin_is_closed() {
    let server = ok_app();
    let mut child = fanout_std()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", server.url("/0")).unwrap();
    stdin.flush().unwrap();
    // stdin stays open: the record must come anyway.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let r = &records(format!("{first}\n").as_bytes())[0];
    assert_eq!(r["ok"], true);
    writeln!(stdin, "{}", server.url("/1")).unwrap();
    drop(stdin);
    assert!(lines.next().unwrap().unwrap().contains("/1"));
    let status = wait_with_limit(&mut child, Duration::from_secs(20)).expect("exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_last_line_without_newline_counts() {
    let server = ok_app();
    let out = fanout().write_stdin(server.url("/0")).run();
    assert_eq!(out.status, Some(0));
    assert_eq!(out.records.len(), 1);
}
