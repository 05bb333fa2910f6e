//! The one HTTP client of a run, built from the validated request settings.

use std::sync::Arc;

use reqwest::Client;
use reqwest::header::{self, HeaderMap};

use crate::config::Config;
use crate::inspect::Tracker;
use crate::inspect::timings::TimedResolver;

/// Headers that must not follow a redirect to another host or port.
pub(super) const SENSITIVE: [header::HeaderName; 3] = [
    header::AUTHORIZATION,
    header::COOKIE,
    header::PROXY_AUTHORIZATION,
];

/// The client, and the sensitive headers kept out of its defaults: those
/// are sent per request, and not after a cross-host redirect. With
/// `--timings`, also the table its connector fills.
pub(super) fn build(config: &Config) -> anyhow::Result<(Client, HeaderMap, Option<Arc<Tracker>>)> {
    use anyhow::Context;
    let spec = &config.request;
    let mut defaults = spec.headers.clone();
    let mut sensitive = HeaderMap::new();
    for name in SENSITIVE {
        for value in defaults.get_all(&name) {
            sensitive.append(name.clone(), value.clone());
        }
        defaults.remove(&name);
    }
    let mut builder = Client::builder()
        .default_headers(defaults)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.limits.connect_timeout)
        .tls_danger_accept_invalid_certs(spec.insecure);
    if spec.http1_only {
        builder = builder.http1_only();
    }
    if !spec.cacerts.is_empty() {
        builder = builder.tls_certs_merge(spec.cacerts.iter().cloned());
    }
    if let Some(proxy) = &spec.proxy {
        builder = builder.proxy(proxy.clone());
    }
    // What answered: each piece is installed only when its flag asks, so
    // a run without them pays nothing.
    let tracker = config.output.timings.then(Tracker::new);
    if let Some(tracker) = &tracker {
        builder = builder
            .connector_layer(tracker.layer())
            .dns_resolver(TimedResolver);
    }
    if config.output.tls_info || config.success.cert_valid.is_some() {
        builder = builder.tls_info(true);
    }
    let client = builder.build().context("cannot set up the HTTP client")?;
    Ok((client, sensitive, tracker))
}
