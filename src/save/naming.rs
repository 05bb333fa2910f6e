//! File names for saved bodies: the `--output-name` template and the rules
//! that keep every name inside the output directory, whatever a URL holds.
//!
//! Pure: a name depends only on the template, the input URL, its line and
//! its index, so the same URL gets the same name on every run, and the
//! rules are tested (with hostile URLs and a property test) without a disk.
//!
//! A name is a list of segments joined by `/`. Each segment is the decoded
//! text of its piece of the URL, kept as it is when it is safe on every
//! common file system (see [`is_safe_segment`]); otherwise it is replaced by
//! a *safe form*: the safe characters of the first [`KEPT_IN_SAFE_FORM`] of
//! it, then `~` and 16 hex digits of the hash of the whole segment. The
//! hash keeps two different unsafe segments apart.

use std::str::FromStr;

use url::{Host, Url};

pub use super::segment::{KEPT_IN_SAFE_FORM, MAX_DEPTH, MAX_NAME, MAX_SEGMENT, is_safe_segment};
use super::segment::{allowed, fold_overlong, hex, safe_segment};
use crate::input::fnv1a64;

/// Default for `--output-name`.
pub const DEFAULT_TEMPLATE: &str = "{host}/{path}";
/// The last segment of `/` and of a path ending in `/`.
const INDEX: &str = "index.html";

/// A parsed `--output-name` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Host,
    Path,
    Name,
    Index,
    Hash,
}

impl FromStr for Template {
    type Err = String;

    fn from_str(s: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(format!("unmatched `}}` in --output-name `{s}`"));
            }
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let Some(len) = rest[open..].find('}') else {
                return Err(format!("unclosed `{{` in --output-name `{s}`"));
            };
            parts.push(match &rest[open + 1..open + len] {
                "host" => Part::Host,
                "path" => Part::Path,
                "name" => Part::Name,
                "index" => Part::Index,
                "hash" => Part::Hash,
                other => {
                    return Err(format!(
                        "unknown placeholder `{{{other}}}` in --output-name; \
                         use {{host}}, {{path}}, {{name}}, {{index}} or {{hash}}"
                    ));
                }
            });
            rest = &rest[open + len + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        if parts.is_empty() {
            return Err("--output-name must not be empty".to_owned());
        }
        Ok(Template { parts })
    }
}

impl Default for Template {
    fn default() -> Self {
        DEFAULT_TEMPLATE.parse().expect("valid default template")
    }
}

impl Template {
    /// The name of the body of `url` (parsed from the input line `line`,
    /// the `index`-th): relative, `/`-separated, every segment safe.
    pub fn name(&self, url: &Url, line: &str, index: u64) -> String {
        let mut segments: Vec<Vec<u8>> = Vec::new();
        let mut current: Vec<u8> = Vec::new();
        // Appends pieces; each piece after the first starts a new segment.
        let mut push = |pieces: &mut dyn Iterator<Item = Vec<u8>>| {
            for (i, piece) in pieces.enumerate() {
                if i > 0 {
                    segments.push(std::mem::take(&mut current));
                }
                current.extend_from_slice(&piece);
            }
        };
        for part in &self.parts {
            match part {
                Part::Text(t) => push(&mut t.split('/').map(|p| p.as_bytes().to_vec())),
                Part::Host => push(&mut std::iter::once(host(url))),
                Part::Path => push(&mut path(url).into_iter()),
                Part::Name => push(&mut std::iter::once(last_segment(url))),
                Part::Index => push(&mut std::iter::once(index.to_string().into_bytes())),
                Part::Hash => push(&mut std::iter::once(url_hash(line).into_bytes())),
            }
        }
        segments.push(current);
        let safe: Vec<String> = segments
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| safe_segment(s))
            .collect();
        if safe.is_empty() {
            // A template of only slashes: the URL's hash names it.
            return url_hash(line);
        }
        fold_overlong(safe)
    }
}

/// `{hash}`: 16 hex digits of the stable hash of the URL as given.
pub fn url_hash(line: &str) -> String {
    hex(fnv1a64(line.as_bytes()))
}

/// `{host}`: the host, with `_PORT` when the port is not the scheme's
/// default (the URL parser drops a default port). An IPv6 address's `:`
/// become `_`.
fn host(url: &Url) -> Vec<u8> {
    let mut h = match url.host() {
        Some(Host::Ipv6(a)) => format!("[{a}]").replace(':', "_"),
        Some(h) => h.to_string(),
        None => String::new(),
    };
    if let Some(port) = url.port() {
        h.push('_');
        h.push_str(&port.to_string());
    }
    h.into_bytes()
}

/// `{path}`: the decoded path segments; `/` or a trailing `/` ends in
/// `index.html`; the query is added to the last segment after `@`.
fn path(url: &Url) -> Vec<Vec<u8>> {
    let mut segments: Vec<Vec<u8>> = url
        .path()
        .split('/')
        .skip(1)
        .map(|s| percent_decode(s.as_bytes()))
        .collect();
    match segments.last_mut() {
        Some(last) if last.is_empty() => last.extend_from_slice(INDEX.as_bytes()),
        Some(_) => {}
        None => segments.push(INDEX.as_bytes().to_vec()),
    }
    if let (Some(q), Some(last)) = (url.query(), segments.last_mut()) {
        last.push(b'@');
        last.extend_from_slice(safe_query(q).as_bytes());
    }
    segments
}

/// `{name}`: the last path segment, decoded; `index.html` when empty.
fn last_segment(url: &Url) -> Vec<u8> {
    let last = url.path().rsplit('/').next().unwrap_or_default();
    match last {
        "" => INDEX.as_bytes().to_vec(),
        s => percent_decode(s.as_bytes()),
    }
}

/// A query as the URL holds it (still percent-encoded), with the
/// characters a file name cannot hold percent-encoded too.
fn safe_query(q: &str) -> String {
    let mut out = String::with_capacity(q.len());
    for c in q.chars() {
        if allowed(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if let (b'%', Some(&h), Some(&l)) = (s[i], s.get(i + 1), s.get(i + 2)) {
            if let (Some(h), Some(l)) = (hex(h), hex(l)) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// `name` with `~` and `hash` appended: the name of a URL whose own name
/// another URL of the run already wrote.
pub fn with_hash(name: &str, hash: &str) -> String {
    format!("{name}~{hash}")
}

#[cfg(test)]
#[path = "naming_tests.rs"]
mod tests;
