//! The fault server's TLS side: certificates from a throwaway CA and a
//! self-signed one, and HTTP/2 (through hyper) or HTTP/1.1 by ALPN.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

use super::routes::{Action, route, serve_h1};
use super::{Log, Seen};

/// The servers' TLS configs (ALPN h2 and http/1.1) and the PEMs a client
/// needs to trust them.
pub(super) struct Tls {
    /// A certificate for 127.0.0.1 and localhost, issued by the CA.
    pub(super) good: Arc<rustls::ServerConfig>,
    /// A certificate for another name, issued by the CA.
    pub(super) misnamed: Arc<rustls::ServerConfig>,
    /// A self-signed certificate for 127.0.0.1, no CA involved.
    pub(super) self_signed: Arc<rustls::ServerConfig>,
    pub(super) ca_pem: String,
    pub(super) self_signed_pem: String,
}

pub(super) fn make_tls() -> Tls {
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

pub(super) async fn serve_tls(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    log: Arc<Log>,
) {
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
