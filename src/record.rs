//! The result record, one per URL, and its error kinds: fanout's wire format.
//!
//! Field names and their order are a contract (see the README's "Records"
//! section): scripts take these lines apart with `jq`. The order of the
//! struct's fields is the order of the JSON object's keys.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

mod answered;
mod remember;

pub use self::answered::{Cert, Headers, Timings, utc};
pub use self::remember::{Change, Digest, Stamp};

/// Why a URL is not `ok`. The `kind` string is stable; messages may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input line is not an absolute `http`/`https` URL.
    InvalidUrl,
    /// The host name could not be resolved.
    Dns,
    /// The connection was refused, reset or unreachable before a response.
    Connect,
    /// The TLS handshake failed (for example an untrusted certificate).
    Tls,
    /// An attempt, or its connection, took longer than allowed.
    Timeout,
    /// The response body could not be read to the end.
    Body,
    /// The body is larger than `--max-body`.
    TooLarge,
    /// Too many redirects, or a redirect to somewhere not allowed.
    Redirect,
    /// The final status is not in `--accept`.
    Status,
    /// A success assertion failed.
    Assertion,
    /// The host's circuit breaker is open; no request was made.
    CircuitOpen,
    /// The run was interrupted or its deadline passed while this URL was in
    /// flight.
    Cancelled,
    /// The body of an otherwise `ok` URL could not be saved (`-o`).
    Save,
    /// Anything else, such as a malformed HTTP response.
    Other,
}

impl ErrorKind {
    /// Every kind, in the order the README lists them.
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::InvalidUrl,
        ErrorKind::Dns,
        ErrorKind::Connect,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::Body,
        ErrorKind::TooLarge,
        ErrorKind::Redirect,
        ErrorKind::Status,
        ErrorKind::Assertion,
        ErrorKind::CircuitOpen,
        ErrorKind::Cancelled,
        ErrorKind::Save,
        ErrorKind::Other,
    ];

    /// The stable name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidUrl => "invalid_url",
            ErrorKind::Dns => "dns",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Body => "body",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Redirect => "redirect",
            ErrorKind::Status => "status",
            ErrorKind::Assertion => "assertion",
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Save => "save",
            ErrorKind::Other => "other",
        }
    }
}

impl ErrorKind {
    /// The kind named `name` in a record, if any.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// A transport failure that another attempt might not meet.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Dns | ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Body
        )
    }

    /// Whether a record of this kind is the URL's final outcome, so a
    /// resumed run (`--skip-done`) need not fetch it again. The run
    /// stopping, or a breaker refusing, says nothing about the URL; a body
    /// that could not be saved is still to be saved.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            ErrorKind::Cancelled | ErrorKind::CircuitOpen | ErrorKind::Save
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record's `error` object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordError {
    /// The stable kind.
    pub kind: ErrorKind,
    /// A human-readable explanation.
    pub message: String,
}

/// The result of one URL. Serialises to one JSON Lines record, keys in this
/// order.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// 0-based position among accepted input lines, across all sources.
    pub index: u64,
    /// The trimmed input line, as given.
    pub url: String,
    /// URL of the last response.
    pub final_url: Option<String>,
    /// True exactly when `error` is null.
    pub ok: bool,
    /// Status of the last response.
    pub status: Option<u16>,
    /// Attempts made; 0 when no request was made.
    pub attempts: u32,
    /// From the first attempt's start to the end, waits included.
    #[serde(serialize_with = "ser_millis")]
    pub elapsed_ms: Duration,
    /// From the last attempt's start to its response headers.
    #[serde(serialize_with = "opt_millis")]
    pub ttfb_ms: Option<Duration>,
    /// Decoded body bytes read on the last attempt.
    pub bytes: Option<u64>,
    /// The last response's `Content-Type`, as sent.
    pub content_type: Option<String>,
    /// HTTP version of the last response (`HTTP/1.1`, `HTTP/2`).
    pub http_version: Option<&'static str>,
    /// The peer that answered.
    pub remote_addr: Option<SocketAddr>,
    /// Redirects followed on the last attempt.
    pub redirects: u32,
    /// Why the URL is not ok; null when it is.
    pub error: Option<RecordError>,
    /// With `--input-format jsonl`: the line's `id` (`null` when it has
    /// none), so records join back to their inputs. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<serde_json::Value>,
    /// With `--request-id`: the id sent with the last attempt (`null` when
    /// no request was made). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Option<String>>,
    /// With a method list (`-X HEAD,GET`): the method of the request that
    /// gave the final answer (`null` without one). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Option<String>>,
    /// With `--timings`: the final hop's phases (`null` without a response).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timings: Option<Option<Box<Timings>>>,
    /// With `--tls-info`: the final https response's leaf certificate
    /// (`null` for http or without a response).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Option<Box<Cert>>>,
    /// With `--response-header`: the chosen headers of the final response
    /// (`null` without a response).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Option<Headers>>,
    /// With `--timestamps` (or `--skip-ok`): when the first attempt started
    /// (`null` without a request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Option<Stamp>>,
    /// With `--hash`: the SHA-256 of the decoded body read whole (`null`
    /// when none was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Option<Box<Digest>>>,
    /// With `-o`: the path the body was saved to (`null` when nothing was
    /// saved). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<Option<String>>,
    /// With `--baseline`: how the record compares with the baseline's
    /// (`null` for a cancelled record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Option<Change>>,
    /// With `--body`: the body as UTF-8 text, or base64 (see
    /// `body_encoding`); `null` when none was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Option<String>>,
    /// `"base64"` when `body` is not valid UTF-8 and was encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_encoding: Option<&'static str>,
}

impl Record {
    /// A record for a URL that got no request at all.
    pub fn without_request(index: u64, url: String, kind: ErrorKind, message: String) -> Record {
        Record {
            index,
            url,
            final_url: None,
            ok: false,
            status: None,
            attempts: 0,
            elapsed_ms: Duration::ZERO,
            ttfb_ms: None,
            bytes: None,
            content_type: None,
            http_version: None,
            remote_addr: None,
            redirects: 0,
            error: Some(RecordError { kind, message }),
            id: None,
            request_id: None,
            method: None,
            timings: None,
            tls: None,
            headers: None,
            started_at: None,
            sha256: None,
            saved_to: None,
            change: None,
            body: None,
            body_encoding: None,
        }
    }

    /// The URL's latency for statistics: `elapsed_ms` of a URL that made a
    /// request and ran to its end (not cancelled).
    pub fn latency(&self) -> Option<Duration> {
        (self.attempts > 0 && self.error_kind() != Some(ErrorKind::Cancelled))
            .then_some(self.elapsed_ms)
    }

    /// The error kind, if the record is not ok.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.error.as_ref().map(|e| e.kind)
    }

    /// Stores `body` as text, or as base64 when it is not valid UTF-8.
    pub fn set_body(&mut self, body: Vec<u8>) {
        match String::from_utf8(body) {
            Ok(text) => {
                self.body = Some(Some(text));
                self.body_encoding = None;
            }
            Err(e) => {
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode(e.as_bytes());
                self.body = Some(Some(b64));
                self.body_encoding = Some("base64");
            }
        }
    }
}

/// Milliseconds with microsecond resolution: how durations are written.
pub(crate) fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

fn ser_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(millis(*d))
}

fn opt_millis<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ser_millis(d, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_to_their_names() {
        for kind in ErrorKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn kinds_are_found_by_name() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(ErrorKind::from_name("nope"), None);
        assert!(!ErrorKind::Cancelled.is_final() && !ErrorKind::CircuitOpen.is_final());
        assert!(!ErrorKind::Save.is_final());
        assert!(ErrorKind::Status.is_final() && ErrorKind::InvalidUrl.is_final());
    }

    #[test]
    fn keys_come_in_the_documented_order() {
        let mut r = Record::without_request(3, "ftp://x".into(), ErrorKind::InvalidUrl, "m".into());
        r.elapsed_ms = Duration::from_micros(12_345);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"index":3,"url":"ftp://x","final_url":null,"ok":false,"status":null,"attempts":0,"elapsed_ms":12.345,"ttfb_ms":null,"bytes":null,"content_type":null,"http_version":null,"remote_addr":null,"redirects":0,"error":{"kind":"invalid_url","message":"m"}}"#
        );
    }

    #[test]
    fn bodies_that_are_not_utf8_become_base64() {
        let mut r = Record::without_request(0, "u".into(), ErrorKind::Other, "m".into());
        r.set_body(vec![0xff, 0xfe, b'a']);
        assert_eq!(r.body, Some(Some("//5h".into())));
        assert_eq!(r.body_encoding, Some("base64"));
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            json.ends_with(r#""body":"//5h","body_encoding":"base64"}"#),
            "{json}"
        );
        r.set_body(b"plain".to_vec());
        assert_eq!(r.body, Some(Some("plain".into())));
        assert_eq!(r.body_encoding, None);
    }
}
