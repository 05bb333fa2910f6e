//! Per-host request rules: `--resolve HOST:PORT:ADDR[,ADDR…]` (where a
//! host's connections go) and `--header-for HOST 'Name: value'` (headers
//! only that host gets). Leaf value types with their parsers, so `config`
//! can hold them and `fetch` can match them, neither knowing the other.

use std::net::{IpAddr, SocketAddr};

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// One `--resolve HOST:PORT:ADDR[,ADDR…]`, curl's basic syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveRule {
    /// The host, lower-case, without brackets.
    pub host: String,
    /// The port requests must be made on for the rule to apply.
    pub port: u16,
    /// Where those requests connect instead, in order.
    pub addrs: Vec<IpAddr>,
}

impl ResolveRule {
    /// The addresses to hand the HTTP client: port 0, so the URL's own
    /// port is kept (the rule only applies when it is `port` anyway).
    pub fn socket_addrs(&self) -> Vec<SocketAddr> {
        self.addrs
            .iter()
            .map(|&ip| SocketAddr::new(ip, 0))
            .collect()
    }

    /// Whether a request to `url` connects where this rule says.
    pub fn applies(&self, url: &Url) -> bool {
        url.port_or_known_default() == Some(self.port) && host_is(url, &self.host)
    }
}

impl std::str::FromStr for ResolveRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "invalid --resolve `{s}`: {why}; write HOST:PORT:ADDR[,ADDR...], e.g. api.example.com:443:127.0.0.1"
            )
        };
        let (host, rest) = s.split_once(':').ok_or_else(|| bad("no PORT"))?;
        let (port, addrs) = rest.split_once(':').ok_or_else(|| bad("no ADDR"))?;
        let host = host.trim().to_ascii_lowercase();
        if host.is_empty() || host.starts_with('+') || host.starts_with('-') || host == "*" {
            return Err(bad("HOST must be a host name"));
        }
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| bad("PORT is not a port number"))?;
        let addrs = addrs
            .split(',')
            .map(|a| {
                let a = a.trim();
                let a = a
                    .strip_prefix('[')
                    .and_then(|a| a.strip_suffix(']'))
                    .unwrap_or(a);
                a.parse::<IpAddr>()
                    .map_err(|_| bad(&format!("`{a}` is not an IP address")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ResolveRule { host, port, addrs })
    }
}

/// `--header-for HOST 'Name: value'`, grouped by host: headers sent only
/// on requests to that host (any port), on every hop that goes there.
#[derive(Debug, Clone, Default)]
pub struct HostHeaders {
    /// Host (lower-case) and its headers, in the order first given.
    hosts: Vec<(String, HeaderMap)>,
}

impl HostHeaders {
    /// Adds one header for `host`. Values are marked sensitive, so no
    /// `Debug` output (a log line) ever shows them.
    pub fn add(&mut self, host: &str, name: HeaderName, mut value: HeaderValue) {
        value.set_sensitive(true);
        let host = host.trim().trim_start_matches('[').trim_end_matches(']');
        let host = host.to_ascii_lowercase();
        match self.hosts.iter_mut().find(|(h, _)| *h == host) {
            Some((_, map)) => {
                map.append(name, value);
            }
            None => {
                let mut map = HeaderMap::new();
                map.append(name, value);
                self.hosts.push((host, map));
            }
        }
    }

    /// Whether any were given.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// The headers for a request to `url`, if its host has any.
    pub fn for_url(&self, url: &Url) -> Option<&HeaderMap> {
        self.hosts
            .iter()
            .find(|(h, _)| host_is(url, h))
            .map(|(_, m)| m)
    }
}

/// Whether `url`'s host is `host`, ignoring case (an IPv6 host is
/// compared without its brackets).
fn host_is(url: &Url, host: &str) -> bool {
    url.host_str().is_some() && crate::values::host_name(url).eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_rules_parse_curls_basic_syntax() {
        let r: ResolveRule = "Staging.Example.test:443:127.0.0.1,[::1]".parse().unwrap();
        assert_eq!(r.host, "staging.example.test");
        assert_eq!(r.port, 443);
        assert_eq!(
            r.addrs,
            [
                "127.0.0.1".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        for bad in [
            "host",
            "host:80",
            "host:x:1.2.3.4",
            "host:80:nope",
            ":80:1.2.3.4",
            "+host:80:1.2.3.4",
            "*:80:1.2.3.4",
            "host:70000:1.2.3.4",
            "host:80:",
        ] {
            assert!(bad.parse::<ResolveRule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_match_host_and_port_only() {
        let r: ResolveRule = "api.test:8443:127.0.0.1".parse().unwrap();
        let yes = Url::parse("https://API.test:8443/x").unwrap();
        let other_port = Url::parse("https://api.test/x").unwrap();
        let other_host = Url::parse("https://www.api.test:8443/x").unwrap();
        assert!(r.applies(&yes));
        assert!(!r.applies(&other_port) && !r.applies(&other_host));
    }

    #[test]
    fn host_headers_match_any_port_and_hide_their_values() {
        let mut h = HostHeaders::default();
        h.add(
            "Api.Test",
            HeaderName::from_static("authorization"),
            HeaderValue::from_static("Bearer s3cret"),
        );
        assert!(
            h.for_url(&Url::parse("http://api.test:81/").unwrap())
                .is_some()
        );
        assert!(
            h.for_url(&Url::parse("http://api.test.evil/").unwrap())
                .is_none()
        );
        assert!(!format!("{h:?}").contains("s3cret"));
    }
}
