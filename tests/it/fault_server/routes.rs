//! The fault server's routes, over HTTP/1.1 on plain TCP or TLS. The path's
//! first segment picks one; anything after it is free, so 10,000 URLs can be
//! told apart by path.
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
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{Log, Seen};

/// A connection that can be reset (RST instead of FIN).
pub(super) trait Conn: AsyncRead + AsyncWrite + Unpin + Send {
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
pub(super) enum Action {
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

pub(super) fn route(path: &str) -> Action {
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
pub(super) async fn serve_h1(conn: impl Conn, local: SocketAddr, log: Arc<Log>) {
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
