//! `--resolve`: requests to HOST on PORT connect to the given addresses.
//!
//! reqwest's overrides are keyed by host alone, so a client with an
//! override for `api.test` would send every port of `api.test` there. The
//! rules are therefore grouped by port, one client per port, each with the
//! overrides for that port's hosts (as port 0, so the URL's port is kept);
//! a request whose host and port no rule names goes to the plain client,
//! and resolves as usual. The choice is made per hop, so a redirect to or
//! away from a rule's host and port lands on the right client. Overrides
//! bypass the resolver, which is why `dns_ms` is `null` for them.
//!
//! Without `--resolve` there is one client and the choice is one check of
//! an empty list.

use anyhow::Context;
use reqwest::{Client, ClientBuilder, Url};

use crate::routes::ResolveRule;

/// The run's clients: the plain one and one per `--resolve` port.
pub(super) struct Clients {
    plain: Client,
    /// The rules, and for each the index of its client in `by_port`.
    rules: Vec<(ResolveRule, usize)>,
    by_port: Vec<Client>,
}

impl Clients {
    /// Builds the plain client and one per port the rules name, each from
    /// a fresh `make()`.
    pub(super) fn build(
        rules: &[ResolveRule],
        make: impl Fn() -> ClientBuilder,
    ) -> anyhow::Result<Clients> {
        let built = |b: ClientBuilder| b.build().context("cannot set up the HTTP client");
        let plain = built(make())?;
        let mut ports: Vec<u16> = rules.iter().map(|r| r.port).collect();
        ports.sort_unstable();
        ports.dedup();
        let mut by_port = Vec::with_capacity(ports.len());
        for &port in &ports {
            let mut b = make();
            for r in rules.iter().filter(|r| r.port == port) {
                b = b.resolve_to_addrs(&r.host, &r.socket_addrs());
            }
            by_port.push(built(b)?);
        }
        let rules = rules
            .iter()
            .map(|r| {
                let at = ports.binary_search(&r.port).unwrap_or_default();
                (r.clone(), at)
            })
            .collect();
        Ok(Clients {
            plain,
            rules,
            by_port,
        })
    }

    /// The client for a request to `url`.
    pub(super) fn for_url(&self, url: &Url) -> &Client {
        if self.rules.is_empty() {
            return &self.plain;
        }
        match self.rules.iter().rev().find(|(r, _)| r.applies(url)) {
            Some((_, at)) => &self.by_port[*at],
            None => &self.plain,
        }
    }
}
