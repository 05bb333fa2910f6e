//! The polite and the raw test server, and a thread for a server of one's
//! own (see `support.rs` for which to use when).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::fault_server::FaultServer;

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

    /// `path` on this server under the name `host` (see
    /// [`AppServer::resolve_as`]).
    pub fn url_as(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.addr.port())
    }

    /// `--resolve` arguments that send each of `hosts` to this server, so
    /// one server stands in for several hosts.
    pub fn resolve_as(&self, hosts: &[&str]) -> Vec<String> {
        let port = self.addr.port();
        hosts
            .iter()
            .flat_map(|h| ["--resolve".to_owned(), format!("{h}:{port}:127.0.0.1")])
            .collect()
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

/// What `{host}` becomes for a fault server's URLs in a saved file's name
/// (`-o`): `127.0.0.1_PORT`.
pub fn host(server: &FaultServer) -> String {
    server
        .url("")
        .trim_start_matches("http://")
        .replace(':', "_")
}
