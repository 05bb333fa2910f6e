//! What a URL's record takes from earlier runs: the conditional request of
//! `--revalidate` (and what a 304 carries over from FILE: the `sha256`, the
//! validators), the `change` of `--baseline`, and which failures count for
//! `--max-failures` under `--fail-on`. Nothing here runs without its flag.

use reqwest::header::{HeaderName, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH};

use super::Fetcher;
use crate::input::Prior;
use crate::record::{Change, ErrorKind, Record};

/// What the fetch of one URL knows of its earlier record for
/// `--revalidate`, and what came of it.
#[derive(Default)]
pub(super) struct Revalidation<'c> {
    /// The URL's last record in FILE, when it is `ok` and has a validator.
    pub(super) prior: Option<Prior<'c>>,
    /// With `-o`: the file saved under the URL's name, which a 304 keeps.
    pub(super) kept: Option<String>,
    /// The answer was a 304 to the conditional request.
    pub(super) confirmed: bool,
}

impl<'c> Fetcher<'c> {
    /// The URL's earlier record for `--revalidate`, if it can be
    /// revalidated: `ok`, with an `etag` or a `last-modified`.
    pub(super) fn revalidation(&self, key: u64) -> Revalidation<'c> {
        let config: &'c crate::Config = self.config;
        let prior = config
            .remember
            .revalidate
            .as_ref()
            .and_then(|earlier| earlier.get(key))
            .filter(|p| p.ok && (p.etag.is_some() || p.last_modified.is_some()));
        Revalidation {
            prior,
            ..Revalidation::default()
        }
    }
}

/// The conditional header for `prior`: `If-None-Match` when an ETag is
/// known (it takes precedence, RFC 9110 §13.1), else `If-Modified-Since`.
/// A value that cannot be a header (or an empty one) is not sent.
pub(super) fn validator(prior: &Prior<'_>) -> Option<(HeaderName, HeaderValue)> {
    let (name, value) = match (prior.etag, prior.last_modified) {
        (Some(etag), _) if !etag.is_empty() => (IF_NONE_MATCH, etag),
        (_, Some(date)) if !date.is_empty() => (IF_MODIFIED_SINCE, date),
        _ => return None,
    };
    HeaderValue::from_str(value).ok().map(|v| (name, v))
}

impl Fetcher<'_> {
    /// Fills in what a record takes from earlier runs, once it is
    /// otherwise final: after a confirming 304, FILE's `sha256` and the
    /// validators the 304 did not repeat; with `--baseline`, its `change`.
    pub(super) fn remember(&self, record: &mut Record, key: u64, r: &Revalidation<'_>) {
        let confirmed = r.prior.filter(|_| r.confirmed);
        if let Some(prior) = &confirmed {
            if let Some(sha) = record.sha256.as_mut() {
                // The content is the one hashed then.
                *sha = prior.sha256.map(Box::new);
            }
            if let Some(Some(headers)) = record.headers.as_mut() {
                for (name, values) in &mut headers.0 {
                    let earlier = match name.as_str() {
                        "etag" => prior.etag,
                        "last-modified" => prior.last_modified,
                        _ => continue,
                    };
                    if values.is_none() {
                        *values = earlier.map(|v| vec![v.to_owned()]);
                    }
                }
            }
        }
        let Some(baseline) = &self.config.remember.baseline else {
            return;
        };
        if record.error_kind() == Some(ErrorKind::Cancelled) {
            record.change = Some(None);
            return;
        }
        // A 304 compares as the status it confirms.
        let status = match &confirmed {
            Some(prior) => prior.status,
            None => record.status,
        };
        let sha = record.sha256.clone().flatten().map(|d| *d);
        let was = baseline.get(key);
        let was = was.as_ref().map(|p| (p.ok, p.status, p.sha256.as_ref()));
        record.change = Some(Some(Change::of((record.ok, status, sha.as_ref()), was)));
    }

    /// Whether a record counts for `--max-failures`: a failure that fails
    /// the run (`--fail-on`), cancelled ones aside.
    pub(super) fn counts_as_failure(&self, record: &Record) -> Option<ErrorKind> {
        let kind = record.error_kind()?;
        self.config.remember.fail_on.fails(record).then_some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior<'a>(etag: Option<&'a str>, lm: Option<&'a str>) -> Prior<'a> {
        Prior {
            ok: true,
            status: Some(200),
            started_at: None,
            sha256: None,
            etag,
            last_modified: lm,
        }
    }

    #[test]
    fn an_etag_is_preferred_and_an_empty_one_is_not_sent() {
        let date = "Tue, 01 Dec 2026 10:00:00 GMT";
        let (name, value) = validator(&prior(Some("\"v1\""), Some(date))).unwrap();
        assert_eq!((name, value.to_str().unwrap()), (IF_NONE_MATCH, "\"v1\""));
        let (name, value) = validator(&prior(Some(""), Some(date))).unwrap();
        assert_eq!((name, value.to_str().unwrap()), (IF_MODIFIED_SINCE, date));
        assert!(validator(&prior(None, None)).is_none());
        assert!(validator(&prior(Some("bad\nvalue"), None)).is_none());
    }
}
