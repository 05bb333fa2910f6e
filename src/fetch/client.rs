//! The HTTP client of a run, built from the validated request settings —
//! one, plus one per port that `--resolve` names (`resolve.rs`).

use std::sync::Arc;

use reqwest::header::{self, HeaderMap};
use reqwest::{Client, ClientBuilder};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::resolve::Clients;
use crate::config::{Config, IpFamily};
use crate::inspect::Tracker;
use crate::inspect::timings::TimedResolver;

/// Headers that must not follow a redirect to another host or port.
pub(super) const SENSITIVE: [header::HeaderName; 3] = [
    header::AUTHORIZATION,
    header::COOKIE,
    header::PROXY_AUTHORIZATION,
];

/// The clients, and the sensitive headers kept out of their defaults:
/// those are sent per request, and not after a cross-host redirect. With
/// `--timings`, also the table their connectors fill. `tls`: the run's
/// shared TLS configuration (`tls.rs`), if it has one.
pub(super) fn build(
    config: &Config,
    tls: Option<&rustls::ClientConfig>,
) -> anyhow::Result<(Clients, HeaderMap, Option<Arc<Tracker>>)> {
    let mut defaults = config.request.headers.clone();
    let mut sensitive = HeaderMap::new();
    for name in SENSITIVE {
        for value in defaults.get_all(&name) {
            sensitive.append(name.clone(), value.clone());
        }
        defaults.remove(&name);
    }
    let tracker = config.needs().timings.then(Tracker::new);
    let make = || builder(config, &defaults, tracker.as_ref(), tls);
    let clients = Clients::build(&config.request.resolve, make)?;
    Ok((clients, sensitive, tracker))
}

/// A builder with every setting of the run but `--resolve`'s overrides.
fn builder(
    config: &Config,
    defaults: &HeaderMap,
    tracker: Option<&Arc<Tracker>>,
    tls: Option<&rustls::ClientConfig>,
) -> ClientBuilder {
    let spec = &config.request;
    let mut builder = Client::builder()
        .default_headers(defaults.clone())
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.limits.connect_timeout)
        .tls_danger_accept_invalid_certs(spec.insecure);
    if spec.http1_only {
        builder = builder.http1_only();
    }
    if let Some(tls) = tls {
        // The same settings as those below, built once for every client.
        builder = builder.tls_backend_preconfigured(tls.clone());
    } else if !spec.cacerts.is_empty() {
        let certs = spec
            .cacerts
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok());
        builder = builder.tls_certs_merge(certs);
    }
    if let Some(proxy) = &spec.proxy {
        builder = builder.proxy(proxy.clone());
    }
    if let Some(identity) = &spec.identity {
        builder = builder.identity(identity.clone());
    }
    // -4/-6: a local address of one family makes the connector drop the
    // other family's addresses.
    builder = match spec.ip_family {
        None => builder,
        Some(IpFamily::V4) => builder.local_address(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        Some(IpFamily::V6) => builder.local_address(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
    };
    // What answered: each piece is installed only when its flag asks, so
    // a run without them pays nothing.
    if let Some(tracker) = tracker {
        builder = builder
            .connector_layer(tracker.layer())
            .dns_resolver(TimedResolver);
    }
    if config.needs().cert {
        builder = builder.tls_info(true);
    }
    builder
}
