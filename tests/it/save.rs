//! Saving bodies (`-o/--output-dir`, `--output-name`): one test per
//! sentence of the contract's "Saving bodies", against the fault server on
//! 127.0.0.1. Names are in `save_names.rs`, interruptions and
//! full disks in `save_faults.rs`.

use std::path::Path;

use crate::fault_server::FaultServer;
use crate::support::*;

/// Every file under `dir`, relative, sorted; temporary files included.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).unwrap().to_owned();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// Temporary files left anywhere under `dir`.
pub fn temps_under(dir: &Path) -> Vec<String> {
    files_under(dir)
        .into_iter()
        .filter(|f| f.contains(".fanout-"))
        .collect()
}

pub fn dir_arg(d: &Path) -> String {
    d.to_str().unwrap().to_owned()
}

#[test]
fn a_missing_dir_is_created_and_ok_bodies_land_under_it() {
    let server = FaultServer::start();
    let base = tempfile::tempdir().unwrap();
    let out = base.path().join("new/nested");
    let run = run(["-o", &dir_arg(&out), &server.url("/ok/a.txt"), "--body"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let r = run.one();
    let want = format!("{}/{}/ok/a.txt", out.display(), host(&server));
    assert_eq!(r["saved_to"], want.as_str());
    assert_eq!(std::fs::read(&want).unwrap(), b"ok\n");
    // saved_to comes before body, as the contract orders them.
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys[keys.len() - 2..], ["saved_to", "body"]);
}

#[test]
fn saved_to_is_the_dir_as_given_plus_the_name() {
    let server = FaultServer::start();
    let base = tempfile::tempdir().unwrap();
    let run = fanout()
        .current_dir(base.path())
        .args(["-o", "./out/", &server.url("/ok")])
        .run();
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let want = format!("./out/{}/ok", host(&server));
    assert_eq!(run.one()["saved_to"], want.as_str());
    assert!(base.path().join(&want).is_file());
}

#[test]
fn a_dir_that_cannot_be_created_is_a_usage_error_before_any_request() {
    let server = FaultServer::start();
    let base = tempfile::tempdir().unwrap();
    std::fs::write(base.path().join("file"), "x").unwrap();
    let bad = base.path().join("file/sub");
    let run = run(["-o", &dir_arg(&bad), &server.url("/ok")]);
    assert_eq!(run.status, Some(2));
    assert!(run.stderr.contains("--output-dir"), "{}", run.stderr);
    assert!(run.records.is_empty());
    assert!(server.seen().is_empty(), "no request was made");
}

#[test]
fn records_without_a_saved_body_say_null() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let port = closed_port();
    let run = run([
        "-o",
        &dir_arg(out.path()),
        "-r",
        "0",
        &server.url("/status/404"),
        "ftp://x/",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    assert_eq!(run.status, Some(1));
    let rs = by_index(run.records);
    assert_eq!(
        rs.iter().map(kind).collect::<Vec<_>>(),
        ["status", "invalid_url", "connect"]
    );
    for r in &rs {
        assert!(r["saved_to"].is_null(), "{r}");
        assert!(r.as_object().unwrap().contains_key("saved_to"), "{r}");
    }
    assert!(files_under(out.path()).is_empty());
}

#[test]
fn without_o_there_is_no_saved_to() {
    let server = FaultServer::start();
    let run = run([&server.url("/ok")]);
    assert!(!run.one().as_object().unwrap().contains_key("saved_to"));
}

#[test]
fn max_body_0_with_body_or_expect_is_a_usage_error() {
    let out = tempfile::tempdir().unwrap();
    for extra in [&["--body"][..], &["--expect", "ok"]] {
        let mut args = vec!["-o", out.path().to_str().unwrap(), "--max-body", "0"];
        args.extend_from_slice(extra);
        args.push("http://127.0.0.1:9/");
        let run = run(&args);
        assert_eq!(run.status, Some(2), "{extra:?}");
        assert!(run.stderr.contains("--max-body 0"), "{}", run.stderr);
    }
}

#[test]
fn failed_bodies_never_reach_a_final_name() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let run = run([
        "-o",
        &dir_arg(out.path()),
        "-r",
        "0",
        "-t",
        "500ms",
        "--max-body",
        "1KiB",
        &server.url("/reset-body"),
        &server.url("/hang-headers"),
        &server.url("/big/100000"),
    ]);
    let rs = by_index(run.records);
    assert_eq!(
        rs.iter().map(kind).collect::<Vec<_>>(),
        ["body", "timeout", "too_large"]
    );
    assert!(rs.iter().all(|r| r["saved_to"].is_null()));
    assert_eq!(files_under(out.path()), Vec::<String>::new());
}

#[test]
fn a_failed_check_saves_nothing() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let d = dir_arg(out.path());
    let run1 = run(["-o", &d, "--expect", "nope", &server.url("/ok")]);
    assert_eq!(kind(run1.one()), "assertion");
    let run2 = run(["-o", &d, "--slow", "1ms", &server.url("/drip/3/20")]);
    assert_eq!(kind(run2.one()), "assertion");
    assert!(files_under(out.path()).is_empty());
    // A check that holds saves the body it read.
    let run3 = run(["-o", &d, "--expect", "^ok", &server.url("/ok")]);
    assert_eq!(kind(run3.one()), "ok", "{}", run3.one());
    assert_eq!(files_under(out.path()), [format!("{}/ok", host(&server))]);
}

#[test]
fn a_cancelled_url_at_the_deadline_leaves_nothing() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let run = run([
        "-o",
        &dir_arg(out.path()),
        "--deadline",
        "300ms",
        &server.url("/drip/1000/10"),
        &server.url("/ok"),
    ]);
    let rs = by_index(run.records);
    assert_eq!(kind(&rs[0]), "cancelled");
    assert_eq!(kind(&rs[1]), "ok");
    assert_eq!(files_under(out.path()), [format!("{}/ok", host(&server))]);
}

#[test]
fn existing_files_are_replaced_and_bodies_are_decoded() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let h = host(&server);
    std::fs::create_dir_all(out.path().join(&h)).unwrap();
    std::fs::write(out.path().join(&h).join("ok"), "old and longer").unwrap();
    let run = run([
        "-o",
        &dir_arg(out.path()),
        &server.url("/ok"),
        &server.url("/gzip/4096"),
    ]);
    assert_eq!(run.status, Some(0), "{:?}", run.records);
    assert_eq!(
        std::fs::read(out.path().join(&h).join("ok")).unwrap(),
        b"ok\n"
    );
    let gz = std::fs::read(out.path().join(&h).join("gzip/4096")).unwrap();
    assert_eq!(gz, vec![0u8; 4096], "saved decoded");
}

#[test]
fn a_file_in_the_way_is_a_save_error_and_the_run_goes_on() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let d = dir_arg(out.path());
    let urls = [
        server.url("/ok/a"),
        server.url("/ok/a/b"),
        server.url("/ok/c"),
    ];
    let run = run(["-c", "1", "-o", &d, &urls[0], &urls[1], &urls[2]]);
    assert_eq!(run.status, Some(1));
    let rs = by_index(run.records);
    assert_eq!(
        rs.iter().map(kind).collect::<Vec<_>>(),
        ["ok", "save", "ok"]
    );
    let message = rs[1]["error"]["message"].as_str().unwrap();
    assert!(message.contains("is a file, not a directory"), "{message}");
    assert!(rs[1]["saved_to"].is_null());
    assert_eq!(rs[1]["status"], 200, "the response is still described");
    assert!(temps_under(out.path()).is_empty());
}

#[test]
fn save_errors_are_tried_again_by_skip_done() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let d = dir_arg(out.path());
    let urls = [server.url("/ok/a"), server.url("/ok/a/b")];
    let first = run(["-c", "1", "-o", &d, &urls[0], &urls[1]]);
    assert_eq!(
        by_index(first.records.clone())
            .iter()
            .map(kind)
            .collect::<Vec<_>>(),
        ["ok", "save"]
    );
    let done = out.path().join("records.jsonl");
    std::fs::write(&done, &first.stdout).unwrap();
    // The user moves the file in the way, and resumes.
    let h = host(&server);
    std::fs::remove_file(out.path().join(&h).join("ok/a")).unwrap();
    let again = run([
        "-o",
        &d,
        "--skip-done",
        done.to_str().unwrap(),
        &urls[0],
        &urls[1],
    ]);
    let r = again.one();
    assert_eq!((r["index"].as_u64(), kind(r)), (Some(1), "ok"), "{r}");
}
