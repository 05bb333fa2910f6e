//! The parts of the "Request" group that read files or name hosts: `-d
//! @FILE`, `--cacert`, `--cert`/`--key`, `-H` and `--header-for`. Every
//! error is one line that names the flag and never echoes a header value,
//! which may be a credential.

use std::net::Ipv6Addr;
use std::path::Path;

use anyhow::{Context, bail};
use reqwest::header::{HeaderName, HeaderValue};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::routes::HostHeaders;
use crate::values::{HostRules, normalise_host};

/// The body of `-d` or `--data-binary` (`flag`): DATA itself, or FILE's
/// bytes for @FILE, without CR and LF for `-d` as curl does.
pub(super) fn body(data: &str, flag: &str) -> anyhow::Result<Vec<u8>> {
    let Some(path) = data.strip_prefix('@') else {
        return Ok(data.as_bytes().to_vec());
    };
    let mut bytes = std::fs::read(path).with_context(|| format!("cannot read {flag} @{path}"))?;
    if flag == "-d" {
        bytes.retain(|b| !matches!(b, b'\r' | b'\n'));
    }
    Ok(bytes)
}

/// `--cacert FILE`: at least one PEM certificate, as DER.
pub(super) fn cacerts(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem =
        std::fs::read(path).with_context(|| format!("cannot read --cacert {}", path.display()))?;
    // Checked as the HTTP client checks it, then kept as DER, which both
    // the client and the run's shared TLS configuration take.
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .context("--cacert: not a PEM certificate file")?;
    if certs.is_empty() {
        bail!("--cacert: no certificate found in the file");
    }
    CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .context("--cacert: not a PEM certificate file")
}

/// `--cert FILE` and `--key FILE`: the client identity for mutual TLS.
pub(super) fn identity(cert: &Path, key: Option<&Path>) -> anyhow::Result<reqwest::Identity> {
    let mut pem =
        std::fs::read(cert).with_context(|| format!("cannot read --cert {}", cert.display()))?;
    if let Some(key) = key {
        let key =
            std::fs::read(key).with_context(|| format!("cannot read --key {}", key.display()))?;
        // rustls wants the key and the chain in one buffer.
        pem.push(b'\n');
        pem.extend_from_slice(&key);
    }
    reqwest::Identity::from_pem(&pem).map_err(|_| {
        anyhow::anyhow!(
            "--cert {}: no certificate and unencrypted private key found (PEM); give the key with --key if it is in another file",
            cert.display()
        )
    })
}

/// `--header-for HOST 'Name: value'` or `--header-for HOST @FILE`, given
/// as HOST, HEADER pairs.
pub(super) fn header_for(pairs: &[String]) -> anyhow::Result<HostHeaders> {
    let mut header_for = HostHeaders::default();
    for pair in pairs.chunks(2) {
        let [host, header] = pair else {
            bail!("--header-for takes a HOST and a 'Name: value'");
        };
        check_host(host, "--header-for")?;
        // The one definition of a host, as for --rate-for and --accept-for.
        let Some(host) = normalise_host(host) else {
            bail!("--header-for host `{host}` is not a host name; give one, e.g. api.example.com");
        };
        for (name, value) in headers_of(header, "--header-for")? {
            header_for.add(&host, name, value);
        }
    }
    Ok(header_for)
}

/// The headers of one `-H` or `--header-for` (`flag`) argument: itself, or
/// for `@FILE` the lines of FILE.
pub(super) fn headers_of(arg: &str, flag: &str) -> anyhow::Result<Vec<(HeaderName, HeaderValue)>> {
    match arg.strip_prefix('@') {
        Some(path) => header_file(Path::new(path), flag),
        None => Ok(vec![parse_header(arg, flag)?]),
    }
}

/// `@FILE`: one `Name: value` per line, blank lines and `#` lines skipped,
/// CR and LF stripped. FILE is read once, so `@<(printf …)` (a pipe) works
/// and keeps a secret out of every process's arguments.
///
/// Every value read so is marked sensitive: no log line shows it, whatever
/// its name, and no error quotes any part of a line (a line without a
/// colon may be nothing but a token); errors name the file and the line.
fn header_file(path: &Path, flag: &str) -> anyhow::Result<Vec<(HeaderName, HeaderValue)>> {
    let shown = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {flag} @{shown}"))?;
    let mut headers = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text = line.trim_ascii();
        if text.is_empty() || text.starts_with(b"#") {
            continue;
        }
        let bad = |why: &str| {
            anyhow::anyhow!(
                "{flag} @{shown}, line {}: {why}; write one 'Name: value' per line",
                i + 1
            )
        };
        let Some(colon) = text.iter().position(|&b| b == b':') else {
            return Err(bad("not a header (no `:`)"));
        };
        let name = HeaderName::from_bytes(text[..colon].trim_ascii())
            .map_err(|_| bad("not a valid header name"))?;
        let mut value = HeaderValue::from_bytes(text[colon + 1..].trim_ascii())
            .map_err(|_| bad("the value is not printable text"))?;
        value.set_sensitive(true);
        headers.push((name, value));
    }
    Ok(headers)
}

/// `--rate-for`, `--accept-for` (`flag`): HOST VALUE pairs, each HOST
/// checked and normalised as a URL's host is, each VALUE parsed.
pub(super) fn host_rules<T>(
    pairs: &[String],
    flag: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> anyhow::Result<HostRules<T>> {
    let mut rules = HostRules::default();
    for pair in pairs.chunks(2) {
        let [host, value] = pair else {
            bail!("{flag} takes a HOST and a value");
        };
        check_host(host, flag)?;
        let Some(name) = normalise_host(host) else {
            bail!("{flag} host `{host}` is not a host name; give one, e.g. api.example.com");
        };
        let value = parse(value).map_err(|e| anyhow::anyhow!("{flag} {host}: {e}"))?;
        rules.set(name, value);
    }
    Ok(rules)
}

/// A per-host rule's HOST (`flag`: `--header-for`, `--rate-for`,
/// `--accept-for`) must be able to match a URL's host: a port, a scheme, a
/// path or a wildcard never does, and the rule would silently never apply.
fn check_host(host: &str, flag: &str) -> anyhow::Result<()> {
    let h = host.trim();
    let never = |why: &str, fix: String| {
        anyhow::anyhow!("{flag} host `{host}` can never match: {why}; {fix}")
    };
    let alone = |name: &str| format!("give `{name}` alone, which matches any port");
    if h.is_empty() || h.contains(char::is_whitespace) {
        return Err(never(
            "it is not a host name",
            "give one, e.g. api.example.com".into(),
        ));
    }
    let path = |h: &'_ str| {
        h.split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    if let Some((_, rest)) = h.split_once("://") {
        return Err(never("a host has no scheme", alone(&path(rest))));
    }
    if h.contains(['/', '?', '#']) {
        return Err(never("a host has no path", alone(&path(h))));
    }
    if h.contains('*') {
        return Err(never(
            "wildcards are not matched",
            "give each host name with its own --header-for".into(),
        ));
    }
    // An IPv6 address has colons of its own, with brackets or without.
    let v6 = h
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(h);
    if v6.parse::<Ipv6Addr>().is_ok() {
        return Ok(());
    }
    match h.rsplit_once(':') {
        Some((name, _)) => Err(never("a host has no port", alone(name))),
        None => Ok(()),
    }
}

/// Parses `-H 'Name: value'`. Errors never quote the value: it may be a
/// credential (`Authorization`, `Cookie`), and a header with no colon may be
/// nothing but one.
pub(super) fn parse_header(h: &str, flag: &str) -> anyhow::Result<(HeaderName, HeaderValue)> {
    let Some((name, value)) = h.split_once(':') else {
        bail!("invalid {flag} header (no `:`); write it as e.g. 'Accept: text/html'");
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        anyhow::anyhow!(
            "invalid {flag} header name `{}`; write it as e.g. 'Accept: text/html'",
            name.trim()
        )
    })?;
    let value = HeaderValue::from_str(value.trim()).map_err(|_| {
        anyhow::anyhow!(
            "invalid {flag} value for header `{name}`; use printable text, e.g. 'Accept: text/html'"
        )
    })?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found in review: `--header-for` lower-cased its host only, while
    /// `--rate-for` and `--accept-for` also turn it into punycode; a
    /// header for `BÜCHER.test` was never sent to `http://bücher.test/`.
    #[test]
    fn header_for_hosts_are_normalised_like_every_per_host_rule() {
        let h = header_for(&["BÜCHER.test".into(), "X-A: 1".into()]).unwrap();
        let url = reqwest::Url::parse("http://bücher.test:8080/x").unwrap();
        assert!(h.for_url(&url).is_some());
    }

    #[test]
    fn header_files_are_read_line_by_line_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h");
        std::fs::write(&path, "# c\r\n\r\n  X-Api-Key:  k-5e3  \r\nAccept: a\n#\n").unwrap();
        let headers = headers_of(&format!("@{}", path.display()), "-H").unwrap();
        let names: Vec<_> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x-api-key", "accept"]);
        assert_eq!(headers[0].1, "k-5e3");
        // Every value read from a file is sensitive, whatever its name:
        // a log that prints headers (a HeaderMap's Debug) shows none.
        assert!(headers.iter().all(|(_, v)| v.is_sensitive()));
        let mut map = reqwest::header::HeaderMap::new();
        map.extend(headers);
        assert!(!format!("{map:?}").contains("k-5e3"), "{map:?}");
        // A header given on the command line is not a file's.
        let (_, plain) = headers_of("X-Api-Key: k", "-H").unwrap().remove(0);
        assert!(!plain.is_sensitive());
    }

    #[test]
    fn header_for_hosts_must_be_able_to_match() {
        for good in [
            "api.example.com",
            "API.test",
            "127.0.0.1",
            "::1",
            "[::1]",
            "localhost",
        ] {
            assert!(check_host(good, "--header-for").is_ok(), "{good}");
        }
        for (bad, says) in [
            ("127.0.0.1:8080", "port"),
            ("api.test:443", "port"),
            ("[::1]:8080", "port"),
            ("https://api", "scheme"),
            ("http://api.test/", "scheme"),
            ("api.test/v1", "path"),
            ("*.example.com", "wildcard"),
            ("", "not a host"),
            ("a b", "not a host"),
        ] {
            let e = check_host(bad, "--rate-for").unwrap_err().to_string();
            assert!(e.starts_with("--rate-for host"), "{e}");
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
