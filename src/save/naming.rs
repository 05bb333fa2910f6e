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

use crate::input::fnv1a64;

/// Default for `--output-name`.
pub const DEFAULT_TEMPLATE: &str = "{host}/{path}";
/// Longest segment kept as it is, in bytes: most file systems allow 255,
/// and a collision suffix (`~` + 16 hex digits) must still fit.
pub const MAX_SEGMENT: usize = 200;
/// Longest name, in bytes, a collision suffix included; a longer one has
/// its tail folded into one safe segment.
pub const MAX_NAME: usize = 1024;
/// The longest segment any file system here takes, in bytes.
const FS_NAME_MAX: usize = 255;
/// `~` and 16 hex digits: what a collision appends to a name.
const SUFFIX: usize = 17;
/// Deepest name, in segments, before its tail is folded into one.
pub const MAX_DEPTH: usize = 32;
/// Characters of an unsafe segment that its safe form keeps.
pub const KEPT_IN_SAFE_FORM: usize = 48;
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

fn hex(h: u64) -> String {
    format!("{h:016x}")
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

/// Characters a kept segment may hold: letters and digits of any script,
/// and ASCII punctuation that no common file system or shell path rule
/// gives a meaning (no `/ \ : * ? " < > |`, no controls).
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || " -_.~+=,;@!$&'()[]{}#%^".contains(c)
}

/// Whether `s` is safe as a path segment: not empty, not `.` or `..`, at
/// most 255 bytes, only [`allowed`] characters, no leading space, no
/// trailing dot or space, and not a name Windows reserves. A segment of the
/// URL is kept as it is when it is safe and at most [`MAX_SEGMENT`] bytes.
pub fn is_safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.len() <= FS_NAME_MAX
        && s.chars().all(allowed)
        && !s.starts_with(' ')
        && !s.ends_with(['.', ' '])
        && !reserved_on_windows(s)
}

/// CON, PRN, AUX, NUL, COM0–9, LPT0–9 (and their superscript-digit forms),
/// with any extension, in any case, with trailing spaces before it.
fn reserved_on_windows(s: &str) -> bool {
    let stem = s.split('.').next().unwrap_or(s).trim_end_matches(' ');
    let upper = stem.to_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let mut chars = upper.chars();
            let head: String = chars.by_ref().take(3).collect();
            let digit: Vec<char> = chars.collect();
            (head == "COM" || head == "LPT")
                && digit.len() == 1
                && (digit[0].is_ascii_digit() || "¹²³".contains(digit[0]))
        }
    }
}

fn safe_segment(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) if s.len() <= MAX_SEGMENT && is_safe_segment(s) => s.to_owned(),
        _ => safe_form(raw),
    }
}

/// The safe form of a segment that cannot be kept: its first safe
/// characters, `~`, and the hash of all of it.
fn safe_form(raw: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(raw);
    let mut kept: String = lossy
        .chars()
        .take(KEPT_IN_SAFE_FORM)
        .map(|c| if allowed(c) && c != ' ' { c } else { '_' })
        .collect();
    if reserved_on_windows(&kept) {
        kept.insert(0, '_');
    }
    format!("{kept}~{}", hex(fnv1a64(raw)))
}

/// A name deeper than [`MAX_DEPTH`] or longer than [`MAX_NAME`] keeps the
/// segments that fit and folds the rest into one safe segment.
fn fold_overlong(segments: Vec<String>) -> String {
    let limit = MAX_NAME - SUFFIX;
    let fits = |n: usize, len: usize| n <= MAX_DEPTH && len <= limit;
    let total = segments.iter().map(|s| s.len() + 1).sum::<usize>();
    if fits(segments.len(), total) {
        return segments.join("/");
    }
    // Room for the folded segment: up to KEPT_IN_SAFE_FORM characters of
    // up to 4 bytes, `~`, 16 digits and a `/`.
    let reserve = KEPT_IN_SAFE_FORM * 4 + 18;
    let mut kept = Vec::new();
    let mut len = 0;
    for s in &segments {
        if kept.len() + 2 > MAX_DEPTH || len + s.len() + 1 + reserve > limit {
            break;
        }
        len += s.len() + 1;
        kept.push(s.clone());
    }
    let rest = segments[kept.len()..].join("/");
    kept.push(safe_form(rest.as_bytes()));
    kept.join("/")
}

/// `name` with `~` and `hash` appended: the name of a URL whose own name
/// another URL of the run already wrote.
pub fn with_hash(name: &str, hash: &str) -> String {
    format!("{name}~{hash}")
}

#[cfg(test)]
#[path = "naming_tests.rs"]
mod tests;
