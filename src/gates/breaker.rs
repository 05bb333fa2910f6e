//! The per-host circuit breaker (`--trip-after`, `--trip-cooldown`): with
//! the retry budget, one of the two ways fanout stops pressing on a backend
//! that is already failing.
//!
//! Breaker states per host (host and port):
//!
//! ```text
//! closed(n) --N consecutive final failures--> open(until)
//! open(until) --cooldown passed, next URL--> half-open (that URL is the probe)
//! half-open --probe ok--> closed(0)      half-open --probe failed--> open(now + cooldown)
//! ```
//!
//! While a host is open or half-open, its other URLs get `circuit_open`
//! records without a request. Outcomes of requests that were already in
//! flight when the circuit opened are ignored: they say nothing about the
//! host after the trip.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

pub use crate::outcome::Health;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Requests flow; `failures` consecutive final failures so far.
    Closed { failures: u32 },
    /// No requests until `until`.
    Open { until: Instant },
    /// One probe URL is running.
    HalfOpen,
}

/// What the breaker says about a request to a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Go ahead.
    Closed,
    /// Go ahead: this URL is the probe of a half-open circuit, and its
    /// outcome decides the circuit.
    Probe,
    /// Don't: the circuit is open.
    Open,
}

/// Circuit breakers for all hosts of a run.
#[derive(Debug)]
pub struct Breakers {
    trip_after: u32,
    cooldown: Duration,
    hosts: Mutex<Hosts>,
    /// Woken whenever a circuit opens, so URLs waiting for a slot can give
    /// up at once instead of waiting behind busy requests.
    opened: Notify,
}

#[derive(Debug, Default)]
struct Hosts {
    /// Hosts not in the map are closed with no failures.
    state: HashMap<String, State>,
    /// Hosts whose circuit opened at some point, for the summary.
    tripped: BTreeSet<String>,
}

impl Breakers {
    /// Opens a host's circuit after `trip_after` (≥ 1) consecutive final
    /// failures, for `cooldown`.
    pub fn new(trip_after: u32, cooldown: Duration) -> Breakers {
        Breakers {
            trip_after: trip_after.max(1),
            cooldown,
            hosts: Mutex::default(),
            opened: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Hosts> {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks `host` just before a URL's first request. A half-open host
    /// whose cooldown has passed makes this URL its probe.
    pub fn check(&self, host: &str) -> Pass {
        let mut hosts = self.lock();
        match hosts.state.get(host).copied() {
            None | Some(State::Closed { .. }) => Pass::Closed,
            Some(State::Open { until }) if Instant::now() >= until => {
                hosts.state.insert(host.to_owned(), State::HalfOpen);
                Pass::Probe
            }
            Some(State::Open { .. } | State::HalfOpen) => Pass::Open,
        }
    }

    /// Whether `host`'s circuit would refuse a URL now, without changing
    /// anything (a half-open circuit whose probe is running refuses; an
    /// open one whose cooldown has passed does not).
    pub fn is_open(&self, host: &str) -> bool {
        match self.lock().state.get(host) {
            Some(State::Open { until }) => Instant::now() < *until,
            Some(State::HalfOpen) => true,
            _ => false,
        }
    }

    /// Checks `host` before a retry of a URL that passed as `pass`: the
    /// probe keeps going; another URL stops if the circuit opened meanwhile.
    pub fn check_retry(&self, host: &str, pass: Pass) -> Pass {
        if pass == Pass::Probe {
            return Pass::Probe;
        }
        match self.lock().state.get(host) {
            None | Some(State::Closed { .. }) => Pass::Closed,
            Some(_) => Pass::Open,
        }
    }

    /// Records how a URL that passed as `pass` ended.
    pub fn report(&self, host: &str, pass: Pass, health: Health) {
        let mut hosts = self.lock();
        let state = hosts.state.get(host).copied();
        let next = match (pass, state, health) {
            (Pass::Probe, _, Health::Answered) => None,
            (Pass::Probe, _, Health::Failed) => Some(self.open()),
            // Outcomes from before a trip don't move an open circuit.
            (_, Some(State::Open { .. } | State::HalfOpen), _) => return,
            (_, _, Health::Answered) => None,
            (_, None, Health::Failed) => Some(State::Closed { failures: 1 }),
            (_, Some(State::Closed { failures }), Health::Failed) => Some(State::Closed {
                failures: failures + 1,
            }),
        };
        let next = match next {
            Some(State::Closed { failures }) if failures >= self.trip_after => Some(self.open()),
            other => other,
        };
        match next {
            Some(s) => {
                if matches!(s, State::Open { .. }) {
                    hosts.tripped.insert(host.to_owned());
                    tracing::info!(host, cooldown = ?self.cooldown, "circuit opened");
                    self.opened.notify_waiters();
                }
                hosts.state.insert(host.to_owned(), s);
            }
            // Closed with no failures is the default: keep the map small.
            None => {
                hosts.state.remove(host);
            }
        }
    }

    fn open(&self) -> State {
        let now = Instant::now();
        State::Open {
            // A cooldown too long to represent is "for the rest of the run".
            until: super::later(now, self.cooldown),
        }
    }

    /// Hosts whose circuit is open or half-open right now.
    pub fn open_now(&self) -> usize {
        self.lock()
            .state
            .values()
            .filter(|s| !matches!(s, State::Closed { .. }))
            .count()
    }

    /// Hosts whose circuit opened at some point in the run, sorted.
    pub fn tripped(&self) -> Vec<String> {
        self.lock().tripped.iter().cloned().collect()
    }

    /// Completes once `host`'s circuit refuses URLs; never, while it does
    /// not. For URLs that wait for a slot: an open circuit answers them at
    /// once.
    pub async fn until_open(&self, host: &str) {
        loop {
            let opened = self.opened.notified();
            tokio::pin!(opened);
            // Registered before the check, so an opening in between wakes us.
            opened.as_mut().enable();
            if self.is_open(host) {
                return;
            }
            opened.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "h:80";

    #[tokio::test(start_paused = true)]
    async fn trips_after_n_consecutive_failures() {
        let b = Breakers::new(3, Duration::from_secs(30));
        for _ in 0..2 {
            assert_eq!(b.check(H), Pass::Closed);
            b.report(H, Pass::Closed, Health::Failed);
        }
        // An answer resets the count.
        b.report(H, Pass::Closed, Health::Answered);
        for _ in 0..2 {
            b.report(H, Pass::Closed, Health::Failed);
        }
        assert_eq!(b.check(H), Pass::Closed);
        b.report(H, Pass::Closed, Health::Failed);
        assert_eq!(b.check(H), Pass::Open);
        assert_eq!(
            b.check("other:80"),
            Pass::Closed,
            "other hosts are unaffected"
        );
        assert_eq!(b.open_now(), 1);
        assert_eq!(b.tripped(), [H]);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_probe_closes_on_success() {
        let b = Breakers::new(1, Duration::from_secs(30));
        b.report(H, Pass::Closed, Health::Failed);
        assert_eq!(b.check(H), Pass::Open);
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(b.check(H), Pass::Open, "still cooling down");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(b.check(H), Pass::Probe);
        assert_eq!(b.check(H), Pass::Open, "one probe at a time");
        assert_eq!(
            b.check_retry(H, Pass::Probe),
            Pass::Probe,
            "the probe may retry"
        );
        b.report(H, Pass::Probe, Health::Answered);
        assert_eq!(b.check(H), Pass::Closed);
        assert_eq!(b.open_now(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_probe_restarts_the_cooldown() {
        let b = Breakers::new(2, Duration::from_secs(10));
        b.report(H, Pass::Closed, Health::Failed);
        b.report(H, Pass::Closed, Health::Failed);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(b.check(H), Pass::Probe);
        tokio::time::advance(Duration::from_secs(3)).await;
        b.report(H, Pass::Probe, Health::Failed);
        tokio::time::advance(Duration::from_secs(9)).await;
        assert_eq!(
            b.check(H),
            Pass::Open,
            "cooldown restarted at the failed probe"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(b.check(H), Pass::Probe);
    }

    #[tokio::test(start_paused = true)]
    async fn late_outcomes_do_not_move_an_open_circuit() {
        let b = Breakers::new(1, Duration::from_secs(10));
        b.report(H, Pass::Closed, Health::Failed);
        // A request sent before the trip answers afterwards.
        b.report(H, Pass::Closed, Health::Answered);
        assert_eq!(b.check(H), Pass::Open);
        assert_eq!(
            b.check_retry(H, Pass::Closed),
            Pass::Open,
            "retries stop too"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_endless_cooldown_does_not_overflow_the_clock() {
        let b = Breakers::new(1, Duration::MAX);
        b.report(H, Pass::Closed, Health::Failed);
        assert_eq!(b.check(H), Pass::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_learn_at_once_that_a_circuit_opened() {
        let b = std::sync::Arc::new(Breakers::new(1, Duration::from_secs(10)));
        let waiting = {
            let b = b.clone();
            tokio::spawn(async move { b.until_open(H).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        b.report("other:80", Pass::Closed, Health::Failed);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "another host's circuit");
        b.report(H, Pass::Closed, Health::Failed);
        waiting.await.unwrap();
    }
}
