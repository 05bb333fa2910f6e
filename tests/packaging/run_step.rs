//! `packaging/run.sh`, the Action's run step: fanout's exit status is the
//! step's (0, 1, 2), `summary: true` appends the Markdown report to
//! `$GITHUB_STEP_SUMMARY`, and `args` are split like shell words.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::support::*;

/// A server on 127.0.0.1: 500 for paths under /fail, 200 otherwise. Keeps
/// each request's head. Its thread ends with the test process.
fn server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut head = String::new();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            while reader.read_line(&mut head).is_ok_and(|n| n > 2) {}
            let status = if head.starts_with("GET /fail") {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            seen.lock().unwrap().push(head);
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    (base, heads)
}

struct Step {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    summary: String,
    output: String,
}

/// Runs the step with `env` in a fresh directory whose job summary
/// already holds a line of an earlier step.
fn step(dir: &Path, env: &[(&str, &str)]) -> Step {
    let summary = dir.join("step_summary.md");
    let output = dir.join("github_output");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let _ = std::fs::remove_file(&output);
    let stubs = stubs(dir);
    let mut all: Vec<(&str, &Path)> = vec![
        ("FANOUT_BIN", Path::new(FANOUT)),
        ("GITHUB_STEP_SUMMARY", &summary),
        ("GITHUB_OUTPUT", &output),
        ("RUNNER_TEMP", dir),
    ];
    all.extend(env.iter().map(|(k, v)| (*k, Path::new(v))));
    let out = script("run.sh", &[], &all, &stubs);
    assert_eq!(stub_calls(&stubs), "");
    Step {
        status: out.status.code(),
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
        summary: std::fs::read_to_string(&summary).unwrap(),
        output: std::fs::read_to_string(&output).unwrap_or_default(),
    }
}

#[test]
fn the_steps_exit_status_is_fanouts() {
    let (base, _) = server();
    let dir = tempfile::tempdir().unwrap();

    let args = format!("-r 0 -q {base}/a {base}/b");
    let ok = step(
        dir.path(),
        &[("FANOUT_ARGS", &args), ("FANOUT_SUMMARY", "true")],
    );
    assert_eq!(ok.status, Some(0), "{}", ok.stderr);
    assert_eq!(ok.output, "exit-code=0\n");
    assert_eq!(ok.stdout.lines().count(), 2, "{}", ok.stdout);
    assert!(
        ok.summary
            .starts_with("earlier step\n### fanout: no failed URLs\n"),
        "{}",
        ok.summary
    );

    let args = format!("-r 0 -q {base}/a {base}/fail/1");
    let failed = step(
        dir.path(),
        &[("FANOUT_ARGS", &args), ("FANOUT_SUMMARY", "true")],
    );
    assert_eq!(failed.status, Some(1), "{}", failed.stderr);
    assert_eq!(failed.output, "exit-code=1\n");
    assert!(
        failed
            .summary
            .starts_with("earlier step\n### fanout: 1 of 2 URLs failed\n"),
        "{}",
        failed.summary
    );
    assert!(
        failed.summary.contains(&format!("{base}/fail/1")),
        "{}",
        failed.summary
    );

    let usage = step(
        dir.path(),
        &[
            ("FANOUT_ARGS", "--no-such-flag"),
            ("FANOUT_SUMMARY", "true"),
        ],
    );
    assert_eq!(usage.status, Some(2), "{}", usage.stderr);
    assert_eq!(usage.output, "exit-code=2\n");
    assert!(usage.stderr.starts_with("fanout: "), "{}", usage.stderr);
    assert_eq!(usage.summary, "earlier step\n");
}

#[test]
fn without_summary_the_job_summary_is_left_alone() {
    let (base, _) = server();
    let dir = tempfile::tempdir().unwrap();
    let args = format!("-r 0 -q {base}/fail/2");
    let run = step(
        dir.path(),
        &[("FANOUT_ARGS", &args), ("FANOUT_SUMMARY", "false")],
    );
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert_eq!(run.summary, "earlier step\n");
    // No report is left behind in the runner's temporary directory.
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("fanout-")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn args_split_like_shell_words_with_input_and_output_files() {
    let (base, heads) = server();
    let dir = tempfile::tempdir().unwrap();
    let urls = dir.path().join("urls.txt");
    std::fs::write(&urls, format!("{base}/one\n{base}/two\n")).unwrap();
    let records = dir.path().join("records.jsonl");
    let args = "-r 0\n-q -H 'X-Test: a \"b\"' \\\n  -H \"X-Other: c d\"";
    let env = [
        ("FANOUT_ARGS", args),
        ("FANOUT_INPUT", urls.to_str().unwrap()),
        ("FANOUT_OUTPUT", records.to_str().unwrap()),
        ("FANOUT_SUMMARY", "true"),
    ];
    let run = step(dir.path(), &env);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let written = std::fs::read_to_string(&records).unwrap();
    assert_eq!(written.lines().count(), 2, "{written}");
    let heads = heads.lock().unwrap();
    assert_eq!(heads.len(), 2);
    for head in heads.iter() {
        let head = head.to_ascii_lowercase();
        assert!(head.contains("x-test: a \"b\"\r\n"), "{head}");
        assert!(head.contains("x-other: c d\r\n"), "{head}");
    }
}

#[test]
fn an_unmatched_quote_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = step(dir.path(), &[("FANOUT_ARGS", "-H 'X-Test: a")]);
    assert_eq!(run.status, Some(2));
    assert_eq!(
        run.stderr,
        "fanout action: args: unmatched quote in: -H 'X-Test: a\n"
    );
    assert_eq!(run.output, "exit-code=2\n");
}

#[test]
fn the_installed_binary_runs_as_the_step() {
    let Some(release) = release() else { return };
    let (base, _) = server();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("bin");
    let github_output = dir.path().join("install_output");
    let stubs = stubs(dir.path());
    let env: [(&str, &Path); 5] = [
        ("FANOUT_RELEASE_BASE", release),
        ("FANOUT_VERSION", Path::new(VERSION)),
        ("FANOUT_INSTALL_DIR", &dest),
        ("GITHUB_OUTPUT", &github_output),
        ("RUNNER_TEMP", dir.path()),
    ];
    let installed = script("install.sh", &[], &env, &stubs);
    assert!(installed.status.success(), "{}", text(&installed.stderr));
    let output = std::fs::read_to_string(&github_output).unwrap();
    let bin = output.trim().strip_prefix("bin=").expect("bin=PATH");
    let args = format!("-r 0 -q {base}/fail/3");
    let run = step(
        dir.path(),
        &[
            ("FANOUT_BIN", bin),
            ("FANOUT_ARGS", &args),
            ("FANOUT_SUMMARY", "true"),
        ],
    );
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert!(
        run.summary.contains("1 of 1 URLs failed"),
        "{}",
        run.summary
    );
}
