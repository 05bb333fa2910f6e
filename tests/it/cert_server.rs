//! An HTTPS (HTTP/1.1) server for the what-answered and certificate tests:
//! the test picks the leaf certificate's validity, can delay each accepted
//! connection before its handshake, and learns which connection carried
//! each response (`x-conn`, numbered from 0 in accept order).

use crate::support::on_own_thread;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use time::OffsetDateTime;
use tokio_rustls::rustls;

/// How the server behaves.
pub struct Options {
    /// The leaf certificate's validity.
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Wait before the handshake of connection `n` (0 = the first).
    pub accept_delay: fn(usize) -> Duration,
    /// Wait before each response.
    pub response_delay: Duration,
    /// The names the leaf certificate is for.
    pub names: Vec<String>,
}

impl Options {
    /// A certificate valid from yesterday for `days` more days.
    pub fn valid_for(days: i64) -> Options {
        let now = OffsetDateTime::now_utc();
        Options {
            not_before: now - time::Duration::days(1),
            not_after: now + time::Duration::days(days),
            accept_delay: |_| Duration::ZERO,
            response_delay: Duration::ZERO,
            names: vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
        }
    }
}

pub struct CertServer {
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
    /// The CA that issued the leaf, for `--cacert`.
    pub ca_file: std::path::PathBuf,
}

impl CertServer {
    pub fn start(options: Options) -> CertServer {
        let (config, ca_pem) = tls_config(&options);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let Options {
            accept_delay,
            response_delay,
            ..
        } = options;
        on_own_thread(move || async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    continue;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(accept_delay(n)).await;
                    let Ok(tls) = acceptor.accept(conn).await else {
                        return;
                    };
                    let service = service_fn(move |req: hyper::Request<_>| async move {
                        tokio::time::sleep(response_delay).await;
                        let body = match req.uri().path() {
                            "/health" => r#"{"status":"UP"}"#,
                            _ => "hello",
                        };
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder()
                                .header("x-conn", n.to_string())
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(body)))
                                .unwrap(),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, &ca_pem).unwrap();
        CertServer {
            addr,
            accepted,
            _dir: dir,
            ca_file,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://{}{}", self.addr, path)
    }

    pub fn cacert(&self) -> [String; 2] {
        ["--cacert".to_owned(), self.ca_file.display().to_string()]
    }
}

fn tls_config(options: &Options) -> (Arc<rustls::ServerConfig>, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa,
        KeyPair,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params.distinguished_name.push(DnType::CountryName, "US");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "Fanout Tests");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let mut params = CertificateParams::new(options.names.clone()).unwrap();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.not_before = options.not_before;
    params.not_after = options.not_after;
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (Arc::new(config), ca.pem())
}
