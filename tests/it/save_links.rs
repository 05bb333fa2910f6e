//! Saved files as the file system sees them (#22): the mode a new file
//! normally gets, and symbolic links inside DIR that are followed only while
//! they stay inside it.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::Path;

use crate::fault_server::FaultServer;
use crate::save::{dir_arg, files_under};
use crate::support::*;

/// Runs fanout with `umask` set in the child only (the test process's own
/// umask is shared by every test thread and is left alone).
fn run_with_umask(umask: libc::mode_t, args: &[&str]) -> Run {
    let mut cmd = fanout_std();
    // SAFETY: umask is async-signal-safe; it runs in the forked child just
    // before exec and touches nothing else.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(umask);
            Ok(())
        });
    }
    Run::from(cmd.args(args).output().expect("run fanout"))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn issue_22_a_saved_file_gets_the_mode_of_a_new_file() {
    let server = FaultServer::start();
    for (umask, want) in [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)] {
        let out = tempfile::tempdir().unwrap();
        let run = run_with_umask(umask, &["-o", &dir_arg(out.path()), &server.url("/ok/a")]);
        assert_eq!(run.status, Some(0), "{}", run.stderr);
        let saved = run.one()["saved_to"].as_str().unwrap().to_owned();
        assert_eq!(mode(Path::new(&saved)), want, "umask {umask:o}");
    }
}

#[test]
fn issue_22_a_link_out_of_dir_is_a_save_error() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    // The host's directory is a link planted to lead out of DIR.
    symlink(elsewhere.path(), out.path().join(host(&server))).unwrap();
    let run = run(["-o", &dir_arg(out.path()), &server.url("/ok/sub/x")]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let r = run.one();
    assert_eq!(kind(r), "save", "{r}");
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains("outside"), "{message}");
    assert!(!message.contains(".fanout-"), "{message}");
    assert!(r["saved_to"].is_null(), "{r}");
    assert!(
        files_under(elsewhere.path()).is_empty(),
        "nothing written out of DIR"
    );
    assert!(
        std::fs::read_dir(elsewhere.path())
            .unwrap()
            .next()
            .is_none(),
        "no directory made out of DIR either"
    );
}

#[test]
fn issue_22_a_file_name_that_is_a_link_out_of_dir_is_a_save_error() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim");
    std::fs::write(&victim, "mine").unwrap();
    let hostdir = out.path().join(host(&server)).join("ok");
    std::fs::create_dir_all(&hostdir).unwrap();
    symlink(&victim, hostdir.join("x")).unwrap();
    let run = run(["-o", &dir_arg(out.path()), &server.url("/ok/x")]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert_eq!(kind(run.one()), "save", "{}", run.one());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine");
}

#[test]
fn issue_22_links_that_stay_inside_dir_are_followed() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    std::fs::create_dir(out.path().join("real")).unwrap();
    symlink("real", out.path().join(host(&server))).unwrap();
    std::fs::create_dir_all(out.path().join("real/ok")).unwrap();
    std::fs::write(out.path().join("real/ok/target"), "old").unwrap();
    symlink("target", out.path().join("real/ok/b")).unwrap();
    let run = run([
        "-o",
        &dir_arg(out.path()),
        &server.url("/ok/a"),
        &server.url("/ok/b"),
    ]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(out.path().join("real/ok/a")).unwrap(),
        "ok\n"
    );
    // The link stays; its target, inside DIR, gets the body.
    let b = out.path().join("real/ok/b");
    assert!(b.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(
        std::fs::read_to_string(out.path().join("real/ok/target")).unwrap(),
        "ok\n"
    );
}
