//! The record of a URL that was requested: what the last attempt learned,
//! the judge's error, and the success checks (`--expect`, `--slow`) for an
//! answer that is otherwise ok.

use std::time::Duration;

use super::Fetcher;
use super::attempt::{Attempt, version_str};
use super::attempts::{Ending, Tried};
use super::circuit_open_message;
use crate::record::{ErrorKind, Record, RecordError};
use crate::stop::Stop;
use crate::values::Dur;

impl Fetcher<'_> {
    /// Turns the attempts of one URL into its record.
    pub(super) fn finish(
        &self,
        index: u64,
        url: String,
        tried: Tried,
        stop: &Stop,
        host: Option<&str>,
    ) -> Record {
        let last = tried.last.unwrap_or_default();
        let error = match tried.ending {
            Ending::Final(verdict) => verdict.error.map(|kind| self.error_of(kind, &last)),
            Ending::Cancelled => Some(RecordError {
                kind: ErrorKind::Cancelled,
                message: stop
                    .reason()
                    .map_or("cancelled", |r| r.message())
                    .to_owned(),
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
        let r = last.response;
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
            request_id: self
                .config
                .protection
                .request_id
                .as_ref()
                .map(|_| last.request_id.clone()),
            saved_to: None,
            body: None,
            body_encoding: None,
        };
        if let Some(body) = last.body.filter(|_| self.config.output.keep_body) {
            record.set_body(body);
        }
        record
    }

    /// The record's error for the judge's `kind`, with its message.
    fn error_of(&self, kind: ErrorKind, last: &Attempt) -> RecordError {
        let message = match (&last.failure, &last.response) {
            (Some(f), _) => f.message.clone(),
            (None, Some(r)) if kind == ErrorKind::Status => {
                self.judge.status_message(r.status.as_u16())
            }
            _ => "no response".to_owned(),
        };
        RecordError { kind, message }
    }

    /// `--expect` and `--slow`, for an answer that is otherwise ok.
    fn check_assertions(&self, last: &Attempt, elapsed: Duration) -> Option<RecordError> {
        let success = &self.config.success;
        let mut failed = Vec::new();
        if let Some(re) = &success.expect {
            let body = last.body.as_deref().unwrap_or_default();
            if !re.is_match(body) {
                failed.push(format!(
                    "body ({} bytes) does not match --expect `{}`",
                    body.len(),
                    re.as_str()
                ));
            }
        }
        if let Some(limit) = success.slow {
            if elapsed > limit {
                failed.push(format!(
                    "took {:.1} ms, {:.1} ms over --slow {}",
                    ms(elapsed),
                    ms(elapsed - limit),
                    Dur(limit)
                ));
            }
        }
        (!failed.is_empty()).then(|| RecordError {
            kind: ErrorKind::Assertion,
            message: failed.join("; "),
        })
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
