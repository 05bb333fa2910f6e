//! The record of a URL that was requested: what the last attempt learned,
//! the judge's error, the success checks (`check`) for an answer that is
//! otherwise ok, and what answered (`inspect`) when asked for.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use super::Fetcher;
use super::attempt::{Attempt, version_str};
use super::attempts::{Ending, Tried};
use super::circuit_open_message;
use crate::check::{Answer, Checks, first_failure};
use crate::record::{ErrorKind, Record, RecordError};
use crate::stop::Stop;
use crate::values::Dur;

impl Fetcher<'_> {
    /// Turns the attempts of one URL into its record.
    pub(super) fn finish(
        &self,
        index: u64,
        url: String,
        tried: Tried<'_>,
        stop: &Stop,
        host: Option<&str>,
        idempotent: bool,
    ) -> Record {
        let last = tried.last.unwrap_or_default();
        let error = match tried.ending {
            Ending::Final(verdict) => verdict.error.map(|kind| {
                let mut error = self.error_of(kind, &last);
                if tried.attempts > 1 {
                    let n = tried.attempts;
                    error.message.push_str(&format!(", after {n} attempts"));
                }
                let retry = &self.config.retry;
                let done = tried.attempts.saturating_sub(1);
                if let Some(wait) = retry.refused_wait(done, &verdict, idempotent) {
                    error.message.push_str(&format!(
                        "; not retried: Retry-After {}s exceeds --backoff-max {}",
                        wait.as_secs_f64().ceil(),
                        Dur(retry.backoff_max)
                    ));
                }
                error
            }),
            Ending::Cancelled => Some(RecordError {
                kind: ErrorKind::Cancelled,
                message: stop
                    .reason()
                    .map_or_else(|| "cancelled".to_owned(), |r| r.message()),
            }),
            Ending::CircuitOpen => Some(RecordError {
                kind: ErrorKind::CircuitOpen,
                message: circuit_open_message(host.unwrap_or_default()),
            }),
        };
        let elapsed = match tried.attempts {
            0 => Duration::ZERO,
            _ => tried.started.elapsed(),
        };
        let error = error.or_else(|| self.check_assertions(&last, elapsed));
        let started_at = tried.started_at;
        let r = last.response;
        let seen = last.seen.map(|s| *s).unwrap_or_default();
        let inspect = &self.config.inspect;
        let answered = r.is_some();
        let mut record = Record {
            index,
            url,
            final_url: r.as_ref().map(|r| r.url.to_string()),
            ok: error.is_none(),
            status: r.as_ref().map(|r| r.status.as_u16()),
            attempts: tried.attempts,
            elapsed_ms: elapsed,
            ttfb_ms: r.as_ref().map(|r| r.ttfb),
            bytes: r.as_ref().map(|_| last.bytes),
            content_type: r.as_ref().and_then(|r| r.content_type.clone()),
            http_version: r.as_ref().map(|r| version_str(r.version)),
            remote_addr: r.as_ref().and_then(|r| r.remote_addr),
            redirects: last.redirects,
            error,
            id: None,
            request_id: self
                .config
                .protection
                .request_id
                .as_ref()
                .map(|_| last.request_id.clone()),
            method: self
                .needs
                .fields
                .method
                .then(|| last.method.as_ref().map(|m| m.as_str().to_owned())),
            timings: inspect
                .timings
                .then(|| seen.hop.filter(|_| answered).map(|h| Box::new(h.timings()))),
            tls: inspect.tls_info.then(|| {
                seen.cert
                    .filter(|_| answered)
                    .and_then(Result::ok)
                    .map(Box::new)
            }),
            headers: self.pick.as_ref().map(|pick| {
                seen.headers
                    .as_ref()
                    .filter(|_| answered)
                    .map(|h| pick.pick(h))
            }),
            started_at: self.needs.fields.started_at.then_some(started_at),
            sha256: self.needs.fields.sha256.then(|| last.sha256.map(Box::new)),
            saved_to: None,
            change: None,
            body: None,
            body_encoding: None,
        };
        if let Some(body) = last.body.filter(|_| self.needs.fields.body) {
            record.set_body(body);
        }
        record
    }

    /// The record's error for the judge's `kind`, with its message.
    fn error_of(&self, kind: ErrorKind, last: &Attempt) -> RecordError {
        let message = match (&last.failure, &last.response) {
            (Some(f), _) => f.message.clone(),
            (None, Some(r)) if kind == ErrorKind::Status => {
                self.judge.status_message(r.status.as_u16(), Some(&r.url))
            }
            _ => "no response".to_owned(),
        };
        RecordError { kind, message }
    }

    /// The success checks (`check`), for an answer that is otherwise ok.
    fn check_assertions(&self, last: &Attempt, elapsed: Duration) -> Option<RecordError> {
        let empty = HeaderMap::new();
        let seen = last.seen.as_deref();
        let answer = Answer {
            body: last.body.as_deref().unwrap_or_default(),
            headers: seen.and_then(|s| s.headers.as_ref()).unwrap_or(&empty),
            jq: seen.and_then(|s| s.jq.as_ref()),
            cert: seen.and_then(|s| s.cert.as_ref()),
            elapsed,
        };
        let s = &self.config.success;
        // A 304 confirming the copy held has no body: the body checks are
        // not run on it (`--expect-jq` was skipped in the attempt).
        let body_checks = !last.confirmed();
        let checks = Checks {
            expect: s.expect.as_ref().filter(|_| body_checks),
            expect_headers: &s.expect_headers,
            cert_valid: s.cert_valid,
            slow: s.slow,
        };
        let message = first_failure(checks, &answer, SystemTime::now())?;
        Some(RecordError {
            kind: ErrorKind::Assertion,
            message,
        })
    }
}
