//! Headers read from files (`-H @FILE`, `--header-for HOST @FILE`): sent
//! where they belong, never in the process's arguments, a log or an error
//! message.

use std::path::{Path, PathBuf};

use crate::fault_server::FaultServer;
use crate::per_line::Echo;
use crate::support::*;

const SECRET: &str = "tok-FILE-4b9e";
const KEY: &str = "key-FILE-d02a";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn at(path: &Path) -> String {
    format!("@{}", path.display())
}

#[test]
fn headers_from_files_reach_their_hosts() {
    let (api, other) = (Echo::start(), Echo::start());
    let dir = tempfile::tempdir().unwrap();
    let everyone = write(dir.path(), "all", "# for every host\n\nX-Common: c\n");
    let api_only = write(
        dir.path(),
        "api",
        &format!("Authorization: Bearer {SECRET}\r\n  # a comment\r\n\r\nX-Api-Key: {KEY}\r\n"),
    );
    let out = fanout()
        .args(["--resolve", &format!("api.test:{}:127.0.0.1", api.port())])
        .args([
            "-H",
            &at(&everyone),
            "--header-for",
            "api.test",
            &at(&api_only),
        ])
        .arg(format!("http://api.test:{}/a", api.port()))
        .arg(other.url("/b"))
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let to_api = api.only();
    assert_eq!(
        to_api.header("authorization"),
        Some(&*format!("Bearer {SECRET}"))
    );
    assert_eq!(to_api.header("x-api-key"), Some(KEY));
    assert_eq!(to_api.header("x-common"), Some("c"));
    let to_other = other.only();
    assert_eq!(to_other.header("x-api-key"), None);
    assert_eq!(to_other.header("x-common"), Some("c"));
}

#[test]
fn file_headers_never_reach_verbose_or_trace_logs() {
    let server = FaultServer::start();
    let dir = tempfile::tempdir().unwrap();
    let ca = write(dir.path(), "ca.pem", &server.ca_pem);
    // Names that are no credential's: the file, not the name, makes them secret.
    let file = write(
        dir.path(),
        "h",
        &format!("X-Api-Key: {KEY}\nX-Token: {SECRET}\n"),
    );
    for (flags, filter) in [("-vv", None), ("-vv", Some("trace"))] {
        let mut cmd = fanout();
        if let Some(filter) = filter {
            cmd.env("RUST_LOG", filter);
        }
        let out = cmd
            .args(["-H", &at(&file), "-r", "1", "--backoff", "1ms", "--cacert"])
            .arg(&ca)
            .arg(flags)
            .args([
                server.url("/ok"),
                server.tls_url("/ok"),
                server.url("/status/503"),
            ])
            .run();
        assert!(out.stderr.contains("attempt finished"), "logs are on");
        let sent = server.seen();
        assert!(
            sent.iter().any(|s| s.header("x-api-key") == Some(KEY)),
            "sent"
        );
        for secret in [KEY, SECRET] {
            assert!(
                !out.stderr.contains(secret),
                "{flags} {filter:?} logged {secret}"
            );
        }
    }
}

#[test]
fn a_malformed_header_file_is_a_usage_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    for (text, line) in [
        (format!("X-Ok: 1\nBearer {SECRET}\n"), 2),
        (format!("# c\n\nBad Name {SECRET}: v\n"), 3),
        (format!("X-Key: {SECRET}\u{7f}\n"), 1),
        (format!("{SECRET}\n"), 1),
    ] {
        let file = write(dir.path(), "bad", &text);
        for flag in [&["-H"][..], &["--header-for", "api.test"]] {
            let out = fanout()
                .args(flag)
                .arg(at(&file))
                .arg("http://127.0.0.1:9/")
                .run();
            assert_eq!(out.status, Some(2), "{text:?}");
            let err = out.stderr.trim();
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(&*file.to_string_lossy()), "{err}");
            assert!(err.contains(&format!("line {line}")), "{err}");
            assert!(!err.contains(SECRET), "echoes the secret: {err}");
        }
    }
    let missing = dir.path().join("missing");
    let out = run(["-H", &at(&missing), "http://127.0.0.1:9/"]);
    assert_eq!(out.status, Some(2));
    assert!(
        out.stderr.contains(&*missing.to_string_lossy()),
        "{}",
        out.stderr
    );
}

/// `@<(printf …)` from a shell: the secret is in no process's arguments
/// (printf is a bash builtin) nor in fanout's environment, yet is sent.
#[cfg(target_os = "linux")]
#[test]
fn a_secret_from_a_pipe_is_in_no_argv() {
    use std::time::Duration;

    let server = FaultServer::start();
    let script = r#"t="$TOKEN"; unset TOKEN
exec "$FANOUT" -t 20s -r 0 --header-for 127.0.0.1 @<(printf 'Authorization: Bearer %s\n' "$t") "$URL""#;
    let mut child = std::process::Command::new("bash")
        .args(["-c", script])
        .env("TOKEN", SECRET)
        .env("FANOUT", assert_cmd::cargo::cargo_bin("fanout"))
        .env("URL", server.url("/hang"))
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    server.wait_for_requests(1, Duration::from_secs(20));
    let pid = child.id();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline);
    assert!(
        cmdline.contains("--header-for"),
        "fanout runs as {pid}: {cmdline}"
    );
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(!cmdline.contains(SECRET), "{cmdline}");
    assert!(!String::from_utf8_lossy(&environ).contains(SECRET));
    let sent = server.seen();
    let auth = sent[0].header("authorization");
    assert_eq!(auth, Some(&*format!("Bearer {SECRET}")), "{sent:?}");
}
