//! A fault-injecting HTTP server on 127.0.0.1, for the fault, load and
//! security tests.
//!
//! It is kept apart from `support.rs` because it is a small HTTP/1.1 server of
//! its own: the polite servers there cannot misbehave on purpose. One
//! [`FaultServer`] listens on six sockets:
//!
//! - `addr`: the routes of [`routes`], HTTP/1.1 with keep-alive where the
//!   route is polite;
//! - `other`: the same routes on another port, which is another host as far
//!   as redirects and credentials are concerned;
//! - `silent`: accepts connections and never reads or answers (hang after
//!   accept);
//! - `tls`: TLS with a certificate for 127.0.0.1 issued by a throwaway CA
//!   ([`FaultServer::ca_pem`]), speaking HTTP/1.1 (every route) or HTTP/2
//!   (the polite routes; the others answer 501) as the client's ALPN asks;
//! - `tls_misnamed`: the same with a certificate, from the same CA, for
//!   another name;
//! - `tls_self_signed`: the same with a self-signed certificate for 127.0.0.1
//!   ([`FaultServer::self_signed_pem`]).
//!
//! Every request that reaches a route is logged ([`FaultServer::seen`]) and
//! counted before the route acts, so a test can wait for the event
//! ([`FaultServer::wait_for_requests`]) instead of sleeping.
//!
//! The module splits as the server does: [`routes`] for what each path does
//! over HTTP/1.1, [`tls`] for certificates and HTTP/2.

mod routes;
mod tls;

use crate::support::on_own_thread;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;

use routes::serve_h1;
use tls::{make_tls, serve_tls};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The server address it arrived on (`addr`, `other` or `tls`).
    pub local: SocketAddr,
    /// Path and query.
    pub path: String,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the server has seen so far, shared with its tasks.
#[derive(Default)]
struct Log {
    seen: Mutex<Vec<Seen>>,
    /// Signalled on every request and every silent accept.
    changed: Condvar,
    silent_accepts: Mutex<usize>,
}

impl Log {
    fn push(&self, seen: Seen) {
        self.seen.lock().unwrap().push(seen);
        self.changed.notify_all();
    }
}

/// A misbehaving server on 127.0.0.1. Stops when dropped.
pub struct FaultServer {
    /// The routes, over plain HTTP/1.1.
    pub addr: SocketAddr,
    /// The same routes on another port: another host.
    pub other: SocketAddr,
    /// Accepts and never answers.
    pub silent: SocketAddr,
    /// The polite routes over TLS.
    pub tls: SocketAddr,
    /// The polite routes over TLS, with a certificate for another name.
    pub tls_misnamed: SocketAddr,
    /// The polite routes over TLS, with a self-signed certificate for
    /// 127.0.0.1.
    pub tls_self_signed: SocketAddr,
    /// The CA that issued the `tls` and `tls_misnamed` certificates, PEM.
    pub ca_pem: String,
    /// The `tls_self_signed` certificate, PEM.
    pub self_signed_pem: String,
    log: Arc<Log>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FaultServer {
    pub fn start() -> FaultServer {
        let bind = || {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.set_nonblocking(true).unwrap();
            let addr = l.local_addr().unwrap();
            (l, addr)
        };
        let (main, addr) = bind();
        let (other, other_addr) = bind();
        let (silent, silent_addr) = bind();
        let (tls, tls_addr) = bind();
        let (misnamed, misnamed_addr) = bind();
        let (self_signed, self_signed_addr) = bind();
        let tls_setup = make_tls();
        let (ca_pem, self_signed_pem) =
            (tls_setup.ca_pem.clone(), tls_setup.self_signed_pem.clone());
        let log = Arc::new(Log::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let shared = log.clone();
        on_own_thread(move || async move {
            let log = shared;
            let listen = |l| TcpListener::from_std(l).unwrap();
            let serve = async {
                tokio::join!(
                    serve_plain(listen(main), log.clone()),
                    serve_plain(listen(other), log.clone()),
                    serve_silent(listen(silent), log.clone()),
                    serve_tls(listen(tls), tls_setup.good, log.clone()),
                    serve_tls(listen(misnamed), tls_setup.misnamed, log.clone()),
                    serve_tls(listen(self_signed), tls_setup.self_signed, log.clone()),
                )
            };
            // Whichever ends first: the listeners never end by themselves,
            // so this is the test dropping the server. Dropping the
            // runtime then closes every connection.
            tokio::select! {
                _ = rx => {}
                _ = serve => {}
            }
        });
        FaultServer {
            addr,
            other: other_addr,
            silent: silent_addr,
            tls: tls_addr,
            tls_misnamed: misnamed_addr,
            tls_self_signed: self_signed_addr,
            ca_pem,
            self_signed_pem,
            log,
            shutdown: Some(tx),
        }
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `http://OTHER{path}`: the same routes on another host.
    pub fn other_url(&self, path: &str) -> String {
        format!("http://{}{}", self.other, path)
    }

    /// A URL whose server accepts the connection and never answers.
    pub fn silent_url(&self, path: &str) -> String {
        format!("http://{}{}", self.silent, path)
    }

    /// `https://TLS{path}`.
    pub fn tls_url(&self, path: &str) -> String {
        format!("https://{}{}", self.tls, path)
    }

    /// A URL that answers with a redirect to `location`; `%XX` in it stands
    /// for any byte, sent raw in the `Location` header.
    pub fn redirect_url(&self, location: &str) -> String {
        self.url(&format!("/to?{location}"))
    }

    /// Every request seen so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.log.seen.lock().unwrap().clone()
    }

    /// Connections the silent listener has accepted.
    pub fn silent_accepts(&self) -> usize {
        *self.log.silent_accepts.lock().unwrap()
    }

    /// Waits until at least `n` requests have reached a route, or panics
    /// after `limit`.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // its callers are Linux-only
    pub fn wait_for_requests(&self, n: usize, limit: Duration) {
        let start = Instant::now();
        let mut seen = self.log.seen.lock().unwrap();
        while seen.len() < n {
            let left = limit
                .checked_sub(start.elapsed())
                .unwrap_or_else(|| panic!("only {} of {n} requests arrived", seen.len()));
            seen = self.log.changed.wait_timeout(seen, left).unwrap().0;
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn serve_plain(listener: TcpListener, log: Arc<Log>) {
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        let _ = conn.set_nodelay(true);
        let local = conn.local_addr().unwrap();
        tokio::spawn(serve_h1(conn, local, log.clone()));
    }
}

async fn serve_silent(listener: TcpListener, log: Arc<Log>) {
    // Held, never read, until the server is dropped.
    let mut held = Vec::new();
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        held.push(conn);
        *log.silent_accepts.lock().unwrap() += 1;
        log.changed.notify_all();
    }
}
