//! Running the real binary: a clean environment, a finished run with its
//! records checked, and a child process to talk to while it runs.

use std::ffi::OsStr;
use std::io::Read;
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

use super::records::{asked_keys, check_optional_keys, records};

/// Environment that would send loopback traffic elsewhere or change logging.
pub const SCRUBBED_ENV: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "RUST_LOG",
];

/// The real `fanout` binary, with a clean environment — except
/// `FANOUT_THREADS`, which it inherits: `.ci/run` runs the suite with 1
/// and with 4 threads through it.
pub fn fanout() -> Command {
    let mut cmd = Command::cargo_bin("fanout").expect("binary built");
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1");
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// The binary as a std `Command`, for tests that talk to it while it runs.
pub fn fanout_std() -> StdCommand {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("fanout"));
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd
}

/// What a finished run of the binary left behind, with stdout already
/// parsed and checked by [`records`].
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` if a signal ended the process.
    pub status: Option<i32>,
    /// stdout, one record per line, in the order they were written.
    pub records: Vec<Value>,
    /// stdout as it was, for tests that feed it back in (`--skip-done`).
    pub stdout: Vec<u8>,
    /// stderr, which must be UTF-8.
    pub stderr: String,
}

impl Run {
    /// The only record; panics unless there is exactly one.
    pub fn one(&self) -> &Value {
        assert_eq!(self.records.len(), 1, "want one record: {:?}", self.records);
        &self.records[0]
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            status: out.status.code(),
            records: records(&out.stdout),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
            stdout: out.stdout,
        }
    }
}

/// Runs a configured [`fanout`] command to the end, for tests that set
/// stdin, environment or a timeout first:
/// `fanout().arg(url).write_stdin(list).run()`.
pub trait RunExt {
    fn run(&mut self) -> Run;
}

impl RunExt for Command {
    fn run(&mut self) -> Run {
        let asked = asked_keys(self.get_args());
        let out = self.output().expect("run fanout");
        let run = Run::from(out);
        for (r, line) in run
            .records
            .iter()
            .zip(String::from_utf8_lossy(&run.stdout).lines())
        {
            check_optional_keys(r, &asked, line);
        }
        run
    }
}

/// Runs `fanout ARGS` to the end.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    fanout().args(args).run()
}

/// Waits for a child with a limit, killing it if it overstays.
pub fn wait_with_limit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The rest of a finished child's stdout.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // its callers are Linux-only
pub fn stdout_of(child: &mut Child) -> Vec<u8> {
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    out
}

/// The rest of a finished child's stderr.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // its callers are Linux-only
pub fn stderr_of(child: &mut Child) -> String {
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    err
}

/// Spawns the binary with piped stdio.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // its callers are Linux-only
pub fn spawn(args: &[&str]) -> Child {
    fanout_std()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fanout")
}
