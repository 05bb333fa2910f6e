//! The attempts of one URL: ask the gates (breaker, rate, budget) before
//! each, let the judge and the retry policy decide after each, until one is
//! final, the run stops, or the host's circuit opens.

use std::time::Instant;

use reqwest::Url;

use super::attempt::Attempt;
use super::per_line::Shape;
use super::{Admitted, Fetcher};
use crate::gates::Admission;
use crate::gates::adaptive::Signal;
use crate::gates::breaker::Pass;
use crate::outcome::Verdict;
use crate::output::human_duration;
use crate::retry::Decision;
use crate::stop::Stop;

/// How a URL's attempts ended.
pub(super) enum Ending {
    /// With a final outcome (ok or not), judged so.
    Final(Verdict),
    /// The run stopped first.
    Cancelled,
    /// The host's circuit was open before the next request.
    CircuitOpen,
}

/// What the attempts of one URL came to.
pub(super) struct Tried<'a> {
    pub(super) ending: Ending,
    /// Attempts made.
    pub(super) attempts: u32,
    /// The last attempt, if one was made.
    pub(super) last: Option<Attempt>,
    /// What the breaker said before the last request.
    pub(super) pass: Pass,
    /// Whether the breaker was asked yet.
    asked: bool,
    /// `-X HEAD,GET`: the GET after a refused HEAD is under way.
    fell_back: bool,
    /// When the first attempt started (its request went out, admitted).
    pub(super) started: Instant,
    /// The wall clock at `started`, with `--timestamps`.
    pub(super) started_at: Option<crate::record::Stamp>,
    /// What the URL keeps of its admission between attempts and until its
    /// record is made (gates/): with `-c 1`, nothing else runs meanwhile.
    pub(super) held: Option<Admission<'a>>,
}

impl Fetcher<'_> {
    /// Makes the attempts of one URL.
    pub(super) async fn try_url<'s>(
        &'s self,
        url: &Url,
        shape: &Shape<'_>,
        host: Option<&str>,
        stop: &Stop,
    ) -> Tried<'s> {
        let mut tried = Tried {
            ending: Ending::Cancelled,
            attempts: 0,
            last: None,
            pass: Pass::Closed,
            asked: false,
            fell_back: false,
            started: Instant::now(),
            started_at: None,
            held: None,
        };
        tried.ending = self.attempts_into(url, shape, host, stop, &mut tried).await;
        tried
    }

    async fn attempts_into<'s>(
        &'s self,
        url: &Url,
        shape: &Shape<'_>,
        host: Option<&str>,
        stop: &Stop,
        t: &mut Tried<'s>,
    ) -> Ending {
        let request_id = self.config.protection.request_id.as_ref();
        // --host-rate, --rate-for: the host as their rule sees it.
        let name = self
            .gates
            .host_rates()
            .map(|_| crate::values::host_name(url));
        // -X HEAD,GET: the request made after a refused HEAD.
        let get = shape.head_then_get.then(|| shape.as_get());
        loop {
            let shape = match (&get, t.fell_back) {
                (Some(get), true) => get,
                _ => shape,
            };
            // Each attempt is admitted: a slot (kept from the last attempt
            // where the gates allow) and its host's limits. The host's key
            // is made only when admission looks at hosts (or once some host
            // throttled).
            let lazy;
            let key = match host {
                Some(h) => Some(h),
                None if self.gates.needs_host() => {
                    lazy = crate::gates::host_key(url);
                    Some(lazy.as_str())
                }
                None => None,
            };
            let left = self.config.retry.retries.saturating_sub(t.attempts);
            let mut admission = match self.admit(key, name, left, t.held.take(), stop).await {
                Admitted::Yes(a) => a,
                Admitted::Stopped => return Ending::Cancelled,
                Admitted::CircuitOpen => return Ending::CircuitOpen,
            };
            if (key.is_none() && self.gates.needs_host()) || admission.host_paused() {
                // While this URL waited for its slot, some host throttled
                // (admission looks at hosts now) or its own host was
                // paused (no request to it starts): it waits again.
                drop(admission);
                continue;
            }
            // The breaker is asked once admitted, just before the request:
            // a URL that waited may find its host's circuit open.
            if !self.breaker_passes(host, t) {
                return Ending::CircuitOpen;
            }
            if self.gates.paced() {
                // A stop while waiting for a start slot ends the URL too.
                tokio::select! {
                    biased;
                    _ = stop.stopped() => return Ending::Cancelled,
                    _ = self.gates.pace(name, &mut admission) => {}
                }
                // The circuit may have opened during the wait.
                if !self.breaker_passes(host, t) {
                    return Ending::CircuitOpen;
                }
            }
            if stop.is_stopped() {
                // Stopped before this attempt went out.
                return Ending::Cancelled;
            }
            if t.attempts == 0 {
                // Waiting to be admitted (a slot, --per-host, --rate,
                // --host-rate, a paused or adapting host) is not the URL's
                // latency: its clock starts with its first request. A
                // retry's own wait for admission counts, like its backoff.
                t.started = Instant::now();
                if self.needs.timestamps {
                    t.started_at = Some(crate::record::Stamp::now());
                }
            }
            t.attempts += 1;
            if let (1, Some(budget)) = (t.attempts, self.gates.budget()) {
                budget.first_attempt();
            }
            let id = request_id.map(|_| uuid::Uuid::now_v7().to_string());
            // Whichever finishes first: the attempt, or the run being stopped
            // (signal or deadline), which abandons the attempt at once.
            let attempt = tokio::select! {
                biased;
                _ = stop.stopped() => {
                    // The record keeps the id of the request that was cut off.
                    let mut cut = t.last.take().unwrap_or_default();
                    cut.request_id = id;
                    t.last = Some(cut);
                    return Ending::Cancelled;
                }
                a = self.attempt_when_free(url, shape, id.clone()) => a,
            };
            // Its redirect hops' waits for their hosts' rates are not the
            // URL's latency either (attempt.rs, `hop_paced`).
            if !attempt.paced.is_zero() {
                t.started += attempt.paced;
            }
            let observed = attempt.observed();
            let answered = attempt.response.as_ref().map(|r| &r.url);
            if let (Some(hosts), Some(host)) = (&self.hosts, host) {
                let status = attempt.response.as_ref().map(|r| r.status.as_u16());
                hosts.attempt(host, status, t.attempts > 1);
            }
            let verdict = match attempt.confirmed() {
                true => self.judge.not_modified(),
                false => self.judge.attempt(observed, answered),
            };
            let mut decision = match t.fell_back {
                // The GET after a HEAD is one more attempt, never retried.
                true => Decision::Stop,
                false => self
                    .config
                    .retry
                    .decide(t.attempts - 1, &verdict, shape.idempotent),
            };
            if let (Decision::Retry(_), Some(budget)) = (decision, self.gates.budget()) {
                if !budget.try_retry() {
                    decision = Decision::Stop;
                }
            }
            // -X HEAD,GET: a HEAD whose final answer is a refusal is asked
            // once more, with GET, admitted like any attempt.
            let fall_back = decision == Decision::Stop
                && shape.head_then_get
                && self.judge.falls_back_to_get(observed, answered);
            t.held = admission.done(Signal::of(observed), || {
                key.map_or_else(|| crate::gates::host_key(url), str::to_owned)
            });
            tracing::debug!(
                url = %super::Redacted(url),
                attempt = t.attempts,
                status = attempt.response.as_ref().map(|r| r.status.as_u16()),
                error = verdict.error.map(|k| k.as_str()),
                // Only when there is a next attempt, as a plain `60.5ms`.
                retry_in = match decision {
                    Decision::Retry(d) => Some(tracing::field::display(human_duration(d))),
                    Decision::Stop => None,
                },
                "attempt finished"
            );
            t.last = Some(attempt);
            match decision {
                Decision::Stop if fall_back => t.fell_back = true,
                Decision::Stop => return Ending::Final(verdict),
                Decision::Retry(wait) => {
                    // A stop during the wait ends the URL as cancelled.
                    tokio::select! {
                        biased;
                        _ = stop.stopped() => return Ending::Cancelled,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// Asks the breaker whether the next request of this URL may go out: a
    /// first request may make it the probe of a half-open circuit; a retry
    /// keeps its pass unless the circuit opened meanwhile.
    fn breaker_passes(&self, host: Option<&str>, t: &mut Tried<'_>) -> bool {
        let (Some(breakers), Some(host)) = (self.gates.breakers(), host) else {
            return true;
        };
        t.pass = if t.asked {
            breakers.check_retry(host, t.pass)
        } else {
            t.asked = true;
            breakers.check(host)
        };
        t.pass != Pass::Open
    }
}
