//! One TLS configuration for every client of a run. With `--threads N`
//! each thread has a client of its own (a pool belongs to the runtime that
//! opened its connections), and reqwest would build each one's rustls
//! configuration anew: the system's root certificates read and parsed N
//! times, N verifiers and N session caches. Built here once, the clients
//! share it (and TLS sessions resume across threads).
//!
//! It is the configuration reqwest builds for the run's settings: its
//! crypto provider, every protocol version, the platform verifier over the
//! system's roots plus `--cacert`, SNI, and ALPN offering `h2` unless
//! `--http1.1`. Where reqwest must build its own, this gives `None` and
//! each client does as before: with `--insecure` (nothing to share: no
//! roots are loaded), with `--cert` (reqwest keeps the identity's form to
//! itself), and when building fails (reqwest then reports the error).

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::crypto::CryptoProvider;

use crate::config::Config;

/// The run's shared TLS configuration, or `None` (see above).
pub(super) fn shared(config: &Config) -> Option<ClientConfig> {
    let spec = &config.request;
    if spec.insecure || spec.identity.is_some() {
        return None;
    }
    // reqwest's choice: a process-wide default, else aws-lc-rs.
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
        spec.cacerts.iter().cloned(),
        provider.clone(),
    )
    .ok()?;
    let mut tls = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = match spec.http1_only {
        true => vec![b"http/1.1".to_vec()],
        false => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
    };
    Some(tls)
}
