//! A fault-injecting HTTP server on 127.0.0.1, for the fault, load and
//! security tests.
//!
//! It is kept apart from `support.rs` because it is a small HTTP/1.1 server of
//! its own: the polite servers there cannot misbehave on purpose. One
//! [`FaultServer`] listens on six sockets:
//!
//! - `addr`: the routes below, HTTP/1.1 with keep-alive where the route is
//!   polite;
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
//! Routes (the path's first segment picks one; anything after it is free, so
//! 10,000 URLs can be told apart by path):
//!
//! | path | what the server does |
//! |---|---|
//! | `/ok` | 200, a short body |
//! | `/status/CODE` | that status |
//! | `/land` | 200 "landed" (a redirect target) |
//! | `/to?LOCATION` | 302 to LOCATION, the query percent-decoded (any bytes) |
//! | `/loop` | 302 to itself |
//! | `/hang` | reads the request, never answers |
//! | `/hang-headers` | sends the head, then nothing |
//! | `/reset-headers` | half a head, then a TCP reset |
//! | `/reset-body` | the head and part of the body, then a TCP reset |
//! | `/drip/BYTES/MS` | a BYTES-long body, one byte every MS ms |
//! | `/garbage` | a status line that is not HTTP |
//! | `/huge-headers` | a head of 1 MiB |
//! | `/endless` | a chunked body that never ends |
//! | `/big/BYTES` | a BYTES-long body, generated as it is sent |
//! | `/gzip/BYTES` | a gzip body that decodes to BYTES zeros, compressed as it is sent |
//! | `/bad-chunked` | a chunked body with an invalid chunk size |

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

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
        thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
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

/// The servers' TLS configs (ALPN h2 and http/1.1) and the PEMs a client
/// needs to trust them.
struct Tls {
    /// A certificate for 127.0.0.1 and localhost, issued by the CA.
    good: Arc<rustls::ServerConfig>,
    /// A certificate for another name, issued by the CA.
    misnamed: Arc<rustls::ServerConfig>,
    /// A self-signed certificate for 127.0.0.1, no CA involved.
    self_signed: Arc<rustls::ServerConfig>,
    ca_pem: String,
    self_signed_pem: String,
}

fn make_tls() -> Tls {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "fanout test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let config = |cert: &rcgen::Certificate, key: &KeyPair| {
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    };
    let issued = |names: &[&str]| {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        config(&cert, &key)
    };
    let own = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    Tls {
        good: issued(&["127.0.0.1", "localhost"]),
        misnamed: issued(&["misnamed.invalid"]),
        self_signed: config(&own.cert, &own.signing_key),
        ca_pem: ca.pem(),
        self_signed_pem: own.cert.pem(),
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

async fn serve_tls(listener: TcpListener, config: Arc<rustls::ServerConfig>, log: Arc<Log>) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let log = log.clone();
        tokio::spawn(async move {
            let local = conn.local_addr().unwrap();
            // A client that rejects the certificate aborts the handshake:
            // that is the expected end of such a connection.
            let Ok(tls) = acceptor.accept(conn).await else {
                return;
            };
            if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
                serve_h2(tls, local, log).await;
            } else {
                serve_h1(tls, local, log).await;
            }
        });
    }
}

/// HTTP/2 for the polite routes, through hyper.
async fn serve_h2(
    io: tokio_rustls::server::TlsStream<TcpStream>,
    local: SocketAddr,
    log: Arc<Log>,
) {
    use http_body_util::Full;
    use hyper::service::service_fn;
    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let log = log.clone();
        async move {
            let path = req
                .uri()
                .path_and_query()
                .map_or("/".to_owned(), |p| p.to_string());
            let headers = req
                .headers()
                .iter()
                .map(|(n, v)| {
                    let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (n.as_str().to_owned(), v)
                })
                .collect();
            log.push(Seen {
                local,
                path: path.clone(),
                headers,
            });
            let mut resp = hyper::Response::builder();
            let body = match route(&path) {
                Action::Reply {
                    status,
                    location,
                    body,
                } => {
                    resp = resp.status(status);
                    if let Some(l) = location {
                        resp = resp.header("location", l.as_slice());
                    }
                    body
                }
                _ => {
                    resp = resp.status(501);
                    Bytes::from_static(b"only polite routes over HTTP/2\n")
                }
            };
            resp.body(Full::new(body))
        }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .await;
}

/// A connection that can be reset (RST instead of FIN).
trait Conn: AsyncRead + AsyncWrite + Unpin + Send {
    fn reset(self);
}

impl Conn for TcpStream {
    fn reset(self) {
        // A zero linger time makes close send RST; it never blocks.
        let _ = socket2::SockRef::from(&self).set_linger(Some(Duration::ZERO));
        drop(self);
    }
}

impl Conn for tokio_rustls::server::TlsStream<TcpStream> {
    fn reset(self) {
        let (tcp, _) = self.into_inner();
        tcp.reset();
    }
}

/// What a route does.
enum Action {
    Reply {
        status: u16,
        location: Option<Vec<u8>>,
        body: Bytes,
    },
    Hang,
    HangAfterHeaders,
    ResetInHeaders,
    ResetInBody,
    Drip {
        bytes: u64,
        every: Duration,
    },
    Garbage,
    HugeHeaders,
    Endless,
    Big(u64),
    Gzip(u64),
    BadChunked,
}

fn route(path: &str) -> Action {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut parts = path.trim_start_matches('/').split('/');
    let first = parts.next().unwrap_or("");
    let mut num = || parts.next().and_then(|p| p.parse::<u64>().ok());
    let reply = |status: u16, location: Option<Vec<u8>>, body: &'static [u8]| Action::Reply {
        status,
        location,
        body: Bytes::from_static(body),
    };
    match first {
        "ok" => reply(200, None, b"ok\n"),
        "land" => reply(200, None, b"landed\n"),
        "status" => {
            let code = num().filter(|c| (100..1000).contains(c)).unwrap_or(400);
            reply(code as u16, None, b"status\n")
        }
        "to" => reply(302, Some(percent_decode(query)), b""),
        "loop" => reply(302, Some(b"/loop".to_vec()), b""),
        "hang" => Action::Hang,
        "hang-headers" => Action::HangAfterHeaders,
        "reset-headers" => Action::ResetInHeaders,
        "reset-body" => Action::ResetInBody,
        "drip" => Action::Drip {
            bytes: num().unwrap_or(10),
            every: Duration::from_millis(num().unwrap_or(100)),
        },
        "garbage" => Action::Garbage,
        "huge-headers" => Action::HugeHeaders,
        "endless" => Action::Endless,
        "big" => Action::Big(num().unwrap_or(1 << 20)),
        "gzip" => Action::Gzip(num().unwrap_or(1 << 20)),
        "bad-chunked" => Action::BadChunked,
        _ => reply(404, None, b"no such route\n"),
    }
}

/// `%XX` to the byte it stands for; anything else as it is.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(byte) if b[i] == b'%' => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    out
}

/// HTTP/1.1: reads requests one after another and acts on each; a route that
/// misbehaves ends the connection.
async fn serve_h1(conn: impl Conn, local: SocketAddr, log: Arc<Log>) {
    let mut conn = BufReader::new(conn);
    loop {
        let Some(seen) = read_request(&mut conn, local).await else {
            return;
        };
        let action = route(&seen.path);
        log.push(seen);
        let done = act(&mut conn, action).await;
        if done.is_err() {
            return;
        }
        if let Ok(Flow::Close(how)) = done {
            match how {
                Close::Fin => {
                    let _ = conn.get_mut().shutdown().await;
                }
                Close::Reset => conn.into_inner().reset(),
            }
            return;
        }
    }
}

enum Flow {
    KeepAlive,
    Close(Close),
}

enum Close {
    Fin,
    Reset,
}

/// Reads one request head and discards its body (Content-Length only; the
/// client sends no chunked bodies). `None` when the client goes away.
async fn read_request<C: Conn>(conn: &mut BufReader<C>, local: SocketAddr) -> Option<Seen> {
    let mut line = String::new();
    if conn.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if conn.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (name, value) = l.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let seen = Seen {
        local,
        path,
        headers,
    };
    let len: u64 = seen
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    tokio::io::copy(&mut (&mut *conn).take(len), &mut tokio::io::sink())
        .await
        .ok()?;
    Some(seen)
}

/// Carries out a route's action on the connection.
async fn act<C: Conn>(conn: &mut BufReader<C>, action: Action) -> std::io::Result<Flow> {
    let w = conn.get_mut();
    match action {
        Action::Reply {
            status,
            location,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n",
                body.len()
            )
            .into_bytes();
            if let Some(l) = location {
                head.extend_from_slice(b"location: ");
                head.extend_from_slice(&l);
                head.extend_from_slice(b"\r\n");
            }
            head.extend_from_slice(b"\r\n");
            w.write_all(&head).await?;
            w.write_all(&body).await?;
            w.flush().await?;
            Ok(Flow::KeepAlive)
        }
        Action::Hang => {
            wait_for_close(conn).await;
            Ok(Flow::Close(Close::Fin))
        }
        Action::HangAfterHeaders => {
            w.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\n",
            )
            .await?;
            w.flush().await?;
            wait_for_close(conn).await;
            Ok(Flow::Close(Close::Fin))
        }
        Action::ResetInHeaders => {
            w.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: te").await?;
            w.flush().await?;
            Ok(Flow::Close(Close::Reset))
        }
        Action::ResetInBody => {
            w.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\npartial body",
            )
            .await?;
            w.flush().await?;
            Ok(Flow::Close(Close::Reset))
        }
        Action::Drip { bytes, every } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {bytes}\r\n\r\n"
            );
            w.write_all(head.as_bytes()).await?;
            w.flush().await?;
            for _ in 0..bytes {
                tokio::time::sleep(every).await;
                w.write_all(b"d").await?;
                w.flush().await?;
            }
            Ok(Flow::KeepAlive)
        }
        Action::Garbage => {
            w.write_all(b"HTTP/1.1 two hundred OK\r\ncontent-length: 0\r\n\r\n")
                .await?;
            Ok(Flow::Close(Close::Fin))
        }
        Action::HugeHeaders => {
            w.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n")
                .await?;
            let header = format!("x-huge: {}\r\n", "h".repeat(8 * 1024));
            for _ in 0..128 {
                w.write_all(header.as_bytes()).await?;
            }
            w.write_all(b"\r\n").await?;
            Ok(Flow::Close(Close::Fin))
        }
        Action::Endless => {
            w.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n")
                .await?;
            let chunk = format!("10000\r\n{}\r\n", "e".repeat(0x10000));
            loop {
                // Ends when the client closes the connection.
                w.write_all(chunk.as_bytes()).await?;
            }
        }
        Action::Big(len) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {len}\r\n\r\n"
            );
            w.write_all(head.as_bytes()).await?;
            // Generated as it goes: the whole body is never in memory.
            let block = vec![b'b'; 64 * 1024];
            let mut left = len;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                w.write_all(&block[..n]).await?;
                left -= n as u64;
            }
            w.flush().await?;
            Ok(Flow::KeepAlive)
        }
        Action::Gzip(len) => {
            use std::io::Write;
            w.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n")
                .await?;
            // Compressed a block at a time and sent as it goes: a small
            // response that decodes to a huge body.
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let block = vec![0u8; 1 << 20];
            let mut left = len;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                gz.write_all(&block[..n])?;
                gz.flush()?;
                write_chunk(w, &std::mem::take(gz.get_mut())).await?;
                left -= n as u64;
            }
            write_chunk(w, &gz.finish()?).await?;
            w.write_all(b"0\r\n\r\n").await?;
            w.flush().await?;
            Ok(Flow::KeepAlive)
        }
        Action::BadChunked => {
            w.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nnot a chunk\r\n")
                .await?;
            w.flush().await?;
            Ok(Flow::Close(Close::Fin))
        }
    }
}

/// Writes one chunk of a chunked body.
async fn write_chunk(w: &mut (impl AsyncWrite + Unpin), data: &[u8]) -> std::io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    w.write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .await?;
    w.write_all(data).await?;
    w.write_all(b"\r\n").await
}

/// Reads and discards until the client closes the connection.
async fn wait_for_close<C: Conn>(conn: &mut BufReader<C>) {
    let mut sink = tokio::io::sink();
    let _ = tokio::io::copy(conn, &mut sink).await;
}
