//! What one URL's request looks like when it is not only the run's: a
//! jsonl line's method, headers and body over `-X`, `-H` and `-d`, and
//! `--header-for`'s headers on the hops that go to their host.
//!
//! Precedence, lowest first, applied per hop: `-H` (client defaults, and
//! the sensitive ones per request), then `--header-for` for the hop's host,
//! then the line's own headers — each replacing same-named ones before it.
//! Plain runs build a [`Shape`] from borrowed settings and skip both
//! header steps on an empty check.

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, RequestBuilder, Url};

use super::Fetcher;
use super::client::SENSITIVE;
use crate::input::LineRequest;

/// The request of one URL, before redirects change it.
pub(super) struct Shape<'a> {
    pub(super) method: Method,
    pub(super) body: Option<Bytes>,
    /// A jsonl line's headers.
    pub(super) headers: Option<&'a HeaderMap>,
    /// Whether the method may be retried after it may have been sent.
    pub(super) idempotent: bool,
    /// `--revalidate`: `If-None-Match` or `If-Modified-Since`, with the
    /// value from the URL's earlier record (`remember.rs`).
    pub(super) validator: Option<(HeaderName, HeaderValue)>,
    /// `-X HEAD,GET` (and no method of the line's own): a HEAD refused is
    /// asked once more with GET.
    pub(super) head_then_get: bool,
}

impl Shape<'_> {
    /// `-X HEAD,GET`'s second request: the same, with GET.
    pub(super) fn as_get(&self) -> Shape<'_> {
        Shape {
            method: Method::GET,
            body: self.body.clone(),
            headers: self.headers,
            idempotent: true,
            head_then_get: false,
            validator: self.validator.clone(),
        }
    }
}

impl Fetcher<'_> {
    /// The shape of a URL's request: the run's, or `line`'s over it. The
    /// method is the line's, else `-X`, else POST when the line or `-d`
    /// gives a body, else GET; a line's body replaces `-d`'s.
    pub(super) fn shape<'a>(&'a self, line: Option<&'a LineRequest>) -> Shape<'a> {
        let spec = &self.config.request;
        let Some(line) = line else {
            return Shape {
                method: spec.method.clone(),
                body: self.body.clone(),
                headers: None,
                idempotent: self.idempotent,
                validator: None,
                head_then_get: spec.head_then_get,
            };
        };
        let body = line.body.clone().or_else(|| self.body.clone());
        let method = match (&line.method, spec.method_given) {
            (Some(m), _) => m.clone(),
            (None, true) => spec.method.clone(),
            (None, false) if body.is_some() => Method::POST,
            (None, false) => Method::GET,
        };
        Shape {
            idempotent: method.is_idempotent(),
            head_then_get: spec.head_then_get && line.method.is_none(),
            method,
            body,
            headers: (!line.headers.is_empty()).then_some(&line.headers),
            validator: None,
        }
    }

    /// Adds the per-host and per-line headers to one hop's request to
    /// `url`; `sensitive` is false once a redirect left the first host and
    /// port, when a line's `Authorization`, `Cookie` and
    /// `Proxy-Authorization` are no longer sent (`--header-for` follows its
    /// host alone).
    pub(super) fn hop_headers(
        &self,
        mut req: RequestBuilder,
        url: &Url,
        shape: &Shape<'_>,
        sensitive: bool,
    ) -> RequestBuilder {
        let header_for = &self.config.request.header_for;
        if !header_for.is_empty() {
            if let Some(h) = header_for.for_url(url) {
                req = req.headers(h.clone());
            }
        }
        if let Some(h) = shape.headers {
            let mut h = h.clone();
            if !sensitive {
                for name in SENSITIVE {
                    h.remove(name);
                }
            }
            req = req.headers(h);
        }
        req
    }
}
