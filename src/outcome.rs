//! The one judge of what an attempt ended with: is it `ok`, which error
//! kind, is it worth another attempt, and what it says about the host.
//!
//! The retry policy, the circuit breaker and the record all ask [`Judge`];
//! none of them decides these rules on its own. Pure and unit-tested.

use std::time::Duration;

use crate::record::ErrorKind;
use url::Url;

use crate::values::{HostRules, StatusSet, host_name};

/// What an attempt ended with, before any judgement.
#[derive(Debug, Clone, Copy)]
pub enum Observed {
    /// No usable response: a transport error of `kind`. `maybe_sent` is false
    /// only when the request certainly never reached the server (DNS,
    /// refused or failed connection).
    Failure {
        /// The error kind the record would get.
        kind: ErrorKind,
        /// Whether the server may have seen the request.
        maybe_sent: bool,
        /// Another attempt would end the same, whatever `kind` usually
        /// means: a name that does not exist is a `dns` failure that is
        /// final.
        permanent: bool,
    },
    /// A complete response.
    Status {
        /// The response's status code.
        code: u16,
        /// The parsed `Retry-After` header, for 429 and 503 only.
        retry_after: Option<Duration>,
    },
}

/// What a URL's outcome says about its host, for the circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// The host answered (whatever the answer was).
    Answered,
    /// A transport failure, or a retryable status that is not accepted.
    Failed,
}

/// The judgement of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// `None` when the attempt is accepted; else the record's error kind.
    pub error: Option<ErrorKind>,
    /// Another attempt might do better (the retry policy adds the method
    /// rule, the count and the budget).
    pub transient: bool,
    /// Whether the server may have seen the request.
    pub maybe_sent: bool,
    /// The wait a 429 or 503 asked for.
    pub retry_after: Option<Duration>,
    /// What it says about the host.
    pub health: Health,
}

impl Verdict {
    /// Whether the attempt is accepted.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

/// The rules: `--accept` (and `--accept-for`) and `--retry-on`.
#[derive(Debug, Clone)]
pub struct Judge {
    accept: StatusSet,
    /// `--accept-for HOST LIST`: the accepted statuses of a final response
    /// from HOST, instead of `accept`.
    accept_for: HostRules<StatusSet>,
    retry_on: StatusSet,
}

impl Judge {
    /// A judge accepting `accept` and treating `retry_on` as transient.
    pub fn new(accept: StatusSet, retry_on: StatusSet) -> Judge {
        Judge {
            accept,
            accept_for: HostRules::default(),
            retry_on,
        }
    }

    /// The judge, with `accept_for`'s hosts accepting their own statuses.
    pub fn with_accept_for(mut self, accept_for: HostRules<StatusSet>) -> Judge {
        self.accept_for = accept_for;
        self
    }

    /// The statuses accepted from the final response's URL `answered`
    /// (its host, as [`host_name`] gives it), the `--accept-for` host if
    /// that is the rule.
    fn accepted_from<'a>(&'a self, answered: Option<&'a Url>) -> (&'a StatusSet, Option<&'a str>) {
        // Without --accept-for, no host is looked at.
        if !self.accept_for.is_empty() {
            if let Some(url) = answered {
                let host = host_name(url);
                if let Some(set) = self.accept_for.get(host) {
                    return (set, Some(host));
                }
            }
        }
        (&self.accept, None)
    }

    /// Whether a final response with status `code` from the URL `answered`
    /// is accepted (`--accept`, `--accept-for` its host): the one place
    /// this is decided.
    pub fn accepts(&self, code: u16, answered: Option<&Url>) -> bool {
        self.accepted_from(answered).0.contains(code)
    }

    /// `-X HEAD,GET`: whether a HEAD that ended with `observed` from
    /// `answered` is asked again with GET — a final status that is not
    /// accepted and does not ask the client to slow down (408, 429, 503).
    /// Never after a transport error or a timeout.
    pub fn falls_back_to_get(&self, observed: Observed, answered: Option<&Url>) -> bool {
        match observed {
            Observed::Status { code, .. } => {
                !self.accepts(code, answered) && !matches!(code, 408 | 429 | 503)
            }
            Observed::Failure { .. } => false,
        }
    }

    /// Judges one attempt; `answered` is its final response's URL.
    pub fn attempt(&self, observed: Observed, answered: Option<&Url>) -> Verdict {
        match observed {
            Observed::Failure {
                kind,
                maybe_sent,
                permanent,
            } => {
                let transient = kind.is_transient() && !permanent;
                // A host whose name does not resolve is failing all the same.
                let host_failed = kind.is_transient() || kind == ErrorKind::Tls;
                Verdict {
                    error: Some(kind),
                    transient,
                    maybe_sent,
                    retry_after: None,
                    health: if host_failed {
                        Health::Failed
                    } else {
                        Health::Answered
                    },
                }
            }
            Observed::Status { code, retry_after } => {
                let accepted = self.accepts(code, answered);
                let transient = !accepted && self.retry_on.contains(code);
                Verdict {
                    error: (!accepted).then_some(ErrorKind::Status),
                    transient,
                    maybe_sent: true,
                    retry_after,
                    health: if transient {
                        Health::Failed
                    } else {
                        Health::Answered
                    },
                }
            }
        }
    }

    /// The verdict on a 304 answer to a conditional request
    /// (`--revalidate`): `ok` whatever `--accept` says, since it confirms
    /// the copy held.
    pub fn not_modified(&self) -> Verdict {
        Verdict {
            error: None,
            transient: false,
            maybe_sent: true,
            retry_after: None,
            health: Health::Answered,
        }
    }

    /// The message of a `status` record for `code` from `answered`.
    pub fn status_message(&self, code: u16, answered: Option<&Url>) -> String {
        match self.accepted_from(answered) {
            (set, None) => format!("status {code} is not accepted (--accept {set})"),
            (set, Some(host)) => {
                format!("status {code} is not accepted (--accept-for {host} {set})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge() -> Judge {
        Judge::new(
            "200-299".parse().unwrap(),
            "408,429,500,502,503,504".parse().unwrap(),
        )
    }

    fn failure(kind: ErrorKind) -> Verdict {
        let observed = Observed::Failure {
            kind,
            maybe_sent: true,
            permanent: false,
        };
        judge().attempt(observed, Some(&at("a.test")))
    }

    fn status(code: u16) -> Verdict {
        let observed = Observed::Status {
            code,
            retry_after: None,
        };
        judge().attempt(observed, Some(&at("a.test")))
    }

    #[test]
    fn accepted_statuses_are_ok_and_healthy() {
        let v = status(204);
        assert!(v.is_ok());
        assert!(!v.transient);
        assert_eq!(v.health, Health::Answered);
    }

    #[test]
    fn retryable_statuses_are_transient_and_count_against_the_host() {
        for code in [408, 429, 500, 502, 503, 504] {
            let v = status(code);
            assert_eq!(v.error, Some(ErrorKind::Status), "{code}");
            assert!(v.transient, "{code}");
            assert_eq!(v.health, Health::Failed, "{code}");
        }
    }

    #[test]
    fn other_statuses_are_final_answers() {
        for code in [301, 404, 501] {
            let v = status(code);
            assert_eq!(v.error, Some(ErrorKind::Status), "{code}");
            assert!(!v.transient, "{code}");
            assert_eq!(v.health, Health::Answered, "{code}");
        }
    }

    #[test]
    fn an_accepted_status_in_retry_on_is_ok() {
        let j = Judge::new("200-599".parse().unwrap(), "503".parse().unwrap());
        let v = j.attempt(
            Observed::Status {
                code: 503,
                retry_after: None,
            },
            None,
        );
        assert!(v.is_ok() && !v.transient);
        assert_eq!(v.health, Health::Answered);
    }

    #[test]
    fn transport_failures() {
        for kind in [
            ErrorKind::Dns,
            ErrorKind::Connect,
            ErrorKind::Timeout,
            ErrorKind::Body,
        ] {
            let v = failure(kind);
            assert!(v.transient, "{kind}");
            assert_eq!(v.health, Health::Failed, "{kind}");
        }
        let tls = failure(ErrorKind::Tls);
        assert!(!tls.transient);
        assert_eq!(tls.health, Health::Failed);
        for kind in [ErrorKind::TooLarge, ErrorKind::Redirect, ErrorKind::Other] {
            let v = failure(kind);
            assert!(!v.transient, "{kind}");
            assert_eq!(v.health, Health::Answered, "{kind}");
        }
    }

    #[test]
    fn a_permanent_failure_is_not_transient_but_still_counts_against_the_host() {
        let v = judge().attempt(
            Observed::Failure {
                kind: ErrorKind::Dns,
                maybe_sent: false,
                permanent: true,
            },
            None,
        );
        assert_eq!(v.error, Some(ErrorKind::Dns));
        assert!(!v.transient);
        assert_eq!(v.health, Health::Failed);
    }

    #[test]
    fn a_confirming_304_is_ok_whatever_accept_says() {
        assert_eq!(status(304).error, Some(ErrorKind::Status));
        let v = judge().not_modified();
        assert!(v.is_ok() && !v.transient);
        assert_eq!(v.health, Health::Answered);
    }

    #[test]
    fn status_messages_name_the_rule() {
        assert_eq!(
            judge().status_message(404, Some(&at("a.test"))),
            "status 404 is not accepted (--accept 200-299)"
        );
        assert_eq!(
            per_host().status_message(403, Some(&at("GitHub.com"))),
            "status 403 is not accepted (--accept-for github.com 200,429)"
        );
    }

    fn at(host: &str) -> Url {
        Url::parse(&format!("https://{host}:8443/x")).unwrap()
    }

    fn per_host() -> Judge {
        let mut rules = HostRules::default();
        rules.set("github.com".into(), "200,429".parse().unwrap());
        judge().with_accept_for(rules)
    }

    #[test]
    fn accept_for_judges_the_answering_hosts_statuses() {
        let j = per_host();
        let answer = |code| Observed::Status {
            code,
            retry_after: None,
        };
        // 429 is accepted from github.com only, 204 from everyone else.
        assert!(j.attempt(answer(429), Some(&at("github.com"))).is_ok());
        assert!(!j.attempt(answer(204), Some(&at("github.com"))).is_ok());
        assert!(j.attempt(answer(204), Some(&at("other.test"))).is_ok());
        let v = j.attempt(answer(429), Some(&at("other.test")));
        assert!(!v.is_ok() && v.transient);
        assert!(j.accepts(204, None) && !j.accepts(429, None));
    }

    #[test]
    fn head_falls_back_to_get_on_refusals_only() {
        let j = per_host();
        let answer = |code| Observed::Status {
            code,
            retry_after: None,
        };
        for code in [400, 403, 404, 405, 500, 501] {
            assert!(j.falls_back_to_get(answer(code), None), "{code}");
        }
        for code in [200, 204, 408, 429, 503] {
            assert!(!j.falls_back_to_get(answer(code), None), "{code}");
        }
        // Accepted from that host: no fallback.
        assert!(!j.falls_back_to_get(answer(429), Some(&at("github.com"))));
        assert!(j.falls_back_to_get(answer(204), Some(&at("github.com"))));
        for kind in [ErrorKind::Timeout, ErrorKind::Connect, ErrorKind::Body] {
            let failed = Observed::Failure {
                kind,
                maybe_sent: true,
                permanent: false,
            };
            assert!(!j.falls_back_to_get(failed, None), "{kind}");
        }
    }
}
