//! Signals under load: SIGINT and SIGTERM at several points of a busy run
//! leave whole records, `cancelled` ones for what was in flight, and a quick
//! exit with the signal's status.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::process::Child;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::fault_server::FaultServer;
use crate::support::*;

const URLS: usize = 5_000;

/// The URL at `index`: in every fifty, three hang (three ways), one waits out
/// a long backoff after a 503, one drips; the rest are fast. The hanging ones
/// pile up, so about 2,500 URLs in all 200 slots hold one that never ends.
/// Every path but the silent one ends in the index, so the server's log maps
/// back to it.
fn url(server: &FaultServer, i: usize) -> String {
    match i % 50 {
        0 => server.url(&format!("/hang/{i}")),
        10 => server.silent_url(&format!("/{i}")),
        20 => server.url(&format!("/hang-headers/{i}")),
        30 => server.url(&format!("/status/503/{i}")),
        40 => server.url(&format!("/drip/20/50/{i}")),
        _ => server.url(&format!("/ok/{i}")),
    }
}

/// Whether the URL at `index` can only end by being cancelled.
fn never_ends(i: usize) -> bool {
    matches!(i % 50, 0 | 10 | 20 | 30)
}

/// A busy run: fanout reading the list from a file, stdout drained by a
/// thread that reports each line as it arrives.
struct Busy {
    server: FaultServer,
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: thread::JoinHandle<Vec<u8>>,
    _dir: tempfile::TempDir,
}

impl Busy {
    fn start() -> Busy {
        let server = FaultServer::start();
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("urls.txt");
        let text: String = (0..URLS).map(|i| url(&server, i) + "\n").collect();
        std::fs::write(&list, text).unwrap();
        // Hangs outlast the test and 503s wait up to 60 s to retry, a
        // hundred times over (so the jittered waits cannot all be short):
        // all of those are still in flight when the signal comes. Limits
        // stay fixed: adapting to the 503s would hold URLs back.
        let mut child = spawn(&[
            "--no-adaptive",
            "-c",
            "200",
            "-t",
            "60s",
            "-r",
            "100",
            "--backoff",
            "60s",
            "--backoff-max",
            "60s",
            "-i",
            list.to_str().unwrap(),
        ]);
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        let stdout = thread::spawn(move || {
            let mut all = Vec::new();
            let mut line = Vec::new();
            while out.read_until(b'\n', &mut line).unwrap() > 0 {
                all.extend_from_slice(&line);
                let _ = tx.send(String::from_utf8_lossy(&line).into_owned());
                line.clear();
            }
            all
        });
        Busy {
            server,
            child,
            lines,
            stdout,
            _dir: dir,
        }
    }

    fn signal(&self, signal: Signal) {
        // A process that already exited but was not reaped still takes it.
        kill(Pid::from_raw(self.child.id() as i32), signal).unwrap();
    }

    /// Waits for the exit; returns the status, the time since `since`, the
    /// records and stderr.
    fn finish(
        mut self,
        since: Instant,
    ) -> (Option<i32>, Duration, Vec<Value>, String, FaultServer) {
        let status =
            wait_with_limit(&mut self.child, Duration::from_secs(20)).expect("fanout exits");
        let took = since.elapsed();
        let out = self.stdout.join().unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (status.code(), took, records(&out), err, self.server)
    }
}

/// What every interrupted run must show.
fn check_interrupted(
    (code, took, rs, err, server): (Option<i32>, Duration, Vec<Value>, String, FaultServer),
    want_code: i32,
    reason: &str,
) -> Vec<Value> {
    assert_eq!(code, Some(want_code), "stderr: {err}");
    // The contract is one second; the slack absorbs a loaded machine while
    // still catching a hang.
    assert!(took < Duration::from_secs(3), "exit took {took:?}");
    assert!(!err.contains("panicked"), "{err}");

    let mut indexes = BTreeSet::new();
    for r in &rs {
        let i = r["index"].as_u64().unwrap() as usize;
        assert!(i < URLS, "{r}");
        assert!(indexes.insert(i), "index {i} twice");
        assert_eq!(r["url"], url(&server, i));
        if never_ends(i) {
            assert_eq!(kind(r), "cancelled", "{r}");
        }
        if kind(r) == "cancelled" {
            let message = r["error"]["message"].as_str().unwrap();
            assert!(message.contains(reason), "{message}");
        }
    }
    // Every request the server saw belongs to a URL that has its record.
    for seen in server.seen() {
        let i: usize = seen.path.rsplit('/').next().unwrap().parse().unwrap();
        assert!(
            indexes.contains(&i),
            "{} was started but has no record",
            seen.path
        );
    }
    // The first URL hangs and starts first: it was in flight.
    assert!(indexes.contains(&0), "URL 0 has no record");
    rs
}

fn interrupt_after_requests(signal: Signal, n: usize) -> Vec<Value> {
    let busy = Busy::start();
    busy.server.wait_for_requests(n, Duration::from_secs(30));
    let sent = Instant::now();
    busy.signal(signal);
    let (code, reason) = match signal {
        Signal::SIGINT => (130, "SIGINT"),
        _ => (143, "SIGTERM"),
    };
    check_interrupted(busy.finish(sent), code, reason)
}

#[test]
fn sigint_right_after_the_first_request() {
    let rs = interrupt_after_requests(Signal::SIGINT, 1);
    assert!(rs.iter().any(|r| kind(r) == "cancelled"));
}

#[test]
fn sigint_deep_into_a_busy_run() {
    let rs = interrupt_after_requests(Signal::SIGINT, 2_000);
    let done = rs.iter().filter(|r| kind(r) != "cancelled").count();
    assert!(
        done > 1_000,
        "only {done} finished records before the signal"
    );
    // Everything in flight was cancelled: the 160 or so URLs that never end
    // among the first 2,000, and whatever else was under way.
    let cancelled = rs.len() - done;
    assert!(cancelled >= 150, "{cancelled} cancelled");
}

#[test]
fn sigterm_in_the_middle_of_a_busy_run() {
    interrupt_after_requests(Signal::SIGTERM, 500);
}

#[test]
fn sigterm_once_records_flow() {
    let busy = Busy::start();
    // Synchronise on output this time: the first record read.
    let first = busy
        .lines
        .recv_timeout(Duration::from_secs(30))
        .expect("a first record");
    assert!(first.starts_with("{\"index\":"), "{first}");
    let sent = Instant::now();
    busy.signal(Signal::SIGTERM);
    check_interrupted(busy.finish(sent), 143, "SIGTERM");
}

#[test]
fn more_signals_while_exiting_change_nothing() {
    let busy = Busy::start();
    busy.server.wait_for_requests(300, Duration::from_secs(30));
    let sent = Instant::now();
    busy.signal(Signal::SIGINT);
    // Again at once, and again once the cancelled records come out; the
    // first signal decides the status.
    busy.signal(Signal::SIGINT);
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(line) = busy.lines.recv_timeout(deadline - Instant::now()) {
        if line.contains("\"cancelled\"") {
            busy.signal(Signal::SIGINT);
            busy.signal(Signal::SIGTERM);
            break;
        }
    }
    check_interrupted(busy.finish(sent), 130, "SIGINT");
}
