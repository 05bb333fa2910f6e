//! Pipes and disks: a reader that goes away under load, a full disk, stdin
//! that ends mid-line, and bodies far larger than memory should allow.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::time::{Duration, Instant};

use crate::fault_server::FaultServer;
use crate::support::*;

/// Spawns fanout reading URLs from a stdin the test holds.
fn spawn_on_stdin(args: &[&str]) -> (Child, ChildStdin, BufReader<std::process::ChildStdout>) {
    let mut child = fanout_std()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdin, stdout)
}

#[test]
fn reader_going_away_under_load_ends_the_run_quietly() {
    let server = FaultServer::start();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    // Fast URLs keep records coming; the faults among them keep slots busy.
    let text: String = (0..5_000)
        .map(|i| match i % 10 {
            0 => server.url(&format!("/hang/{i}\n")),
            5 => server.url(&format!("/reset-body/{i}\n")),
            _ => server.url(&format!("/ok/{i}\n")),
        })
        .collect();
    std::fs::write(&list, text).unwrap();
    let mut child = spawn(&["-c", "200", "-t", "30s", "-i", list.to_str().unwrap()]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"index\":"), "{first}");
    let closed = Instant::now();
    drop(out); // like `| head -1`
    let status = wait_with_limit(&mut child, Duration::from_secs(20)).expect("fanout exits");
    let took = closed.elapsed();
    let err = stderr_of(&mut child);
    assert!(
        matches!(status.code(), Some(0) | Some(141)),
        "{status:?}, stderr: {err}"
    );
    assert!(err.is_empty(), "no error spew on a closed pipe: {err}");
    // Hanging URLs are in flight, but the next record written notices.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn full_disk_under_load_is_one_line_and_exit_2() {
    let server = FaultServer::start();
    let urls: Vec<String> = (0..500).map(|i| server.url(&format!("/ok/{i}"))).collect();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = fanout_std()
        .args(["-c", "50"])
        .args(&urls)
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.lines().count(),
        1,
        "reported once, not per record: {err}"
    );
    assert!(err.contains("No space left"), "{err}");
}

#[test]
fn stdin_that_ends_mid_line_still_yields_that_line() {
    let server = FaultServer::start();
    let (mut child, mut stdin, mut out) = spawn_on_stdin(&[]);
    writeln!(stdin, "{}", server.url("/ok/0")).unwrap();
    stdin.flush().unwrap();
    // The first record comes while stdin is still open: input is streamed.
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("/ok/0"), "{first}");
    // Then the writer dies half-way through a URL.
    let cut = server.url("/ok/1");
    let cut = &cut[..cut.len() - 3];
    write!(stdin, "{}/caf\u{e9}\n{cut}", server.url("/x")).unwrap();
    drop(stdin);
    let status = wait_with_limit(&mut child, Duration::from_secs(20)).expect("fanout exits");
    let mut rest = Vec::new();
    out.read_to_end(&mut rest).unwrap();
    let mut all = first.into_bytes();
    all.extend_from_slice(&rest);
    let rs = by_index(records(&all));
    assert_eq!(rs.len(), 3, "{rs:?}");
    assert_eq!(status.code(), Some(1), "{}", stderr_of(&mut child));
    assert_eq!(rs[1]["url"], format!("{}/caf\u{e9}", server.url("/x")));
    // The cut line is fetched as it stands.
    assert_eq!(rs[2]["url"], cut);
    assert_eq!(rs[2]["status"], 404, "{}", rs[2]);
}

#[test]
fn stdin_cut_inside_a_utf8_sequence_is_an_invalid_url() {
    let (mut child, mut stdin, mut out) = spawn_on_stdin(&[]);
    let line = "http://127.0.0.1:9/caf\u{e9}".as_bytes();
    stdin.write_all(&line[..line.len() - 1]).unwrap();
    drop(stdin);
    let status = wait_with_limit(&mut child, Duration::from_secs(20)).expect("fanout exits");
    let mut all = Vec::new();
    out.read_to_end(&mut all).unwrap();
    let rs = records(&all);
    assert_eq!(status.code(), Some(1));
    assert_eq!(rs.len(), 1);
    assert_eq!(kind(&rs[0]), "invalid_url", "{}", rs[0]);
    assert!(rs[0]["url"].as_str().unwrap().ends_with('\u{fffd}'));
}

/// The peak resident memory of a live process, from /proc.
fn vm_hwm(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .expect("VmHWM in /proc/PID/status");
    kb * 1024
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// Fetches `paths` with `flags`, URLs on a stdin kept open so the process
/// is still alive once every record is out; returns the records and the
/// peak memory it reached.
fn peak_memory(
    server: &FaultServer,
    flags: &[&str],
    paths: &[String],
) -> (Vec<serde_json::Value>, u64) {
    let (mut child, mut stdin, mut out) = spawn_on_stdin(flags);
    for p in paths {
        writeln!(stdin, "{}", server.url(p)).unwrap();
    }
    stdin.flush().unwrap();
    let mut lines = Vec::new();
    for _ in paths {
        let mut line = Vec::new();
        out.read_until(b'\n', &mut line).unwrap();
        lines.extend_from_slice(&line);
    }
    let peak = vm_hwm(child.id());
    drop(stdin);
    let status = wait_with_limit(&mut child, Duration::from_secs(20)).expect("fanout exits");
    assert_eq!(status.code(), Some(1));
    (records(&lines), peak)
}

#[test]
fn a_1gb_body_is_cut_at_max_body_in_little_memory() {
    let server = FaultServer::start();
    // Kept with --body: the record holds the first 10 MiB.
    let (rs, peak) = peak_memory(&server, &["--body"], &[format!("/big/{GIB}")]);
    let r = &rs[0];
    assert_eq!(kind(r), "too_large");
    assert_eq!(r["bytes"], 10 * MIB);
    assert_eq!(r["body"].as_str().unwrap().len() as u64, 10 * MIB);
    assert!(peak < 200 * MIB, "peak RSS {} MiB", peak / MIB);
}

#[test]
fn many_1gb_bodies_at_once_stay_in_little_memory() {
    let server = FaultServer::start();
    let paths: Vec<String> = (0..8).map(|i| format!("/big/{GIB}/{i}")).collect();
    let (rs, peak) = peak_memory(&server, &[], &paths);
    assert_eq!(rs.len(), 8);
    for r in &rs {
        assert_eq!(kind(r), "too_large", "{r}");
        assert_eq!(r["bytes"], 10 * MIB);
    }
    assert!(peak < 200 * MIB, "peak RSS {} MiB", peak / MIB);
}

#[test]
fn a_gzip_bomb_is_cut_at_max_body_after_decoding() {
    let server = FaultServer::start();
    let (rs, peak) = peak_memory(&server, &["--body"], &[format!("/gzip/{GIB}")]);
    let r = &rs[0];
    assert_eq!(kind(r), "too_large", "{}", r["error"]);
    assert_eq!(r["bytes"], 10 * MIB, "bytes counts decoded bytes");
    assert!(peak < 200 * MIB, "peak RSS {} MiB", peak / MIB);
    // The same route with a small body decodes whole.
    let (rs, _) = peak_memory(
        &server,
        &["--max-body", "4KiB"],
        &["/gzip/4096".to_owned(), "/gzip/4097".to_owned()],
    );
    let rs = by_index(rs);
    assert_eq!((kind(&rs[0]), &rs[0]["bytes"]), ("ok", &4096.into()));
    assert_eq!((kind(&rs[1]), &rs[1]["bytes"]), ("too_large", &4096.into()));
}

/// `fanout --generate … | head -1`: a reader that is gone before the
/// script is written ends it quietly, exit 0, not with a panic.
#[test]
fn generated_scripts_to_a_closed_pipe_end_quietly() {
    for what in [
        "complete-bash",
        "complete-zsh",
        "complete-fish",
        "man",
        "reference",
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = fanout_std()
            .args(["--generate", what])
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert_eq!(out.status.code(), Some(0), "{what}: {err}");
    }
}
