//! Saving bodies when things go wrong: Ctrl-C and SIGTERM mid-body, the
//! signal thread's forced exit with stdout blocked, a full disk or a file
//! size limit, and a 1 GiB body in little memory.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::fault_server::FaultServer;
use crate::save::{files_under, temps_under};
use crate::support::*;

/// Waits until `cond` holds (or panics after 20 s): polling what the test
/// observes, not a guess at how long something takes.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(20), "never: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn interrupted_mid_body(signal: Signal, code: i32) {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let d = out.path().to_str().unwrap();
    let h = host(&server);
    let urls = [
        server.url("/ok"),
        server.url("/hang-headers"),
        server.url("/drip/100/20"),
    ];
    let mut child = spawn(&["-o", d, &urls[0], &urls[1], &urls[2]]);
    server.wait_for_requests(3, Duration::from_secs(20));
    // Both unfinished bodies are being written aside; the whole one is in
    // place.
    wait_until("two temporary files", || temps_under(out.path()).len() == 2);
    wait_until("the ok body saved", || {
        out.path().join(&h).join("ok").is_file()
    });
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(5)).expect("exits");
    assert_eq!(status.code(), Some(code), "{}", stderr_of(&mut child));
    assert_eq!(files_under(out.path()), [format!("{h}/ok")]);
    let done = out.path().join("records.jsonl");
    let stdout = stdout_of(&mut child);
    let rs = by_index(records(&stdout));
    assert_eq!(
        rs.iter().map(kind).collect::<Vec<_>>(),
        ["ok", "cancelled", "cancelled"]
    );
    std::fs::write(&done, &stdout).unwrap();

    // Resumed with --skip-done: only the cut-off URLs run again.
    let again = run([
        "-o",
        d,
        "--skip-done",
        done.to_str().unwrap(),
        &urls[0],
        &urls[2],
    ]);
    assert_eq!(again.one()["index"], 1);
    assert_eq!(kind(again.one()), "ok", "{}", again.one());
    let want = [
        format!("{h}/drip/100/20"),
        format!("{h}/ok"),
        "records.jsonl".into(),
    ];
    assert_eq!(files_under(out.path()), want);
}

#[test]
fn sigint_mid_body_leaves_only_whole_files() {
    interrupted_mid_body(Signal::SIGINT, 130);
}

#[test]
fn sigterm_mid_body_leaves_only_whole_files() {
    interrupted_mid_body(Signal::SIGTERM, 143);
}

/// The main thread's kernel wait channel: `pipe_write` while it is stuck
/// writing to a full pipe.
fn wchan(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/wchan")).unwrap_or_default()
}

#[test]
fn the_forced_exit_with_stdout_blocked_removes_temporary_files() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let list = out.path().join("urls.txt");
    let dir = out.path().join("out");
    // Three bodies that never end hold temporary files; thousands of quick
    // records fill the pipe nobody reads, so the run's thread blocks.
    let mut text: String = (0..3)
        .map(|i| server.url(&format!("/hang-headers/{i}")) + "\n")
        .collect();
    for i in 0..3000 {
        text.push_str(&server.url(&format!("/ok/{i}")));
        text.push('\n');
    }
    std::fs::write(&list, text).unwrap();
    let mut child = spawn(&[
        "-o",
        dir.to_str().unwrap(),
        "-i",
        list.to_str().unwrap(),
        "--body",
    ]);
    wait_until("three temporary files", || {
        dir.exists() && temps_under(&dir).len() >= 3
    });
    wait_until("stdout blocked", || {
        wchan(child.id()).contains("pipe_write")
    });
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(5)).expect("exits");
    assert_eq!(status.code(), Some(130));
    let err = stderr_of(&mut child);
    assert!(
        err.contains("stdout is not being read"),
        "the forced exit was taken: {err}"
    );
    assert_eq!(temps_under(&dir), Vec::<String>::new());
}

/// Runs `prefix… fanout ARGS` with the test environment.
fn run_under(prefix: &[&str], args: &[&str]) -> Run {
    let mut cmd = StdCommand::new(prefix[0]);
    cmd.args(&prefix[1..])
        .arg(assert_cmd::cargo::cargo_bin("fanout"))
        .args(args);
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    Run::from(cmd.stdin(Stdio::null()).output().unwrap())
}

/// A small body, a big one that does not fit, a small one again: the big
/// one is a `save` error naming the reason, the others are saved, and no
/// temporary file is left.
fn check_full(server: &FaultServer, dir: &Path, prefix: &[&str], reason: &str) {
    let urls = [
        server.url("/ok/1"),
        server.url("/big/3000000"),
        server.url("/ok/2"),
    ];
    let d = dir.to_str().unwrap();
    let run = run_under(prefix, &["-c", "1", "-o", d, &urls[0], &urls[1], &urls[2]]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let rs = by_index(run.records);
    assert_eq!(
        rs.iter().map(kind).collect::<Vec<_>>(),
        ["ok", "save", "ok"]
    );
    let message = rs[1]["error"]["message"].as_str().unwrap();
    assert!(message.contains(reason), "{message}");
    let h = host(server);
    assert_eq!(files_under(dir), [format!("{h}/ok/1"), format!("{h}/ok/2")]);
}

#[test]
fn a_file_size_limit_is_a_save_error() {
    if StdCommand::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no prlimit");
        return;
    }
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    // SIGXFSZ is ignored by fanout itself, so the write fails with EFBIG.
    check_full(
        &server,
        out.path(),
        &["prlimit", "--fsize=1000000", "--"],
        "File too large",
    );
}

#[test]
fn a_full_disk_is_a_save_error() {
    let mnt = tempfile::tempdir().unwrap();
    let m = mnt.path().to_str().unwrap();
    let mounted = StdCommand::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs", m])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    }
    let server = FaultServer::start();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_full(&server, mnt.path(), &["env"], "No space left on device")
    }));
    let _ = StdCommand::new("umount").arg(m).status();
    result.unwrap();
}

/// The peak resident memory of a live process, from /proc.
fn vm_hwm(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .expect("VmHWM")
        * 1024
}

#[test]
fn a_1gib_body_is_saved_in_little_memory() {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let d = out.path().to_str().unwrap();
    let mut child = fanout_std()
        .args(["-o", d, "--max-body", "0", "-i", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", server.url(&format!("/big/{GIB}"))).unwrap();
    stdin.flush().unwrap();
    let mut line = Vec::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_until(b'\n', &mut line)
        .unwrap();
    // Still alive (stdin open): its peak so far is the peak of the save.
    let peak = vm_hwm(child.id());
    drop(stdin);
    wait_with_limit(&mut child, Duration::from_secs(20)).expect("exits");
    let r = &records(&line)[0];
    assert_eq!(kind(r), "ok", "{r}");
    assert_eq!(r["bytes"], GIB);
    let saved = r["saved_to"].as_str().unwrap();
    assert_eq!(std::fs::metadata(saved).unwrap().len(), GIB);
    assert!(peak < 32 * MIB, "peak RSS {} MiB", peak / MIB);
}
