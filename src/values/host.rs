//! What a *host* is for the per-host rules (`--header-for`, `--rate-for`,
//! `--host-rate`, `--accept-for`): the URL's host name, case-insensitive,
//! any port. Defined here once; `--per-host`, the adaptive limits, the
//! breakers and `--host-stats` key by host and port instead
//! (`gates::host_key`).
//!
//! Matching costs no allocation per URL: the URL parser already writes an
//! http(s) URL's domain in lower case (and in punycode), and the rules'
//! hosts are normalised the same way once, when they are given.

use url::Url;

/// The host of `url` as the per-host rules see it: its host name as the
/// URL parser normalised it, without an IPv6 address's brackets; `""` for a
/// URL without one.
pub fn host_name(url: &Url) -> &str {
    let h = url.host_str().unwrap_or("");
    h.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(h)
}

/// A host as the user gave it on the command line, normalised as the URL
/// parser normalises a URL's host (lower case, punycode, IPv6 compressed),
/// so that [`host_name`] of a URL compares to it byte for byte. `None`
/// when it cannot be a URL's host at all.
pub fn normalise_host(host: &str) -> Option<String> {
    let h = host.trim();
    if h.is_empty() || h.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    // An IPv6 address may come with its brackets or without; any other
    // colon is a port's, and a host has none.
    let bare = h
        .strip_prefix('[')
        .and_then(|v6| v6.strip_suffix(']'))
        .unwrap_or(h);
    let bracketed = match bare.parse::<std::net::Ipv6Addr>() {
        Ok(_) => format!("[{bare}]"),
        Err(_) if h.contains(':') => return None,
        Err(_) => h.to_owned(),
    };
    let url = Url::parse(&format!("http://{bracketed}/")).ok()?;
    // Anything the parser moved elsewhere is not a host.
    if url.path() != "/" {
        return None;
    }
    Some(host_name(&url).to_owned())
}

/// Values given per host (`--rate-for HOST R`, `--accept-for HOST LIST`):
/// a short list, in the order given, looked up by [`host_name`].
#[derive(Debug, Clone)]
pub struct HostRules<T> {
    hosts: Vec<(String, T)>,
}

impl<T> Default for HostRules<T> {
    fn default() -> Self {
        HostRules { hosts: Vec::new() }
    }
}

impl<T> HostRules<T> {
    /// Sets `host`'s value (a host given twice keeps the last). `host` must
    /// be normalised already ([`normalise_host`]).
    pub fn set(&mut self, host: String, value: T) {
        match self.hosts.iter_mut().find(|(h, _)| *h == host) {
            Some((_, v)) => *v = value,
            None => self.hosts.push((host, value)),
        }
    }

    /// The value for a URL's host, [`host_name`] of it.
    pub fn get(&self, host: &str) -> Option<&T> {
        self.hosts.iter().find(|(h, _)| h == host).map(|(_, v)| v)
    }

    /// Whether no host has a value.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// The hosts and their values, in the order first given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.hosts.iter().map(|(h, v)| (h.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_the_name_in_any_case_on_any_port() {
        let name = |s: &str| host_name(&Url::parse(s).unwrap()).to_owned();
        assert_eq!(name("http://API.Example.COM:8080/x"), "api.example.com");
        assert_eq!(name("https://api.example.com/"), "api.example.com");
        assert_eq!(name("http://[::1]:81/"), "::1");
        assert_eq!(name("http://127.0.0.1/"), "127.0.0.1");
        for (given, want) in [
            ("API.Example.com", "api.example.com"),
            (" github.com ", "github.com"),
            ("::1", "::1"),
            ("[::1]", "::1"),
            ("bücher.de", "xn--bcher-kva.de"),
            ("127.0.0.1", "127.0.0.1"),
        ] {
            assert_eq!(normalise_host(given).as_deref(), Some(want), "{given}");
        }
        for bad in ["", "a b", "api:443", "[::1]:80", "http://a", "a/b", "u@h"] {
            assert_eq!(normalise_host(bad), None, "{bad}");
        }
    }

    #[test]
    fn rules_are_looked_up_by_host_name() {
        let mut r = HostRules::default();
        r.set(normalise_host("A.test").unwrap(), 1);
        r.set(normalise_host("b.test").unwrap(), 2);
        r.set(normalise_host("a.TEST").unwrap(), 3);
        let url = Url::parse("http://A.Test:9/").unwrap();
        assert_eq!(r.get(host_name(&url)), Some(&3));
        assert_eq!(r.get("c.test"), None);
        assert_eq!(r.iter().count(), 2);
    }
}
