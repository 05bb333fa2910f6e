//! Where `--report FORMAT=FILE` and `--stats FILE` write (#22): a regular
//! FILE is replaced whole, a FILE that is a device or a FIFO is written
//! through and stays what it is, and a symbolic link is followed and its
//! target replaced. Each test makes its special files in its own temporary
//! directory, never touching the system's own.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::reports::app;
use crate::support::*;

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

fn mkfifo(path: &Path) {
    // SAFETY: a valid NUL-terminated path; creates one FIFO in a test's
    // own directory.
    let rc = unsafe { libc::mkfifo(c_path(path).as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

/// Drains `fifo` on a thread of its own; what it read arrives on the
/// channel once the writer closes it.
fn drain(fifo: &Path) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let fifo = fifo.to_owned();
    std::thread::spawn(move || {
        // Opening blocks until fanout opens the FIFO for writing.
        let text = std::fs::read_to_string(&fifo).unwrap_or_else(|e| format!("error: {e}"));
        let _ = tx.send(text);
    });
    rx
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn is_fifo(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

#[test]
fn issue_22_a_fifo_is_written_through_not_replaced() {
    let (server, _) = app();
    let dir = tempfile::tempdir().unwrap();
    let (md, stats) = (dir.path().join("md.fifo"), dir.path().join("stats.fifo"));
    mkfifo(&md);
    mkfifo(&stats);
    let (md_read, stats_read) = (drain(&md), drain(&stats));
    let run = run([
        "--report",
        &format!("markdown={}", md.display()),
        "--stats",
        stats.to_str().unwrap(),
        &server.url("/fail/1"),
    ]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert!(is_fifo(&md), "the report's FIFO was replaced");
    assert!(is_fifo(&stats), "the stats' FIFO was replaced");
    let wait = Duration::from_secs(10);
    let text = md_read
        .recv_timeout(wait)
        .expect("the report reached the FIFO");
    assert!(
        text.starts_with("### fanout: 1 of 1 URLs failed\n"),
        "{text}"
    );
    let text = stats_read
        .recv_timeout(wait)
        .expect("the stats reached the FIFO");
    let json: serde_json::Value = serde_json::from_str(&text).expect(&text);
    assert_eq!(json["failed"], 1, "{json}");
    assert_eq!(names(dir.path()), ["md.fifo", "stats.fifo"]);
}

/// A null device (1, 3) made in the test's directory, or `None` (with a
/// note) when this process may not make one or the file system will not
/// open it as a device.
fn null_device(path: &Path) -> Option<()> {
    // SAFETY: plain system calls on a NUL-terminated path of our own.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("note: not root, the character device case is skipped");
        return None;
    }
    let dev = libc::makedev(1, 3);
    // SAFETY: as above; the node is made in a temporary directory.
    let rc = unsafe { libc::mknod(c_path(path).as_ptr(), libc::S_IFCHR | 0o666, dev) };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        eprintln!("note: mknod failed ({e}), the character device case is skipped");
        return None;
    }
    if let Err(e) = std::fs::OpenOptions::new().write(true).open(path) {
        eprintln!("note: the device cannot be opened here ({e}), the case is skipped");
        return None;
    }
    Some(())
}

fn is_char_device(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[test]
fn issue_22_a_character_device_is_written_through_not_replaced() {
    let (server, _) = app();
    let dir = tempfile::tempdir().unwrap();
    let (xml, md, stats) = (
        dir.path().join("junit.null"),
        dir.path().join("md.null"),
        dir.path().join("stats.null"),
    );
    for device in [&xml, &md, &stats] {
        if null_device(device).is_none() {
            return;
        }
    }
    let run = run([
        "--report",
        &format!("junit={}", xml.display()),
        "--report",
        &format!("markdown={}", md.display()),
        "--stats",
        stats.to_str().unwrap(),
        &server.url("/ok/1"),
    ]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    for device in [&xml, &md, &stats] {
        assert!(is_char_device(device), "{} was replaced", device.display());
    }
    assert_eq!(names(dir.path()), ["junit.null", "md.null", "stats.null"]);
}

/// `link` → `target`, made with a relative target as `ln -s` users do.
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[test]
fn issue_22_a_symlink_is_followed_and_its_target_replaced() {
    let (server, _) = app();
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::write(real.join("r.md"), "old summary").unwrap();
    std::fs::write(real.join("s.json"), "old stats").unwrap();
    let (md, stats, xml) = (
        dir.path().join("r.md"),
        dir.path().join("s.json"),
        dir.path().join("r.xml"),
    );
    symlink("real/r.md", &md);
    symlink("real/s.json", &stats);
    // A link whose target does not exist yet: the target is created.
    symlink("real/r.xml", &xml);
    let run = run([
        "--report",
        &format!("markdown={}", md.display()),
        "--report",
        &format!("junit={}", xml.display()),
        "--stats",
        stats.to_str().unwrap(),
        &server.url("/ok/1"),
    ]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    for link in [&md, &stats, &xml] {
        let meta = std::fs::symlink_metadata(link).unwrap();
        assert!(
            meta.file_type().is_symlink(),
            "{} stays a link",
            link.display()
        );
    }
    let text = std::fs::read_to_string(real.join("r.md")).unwrap();
    assert!(text.starts_with("### fanout: no failed URLs\n"), "{text}");
    let text = std::fs::read_to_string(real.join("s.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).expect(&text);
    assert_eq!(json["ok"], 1, "{json}");
    let xml_text = std::fs::read_to_string(real.join("r.xml")).unwrap();
    assert!(xml_text.contains("<testsuite"), "{xml_text}");
    assert_eq!(names(dir.path()), ["r.md", "r.xml", "real", "s.json"]);
    assert_eq!(names(&real), ["r.md", "r.xml", "s.json"]);
}

/// The old `--stats` and report stay whole while the run goes on, and are
/// replaced by the new ones when it ends, after SIGINT too.
#[test]
fn issue_22_a_regular_file_is_replaced_only_at_the_end() {
    let hang = RawServer::start(Raw::Hang);
    let dir = tempfile::tempdir().unwrap();
    let (md, stats): (PathBuf, PathBuf) = (dir.path().join("r.md"), dir.path().join("s.json"));
    std::fs::write(&md, "old summary").unwrap();
    std::fs::write(&stats, "old stats").unwrap();
    let md_arg = format!("markdown={}", md.display());
    let url = hang.url("/x");
    let mut child = spawn(&[
        "-t",
        "60s",
        "--report",
        &md_arg,
        "--stats",
        stats.to_str().unwrap(),
        &url,
    ]);
    hang.wait_for_requests(1);
    assert_eq!(std::fs::read_to_string(&stats).unwrap(), "old stats");
    assert_eq!(std::fs::read_to_string(&md).unwrap(), "old summary");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("fanout exits");
    let err = stderr_of(&mut child);
    assert_eq!(status.code(), Some(130), "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(json["stopped"], "interrupt", "{json}");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("Stopped early"), "{text}");
    assert_eq!(names(dir.path()), ["r.md", "s.json"]);
}

#[test]
fn issue_22_an_unwritable_stats_file_is_a_usage_error_naming_it() {
    let (server, hits) = app();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("missing/s.json");
    let run = run(["--stats", bad.to_str().unwrap(), &server.url("/ok/1")]);
    assert_eq!(run.status, Some(2), "{}", run.stderr);
    assert!(run.records.is_empty());
    let line = format!("fanout: cannot write --stats {}: ", bad.display());
    assert!(run.stderr.starts_with(&line), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(hits.all().is_empty(), "no request was made");
}

#[test]
fn issue_22_messages_never_name_a_temporary_file() {
    let (server, _) = app();
    let dir = tempfile::tempdir().unwrap();
    for spec in ["junit", "markdown"] {
        let bad = format!("{spec}={}/missing/r", dir.path().display());
        let run = run(["--report", &bad, &server.url("/ok/1")]);
        assert_eq!(run.status, Some(2), "{}", run.stderr);
        assert!(run.stderr.contains(&bad), "{}", run.stderr);
        // The reason follows FILE; no temporary name is added.
        assert!(!run.stderr.contains("/missing/."), "{}", run.stderr);
        assert!(!run.stderr.contains("at path"), "{}", run.stderr);
    }
}

/// After SIGINT the process must exit within a second: a FIFO that
/// nobody reads is skipped with a line on stderr, not waited for, while
/// one that is read gets its report.
#[test]
fn issue_22_after_sigint_a_fifo_nobody_reads_is_skipped() {
    let hang = RawServer::start(Raw::Hang);
    let dir = tempfile::tempdir().unwrap();
    let (unread, read) = (dir.path().join("unread"), dir.path().join("read"));
    mkfifo(&unread);
    mkfifo(&read);
    let text = drain(&read);
    let (unread_arg, read_arg) = (
        format!("markdown={}", unread.display()),
        format!("markdown={}", read.display()),
    );
    let url = hang.url("/x");
    let args = [
        "-t",
        "60s",
        "--report",
        &unread_arg,
        "--report",
        &read_arg,
        &url,
    ];
    let mut child = spawn(&args);
    hang.wait_for_requests(1);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("fanout exits");
    let err = stderr_of(&mut child);
    assert_eq!(status.code(), Some(130), "{err}");
    let skipped = format!("fanout: --report {unread_arg} skipped: nothing reads the FIFO");
    assert!(err.contains(&skipped), "{err}");
    let text = text
        .recv_timeout(Duration::from_secs(10))
        .expect("a report");
    assert!(text.contains("Stopped early"), "{text}");
    assert!(is_fifo(&unread) && is_fifo(&read));
}
