//! Shared test support: running the real binary, parsing its records, and
//! real servers on 127.0.0.1 — an axum app on a thread of its own, and a raw
//! TCP server for what a polite server never does (hang, reset mid-body).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

/// The keys of a record, in the order the README documents.
pub const KEYS: [&str; 14] = [
    "index",
    "url",
    "final_url",
    "ok",
    "status",
    "attempts",
    "elapsed_ms",
    "ttfb_ms",
    "bytes",
    "content_type",
    "http_version",
    "remote_addr",
    "redirects",
    "error",
];

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
        Run::from(self.output().expect("run fanout"))
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

/// Parses stdout as JSON Lines, checking that every line is one whole record
/// with exactly the documented keys in order (plus optional trailing ones)
/// and that `ok` is true exactly when `error` is null.
pub fn records(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).expect("stdout is UTF-8");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "last line is torn: {text:?}"
    );
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON record ({e}): {line}"));
            check_record(&v, line);
            v
        })
        .collect()
}

fn check_record(v: &Value, line: &str) {
    let obj = v.as_object().expect("record is an object");
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    assert!(keys.len() >= KEYS.len(), "missing keys: {line}");
    assert_eq!(&keys[..KEYS.len()], &KEYS[..], "key order: {line}");
    // Optional keys, each only with its flag, in this order.
    const OPTIONAL: [&str; 8] = [
        "id",
        "request_id",
        "timings",
        "tls",
        "headers",
        "saved_to",
        "body",
        "body_encoding",
    ];
    let mut last = None;
    for extra in &keys[KEYS.len()..] {
        let at = OPTIONAL.iter().position(|k| k == extra);
        assert!(at.is_some(), "unexpected key {extra}: {line}");
        assert!(at > last, "optional key {extra} out of order: {line}");
        last = at;
    }
    assert_eq!(
        v["ok"].as_bool().unwrap(),
        v["error"].is_null(),
        "ok iff error is null: {line}"
    );
    if !v["error"].is_null() {
        assert!(
            v["error"]["kind"].is_string() && v["error"]["message"].is_string(),
            "{line}"
        );
    }
}

/// Records sorted by index.
pub fn by_index(mut records: Vec<Value>) -> Vec<Value> {
    records.sort_by_key(|r| r["index"].as_u64());
    records
}

/// The error kind of a record, or "ok".
pub fn kind(r: &Value) -> &str {
    r["error"]["kind"].as_str().unwrap_or("ok")
}

/// An axum app served on 127.0.0.1:0 from a thread with its own runtime,
/// so tests may block while the binary runs. Stops when dropped.
pub struct AppServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl AppServer {
    pub fn start(app: axum::Router) -> AppServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        on_own_thread(move || async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        AppServer {
            addr,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// What the raw server does with each connection.
#[derive(Clone, Copy, Debug)]
pub enum Raw {
    /// Reads the request and never answers.
    Hang,
    /// Sends headers and part of the body, then resets the connection.
    ResetMidBody,
    /// Accepts and resets at once, before any response.
    ResetBeforeResponse,
    /// Answers with a line that is not HTTP.
    Garbage,
}

/// A raw TCP server on 127.0.0.1:0. Every request it reads is announced on
/// `requests`, so a test can wait for the event instead of sleeping.
pub struct RawServer {
    pub addr: SocketAddr,
    pub requests: mpsc::Receiver<()>,
}

impl RawServer {
    pub fn start(behaviour: Raw) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let tx = tx.clone();
                thread::spawn(move || serve_raw(conn, behaviour, tx));
            }
        });
        RawServer { addr, requests: rx }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Waits until `n` requests have arrived (or panics after 20 s).
    pub fn wait_for_requests(&self, n: usize) {
        for i in 0..n {
            self.requests
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("only {i} of {n} requests arrived"));
        }
    }
}

fn serve_raw(mut conn: TcpStream, behaviour: Raw, tx: mpsc::Sender<()>) {
    if let Raw::ResetBeforeResponse = behaviour {
        let _ = read_head(&mut conn);
        let _ = tx.send(());
        reset(conn);
        return;
    }
    if read_head(&mut conn).is_none() {
        return;
    }
    let _ = tx.send(());
    match behaviour {
        Raw::Hang => {
            // Keep the socket open, unanswered, until the client goes away.
            let mut sink = [0u8; 1024];
            while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
        }
        Raw::ResetMidBody => {
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\npartial body",
            );
            let _ = conn.flush();
            reset(conn);
        }
        Raw::Garbage => {
            let _ = conn.write_all(b"this is not HTTP at all\r\n\r\n");
            let _ = conn.shutdown(Shutdown::Both);
        }
        Raw::ResetBeforeResponse => unreachable!(),
    }
}

/// Reads a request head (up to the blank line).
fn read_head(conn: &mut TcpStream) -> Option<String> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            return Some(head);
        }
    }
}

/// Closes with RST instead of FIN: SO_LINGER with a zero timeout.
fn reset(conn: TcpStream) {
    let _ = socket2::SockRef::from(&conn).set_linger(Some(Duration::ZERO));
    drop(conn);
}

/// A port on 127.0.0.1 with nothing listening.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
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

/// Runs the server that `make` returns on a current-thread runtime on a
/// thread of its own, so a test may block while the binary runs. `make`
/// is called on that thread: the server's future need not be `Send`.
pub fn on_own_thread<F, Fut>(make: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(make());
    });
}
