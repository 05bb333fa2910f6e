//! How fanout connects: `--cert`/`--key` against a server that requires a
//! client certificate, `-4`/`-6`, and `socks5://`/`socks5h://` proxies
//! through a small SOCKS5 server written here. Loopback only.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use tokio_rustls::rustls;

use crate::per_line::Echo;
use crate::support::*;

/// PEM files: a CA, a server certificate for 127.0.0.1, and client
/// certificates — one the server's CA issued, one from a stranger.
struct Pki {
    dir: tempfile::TempDir,
    server: Arc<rustls::ServerConfig>,
}

fn issue(names: &[&str], ca: &rcgen::Issuer<'_, rcgen::KeyPair>) -> (String, String) {
    let params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn new_ca() -> (rcgen::Issuer<'static, rcgen::KeyPair>, String) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let pem = cert.pem();
    (rcgen::Issuer::new(params, key), pem)
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let (ca, ca_pem) = new_ca();
        let (stranger, _) = new_ca();
        let (server_cert, server_key) = issue(&["127.0.0.1"], &ca);
        let (client_cert, client_key) = issue(&["client"], &ca);
        let (bad_cert, bad_key) = issue(&["client"], &stranger);
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("ca.pem", &ca_pem);
        write("client.pem", &client_cert);
        write("client.key", &client_key);
        write("both.pem", &format!("{client_cert}{client_key}"));
        write("stranger.pem", &format!("{bad_cert}{bad_key}"));

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        let ca_der = rustls::pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes());
        roots.add(ca_der.unwrap()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            roots.into(),
            provider.clone(),
        )
        .build()
        .unwrap();
        use rustls::pki_types::pem::PemObject;
        let cert =
            rustls::pki_types::CertificateDer::from_pem_slice(server_cert.as_bytes()).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(server_key.as_bytes()).unwrap();
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![cert], key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Pki {
            dir,
            server: Arc::new(config),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// An HTTPS server on 127.0.0.1 that requires a client certificate.
fn mtls_server(config: Arc<rustls::ServerConfig>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    on_own_thread(move || async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(conn).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(hyper::body::Bytes::from("hello")),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

#[test]
fn cert_gives_mutual_tls_and_a_missing_or_wrong_one_is_a_tls_error() {
    let pki = Pki::new();
    let addr = mtls_server(pki.server.clone());
    let url = format!("https://{addr}/");
    let ca = ["--cacert".to_owned(), pki.path("ca.pem")];
    let with = |extra: &[String]| {
        fanout()
            .args(&ca)
            .args(["-r", "0"])
            .args(extra)
            .arg(&url)
            .run()
    };
    let both = with(&["--cert".into(), pki.path("both.pem")]);
    assert_eq!(both.status, Some(0), "{}", both.stderr);
    let split = with(&[
        "--cert".into(),
        pki.path("client.pem"),
        "--key".into(),
        pki.path("client.key"),
    ]);
    assert_eq!(split.status, Some(0), "{}", split.stderr);
    let none = with(&[]);
    assert_eq!(kind(none.one()), "tls", "{:?}", none.one());
    let wrong = with(&["--cert".into(), pki.path("stranger.pem")]);
    assert_eq!(kind(wrong.one()), "tls", "{:?}", wrong.one());
    // A certificate without its key is a usage error.
    let keyless = with(&["--cert".into(), pki.path("client.pem")]);
    assert_eq!(keyless.status, Some(2), "{}", keyless.stderr);
}

#[test]
fn ipv4_and_ipv6_use_only_addresses_of_their_family() {
    let echo = Echo::start();
    let port = echo.port();
    // Same port on ::1 when the machine has it; else only -4 is checked.
    let v6 = TcpListener::bind(("::1", port)).ok();
    let resolve = format!("dual.test:{port}:[::1],127.0.0.1");
    let url = format!("http://dual.test:{port}/");
    let out = run(["-4", "--resolve", &resolve, &url]);
    assert_eq!(out.one()["remote_addr"], format!("127.0.0.1:{port}"));
    // localhost is 127.0.0.1 here: -6 finds no address of its family.
    let out = run(["-6", "-r", "0", &format!("http://localhost:{port}/")]);
    assert_ne!(out.one()["ok"], true, "{:?}", out.one());
    let Some(v6) = v6 else {
        eprintln!("skipped the -6 half: ::1 is not configured");
        return;
    };
    let accepted = thread::spawn(move || {
        let (mut s, peer) = v6.accept().unwrap();
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf);
        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .unwrap();
        peer
    });
    let out = run([
        "-6",
        "--resolve",
        &format!("dual.test:{port}:127.0.0.1,[::1]"),
        &url,
    ]);
    assert_eq!(out.one()["remote_addr"], format!("[::1]:{port}"));
    assert!(accepted.join().unwrap().is_ipv6());
}

/// What a SOCKS5 client asked to connect to.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Ip(SocketAddr),
    Name(String, u16),
}

/// A SOCKS5 server (no auth, CONNECT only) on 127.0.0.1 that connects
/// every request to `upstream`, whatever it asked for, and notes the
/// targets asked for.
fn socks_server(upstream: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<Target>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let noted = asked.clone();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { continue };
            let noted = noted.clone();
            thread::spawn(move || {
                let mut b = [0u8; 262];
                c.read_exact(&mut b[..2]).ok()?;
                let methods = b[1] as usize;
                c.read_exact(&mut b[..methods]).ok()?;
                c.write_all(&[5, 0]).ok()?;
                c.read_exact(&mut b[..4]).ok()?;
                let target = match b[3] {
                    1 => {
                        let mut a = [0u8; 6];
                        c.read_exact(&mut a).ok()?;
                        let ip = std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]);
                        Target::Ip(SocketAddr::from((ip, u16::from_be_bytes([a[4], a[5]]))))
                    }
                    3 => {
                        let mut n = [0u8; 1];
                        c.read_exact(&mut n).ok()?;
                        let mut name = vec![0u8; n[0] as usize + 2];
                        c.read_exact(&mut name).ok()?;
                        let port = u16::from_be_bytes([name[name.len() - 2], name[name.len() - 1]]);
                        name.truncate(n[0] as usize);
                        Target::Name(String::from_utf8(name).ok()?, port)
                    }
                    _ => return None,
                };
                noted.lock().unwrap().push(target);
                let up = TcpStream::connect(upstream).ok()?;
                c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).ok()?;
                let (mut c2, mut up2) = (c.try_clone().ok()?, up.try_clone().ok()?);
                thread::spawn(move || std::io::copy(&mut up2, &mut c2));
                let mut up = up;
                std::io::copy(&mut c, &mut up).ok()?;
                Some(())
            });
        }
    });
    (addr, asked)
}

#[test]
fn socks5_proxies_carry_requests_and_socks5h_sends_the_name() {
    let echo = Echo::start();
    let port = echo.port();
    let (proxy, asked) = socks_server(echo.server.addr);
    let out = run(["--proxy", &format!("socks5://{proxy}"), &echo.url("/a")]);
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert_eq!(
        asked.lock().unwrap().clone(),
        [Target::Ip(echo.server.addr)]
    );
    assert_eq!(echo.seen().len(), 1);

    // socks5h: the proxy resolves, so a name only it knows works.
    asked.lock().unwrap().clear();
    let url = format!("http://only-the-proxy-knows.test:{port}/b");
    let out = run(["--proxy", &format!("socks5h://{proxy}"), &url]);
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert_eq!(
        asked.lock().unwrap().clone(),
        [Target::Name("only-the-proxy-knows.test".into(), port)]
    );
    assert_eq!(echo.seen()[1].path, "/b");
}
