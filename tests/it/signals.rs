//! Stopping a run: SIGINT, SIGTERM and --deadline while requests hang.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::*;

/// Starts fanout on `n` hanging URLs, waits until all are in flight, sends
/// `signal`, and returns (exit code, records, stderr, time to exit).
fn interrupt(signal: Signal, n: usize) -> (Option<i32>, Vec<serde_json::Value>, String, Duration) {
    let server = RawServer::start(Raw::Hang);
    let urls: Vec<String> = (0..n).map(|i| server.url(&format!("/{i}"))).collect();
    let mut args = vec!["-t", "60s"];
    args.extend(urls.iter().map(String::as_str));
    let mut child = spawn(&args);
    server.wait_for_requests(n);
    let sent = Instant::now();
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("fanout exits");
    let took = sent.elapsed();
    let out = stdout_of(&mut child);
    let err = stderr_of(&mut child);
    (status.code(), records(&out), err, took)
}

#[test]
fn sigint_cancels_hanging_requests_and_exits_130() {
    let (code, rs, err, took) = interrupt(Signal::SIGINT, 5);
    assert_eq!(code, Some(130), "stderr: {err}");
    assert_eq!(rs.len(), 5, "one record per started URL");
    for r in &rs {
        assert_eq!(kind(r), "cancelled");
        assert_eq!(r["attempts"], 1);
    }
    // The contract is one second; the slack keeps a loaded machine from
    // failing the test while still catching a hang.
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(!err.contains("panicked"), "{err}");
    // The summary is still printed, and says why the run ended.
    assert!(
        err.contains("5 URLs in") && err.contains("cancelled 5"),
        "{err}"
    );
    assert!(err.contains("stopped: interrupted (SIGINT)"), "{err}");
}

#[test]
fn sigterm_exits_143() {
    let (code, rs, _, _) = interrupt(Signal::SIGTERM, 2);
    assert_eq!(code, Some(143));
    assert!(rs.iter().all(|r| kind(r) == "cancelled"));
    assert_eq!(rs.len(), 2);
}

#[test]
fn deadline_cancels_what_is_in_flight_and_exits_1() {
    let server = RawServer::start(Raw::Hang);
    let out = run([
        "--deadline",
        "300ms",
        "-t",
        "60s",
        &server.url("/a"),
        &server.url("/b"),
    ]);
    assert_eq!(out.status, Some(1));
    let rs = out.records;
    assert_eq!(rs.len(), 2);
    for r in &rs {
        assert_eq!(kind(r), "cancelled");
        assert!(r["error"]["message"].as_str().unwrap().contains("deadline"));
    }
}

#[test]
fn sigint_while_reading_a_stdin_that_never_ends() {
    // Nothing in flight and stdin still open: the run must still end.
    let mut child = fanout_std()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _stdin = child.stdin.take().unwrap();
    // Wait until the process has installed its handlers: it has read
    // nothing yet, so poll its signal mask from /proc instead of sleeping.
    wait_for_sigint_handler(child.id());
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("fanout exits");
    assert_eq!(status.code(), Some(130));
}

/// Waits until `pid` catches SIGINT (bit 2 of SigCgt in /proc/PID/status).
fn wait_for_sigint_handler(pid: u32) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .unwrap_or(0);
        if caught & (1 << (libc_sigint() - 1)) != 0 {
            return;
        }
        std::thread::yield_now();
    }
    panic!("fanout never installed a SIGINT handler");
}

fn libc_sigint() -> u32 {
    Signal::SIGINT as i32 as u32
}

#[test]
fn urls_waiting_for_a_rate_slot_are_not_started_and_get_no_record() {
    let server = RawServer::start(Raw::Hang);
    let urls: Vec<String> = (0..6).map(|i| server.url(&format!("/{i}"))).collect();
    let mut args = vec!["--rate", "1/s", "-t", "60s", "--request-id", "X-Req"];
    args.extend(urls.iter().map(String::as_str));
    let mut child = spawn(&args);
    server.wait_for_requests(1);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("fanout exits");
    assert_eq!(status.code(), Some(130));
    let out = stdout_of(&mut child);
    let rs = records(&out);
    // Only the URL whose request went out has a record (the next slot is a
    // second away); it carries the id of that cut-off request.
    assert_eq!(rs.len(), 1, "{rs:?}");
    assert_eq!(kind(&rs[0]), "cancelled");
    assert_eq!(rs[0]["attempts"], 1);
    assert!(rs[0]["request_id"].is_string(), "{}", rs[0]);
    let err = stderr_of(&mut child);
    assert!(err.contains("5 URLs read but not started"), "{err}");
}

#[test]
fn absurd_but_valid_values_do_not_panic() {
    let server = RawServer::start(Raw::Hang);
    for args in [
        &["--rate", "1e-19/s", "-t", "200ms", "-r", "0"][..],
        &[
            "--trip-after",
            "1",
            "--trip-cooldown",
            "10000000000000000000",
            "-t",
            "200ms",
            "-r",
            "0",
        ],
        &[
            "-c",
            "2305843009213693952",
            "--per-host",
            "1",
            "-t",
            "200ms",
            "-r",
            "0",
        ],
        &[
            "--per-host",
            "2305843009213693952",
            "-t",
            "200ms",
            "-r",
            "0",
        ],
    ] {
        // The deadline ends the one that would wait a billion years.
        let out = fanout()
            .args(args)
            .args(["--deadline", "1s", &server.url("/a"), &server.url("/b")])
            .timeout(Duration::from_secs(20))
            .run();
        let err = &out.stderr;
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status, Some(1), "{args:?}: {err}");
    }
}

#[test]
fn sigterm_ends_a_run_whose_stdout_nobody_reads() {
    use axum::Router;
    use axum::routing::get;
    let server = AppServer::start(Router::new().route("/{n}", get(|| async { "ok" })));
    let urls: String = (0..5000).map(|i| server.url(&format!("/{i}\n"))).collect();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    std::fs::write(&list, urls).unwrap();
    // stdout is a pipe that is never read: the run fills it and blocks.
    let mut child = spawn(&["-q", "-i", list.to_str().unwrap()]);
    let wchan = format!("/proc/{}/wchan", child.id());
    let start = Instant::now();
    while !std::fs::read_to_string(&wchan)
        .unwrap_or_default()
        .contains("pipe_write")
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "fanout never blocked on stdout"
        );
        std::thread::yield_now();
    }
    let sent = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("fanout exits");
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "took {:?}",
        sent.elapsed()
    );
    assert_eq!(status.code(), Some(143));
    let err = stderr_of(&mut child);
    assert!(err.contains("stdout is not being read"), "{err}");
}
